"""Long fuzz run of the engine (issue 7): N hypothesis examples of hostile files; prints the
count, failures and the slowest case. Run by hand:  python bench/fuzz_engine.py [--examples 10000]"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.fuzz.strategies import hostile_bytes  # noqa: E402
from tests.fuzz.test_engine_fuzz import check  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples", type=int, default=10_000)
    args = ap.parse_args()
    stats = {"count": 0, "slowest": 0.0, "slowest_case": b""}

    @settings(max_examples=args.examples, deadline=2000, database=None,
              suppress_health_check=list(HealthCheck))
    @given(hostile_bytes())
    def run(data: bytes) -> None:
        took = check(data)
        stats["count"] += 1
        if took > stats["slowest"]:
            stats["slowest"], stats["slowest_case"] = took, data

    start = time.perf_counter()
    run()
    print(f"examples run: {stats['count']} in {time.perf_counter() - start:.0f} s, no failure")
    print(f"slowest: {stats['slowest'] * 1000:.1f} ms for {len(stats['slowest_case'])} bytes: "
          f"{stats['slowest_case'][:120]!r}")


if __name__ == "__main__":
    main()
