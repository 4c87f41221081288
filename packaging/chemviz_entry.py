"""Entry point of the packaged ChemViz executable (PyInstaller's script; see chemviz.spec).

It runs the same `cli.main()` as `python main.py`, so `ChemViz --smoke-test FILE --screenshot
OUT.png` behaves exactly like the checkout. The CLI finds its command modules with importlib;
the spec bundles the engine and sync commands and leaves `cli.server_commands` (Django) out, which
the CLI skips when it is missing. Two extra switches exist only here, for packaging checks:

* `--bundle-check`: import what the engine and store use from pyarrow (csv, compute, parquet,
  dataset), round-trip a frame through the store's parquet codec, import the sample through the
  desktop's worker, reopen it from the store, write every export kind (CSV, XLSX, PNG, SVG, PDF),
  dlopen every bundled library; print one line and exit 0 (1 and the failing step otherwise).
* `CHEMVIZ_EXIT_AFTER_SHOW=1` (environment): start normally, and quit as soon as the main window
  receives its first show event (after one more event-loop turn, so it is also painted). Prints
  `first window shown after N.NNN s`, counted from `CHEMVIZ_PROBE_T0` (a `time.time()` the caller
  sets just before starting the process) or else from the interpreter's start.
"""
from __future__ import annotations

import os
import sys
import time

T_START = time.time()

if not getattr(sys, "frozen", False):  # run from a checkout: `python packaging/chemviz_entry.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bundle_check() -> int:
    import io

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.dataset  # noqa: F401  (pq.read_table goes through it)
    import pyarrow.parquet as pq  # noqa: F401  (the store writes parquet: it must be bundled)

    table = pacsv.read_csv(io.BytesIO(b"type,flowrate\nPump,1.5\nValve,2.5\n"))
    total = pc.sum(table["flowrate"]).as_py()
    from chemviz_desktop.core import store
    frame = table.to_pandas()
    back = store._parquet_to_frame(store._frame_to_parquet(frame))
    if total != 4.0 or not back.equals(frame):
        print("error: bundle check: pyarrow round trip differs", file=sys.stderr)
        return 1
    problem = exports_problem()
    if problem:
        print(f"error: bundle check: {problem}", file=sys.stderr)
        return 1
    from engine import native
    if native.kernels() is None:
        print("error: bundle check: the engine's compiled kernels are not in the executable", file=sys.stderr)
        return 1
    broken = loader_problems()
    if broken:
        for line in broken:
            print(f"error: bundle check: {line}", file=sys.stderr)
        return 1
    print(f"bundle check passed: pyarrow {pa.__version__} csv/compute/parquet/dataset, engine kernels, exports, "
          f"frozen={getattr(sys, 'frozen', False)}")
    return 0


def exports_problem() -> str | None:
    """Import the sample through the desktop's worker, reopen it from the store (parquet read), and
    write every export kind: data files a frozen build can miss (reportlab's fonts, openpyxl,
    Matplotlib's PDF/SVG backends) fail here instead of at a user's first export."""
    import tempfile
    from pathlib import Path

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="chemviz-bundle-check-") as tmp:
        if not os.environ.get("CHEMVIZ_DATA_DIR"):  # never touch the user's real history
            os.environ["CHEMVIZ_DATA_DIR"] = os.path.join(tmp, "data")
        step = "import the desktop"
        try:
            import matplotlib
            matplotlib.use("Agg")
            import chemviz_desktop
            from chemviz_desktop.core.dataset import import_file, open_stored
            from chemviz_desktop.core.export import KINDS, run_export
            from engine.progress import quiet
            sample = Path(chemviz_desktop.__file__).resolve().parent / "resources" / "sample_equipment.csv"
            step = f"import {sample.name}"
            ds = import_file(quiet(), str(sample), 5)
            step = "reopen it from the local store"
            ds = open_stored(quiet(), ds.store_id)
            for kind, (_label, _filter, suffix) in KINDS.items():
                step = f"export {kind}"
                out = Path(tmp) / (f"out-{kind}{suffix}" if suffix else f"out-{kind}")
                run_export(quiet(), kind, str(out), ds, ds.statistics)
                if not out.exists() or (out.is_file() and out.stat().st_size == 0):
                    return f"{step}: nothing written"
        except Exception as exc:  # noqa: BLE001 -- the check reports any failure as one line naming the step
            return f"{step}: {type(exc).__name__}: {exc}"
    return None


def loader_problems() -> list[str]:
    """dlopen every shared library in the bundle (lazily, privately) and report the files the
    loader rejects as damaged. A bad strip shows up here, not only when a user first exports a PDF.
    Missing *system* libraries (say xcb bits on a headless box) are not the bundle's fault."""
    import ctypes

    root = getattr(sys, "_MEIPASS", None)
    if not root:
        return []
    damaged = ("not page-aligned", "invalid elf", "file too short", "wrong elf class", "elf header")
    problems = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if ".so" not in name:
                continue
            path = os.path.join(folder, name)
            try:
                ctypes.CDLL(path, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
            except OSError as exc:
                if any(word in str(exc).lower() for word in damaged):
                    problems.append(f"{os.path.relpath(path, root)}: {exc}")
    return problems


def install_show_probe() -> None:
    """Wrap the desktop's QApplication factory so an event filter sees the first window show."""
    import chemviz_desktop.ui.app as app_module

    t0 = float(os.environ.get("CHEMVIZ_PROBE_T0") or T_START)
    make_app = getattr(app_module, "_make_app", None)
    if make_app is None:  # the desktop renamed its factory: say so (build.py then reports the probe failed)
        print("startup probe unavailable: chemviz_desktop.ui.app._make_app not found", file=sys.stderr)
        return
    keep: list = []

    def probing_make_app():
        app = make_app()
        from PyQt5.QtCore import QEvent, QObject, QTimer
        from PyQt5.QtWidgets import QMainWindow

        class FirstShow(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
                if event.type() == QEvent.Show and isinstance(obj, QMainWindow) and not keep[1:]:
                    keep.append(True)
                    shown = time.time() - t0

                    def done() -> None:
                        print(f"first window shown after {shown:.3f} s "
                              f"(painted after {time.time() - t0:.3f} s)", flush=True)
                        app.quit()
                    QTimer.singleShot(0, done)
                return False

        keep.append(FirstShow(app))
        app.installEventFilter(keep[0])
        return app

    app_module._make_app = probing_make_app


def persistent_mpl_cache() -> None:
    """PyInstaller's Matplotlib run-time hook points MPLCONFIGDIR at a fresh temporary folder on
    every start, so Matplotlib rebuilds its font cache each time (a few hundred ms). Use a cache
    folder named after the app instead, like `python main.py` uses ~/.cache/matplotlib."""
    if not getattr(sys, "frozen", False):
        return
    override = os.environ.get("CHEMVIZ_DATA_DIR")
    if override:
        folder = os.path.join(override, "cache", "matplotlib")
    else:
        from platformdirs import user_cache_dir

        from engine.version import APP_NAME, APP_ORG
        folder = os.path.join(user_cache_dir(APP_NAME, APP_ORG), "matplotlib")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return  # keep the temporary folder: slower, but it works
    os.environ["MPLCONFIGDIR"] = folder


def main() -> int:
    persistent_mpl_cache()
    if "--bundle-check" in sys.argv[1:]:
        code = bundle_check()
        sys.stdout.flush()
        sys.stderr.flush()
        # every library was dlopened, some with static constructors that do not survive the
        # interpreter's teardown (a harmless "Fatal Python error" at exit): leave at once
        os._exit(code)
    if os.environ.get("CHEMVIZ_EXIT_AFTER_SHOW"):
        install_show_probe()
    from chemviz_desktop.ui.launch import launch
    from cli import main as cli_main
    return cli_main(gui=launch)


if __name__ == "__main__":
    sys.exit(main())
