"""Build the ChemViz workstation executable with PyInstaller, then check and (optionally) measure it.

    python packaging/build.py                 # onedir: dist/ChemViz/ChemViz, checked
    python packaging/build.py --onefile       # onefile: dist/onefile/ChemViz, checked
    python packaging/build.py --measure 5     # also: startup median of 5 (exe vs checkout), sizes
    python packaging/build.py --skip-build --measure 5   # measure an existing build

Checks after every build (exit 1 if one fails):
  * contents: nothing from FORBIDDEN (Django, the server, test tools, unused Qt/Arrow parts) in
    the executable's archive or next to it, and everything in REQUIRED is there;
  * `ChemViz --bundle-check`: pyarrow csv/compute/parquet/dataset work, the engine's compiled
    kernels load, no damaged library;
  * `ChemViz --smoke-test <sample> --screenshot <png>` offscreen exits 0 and writes the PNG.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "chemviz.spec"
SAMPLE = ROOT / "chemviz_desktop" / "resources" / "sample_equipment.csv"
_VERSION = runpy.run_path(str(ROOT / "engine" / "version.py"))  # the one place (without importing engine)
APP_NAME, __version__ = _VERSION["APP_NAME"], _VERSION["__version__"]

# Top-level packages (module names) or bundle paths that must not be in the build.
FORBIDDEN_TOP = {"django", "rest_framework", "drf_spectacular", "dj_database_url", "gunicorn", "server",
                 "psycopg", "psycopg_binary", "celery", "kombu", "billiard", "redis", "python_multipart",
                 "pytest", "_pytest", "pytestqt", "pytest_django", "hypothesis", "IPython", "tkinter",
                 "_tkinter", "PySide2", "PySide6", "PyQt6", "pypdf", "setuptools", "pkg_resources"}
FORBIDDEN_PATTERNS = [
    r"^cli\.server_commands$",
    r"^PyQt5\.Qt(WebEngine\w*|Qml|Quick\w*|3D\w*|Multimedia\w*|Bluetooth|Designer|Sql|Network|Test)$",
    r"(^|/)libQt5(WebEngine\w*|Qml\w*|Quick\w*|3D\w*|Multimedia\w*|Bluetooth|Designer\w*|Sql|Network)\.so",
    r"^PyQt5/Qt5/translations/",
    r"(^|/)libarrow_(flight|s3|cuda)\.so", r"^pyarrow\.(flight|_flight|_s3fs|_gcsfs|_azurefs|_hdfs|_orc|cuda)$",
    r"^pyarrow/(include|src|tests)/",
    r"^matplotlib\.backends\.backend_(tk\w*|gtk\w*|wx\w*|macosx|webagg\w*|nbagg|cairo|qtcairo)$",
    r"(^|/)tests?/.*\.py$",
]
REQUIRED = ["chemviz_desktop.ui.app", "chemviz_desktop.ui.main_window", "engine", "cli.engine_commands",
            "cli.sync_commands", "pyarrow.csv", "pyarrow.compute", "pyarrow.parquet", "pyarrow.dataset",
            "matplotlib.backends.backend_qt5agg", "matplotlib.backends.backend_pdf",
            "matplotlib.backends.backend_svg", "chemviz_desktop/resources/sample_equipment.csv",
            "chemviz_desktop/resources/chemviz.svg", "PyQt5/Qt5/plugins/iconengines/libqsvgicon.so"]


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def exe_path(dist: Path, onefile: bool) -> Path:
    suffix = ".exe" if sys.platform == "win32" else ""
    return dist / f"{APP_NAME}{suffix}" if onefile else dist / APP_NAME / f"{APP_NAME}{suffix}"


def build(dist: Path, work: Path, onefile: bool, clean: bool) -> float:
    cmd = [sys.executable, "-m", "PyInstaller", str(SPEC), "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        cmd.append("--clean")
    cmd += ["--"] + (["--onefile"] if onefile else [])
    # the engine's compiled kernels go into the executable: build them (a failure stops here)
    subprocess.run([sys.executable, "-m", "engine.native.build", "--require"], cwd=ROOT, check=True)
    log(" ".join(cmd))
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True)
    return time.perf_counter() - t0


def contents(exe: Path, onefile: bool) -> set[str]:
    """Names in the build: the archive's entries (modules, and for onefile every file) plus, for
    onedir, every file next to the executable (relative to _internal/)."""
    from PyInstaller.archive.readers import pkg_archive_contents
    names = set(pkg_archive_contents(str(exe)))
    if not onefile:
        internal = exe.parent / "_internal"
        names |= {p.relative_to(internal).as_posix() for p in internal.rglob("*") if p.is_file() or p.is_symlink()}
        dangling = [p for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
        names |= {f"DANGLING:{p.relative_to(internal).as_posix()}" for p in dangling}
    return names


def check_contents(names: set[str]) -> list[str]:
    problems = []
    for name in sorted(names):
        top = re.split(r"[./]", name, maxsplit=1)[0]
        if top in FORBIDDEN_TOP:
            problems.append(f"forbidden in the build: {name}")
        elif any(re.search(p, name) for p in FORBIDDEN_PATTERNS):
            problems.append(f"forbidden in the build: {name}")
    problems += [f"missing from the build: {r}" for r in REQUIRED if r not in names]
    problems += [f"dangling link in the build: {n[9:]}" for n in names if n.startswith("DANGLING:")]
    return problems


def run_env(data_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["CHEMVIZ_DATA_DIR"] = data_dir
    return env


def check_run(exe: Path, sample: Path) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory(prefix="chemviz-build-check-") as tmp:
        env = run_env(os.path.join(tmp, "data"))
        env["QT_QPA_PLATFORM"] = "offscreen"
        r = subprocess.run([str(exe), "--bundle-check"], env=env, capture_output=True, text=True, timeout=300)
        log(f"--bundle-check: exit {r.returncode}: {(r.stdout + r.stderr).strip().splitlines()[-1:]}")
        if r.returncode:
            problems.append(f"--bundle-check failed: {r.stdout}{r.stderr}")
        shot = Path(tmp) / "smoke.png"
        t0 = time.perf_counter()
        r = subprocess.run([str(exe), "--smoke-test", str(sample), "--screenshot", str(shot)], env=env,
                           capture_output=True, text=True, timeout=300)
        took = time.perf_counter() - t0
        log(f"--smoke-test: exit {r.returncode} in {took:.2f} s: {r.stdout.strip()} {r.stderr.strip()}")
        if r.returncode or not shot.is_file() or shot.stat().st_size == 0:
            problems.append(f"smoke test failed (exit {r.returncode}, png {shot.is_file()}): {r.stderr.strip()}")
    return problems


def startup(cmds: dict[str, list[str]], runs: int) -> dict[str, dict]:
    """Run each command `runs` times, interleaved (so a busy machine hurts all alike), with
    CHEMVIZ_EXIT_AFTER_SHOW: seconds from launch to the main window's first show event (as printed
    by the entry script), and wall time to process exit. Each command keeps one data dir (and so
    its caches) across its runs, like a user's machine."""
    shown: dict[str, list[float]] = {k: [] for k in cmds}
    wall: dict[str, list[float]] = {k: [] for k in cmds}
    bad_exits: dict[str, list[int]] = {k: [] for k in cmds}
    with tempfile.TemporaryDirectory(prefix="chemviz-startup-") as tmp:
        for _ in range(runs):
            for key, cmd in cmds.items():
                env = run_env(os.path.join(tmp, key))
                env["CHEMVIZ_EXIT_AFTER_SHOW"] = "1"
                env["CHEMVIZ_PROBE_T0"] = repr(time.time())
                t0 = time.perf_counter()
                r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
                wall[key].append(time.perf_counter() - t0)
                m = re.search(r"first window shown after ([0-9.]+) s", r.stdout)
                if not m:
                    raise RuntimeError(f"startup probe failed: {cmd}: exit {r.returncode}\n{r.stdout}\n{r.stderr}")
                if r.returncode:  # the window did show; the exit after it did not go cleanly: count it
                    bad_exits[key].append(r.returncode)
                    log(f"note: {key} exited {r.returncode} after the probe quit it: {r.stderr.strip()[-300:]}")
                shown[key].append(float(m.group(1)))
    return {k: {"runs_s": [round(x, 3) for x in shown[k]], "median_s": round(statistics.median(shown[k]), 3),
                "wall_median_s": round(statistics.median(wall[k]), 3), "unclean_exits": bad_exits[k]}
            for k in cmds}


def biggest(exe: Path, onefile: bool, n: int = 10) -> dict:
    if onefile:
        return {}
    internal = exe.parent / "_internal"
    # PyInstaller links some libraries into _internal/ next to their package copy: count them once
    parts = {p.name + ("/" if p.is_dir() else ""): dir_size(p) for p in internal.iterdir() if not p.is_symlink()}
    parts[exe.name + " (bootloader + Python archive)"] = exe.stat().st_size
    files = {p.relative_to(internal).as_posix(): p.stat().st_size for p in internal.rglob("*")
             if p.is_file() and not p.is_symlink()}
    top = lambda d: [[k, round(v / 1e6, 1)] for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:n]]  # noqa: E731
    return {"parts_mb": top(parts), "files_mb": top(files)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=f"Build the {APP_NAME} {__version__} executable (PyInstaller).")
    ap.add_argument("--onefile", action="store_true", help="one self-extracting file (default: one folder)")
    ap.add_argument("--dist", type=Path, help="output folder (default dist/, or dist/onefile/ with --onefile)")
    ap.add_argument("--work", type=Path, help="PyInstaller work folder (default build/pyinstaller[-onefile])")
    ap.add_argument("--clean", action="store_true", help="empty PyInstaller's caches first")
    ap.add_argument("--skip-build", action="store_true", help="check/measure the existing build only")
    ap.add_argument("--no-check", action="store_true", help="skip the contents/bundle/smoke checks")
    ap.add_argument("--measure", type=int, default=0, metavar="N",
                    help="startup to first shown window, median of N, for the build and the checkout")
    ap.add_argument("--sample", type=Path, default=SAMPLE, help="CSV for the smoke test")
    ap.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = ap.parse_args(argv)

    dist = (args.dist or ROOT / "dist" / ("onefile" if args.onefile else "")).resolve()
    work = (args.work or ROOT / "build" / ("pyinstaller-onefile" if args.onefile else "pyinstaller")).resolve()
    exe = exe_path(dist, args.onefile)
    report: dict = {"app": f"{APP_NAME} {__version__}", "mode": "onefile" if args.onefile else "onedir",
                    "executable": str(exe)}
    if not args.skip_build:
        if shutil.which("strip") is None and sys.platform.startswith("linux"):
            log("note: binutils' strip not found; libraries are shipped unstripped (bigger)")
        report["build_s"] = round(build(dist, work, args.onefile, args.clean), 1)
        log(f"built in {report['build_s']} s")
    if not exe.is_file():
        log(f"error: no executable at {exe}")
        return 1
    size = dir_size(exe if args.onefile else exe.parent)
    report["size_mb"] = round(size / 1e6, 1)
    log(f"size of {exe if args.onefile else exe.parent}: {mb(size)}")

    problems: list[str] = []
    if not args.no_check:
        names = contents(exe, args.onefile)
        problems += check_contents(names)
        log(f"contents: {len(names)} entries checked, {len(problems)} problems")
        problems += check_run(exe, args.sample)
    if args.measure:
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = float("nan")
        report["load_before_measure"] = round(load, 2)
        timed = startup({"exe": [str(exe)], "python": [sys.executable, str(HERE / "chemviz_entry.py")]},
                        args.measure)
        report["startup_exe"], report["startup_python"] = timed["exe"], timed["python"]
        log(f"startup to first shown window (load average {load:.2f} before): "
            f"built executable {timed['exe']}; python from the checkout {timed['python']}")
    report.update(biggest(exe, args.onefile))
    for key in ("parts_mb", "files_mb"):
        if key in report:
            log(f"ten biggest {'parts' if key == 'parts_mb' else 'files'}: " +
                ", ".join(f"{k} {v}" for k, v in report[key]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    for p in problems:
        log(f"FAIL: {p}")
    log("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
