"""Desktop benchmark (run by hand): import a 1,000,000-row CSV through the UI code path offscreen
and print the time from "data ready" to the Data table's first paint, and the longest event-loop
stall during the import (a QTimer ticking every 10 ms records the gaps).

    python bench/desktop_bench.py [--rows 1000000] [--keep-file PATH]

Targets: first paint < 0.3 s, longest stall < 100 ms."""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TYPES = ["Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser", "Other", "Column"]


def make_csv(path: Path, rows: int) -> None:
    """A realistic export: every type, a kPa header, 0.1 % bad rows."""
    import numpy as np
    rng = np.random.default_rng(7)
    t = np.array(TYPES)[rng.integers(0, len(TYPES), rows)]
    flow, kpa, temp = rng.gamma(4, 40, rows), rng.uniform(100, 4000, rows), rng.normal(90, 40, rows)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Equipment Name,Type,Flowrate,Pressure (kPa),Temperature\n")
        chunk = 100_000
        for lo in range(0, rows, chunk):
            hi = min(rows, lo + chunk)
            fh.write("\n".join(
                f"EQ-{i:07d},{t[i]},{'n/a' if i % 997 == 0 else f'{flow[i]:.2f}'},{kpa[i]:.1f},{temp[i]:.1f}"
                for i in range(lo, hi)))
            fh.write("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep-file", help="write/reuse the CSV here instead of a temp file")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.TemporaryDirectory(prefix="chemviz-bench-")
    os.environ["CHEMVIZ_DATA_DIR"] = tmp.name
    csv_path = Path(args.keep_file) if args.keep_file else Path(tmp.name) / "big.csv"
    if not csv_path.exists():
        t0 = time.perf_counter()
        make_csv(csv_path, args.rows)
        print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 1e6:.1f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")

    import matplotlib
    matplotlib.use("Qt5Agg")
    from PyQt5.QtCore import QEvent, QObject, QTimer
    from chemviz_desktop.ui import theme
    from chemviz_desktop.ui.app import _make_app
    from chemviz_desktop.ui.main_window import MainWindow
    from chemviz_desktop.ui.pages.import_page import ImportPage
    from chemviz_desktop.ui.settings import AppSettings

    marks: dict[str, float] = {}
    on_result = ImportPage._on_result

    def timed_result(page: ImportPage, ds: object) -> None:
        """'Data ready' = the worker's result reaches the GUI thread, before any widget uses it."""
        marks["ready"] = time.perf_counter()
        on_result(page, ds)
        window.show_page("data")   # the user's next step: look at the table

    ImportPage._on_result = timed_result

    app = _make_app()
    theme.apply(app, "light")
    window = MainWindow(AppSettings())
    window.resize(1280, 720)
    window.show()
    app.processEvents()

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(tick)

    class PaintWatch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Paint and "ready" in marks and "paint" not in marks \
                    and window.data_page.model.rowCount() > 0:
                # runs right after this paint event has been handled
                QTimer.singleShot(0, lambda: marks.setdefault("paint", time.perf_counter()))
            return False

    watch = PaintWatch()
    window.data_page.table.viewport().installEventFilter(watch)

    window.import_page.rejected.connect(lambda ds: marks.setdefault("rejected", time.perf_counter()))
    window.import_page.finished.connect(lambda: marks.setdefault("finished", time.perf_counter()))

    marks["start"] = time.perf_counter()
    last[0] = marks["start"]
    ticker.start()
    window.open_file(str(csv_path))
    deadline = time.perf_counter() + 300
    while "paint" not in marks and "rejected" not in marks and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    ticker.stop()
    if "paint" not in marks:
        print("error: the import did not finish (rejected or timed out)")
        return 1
    ds = window.dataset
    print(f"rows: {ds.row_count:,} ({ds.report.rows_excluded:,} excluded)")
    print(f"import (worker, incl. store write): {marks['ready'] - marks['start']:.2f} s")
    print(f"time to table first paint after data ready: {marks['paint'] - marks['ready']:.3f} s  (target < 0.3)")
    print(f"longest event-loop stall during import: {max(gaps) * 1000:.0f} ms  (target < 100; "
          f"{len(gaps)} ticks, median {sorted(gaps)[len(gaps) // 2] * 1000:.0f} ms)")
    # interaction on the big table: sort and filter run in the worker, the model swaps its index
    for label, action in (("sort by flowrate", lambda: window.data_page.table.sortByColumn(3, 1)),
                          ("filter type=Pump", lambda: window.data_page.set_filter("Pump"))):
        done: list[float] = []
        window.data_page.viewReady.connect(lambda: done.append(time.perf_counter()))
        gaps.clear()
        t0 = last[0] = time.perf_counter()
        ticker.start()
        action()
        while not done:
            app.processEvents()
            time.sleep(0.001)
        ticker.stop()
        window.data_page.viewReady.disconnect()
        print(f"{label}: {done[0] - t0:.2f} s, longest stall {max(gaps, default=0) * 1000:.0f} ms")
    window.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
