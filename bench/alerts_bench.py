"""What limits cost an import (#16): alerts are evaluated in the import's transaction and again
when a limit changes. One time-series file (default ~500k readings: 100 pumps x 5,000 one-minute
readings, pressure a slow random walk that crosses hi/hihi and lo a few hundred times per pump),
parsed once; then, interleaved, median of N runs each:

- baseline  : `Store.add` of the file into a fresh store without limits (and again: re-import)
- (a) import: `Store.add` into a fresh store that has limits (alerts evaluated)
- (b) re-import: `Store.add` of the same file again into that store (no new alert)
- (c) limit change: one type limit changed (`limits.put`, re-evaluation of every pump)

Ratios are against the baseline of the same run. Run by hand:

    python bench/alerts_bench.py [--equipment 100] [--per 5000] [-n 3] [--profile]

Measured 2026-11-26 (2 cores shared with other work, so single runs vary; medians of 3, 4,364
alerts after (a), none added by (b), 4,228 after (c)):
  before (readings as a frame per chunk, a Timestamp per excursion): (a) 2.44 s = 2.49x the
  import without limits, (b) 4.03 s = 4.10x, (c) 3.08 s = 3.14x;
  after (Arrow until one concat, excursions as index arrays): (a) 1.43 s = 1.44x, (b) 2.20 s =
  2.22x (it reads both copies: 1M readings), (c) 1.17 s = 1.18x.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # noqa: E402
from chemviz_desktop.core.store import Store, alerts, limits  # noqa: E402
from engine.limits import Limit  # noqa: E402

NOW = "2026-03-01T00:00:00+00:00"
LIMITS = [Limit("type", "Pump", "pressure", lo=4.0, hi=5.5, hihi=5.8, deadband=0.05),
          Limit("type", "Pump", "temperature", hi=95.0, hihi=100.0),
          Limit("equipment", "P-0", "pressure", hi=5.3, hihi=5.9)]
CHANGED = Limit("type", "Pump", "pressure", lo=4.0, hi=5.6, hihi=5.8, deadband=0.05)


def make_csv(n_equipment: int, per: int, seed: int = 1) -> bytes:
    """A historian export: one reading a minute per pump."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    times = (t0 + pd.to_timedelta(np.arange(per) * 60, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
    parts = []
    for i in range(n_equipment):
        walk = 5.0 + np.cumsum(rng.normal(0, 0.03, per))
        pressure = 5.0 + (walk - walk.mean()) * 0.8
        parts.append(pd.DataFrame({"Equipment Name": f"P-{i}", "Type": "Pump", "Timestamp": times,
                                   "Flowrate": rng.normal(100, 3, per).round(2), "Pressure": pressure.round(3),
                                   "Temperature": rng.normal(80, 6, per).round(2)}))
    return pd.concat(parts, ignore_index=True).to_csv(index=False).encode()


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def put(store: Store, items: list[Limit]) -> int:
    with store.transaction() as db:
        return limits.put(db, items, NOW)


def count(store: Store) -> int:
    return len(alerts.listing(store.db))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--equipment", type=int, default=100)
    ap.add_argument("--per", type=int, default=5000)
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="profile one limit change (c) and print the top")
    opts = ap.parse_args()
    t = time.perf_counter()
    data = make_csv(opts.equipment, opts.per)
    result = engine.load(data, file_name="bench.csv")
    assert result.accepted, result.report.summary()
    print(f"file: {len(result.frame):,} readings of {opts.equipment} equipment, "
          f"{len(data) / 1e6:.0f} MB, made and parsed in {time.perf_counter() - t:.1f} s (not timed below)")
    base, base_again, imp, again, change = [], [], [], [], []
    found = re_found = changed_found = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(opts.n):
            plain = Store(Path(tmp) / f"plain{k}.sqlite3")
            base.append(timed(lambda s=plain: s.add(result, file_name="bench.csv")))
            base_again.append(timed(lambda s=plain: s.add(result, file_name="bench-again.csv")))
            plain.close()
            store = Store(Path(tmp) / f"limits{k}.sqlite3")
            put(store, LIMITS)
            imp.append(timed(lambda s=store: s.add(result, file_name="bench.csv")))
            found = count(store)
            again.append(timed(lambda s=store: s.add(result, file_name="bench-again.csv")))
            re_found = count(store)
            if opts.profile and k == opts.n - 1:
                prof = cProfile.Profile()
                prof.enable()
                change.append(timed(lambda s=store: put(s, [CHANGED])))
                prof.disable()
                out = io.StringIO()
                pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
                print(out.getvalue())
            else:
                change.append(timed(lambda s=store: put(s, [CHANGED])))
            changed_found = count(store)
            put(store, LIMITS)          # back, so the next round starts alike (not timed)
            store.close()
    b = statistics.median(base)

    def line(label: str, xs: list[float], extra: str = "") -> None:
        m = statistics.median(xs)
        print(f"{label:<38} median {m:6.2f} s  ({m / b:4.2f}x baseline)  runs {', '.join(f'{x:.2f}' for x in xs)}"
              f"{extra}")
    print(f"{'baseline: import without limits':<38} median {b:6.2f} s  runs {', '.join(f'{x:.2f}' for x in base)}")
    line("re-import without limits", base_again)
    line("(a) import with limits", imp, f"  -> {found:,} alerts")
    line("(b) re-import of the same file", again, f"  -> {re_found:,} alerts ({re_found - found:+,})")
    line("(c) one type limit changed", change, f"  -> {changed_found:,} alerts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
