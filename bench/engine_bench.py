"""Engine speed and memory on realistic dirty files, against references measured in the same run.
Run by hand:

    python bench/engine_bench.py [--sizes 100000,1000000,5000000] [--repeat 5] [--kinds dirty,clean]
    python bench/engine_bench.py --check-against /path/to/other/checkout   # results unchanged?

Each measurement runs in its own process (so its peak RSS is its own), the kinds of work are
interleaved (a busy machine slows all alike) and medians are printed with the ratio to a bare
`pyarrow.csv.read_csv` of the same file. References: pandas read + to_numeric + groupby, and
DuckDB read + TRY_CAST + GROUP BY when `duckdb` is installed (bench only: `pip install duckdb`).
The dirty files are seeded: tag names like P-10234, 16 type spellings, 2 % bad rows (empty cells,
`n/a`, `ERR`, `12.3.4`, negatives, below absolute zero, case/space-variant duplicate names)."""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPELLINGS = ["Pump", "pump", "Centrifugal Pump", "PUMP", "Compressor", "compressor", "Valve", "valves",
             "Heat Exchanger", "heat_exchanger", "HX", "Shell and Tube", "Reactor", "CSTR", "Condenser", "Column"]
PREFIX = {"Pump": "P", "Compressor": "K", "Valve": "V", "Heat": "E", "Reactor": "R", "Condenser": "C", "Column": "T"}
BAD_TOKENS = ["", "n/a", "ERR", "12.3.4", "-5", "-400"]


def make_file(path: Path, rows: int, dirty: bool, seed: int = 1) -> None:
    """Write a CSV of `rows` data rows (seeded); dirty files carry 2 % bad rows."""
    rng = np.random.default_rng(seed)
    spelling = rng.integers(0, len(SPELLINGS), rows)
    types = np.array(SPELLINGS, dtype=object)[spelling]
    prefixes = np.array([PREFIX.get(str(t).split()[0].title().replace("_", " ").split()[0], "X") for t in SPELLINGS],
                        dtype=object)[spelling]
    numbers = rng.permutation(rows) + 10_000
    names = np.char.add(np.char.add(prefixes.astype(str), "-"), numbers.astype(str)).astype(object)
    flow = np.round(rng.normal(120, 30, rows).clip(0), 2).astype(str).astype(object)
    pres = np.round(rng.normal(6, 2, rows).clip(0), 2).astype(str).astype(object)
    temp = np.round(rng.normal(110, 40, rows), 1).astype(str).astype(object)
    if dirty:
        bad = rng.choice(rows, rows // 50, replace=False)
        kind = rng.integers(0, 7, len(bad))
        cols = [flow, pres, temp]
        for r, k in zip(bad, kind, strict=True):
            if k < 6:
                cols[int(rng.integers(0, 3))][r] = BAD_TOKENS[k] if k != 5 else "-400"
                if k == 5:
                    temp[r] = "-400"        # below absolute zero
            else:                            # a duplicate name differing in case/spaces
                other = int(rng.integers(0, rows))
                names[r] = f" {str(names[other]).lower()} "
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("Equipment Name,Type,Flowrate,Pressure,Temperature\n")
        step = 200_000
        for a in range(0, rows, step):
            b = min(rows, a + step)
            lines = [f"{n},{t},{x},{y},{z}\n" for n, t, x, y, z in
                     zip(names[a:b], types[a:b], flow[a:b], pres[a:b], temp[a:b], strict=True)]
            f.write("".join(lines))


# What each child process runs: (imports, timed work); it prints "seconds peak_mb" on stdout.
WORK = {
    "arrow": ("import pyarrow.csv as c", "c.read_csv(P)"),
    "engine": ("import engine, engine.loading, engine.stats, pyarrow.csv",
               "r = engine.load(P); assert r.report.rows_total"),
    "pandas": ("import pandas as pd",
               "d = pd.read_csv(P, dtype=str, keep_default_na=False)\n"
               "for c in ('Flowrate','Pressure','Temperature'): d[c] = pd.to_numeric(d[c], errors='coerce')\n"
               "d.groupby('Type')[['Flowrate','Pressure','Temperature']].agg(['mean','min','max','std'])"),
    "duckdb": ("import duckdb",
               "duckdb.sql(f\"SELECT Type, avg(TRY_CAST(Flowrate AS DOUBLE)), avg(TRY_CAST(Pressure AS DOUBLE)),"
               " avg(TRY_CAST(Temperature AS DOUBLE)) FROM read_csv('{P}', all_varchar=true) GROUP BY Type\").fetchall()"),
}
CHILD = ("import sys, time, resource; sys.path.insert(0, {root!r}); P = {path!r}\n{setup}\n"
         "t = time.perf_counter()\n{work}\n"
         "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)")


def run_child(work: str, path: Path, root: Path = ROOT) -> tuple[float, float]:
    setup, timed = WORK[work]
    code = CHILD.format(root=str(root), path=str(path), setup=setup, work=timed)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, peak = out.stdout.split()[-2:]
    return float(seconds), float(peak)


def available(work: str) -> bool:
    module = {"pandas": "pandas", "duckdb": "duckdb"}.get(work)
    if module is None:
        return True
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def digest_code(root: Path) -> str:
    return (f"import sys, json, hashlib; sys.path.insert(0, {str(root)!r}); import engine\n"
            "def dig(p):\n"
            "    r = engine.load(p)\n"
            "    parts = [json.dumps(r.report.to_dict(), sort_keys=True, default=str),\n"
            "             json.dumps(r.statistics, sort_keys=True, default=str),\n"
            "             '' if r.frame is None else r.frame.to_csv(index=False)]\n"
            "    return hashlib.sha256('\\x1e'.join(parts).encode()).hexdigest()\n"
            "print(json.dumps({p: dig(p) for p in sys.argv[1:]}))")


def check_against(other: Path, files: list[Path]) -> int:
    """Report, statistics and frame of every file must be identical in both checkouts."""
    args = [str(f) for f in files]
    mine = json.loads(subprocess.run([sys.executable, "-c", digest_code(ROOT), *args], capture_output=True,
                                     text=True, check=True).stdout)
    theirs = json.loads(subprocess.run([sys.executable, "-c", digest_code(other), *args], capture_output=True,
                                       text=True, check=True).stdout)
    differ = [f for f in args if mine[f] != theirs[f]]
    for f in differ:
        print(f"DIFFERENT: {f}")
    print(f"{len(args) - len(differ)} of {len(args)} files give identical report, statistics and frame")
    return 1 if differ else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--kinds", default="dirty,clean")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--check-against", type=Path, help="another checkout: results must be identical")
    opts = ap.parse_args()
    sizes = [int(s) for s in opts.sizes.split(",")]
    kinds = opts.kinds.split(",")
    works = [w for w in WORK if available(w)]
    missing = [w for w in WORK if w not in works]
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for kind in kinds:
            for n in sizes:
                path = Path(tmp) / f"{kind}-{n}.csv"
                make_file(path, n, dirty=(kind == "dirty"))
                files[(kind, n)] = path
        if opts.check_against:
            corpus = sorted((ROOT / "tests" / "data" / "corpus").glob("*.csv"))
            return check_against(opts.check_against, list(files.values()) + corpus)
        results: dict[tuple[str, int, str], list[tuple[float, float]]] = {}
        for _ in range(opts.repeat):
            for (kind, n), path in files.items():
                for work in works:
                    results.setdefault((kind, n, work), []).append(run_child(work, path))
        print(f"medians of {opts.repeat} interleaved runs, each in its own process"
              + (f"; not installed: {', '.join(missing)}" if missing else ""))
        print(f"{'file':<16}{'MB':>7}  " + "".join(f"{w:>18}" for w in works) + "   engine peak RSS")
        for (kind, n), path in files.items():
            size = path.stat().st_size / 1e6
            base = statistics.median(t for t, _ in results[(kind, n, "arrow")])
            cells = []
            for work in works:
                med = statistics.median(t for t, _ in results[(kind, n, work)])
                cells.append(f"{med:7.3f} s {med / base:5.2f}x")
            peak = max(p for _, p in results[(kind, n, "engine")])
            print(f"{kind + ' ' + format(n, ','):<16}{size:7.1f}  " + "".join(f"{c:>18}" for c in cells)
                  + f"   {peak:6.0f} MB ({peak / size:.1f}x file)")
        for kind in kinds:
            if len(sizes) > 1:
                lo, hi = sizes[0], sizes[-1]
                t_lo = statistics.median(t for t, _ in results[(kind, lo, "engine")])
                t_hi = statistics.median(t for t, _ in results[(kind, hi, "engine")])
                print(f"{kind}: engine time({hi:,}) / time({lo:,}) = {t_hi / t_lo:.2f} "
                      f"(rows ratio {hi / lo:.0f}; linear means about that)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
