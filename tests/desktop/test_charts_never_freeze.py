"""Issue 13, charts: drawn by a worker (the window paints an image), cached, honest about
sampling; hover names a scatter point and a click shows its row in Data; the PDF legend sits
above the bars; the PDF export reports progress."""
from __future__ import annotations

import threading

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from PyQt5.QtCore import QPoint, Qt

from chemviz_desktop.core import figures, render
from chemviz_desktop.ui import theme
from engine import schema

from .conftest import import_file, show_chart


def test_charts_are_drawn_in_a_worker_and_cached(qtbot, window, sample_csv, monkeypatch):
    import_file(qtbot, window, sample_csv)
    window.show_page("analytics")
    page = window.analytics_page
    threads: list[str] = []
    real = render.render

    def spy(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)
    monkeypatch.setattr("chemviz_desktop.ui.chart_panel.render", spy)
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        page.set_chart("scatter")
        assert page.chart.view.busy                   # "Drawing…" shown, the window keeps working
    assert threads and threads[-1] != threading.main_thread().name
    show_chart(qtbot, page, "averages")
    n = len(threads)
    with qtbot.waitSignal(page.chartDrawn, timeout=1000):   # back to a drawn chart: from the cache
        page.set_chart("scatter")
    assert len(threads) == n
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        window.set_theme("dark")
    assert page.chart.figure.get_facecolor()[:3] != (1.0, 1.0, 1.0)
    window.set_theme("light")


def big_frame(n: int = 60_000) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({schema.NAME: [f"E{i}" for i in range(n)],
                          schema.TYPE: pd.Categorical(np.where(np.arange(n) % 3, "Pump", "Tank")),
                          schema.FLOWRATE: rng.gamma(2, 50, n), schema.PRESSURE: rng.gamma(2, 2, n),
                          schema.TEMPERATURE: rng.normal(50, 10, n), schema.ROW: np.arange(2, n + 2),
                          schema.EXCLUDED: np.zeros(n, bool)})
    import engine
    return frame, engine.compute_statistics(frame)


def test_scatter_samples_points_and_outliers_alike_and_says_so():
    frame, stats = big_frame()
    fig = Figure(figsize=(8, 4))
    hover = figures.draw_scatter(fig, stats, frame, None)
    ax = fig.axes[0]
    assert f"{figures.MAX_POINTS:,} of {len(frame):,} points" in ax.get_title()
    drawn = np.concatenate([c.get_offsets() for c in ax.collections[:-1]])
    rings = ax.collections[-1].get_offsets()
    assert len(drawn) == figures.MAX_POINTS
    assert {tuple(p) for p in rings} <= {tuple(p) for p in drawn}   # only sampled rows are ringed
    share_all = (figures.outlier_flags(figures.points(frame, None, (schema.PRESSURE, schema.TEMPERATURE)),
                                       stats, schema.PRESSURE).mean())
    assert len(rings) / len(drawn) < share_all * 3 + 0.01          # the picture keeps the proportion
    assert "of" in ax.get_legend().get_texts()[-1].get_text()      # "IQR outlier (k of K shown)"
    assert len(hover.labels) == figures.MAX_POINTS and hover.labels[0].startswith("E0 (")


def test_scatter_axes_hover_and_click_show_the_row(qtbot, window, sample_csv):
    import_file(qtbot, window, sample_csv)
    window.show_page("analytics")
    page = window.analytics_page
    show_chart(qtbot, page, "scatter")
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        page.set_axes(schema.FLOWRATE, schema.PRESSURE)
    ax = page.chart.figure.axes[0]
    assert ax.get_xlabel() == "Flowrate (L/min)" and ax.get_ylabel() == "Pressure (bar)"
    pts = page.chart.view.rendered.points
    assert pts is not None and len(pts.rows) == 24
    view = page.chart.view
    x, y = pts.xy[0]
    scale_x = view.width() / (view.image.width() / view.image.devicePixelRatio())
    scale_y = view.height() / (view.image.height() / view.image.devicePixelRatio())
    pos = QPoint(int(round(x * scale_x)), int(round(y * scale_y)))
    assert view._hit(pos) == 0
    assert "row" in pts.labels[0] and "Flowrate" in pts.labels[0]
    with qtbot.waitSignal(window.data_page.viewReady, timeout=10_000, raising=False):
        qtbot.mouseClick(view, Qt.LeftButton, pos=pos)
    assert window.current_page() == "data"
    assert window.data_page.selected_row() == int(pts.rows[0])


def test_pdf_legend_above_the_bars_and_progress(qtbot, window, sample_csv, tmp_path):
    ds = import_file(qtbot, window, sample_csv)
    fig = Figure(figsize=(10, 4.6))
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    figures.draw_parameter(fig, ds.statistics, ds.frame, None, schema.PRESSURE, theme.chart_colors("light"))
    fig.canvas.draw()
    legend = fig.legends[0].get_window_extent()
    hist = fig.axes[0].get_window_extent()
    assert legend.y0 >= hist.y1 - 1                               # never on the bars
    steps: list[str] = []
    window.export_runner.progress.connect(lambda f, m: steps.append(m))
    with qtbot.waitSignal(window.exportFinished, timeout=60_000):
        window.export("pdf", str(tmp_path / "r.pdf"))
    assert any(s.startswith("Drawing") for s in steps)


def test_drag_a_box_zooms_the_scatter_and_double_click_resets(qtbot, window, sample_csv):
    import_file(qtbot, window, sample_csv)
    window.show_page("analytics")
    page = window.analytics_page
    show_chart(qtbot, page, "scatter")
    view = page.chart.view
    x0, y0, x1, y1 = view.rendered.axes_box
    a = QPoint(int(x0 + 2), int(y0 + 2))                        # top-left quarter of the axes
    b = QPoint(int((x0 + x1) / 2), int((y0 + y1) / 2))
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        qtbot.mousePress(view, Qt.LeftButton, pos=a)
        qtbot.mouseMove(view, b)
        qtbot.mouseRelease(view, Qt.LeftButton, pos=b)
    ax = page.chart.figure.axes[0]
    assert page.zoom is not None and "zoomed window" in ax.get_title()
    assert page.chart.reset_zoom_button.isVisibleTo(page)
    shown = len(view.rendered.points.rows)
    assert 0 < shown < 24                                       # only the points inside the window
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        qtbot.mouseDClick(view, Qt.LeftButton, pos=b)
    assert page.zoom is None and len(view.rendered.points.rows) == 24
