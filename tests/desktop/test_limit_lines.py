"""Limit lines (#16) on the Trends chart and on the Analytics box plots: what the user sees drawn,
with its value, colour and label; limits far from the readings still inside the plot; a limits
change redraws. Values by hand in the comments."""
from __future__ import annotations

import pandas as pd
import pytest
from matplotlib.figure import Figure

import engine
from chemviz_desktop.core.chart_style import DARK_CHART, LIGHT_CHART
from chemviz_desktop.core.dataset import Dataset, _finish
from chemviz_desktop.core.figures import LIMIT_COLORS, draw_parameter, limit_color, type_limits
from chemviz_desktop.core.store import Store, limits
from engine import schema
from engine.limits import Limit

NOW = "2026-03-01T00:00:00Z"
PUMP = Limit("type", "Pump", "pressure", hi=5.5, hihi=5.8)
SNAPSHOT = ("Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            "P-1,Pump,10,5.0,80\nP-2,Pump,10,5.2,80\nP-3,Pump,10,5.1,80\n"
            "V-1,Valve,10,9.0,80\nV-2,Valve,10,8.0,80\n")


def series(name: str, kind: str, values: list[float]) -> str:
    t0 = pd.Timestamp("2026-03-01T10:00:00Z")
    rows = [f"{name},{kind},{(t0 + pd.Timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},1,{v},80"
            for i, v in enumerate(values)]
    return "\n".join(["Equipment Name,Type,Timestamp,Flowrate,Pressure,Temperature", *rows]) + "\n"


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def put(store: Store, *items: Limit) -> None:
    with store.transaction() as db:
        limits.put(db, items, NOW, replace=True)


def add(store: Store, text: str) -> None:
    res = engine.load(text.encode(), file_name="f.csv")
    assert res.accepted, res.report.summary()
    store.add(res)


def show_trend(qtbot, page, names: list[str], parameter: str = "pressure"):
    with qtbot.waitSignal(page.trendReady, timeout=60_000):
        page.show_equipment(names)
    if page.parameters() != (parameter,):
        with qtbot.waitSignal(page.trendReady, timeout=60_000):
            page.set_parameters([parameter])
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=60_000)
    page.plot.repaint()
    return page.plot


def test_trend_draws_one_pumps_limits_as_labelled_lines_inside_the_plot(qtbot, store):
    from chemviz_desktop.ui.pages.trends_page import TrendsPage
    put(store, PUMP)
    add(store, series("P-1", "Pump", [5.0, 5.1, 5.2, 5.1]))      # readings well below both limits
    page = TrendsPage(str(store.path))
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    plot = show_trend(qtbot, page, ["P-1"])
    light = LIMIT_COLORS["light"]
    assert plot.drawn_limits() == [("HIHI 5.8", 5.8, light["red"]), ("HI 5.5", 5.5, light["amber"])]
    lay = plot.layout_
    for _line, y, _c in lay.limit_marks:          # 5.8 is beyond every reading, yet on the chart
        assert lay.plot.top() <= y <= lay.plot.bottom()
    lo, hi = lay.ranges["bar"]
    assert lo <= 5.0 and hi >= 5.8


def test_trend_with_two_equipment_names_whose_limit_each_line_is(qtbot, store):
    from chemviz_desktop.ui.pages.trends_page import TrendsPage
    # P-1 follows the Pump type (hi 5.5, hihi 5.8); P-2 has its own limit (hi 6.0 only),
    # which replaces its type's: three lines, each naming its equipment.
    put(store, PUMP, Limit("equipment", "P-2", "pressure", hi=6.0))
    add(store, series("P-1", "Pump", [5.0, 5.1]))
    add(store, series("P-2", "Pump", [5.2, 5.3]))
    page = TrendsPage(str(store.path))
    qtbot.addWidget(page)
    page.resize(1000, 600)
    page.show()
    plot = show_trend(qtbot, page, ["P-1", "P-2"])
    assert [(label, value) for label, value, _c in plot.drawn_limits()] == [
        ("HI 6 · P-2", 6.0), ("HIHI 5.8 · P-1", 5.8), ("HI 5.5 · P-1", 5.5)]


def test_trend_limit_colours_read_in_the_dark_theme():
    # on the dark background the lines take the lighter shades (the light ones are too dim there)
    assert limit_color("hi", DARK_CHART) == LIMIT_COLORS["dark"]["amber"]
    assert limit_color("lolo", DARK_CHART) == LIMIT_COLORS["dark"]["red"]
    assert limit_color("lo", LIGHT_CHART) == LIMIT_COLORS["light"]["amber"]


def _dataset() -> Dataset:
    res = engine.load(SNAPSHOT.encode(), file_name="plant.csv")
    return _finish(Dataset("plant.csv", res.frame, res.report, res.statistics))


def limit_segments(fig: Figure) -> dict[str, list[float]]:
    """gid -> the y of the limit segments drawn on the box-plot axes."""
    out: dict[str, list[float]] = {}
    for coll in fig.axes[1].collections:
        gid = coll.get_gid() or ""
        if gid.startswith("limit:"):
            out[gid] = sorted({float(seg[0][1]) for seg in coll.get_segments()})
    return out


def test_box_plot_draws_pump_limits_over_the_pump_box_only():
    ds = _dataset()
    fig = Figure(figsize=(8, 4))
    draw_parameter(fig, ds.statistics, ds.frame, None, schema.PRESSURE, LIGHT_CHART, type_limits([PUMP]))
    assert limit_segments(fig) == {"limit:Pump:hi": [5.5], "limit:Pump:hihi": [5.8]}   # none for Valve
    box = fig.axes[1]
    pump_at = [t.get_text() for t in box.get_xticklabels()].index("Pump") + 1
    seg = next(c for c in box.collections if c.get_gid() == "limit:Pump:hi").get_segments()[0]
    assert seg[0][0] < pump_at < seg[1][0] and seg[1][0] - seg[0][0] < 1   # short, over the Pump box
    labels = [t.get_text() for t in box.get_legend().get_texts()]
    assert labels == ["Lo/Hi limit", "LoLo/HiHi limit"]
    assert box.get_ylim()[1] >= 5.8          # the limits are part of the y range


def test_box_plot_without_limits_draws_none_and_equipment_limits_are_not_type_limits():
    ds = _dataset()
    fig = Figure(figsize=(8, 4))
    own = Limit("equipment", "P-1", "pressure", hi=5.5)
    draw_parameter(fig, ds.statistics, ds.frame, None, schema.PRESSURE, LIGHT_CHART, type_limits([own]))
    assert limit_segments(fig) == {}


def test_analytics_box_plot_redraws_when_the_limits_change(qtbot, tmp_path):
    from chemviz_desktop.ui.pages.analytics_page import AnalyticsPage
    page = AnalyticsPage()
    qtbot.addWidget(page)
    page.resize(1000, 700)
    page.show()
    page.set_dataset(_dataset())
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        page.set_chart("parameter", schema.PRESSURE)
    assert limit_segments(page.chart.figure) == {}
    with qtbot.waitSignal(page.chartDrawn, timeout=20_000):
        page.set_operating_limits([PUMP, Limit("type", "Valve", "pressure", lolo=7.5)])
    assert limit_segments(page.chart.figure) == {"limit:Pump:hi": [5.5], "limit:Pump:hihi": [5.8],
                                                 "limit:Valve:lolo": [7.5]}


def test_limits_saved_in_the_window_reach_the_box_plot_and_the_trend(qtbot, window, tmp_path):
    from chemviz_desktop.ui.monitoring_wiring import open_limits
    from tests.desktop.conftest import import_file, show_chart, write
    import_file(qtbot, window, write(tmp_path, "plant.csv", SNAPSHOT))
    window.show_page("analytics")
    page = window.analytics_page
    show_chart(qtbot, page, "parameter", schema.PRESSURE)
    assert limit_segments(page.chart.figure) == {}
    dialog = open_limits(window)
    row = dialog.add_row(scope="type", name="Pump", parameter="pressure")
    dialog.set_cell(row, "hi", "5.5")
    dialog.set_cell(row, "hihi", "5.8")
    with qtbot.waitSignal(page.chartDrawn, timeout=30_000):
        assert dialog.save()
    assert limit_segments(page.chart.figure) == {"limit:Pump:hi": [5.5], "limit:Pump:hihi": [5.8]}
    trends = window.trends_page
    window.show_page("trends")
    plot = show_trend(qtbot, trends, ["P-1"])
    assert [(label, value) for label, value, _c in plot.drawn_limits()] == [("HIHI 5.8", 5.8), ("HI 5.5", 5.5)]
