"""One equipment's history among many stored readings (#15 target: < 50 ms among 10M). Builds a
scratch SQLite file with the store's equipment/readings schema, then times `equipment.history`
for one equipment (median of N). Run by hand:

    python bench/history_bench.py [--readings 10000000] [--equipment 200] [-n 9]
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chemviz_desktop.core.store import equipment as eq  # noqa: E402


def build(path: Path, readings: int, n_equipment: int, per_day: int = 1440) -> int:
    """Daily time-series files of one reading a minute per equipment, recorded the way an import
    records them; returns the number of datasets."""
    import pandas as pd

    from engine import schema
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("CREATE TABLE datasets (id INTEGER PRIMARY KEY)")
    for stmt in eq.SQL_V3.split(";"):
        db.execute(stmt)
    days = max(1, readings // (n_equipment * per_day))
    rng = np.random.default_rng(1)
    t0 = 1_767_225_600 * 10**9
    names = np.repeat([f"P-{i}" for i in range(n_equipment)], per_day)
    for day in range(days):
        ts = t0 + day * 86_400 * 10**9 + np.tile(np.arange(per_day, dtype=np.int64) * 60 * 10**9, n_equipment)
        frame = pd.DataFrame({schema.NAME: names, schema.TYPE: "Pump",
                              schema.FLOWRATE: rng.normal(100, 5, len(names)),
                              schema.PRESSURE: rng.normal(5, 1, len(names)),
                              schema.TEMPERATURE: rng.normal(80, 3, len(names)),
                              "Timestamp": pd.to_datetime(ts, utc=True), "Status": "active"})
        db.execute("BEGIN")
        db.execute("INSERT INTO datasets (id) VALUES (?)", (day + 1,))
        eq.record(db, day + 1, frame, t0, "")
        db.execute("COMMIT")
    db.close()
    return days


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--readings", type=int, default=10_000_000)
    ap.add_argument("--equipment", type=int, default=200)
    ap.add_argument("-n", type=int, default=9)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        t = time.perf_counter()
        days = build(path, opts.readings, opts.equipment)
        print(f"built {days * opts.equipment * 1440:,} readings ({days} daily files) of {opts.equipment} equipment "
              f"in {time.perf_counter() - t:.0f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
        db = sqlite3.connect(path)
        db.row_factory = sqlite3.Row
        times = []
        for i in range(opts.n):
            t = time.perf_counter()
            frame = eq.history(db, f"P-{(i * 37) % opts.equipment}")
            times.append(time.perf_counter() - t)
        print(f"history of one equipment ({len(frame):,} readings): median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms (n={opts.n}; target < 50 ms)")
        window = []
        for i in range(opts.n):
            t = time.perf_counter()
            eq.history(db, f"P-{i}", start_ns=1_767_225_600 * 10**9 + 86_400 * 10**9 * 7,
                       end_ns=1_767_225_600 * 10**9 + 86_400 * 10**9 * 8)
            window.append(time.perf_counter() - t)
        print(f"one day of one equipment: median {statistics.median(window) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
