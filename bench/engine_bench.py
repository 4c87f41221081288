"""Engine speed and memory on realistic dirty files, against references measured in the same run.
Run by hand:

    python bench/engine_bench.py [--sizes 100000,1000000,5000000] [--repeat 5] [--kinds dirty,clean]
    python bench/engine_bench.py --kinds dirty,clean,ts --ts-sizes 1000000,10000000
    python bench/engine_bench.py --check-against /path/to/other/checkout   # results unchanged?
    python bench/engine_bench.py --save-digests ref.json   # with the reference engine, then later:
    python bench/engine_bench.py --check-against ref.json
    python bench/engine_bench.py --files /tmp/engine-bench-files ...   # generate the files once, reuse them
    python bench/engine_bench.py --upload-memory [--baseline /path/to/other/checkout]   # the server's 9.9 MB file

Each measurement runs in its own process (so its peak RSS is its own), the kinds of work are
interleaved (a busy machine slows all alike) and medians are printed with the ratio to a bare
`pyarrow.csv.read_csv` of the same file. References: pandas read + to_numeric + groupby, and
DuckDB read + TRY_CAST + GROUP BY when `duckdb` is installed (bench only: `pip install duckdb`).
The dirty files are seeded: tag names like P-10234, 16 type spellings, 2 % bad rows (empty cells,
`n/a`, `ERR`, `12.3.4`, negatives, below absolute zero, case/space-variant duplicate names); the
time-series files (kind `ts`) repeat each name every minute, with bad times, unknown statuses and
duplicate readings (same name, same time) besides."""
from __future__ import annotations

import argparse
import json
import os
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


STATUSES = ["Running", "Running", "Running", "running", "Active", "Online", "Offline", "Maintenance", "", "Stopped"]


def make_ts_file(path: Path, rows: int, seed: int = 1) -> None:
    """Readings over time (seeded): `rows // 5000` equipment (at least 20) read every minute, rows
    in time order as a historian exports them; names repeat by design. 2 % bad rows: the snapshot's
    bad numbers, bad timestamps, unknown statuses, and duplicate readings (same name, case/space
    variant, at the same time as an earlier reading)."""
    rng = np.random.default_rng(seed)
    n_eq = max(20, rows // 5000)
    spelling = rng.integers(0, len(SPELLINGS), n_eq)
    eq_types = np.array(SPELLINGS, dtype=object)[spelling]
    prefixes = [PREFIX.get(str(t).split()[0].title().replace("_", " ").split()[0], "X") for t in eq_types]
    eq_names = np.array([f"{p}-{10_000 + i}" for i, p in enumerate(prefixes)], dtype=object)
    start = np.datetime64("2024-01-01T00:00:00")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("Tag,Type,Timestamp,Flowrate,Pressure,Temperature,Status\n")
        step = 500_000
        for a in range(0, rows, step):
            b = min(rows, a + step)
            i = np.arange(a, b)
            eq = i % n_eq
            names = eq_names[eq].copy()
            types = eq_types[eq]
            stamps = np.datetime_as_string(start + (i // n_eq).astype("m8[m]"), unit="s").astype(object)
            k = b - a
            flow = np.round(rng.normal(120, 30, k).clip(0), 2).astype(str).astype(object)
            pres = np.round(rng.normal(6, 2, k).clip(0), 2).astype(str).astype(object)
            temp = np.round(rng.normal(110, 40, k), 1).astype(str).astype(object)
            status = np.array(STATUSES, dtype=object)[rng.integers(0, len(STATUSES), k)]
            bad = rng.choice(k, k // 50, replace=False)
            kind = rng.integers(0, 9, len(bad))
            cols = [flow, pres, temp]
            for r, kk in zip(bad, kind, strict=True):
                if kk < 6:
                    cols[int(rng.integers(0, 3))][r] = BAD_TOKENS[kk]
                    if kk == 5:
                        temp[r] = "-400"
                elif kk == 6:
                    stamps[r] = ["2024-13-45 99:00", "n/a", "", "yesterday"][int(rng.integers(0, 4))]
                elif kk == 7:
                    status[r] = "???"
                elif r >= n_eq:              # the same equipment, same time as the row n_eq above
                    names[r] = f" {str(names[r - n_eq]).lower()} "
                    stamps[r] = stamps[r - n_eq]
            lines = [f"{n},{t},{s},{x},{y},{z},{st}\n" for n, t, s, x, y, z, st in
                     zip(names, types, stamps, flow, pres, temp, status, strict=True)]
            f.write("".join(lines))


# What each child process runs: (imports, timed work); it prints "seconds peak_mb cpu_seconds" on stdout.
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
# Peak RSS from VmHWM, the high-water mark of this process's own memory: ru_maxrss would report
# the bench parent's size at fork time when that is larger (Linux keeps it across exec).
# CPU seconds (user + system, all threads) beside the wall time: on a shared machine the wall time
# of every kind of work stretches with the others' load, its CPU time much less.
CHILD = ("import sys, time, resource; sys.path.insert(0, {root!r}); P = {path!r}\n{setup}\n"
         "r0 = resource.getrusage(resource.RUSAGE_SELF)\n"
         "t = time.perf_counter()\n{work}\n"
         "s = time.perf_counter() - t\n"
         "r1 = resource.getrusage(resource.RUSAGE_SELF)\n"
         "cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime\n"
         "try:\n"
         "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')][0].split()[1]\n"
         "    peak = int(hwm) / 1024\n"
         "except OSError:\n"
         "    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
         "print(s, peak, cpu)")


def run_child(work: str, path: Path, root: Path = ROOT) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MB, CPU seconds) of one timed run in its own process."""
    setup, timed = WORK["engine" if work == "baseline" else work]
    code = CHILD.format(root=str(root), path=str(path), setup=setup, work=timed)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, peak, cpu = out.stdout.split()[-3:]
    return float(seconds), float(peak), float(cpu)


def available(work: str) -> bool:
    module = {"pandas": "pandas", "duckdb": "duckdb"}.get(work)
    if module is None:
        return True
    return subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True).returncode == 0


def digest_code(root: Path) -> str:
    """A child that loads each file with the engine under `root` and prints {file name: sha256 of
    the report, the statistics, the frame (columns, dtypes, every value: NaN-normalised float bits,
    strings, times) and the header fields}."""
    return (f"import sys, json, hashlib; sys.path.insert(0, {str(root)!r}); import engine\n"
            "import numpy as np, pandas as pd, os\n"
            "def frame_digest(f):\n"
            "    h = hashlib.sha256(json.dumps([list(map(str, f.columns)), [str(t) for t in f.dtypes],\n"
            "                                   [list(map(str, f[c].cat.categories)) for c in f.columns\n"
            "                                    if isinstance(f[c].dtype, pd.CategoricalDtype)]]).encode())\n"
            "    for c in f.columns:\n"
            "        s = f[c]\n"
            "        if s.dtype.kind == 'f':\n"
            "            v = s.to_numpy()\n"
            "            h.update(np.where(np.isnan(v), np.nan, v).tobytes())\n"
            "        elif s.dtype == object:\n"
            "            kinds = pd.Series([type(x).__name__ for x in s]).value_counts().to_dict()\n"
            "            h.update(json.dumps(sorted(kinds.items())).encode())\n"
            "            h.update(pd.util.hash_pandas_object(s, index=False).to_numpy().tobytes())\n"
            "        else:\n"
            "            h.update(pd.util.hash_pandas_object(s, index=False).to_numpy().tobytes())\n"
            "    h.update(pd.util.hash_pandas_object(f.index.to_series(), index=False).to_numpy().tobytes())\n"
            "    return h.hexdigest()\n"
            "def dig(p):\n"
            "    r = engine.load(p)\n"
            "    parts = [json.dumps(r.report.to_dict(), sort_keys=True, default=str),\n"
            "             json.dumps(r.statistics, sort_keys=True, default=str),\n"
            "             json.dumps([r.headers, r.header_row, r.sheet, r.accepted]),\n"
            "             '' if r.frame is None else frame_digest(r.frame)]\n"
            "    return hashlib.sha256('\\x1e'.join(parts).encode()).hexdigest()\n"
            "print(json.dumps({os.path.basename(p): dig(p) for p in sys.argv[1:]}))")


def digests(root: Path, files: list[Path]) -> dict[str, str]:
    """Digest of every file's results with the engine of the checkout `root` (one child per file,
    so a 10M-row file's memory is returned before the next)."""
    out: dict[str, str] = {}
    for f in files:
        out.update(json.loads(subprocess.run([sys.executable, "-c", digest_code(root), str(f)], capture_output=True,
                                             text=True, check=True).stdout))
    return out


def check_against(other: Path, files: list[Path]) -> int:
    """Report, statistics and frame of every file must be identical: `other` is another checkout
    (its engine is run now) or a JSON file saved by --save-digests (from the reference engine)."""
    mine = digests(ROOT, files)
    if other.is_file():
        theirs = json.loads(other.read_text())
    else:
        theirs = digests(other, files)
    names = [f.name for f in files]
    missing = [f for f in names if f not in theirs]
    differ = [f for f in names if f in theirs and mine[f] != theirs[f]]
    for f in differ:
        print(f"DIFFERENT: {f}")
    for f in missing:
        print(f"NO REFERENCE: {f}")
    print(f"{len(names) - len(differ) - len(missing)} of {len(names)} files give identical report, statistics "
          f"and frame" + (f"; {len(missing)} without a reference" if missing else ""))
    return 1 if differ or missing else 0


# engine.load of the server's 9.9 MB valid upload (bench/server_upload_memory.py's `valid` case),
# in a fresh process with the engine's imports done first: RSS growth (VmHWM reset through
# /proc/self/clear_refs) and, in another fresh process, tracemalloc's peak (numpy, Python).
UPLOAD = r"""
import sys, time
sys.path.insert(0, ROOT); sys.path.insert(0, BENCH)
from server_load import csv_rows
data = csv_rows(300_000)
data = data[: data.rfind(b"\n", 0, 9_900_000) + 1]
import engine, engine.loading, engine.stats
engine.load(b"Equipment Name,Type,Flowrate,Pressure,Temperature\nP-1,Pump,1,2,3\n")
def status(key):
    return int([ln for ln in open("/proc/self/status") if ln.startswith(key)][0].split()[1]) / 1024
if TRACE:
    import tracemalloc
    tracemalloc.start()
else:
    open("/proc/self/clear_refs", "w").write("5")
before = status("VmRSS:")
r = engine.load(data, file_name="upload.csv")
assert r.accepted
print(len(data) / 1e6, tracemalloc.get_traced_memory()[1] / 1e6 if TRACE else status("VmHWM:") - before)
"""


def upload_memory(root: Path, repeat: int) -> None:
    """Print the upload's figures (medians of `repeat` fresh processes each) for `root`'s engine."""
    rss, traced, size = [], [], 0.0
    for _ in range(repeat):
        for trace, out in ((False, rss), (True, traced)):
            code = f"ROOT = {str(root)!r}; BENCH = {str(ROOT / 'bench')!r}; TRACE = {trace}\n" + UPLOAD
            got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            mb, value = got.stdout.split()[-2:]
            size = float(mb)
            out.append(float(value))
    r, t = statistics.median(rss), statistics.median(traced)
    print(f"{str(root):<40} upload {size:.1f} MB: RSS growth {r:.1f} MB ({r / size:.1f}x), "
          f"tracemalloc peak {t:.1f} MB ({t / size:.1f}x), medians of {repeat}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--kinds", default="dirty,clean")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--works", default=",".join(WORK), help="which of arrow,engine,pandas,duckdb to time "
                    "(arrow and engine always)")
    ap.add_argument("--baseline", type=Path, help="another checkout whose engine is timed too, interleaved "
                    "(column 'baseline'): before/after figures from the same run")
    ap.add_argument("--ts-sizes", default="1000000,10000000", help="readings in the time-series files (kind ts)")
    ap.add_argument("--check-against", type=Path,
                    help="another checkout, or digests saved by --save-digests: results must be identical")
    ap.add_argument("--engine-root", type=Path, default=ROOT,
                    help="checkout whose engine --save-digests runs (default: this one)")
    ap.add_argument("--files", type=Path, help="keep the generated files in this folder and reuse them in later "
                    "runs (they are seeded: the same sizes give the same files)")
    ap.add_argument("--save-digests", type=Path, help="write the digests of this checkout's results (bench files "
                    "and corpus) to this JSON file, to check a later version against with --check-against")
    ap.add_argument("--upload-memory", action="store_true", help="only measure engine.load of the server's "
                    "9.9 MB valid upload in fresh processes (with --baseline: that checkout too)")
    opts = ap.parse_args()
    if opts.upload_memory:
        for root in [ROOT] + ([opts.baseline] if opts.baseline else []):
            upload_memory(root, opts.repeat)
        return 0
    sizes = [int(s) for s in opts.sizes.split(",")]
    kinds = opts.kinds.split(",")
    chosen = {"arrow", "engine", *opts.works.split(",")}
    works = [w for w in WORK if w in chosen and available(w)] + (["baseline"] if opts.baseline else [])
    missing = [w for w in WORK if w in chosen and w not in works]
    with tempfile.TemporaryDirectory() as tmp:
        where = opts.files or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        files = {}
        ts_sizes = [int(s) for s in opts.ts_sizes.split(",") if s]
        for kind in kinds:
            for n in (ts_sizes if kind == "ts" else sizes):
                path = where / f"{kind}-{n}.csv"
                if opts.files is None or not path.exists():   # seeded: a kept file is the same file
                    if kind == "ts":
                        make_ts_file(path, n)
                    else:
                        make_file(path, n, dirty=(kind == "dirty"))
                files[(kind, n)] = path
        corpus = sorted((ROOT / "tests" / "data" / "corpus").glob("*.csv"))
        if opts.save_digests:
            opts.save_digests.write_text(json.dumps(digests(opts.engine_root, list(files.values()) + corpus), indent=1))
            print(f"saved digests of {len(files) + len(corpus)} files to {opts.save_digests}")
            return 0
        if opts.check_against:
            return check_against(opts.check_against, list(files.values()) + corpus)
        results: dict[tuple[str, int, str], list[tuple[float, float, float]]] = {}
        load = [os.getloadavg()[0]]
        for _ in range(opts.repeat):
            for (kind, n), path in files.items():
                for work in works:
                    root = opts.baseline if work == "baseline" else ROOT
                    results.setdefault((kind, n, work), []).append(run_child(work, path, root))
            load.append(os.getloadavg()[0])
        print(f"medians of {opts.repeat} interleaved runs, each in its own process; load average (1 min) "
              f"{min(load):.1f}-{max(load):.1f} on {os.cpu_count()} CPUs"
              + (f"; not installed: {', '.join(missing)}" if missing else ""))

        def med(kind: str, n: int, work: str, k: int) -> float:
            return statistics.median(r[k] for r in results[(kind, n, work)])
        for title, k in (("wall time", 0), ("CPU time (user + system, all threads)", 2)):
            print(f"{title}, and its ratio to the bare Arrow read's")
            print(f"{'file':<16}{'MB':>7}  " + "".join(f"{w:>18}" for w in works)
                  + ("   engine peak RSS" + ("   baseline peak RSS" if opts.baseline else "") if k == 0 else ""))
            for (kind, n), path in files.items():
                size = path.stat().st_size / 1e6
                base = med(kind, n, "arrow", k)
                cells = [f"{med(kind, n, w, k):7.3f} s {med(kind, n, w, k) / base:5.2f}x" for w in works]
                line = f"{kind + ' ' + format(n, ','):<16}{size:7.1f}  " + "".join(f"{c:>18}" for c in cells)
                if k == 0:
                    for work in ("engine", "baseline") if opts.baseline else ("engine",):
                        peak = max(r[1] for r in results[(kind, n, work)])
                        line += f"   {peak:6.0f} MB ({peak / size:.1f}x file)"
                print(line)
        for kind in kinds:
            ks = ts_sizes if kind == "ts" else sizes
            if len(ks) > 1:   # the two largest sizes (the time(5M) / time(1M))
                lo, hi = ks[-2], ks[-1]
                for work in ("engine", "baseline") if opts.baseline else ("engine",):
                    print(f"{kind}: {work} time({hi:,}) / time({lo:,}) = {med(kind, hi, work, 0) / med(kind, lo, work, 0):.2f}"
                          f" wall, {med(kind, hi, work, 2) / med(kind, lo, work, 2):.2f} CPU "
                          f"(rows ratio {hi / lo:.0f}; linear means about that)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
