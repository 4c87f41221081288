"""Engine speed at scale: read+validate+stats of a 1,000,000-row file against a bare
`pyarrow.csv.read_csv` of the same file, measured in the same run. Run by hand:

    python bench/engine_bench.py [--rows 1000000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TYPES = ["Pump", "Compressor", "Valve", "Heat Exchanger", "Reactor", "Condenser", "Column", "Storage Tank"]


def make_file(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    import pandas as pd
    df = pd.DataFrame({
        "Equipment Name": [f"EQ-{i:07d}" for i in range(rows)],
        "Type": rng.choice(TYPES, rows),
        "Flowrate": rng.normal(120, 30, rows).round(2).clip(0),
        "Pressure": rng.normal(6, 2, rows).round(2).clip(0),
        "Temperature": rng.normal(110, 40, rows).round(1),
    })
    df.to_csv(path, index=False)


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    import pyarrow.csv as pacsv

    import engine
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.csv"
        make_file(path, args.rows)
        size = path.stat().st_size
        res = engine.load(path)
        assert res.accepted and res.report.rows_accepted == args.rows, res.report.summary()
        # Interleaved, best of N each: a busy machine slows both sides alike.
        base = eng = float("inf")
        for _ in range(args.repeat):
            base = min(base, timed(lambda: pacsv.read_csv(path), 1))
            eng = min(eng, timed(lambda: engine.load(path), 1))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows={args.rows:,} file={size / 1e6:.1f} MB (best of {args.repeat})")
    print(f"baseline pyarrow.csv.read_csv : {base:.3f} s")
    print(f"engine read+validate+stats    : {eng:.3f} s")
    print(f"ratio engine/baseline         : {eng / base:.2f}  (target <= 1.5)")
    print(f"peak RSS of this process      : {peak_mb:.0f} MB (target < 1500)")


if __name__ == "__main__":
    main()
