"""Trends page benchmark (run by hand): one equipment with a year of one-minute readings (525,600)
in a fresh local store, shown on the Trends page of the real window, offscreen. Prints

  * paint: the GUI-thread paint of the whole year (median of N repaints; min/max decimated lines);
  * draw: from the request to the year on screen, histories already read (worker: window,
    buckets, decimation; GUI: paint), median of N, per interval;
  * first view: the same including reading the history from the store;
  * the longest event-loop stall of each step (a QTimer ticking every 10 ms records the gaps).

    python bench/trends_bench.py [--points 525600] [--repeat 9]

Targets (issue #15): the 525,600 points draw in < 150 ms, no stall > 100 ms."""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_store(folder: Path, points: int) -> None:
    """The readings through the engine and the store, as an import would record them."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    import engine
    from chemviz_desktop.core.store import Store
    rng = np.random.default_rng(3)
    t = pd.date_range("2025-01-01", periods=points, freq="min", tz="UTC")
    day = np.arange(points) / 1440
    flow = 100 + 15 * np.sin(day * 2 * np.pi) + rng.normal(0, 2, points)
    flow[rng.integers(0, points, 40)] += 80          # spikes decimation must keep
    status = np.where(np.arange(points) % 20_000 < 30, "Offline", "Running")
    flow = np.where(status == "Offline", 0.0, flow)
    frame = pd.DataFrame({"EquipmentID": "Reactor-9",
                          "Timestamp": np.char.add(np.datetime_as_string(t.to_numpy(dtype="datetime64[s]"), unit="s"), "Z"),
                          "FlowRate": flow.round(3), "Pressure": (5 + 0.3 * np.sin(day) + rng.normal(0, .05, points)).round(3),
                          "Temperature": (70 + 5 * np.cos(day * 2 * np.pi / 7)).round(2), "Status": status})
    path = folder / "year.csv"
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), str(path),
                    pacsv.WriteOptions(quoting_style="none"))
    t0 = time.perf_counter()
    result = engine.load(path, file_name=path.name)
    store = Store()
    store.add(result, file_name=path.name)
    store.close()
    print(f"stored {result.report.rows_accepted:,} readings in {time.perf_counter() - t0:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=525_600)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.TemporaryDirectory(prefix="chemviz-trends-bench-")
    os.environ["CHEMVIZ_DATA_DIR"] = tmp.name
    make_store(Path(tmp.name), args.points)

    import matplotlib
    matplotlib.use("Agg")
    from PyQt5.QtCore import QTimer

    from chemviz_desktop.ui import theme
    from chemviz_desktop.ui.app import _make_app
    from chemviz_desktop.ui.main_window import MainWindow
    from chemviz_desktop.ui.settings import AppSettings

    app = _make_app()
    theme.apply(app, "light")
    window = MainWindow(AppSettings())
    window.resize(1280, 720)
    window.show()
    window.show_page("trends")
    page = window.trends_page
    for _ in range(10):
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
    worst: list[tuple[str, float]] = []

    def measure(label: str, action: Callable[[], Any]) -> float:
        """Seconds from `action` to the new trend painted; records the longest stall."""
        painted: list[float] = []
        ready: list[bool] = []

        def on_ready() -> None:
            ready.append(True)

        def on_paint(_ms: float) -> None:
            if ready:
                painted.append(time.perf_counter())
        page.trendReady.connect(on_ready)
        page.plot.painted.connect(on_paint)
        gaps.clear()
        t0 = last[0] = time.perf_counter()
        ticker.start()
        action()
        deadline = t0 + 120
        while not painted and time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.0005)
        t1 = painted[0] if painted else float("nan")
        settle = time.perf_counter() + 0.1
        while time.perf_counter() < settle:
            app.processEvents()
            time.sleep(0.001)
        ticker.stop()
        page.trendReady.disconnect(on_ready)
        page.plot.painted.disconnect(on_paint)
        stall = max(gaps, default=0.0)
        worst.append((label, stall))
        return (t1 - t0, stall)

    # first view: history read from the store, then buckets, decimation, paint
    elapsed, stall = measure("first view (read + prepare + paint)", lambda: page.show_equipment(["Reactor-9"]))
    line = page.data.series[0]
    print(f"series: {line.points:,} readings shown (running only), drawn with {line.drawn:,} points "
          f"({page.plot.plot_columns()} pixel columns)")
    print(f"first view incl. reading the store      {elapsed * 1000:7.0f} ms   longest stall {stall * 1000:4.0f} ms")

    # paint only: the GUI thread's part, the year on screen
    paints = []
    for _ in range(args.repeat):
        page.plot.repaint()
        paints.append(page.plot.last_paint_ms)
    print(f"paint of the year (GUI thread), median of {args.repeat}: {statistics.median(paints):6.1f} ms "
          f"(max {max(paints):.1f})")

    results: dict[str, list[float]] = {}
    stalls: dict[str, float] = {}
    steps = [("all, raw", "all", "raw"), ("last week, raw", "week", "raw"), ("last day, raw", "day", "raw"),
             ("all, hourly", "all", "hourly"), ("all, daily", "all", "daily"), ("all, weekly", "all", "weekly")]
    for _ in range(args.repeat):
        for label, win, interval in steps:
            def act(w: str = win, i: str = interval) -> None:
                page.interval_combo.blockSignals(True)
                page.set_interval(i)
                page.interval_combo.blockSignals(False)
                page.set_window(w)
            elapsed, stall = measure(label, act)
            results.setdefault(label, []).append(elapsed)
            stalls[label] = max(stalls.get(label, 0.0), stall)
    print(f"draw (request -> on screen, histories kept), median of {args.repeat}:")
    for label, times in results.items():
        print(f"  {label:<16} {statistics.median(times) * 1000:7.0f} ms   longest stall {stalls[label] * 1000:4.0f} ms")
    year = statistics.median(results["all, raw"]) * 1000
    print(f"draw time of {line.points:,} points: {year:.0f} ms (target < 150)")

    cursor = []
    lay = page.plot.layout_
    if lay is not None:
        for k in range(30):
            x = lay.plot.left() + lay.plot.width() * (k + 0.5) / 30
            t0 = time.perf_counter()
            page.plot.set_cursor(lay.ns(x))
            page.plot.repaint()
            cursor.append((time.perf_counter() - t0) * 1000)
        print(f"cursor move + repaint, median of 30: {statistics.median(cursor):.1f} ms (max {max(cursor):.1f})")
    label, stall = max(worst, key=lambda kv: kv[1])
    print(f"longest event-loop stall: {stall * 1000:.0f} ms ({label}); target < 100 ms")
    window.close()
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
