"""CLI start-up cost: `main.py --version` and `main.py validate` on a 15-row file, median of N
interleaved runs, for this checkout and (optionally) another one given as --baseline DIR (e.g. a
`git worktree` of an older commit). Run by hand: `python bench/cli_startup.py --baseline /tmp/before`."""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROWS = "Equipment Name,Type,Flowrate,Pressure,Temperature\n" + "".join(
    f"P-{i:03d},Pump,{100 + i},{5 + i / 10:.1f},{80 + i}\n" for i in range(15))


def timed(root: Path, args: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, str(root / "main.py"), *args], cwd=root, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--baseline", type=Path, help="another checkout to compare against")
    ap.add_argument("-n", type=int, default=9)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "fifteen.csv"
        csv.write_text(ROWS)
        env = {"PATH": "/usr/bin:/bin", "CHEMVIZ_DATA_DIR": tmp, "HOME": tmp}
        roots = {"this": ROOT} | ({"baseline": opts.baseline.resolve()} if opts.baseline else {})
        cases = {"--version": ["--version"], "validate 15 rows": ["validate", str(csv)]}
        times: dict[tuple[str, str], list[float]] = {(r, c): [] for r in roots for c in cases}
        for _ in range(opts.n):          # interleaved, so both see the same machine load
            for r, root in roots.items():
                for c, args in cases.items():
                    times[(r, c)].append(timed(root, args, env))
    for (r, c), ts in times.items():
        print(f"{r:<9} {c:<18} median {statistics.median(ts) * 1000:7.0f} ms  (n={len(ts)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
