"""Limits, alerts, control chart and event search in the desktop (#16): the widgets built
standalone on a store in the test's data dir, checked for what a user sees. Numbers by hand in
the comments (the same cases as the CLI tests)."""
from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import pytest
from PyQt5.QtCore import Qt

import engine
from chemviz_desktop.core.dataset import Dataset, _finish
from chemviz_desktop.core.store import Store, alerts, limits
from chemviz_desktop.ui import limit_colors
from engine import schema
from engine.limits import Limit

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
NOW = "2026-03-01T00:00:00Z"
PUMP = Limit("type", "Pump", "pressure", hi=5.5, hihi=5.8)
SNAPSHOT = ("Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            "P-1,Pump,10,5.6,80\nP-2,Pump,10,5.9,80\nP-3,Pump,10,5.4,80\nV-1,Valve,10,9.0,80\n")


def load(text: str, name: str = "f.csv") -> engine.LoadResult:
    res = engine.load(text.encode(), file_name=name)
    assert res.accepted, res.report.summary()
    return res


def minutes(name: str, start: str, values: list[float], column: str = "Temperature") -> str:
    """One reading a minute from `start` (UTC); the other parameters are 1."""
    t0 = pd.Timestamp(start, tz="UTC")
    rows = []
    for i, v in enumerate(values):
        cells = {"Flowrate": 1.0, "Pressure": 1.0, "Temperature": 1.0, column: v}
        rows.append(f"{name},{(t0 + pd.Timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},"
                    f"{cells['Flowrate']},{cells['Pressure']},{cells['Temperature']}")
    return "\n".join(["Tag,Timestamp,Flowrate,Pressure,Temperature", *rows]) + "\n"


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def put(store: Store, *items: Limit) -> None:
    with store.transaction() as db:
        limits.put(db, items, NOW)


def test_data_cells_are_amber_at_5_6_red_at_5_9_and_plain_for_a_valve(qtbot, store):
    from chemviz_desktop.ui.pages.data_page import DataPage
    put(store, PUMP)
    res = load(SNAPSHOT)
    ds = _finish(Dataset("plant.csv", res.frame, res.report, res.statistics))
    page = DataPage(store_path=str(store.path))
    qtbot.addWidget(page)
    page.show()
    with qtbot.waitSignal(page.limitsApplied, timeout=10_000) as blocker:
        page.set_dataset(ds)
    assert blocker.args == [2]                         # 5.6 and 5.9 are beyond a limit, nothing else
    model = page.model
    col = {model.column_name(c): c for c in range(model.columnCount())}
    names = [model.data(model.index(r, col[schema.NAME])) for r in range(model.rowCount())]

    def cell(name: str, column: str = schema.PRESSURE):
        return model.index(names.index(name), col[column])
    amber, red = limit_colors.background(1), limit_colors.background(2)
    # 5.6 > hi 5.5 (amber), 5.9 > hihi 5.8 (red, and bold), 5.4 inside, the Valve's 9.0 has no limit
    assert model.data(cell("P-1"), Qt.BackgroundRole) == amber
    assert model.data(cell("P-2"), Qt.BackgroundRole) == red
    assert model.data(cell("P-2"), Qt.FontRole).bold()
    assert model.data(cell("P-3"), Qt.BackgroundRole) is None
    assert model.data(cell("V-1"), Qt.BackgroundRole) is None
    assert model.data(cell("P-1", schema.FLOWRATE), Qt.BackgroundRole) is None
    assert "above its HiHi limit" in model.data(cell("P-2"), Qt.ToolTipRole)
    assert amber != red and page.legend.isVisible() and "LoLo/HiHi" in page.legend.text()
    # dark theme: other colours, still amber and red
    from chemviz_desktop.ui import theme
    try:
        theme._current = "dark"
        assert model.data(cell("P-1"), Qt.BackgroundRole) not in (None, amber)
    finally:
        theme._current = "light"
    # limits removed: the colours go when the page is told
    with store.transaction() as db:
        limits.delete(db, "type", "Pump", "pressure")
    with qtbot.waitSignal(page.limitsApplied, timeout=10_000):
        page.refresh_limits()
    assert model.data(cell("P-2"), Qt.BackgroundRole) is None and not page.legend.isVisible()


def test_acknowledging_two_alerts_with_a_comment(qtbot, store, tmp_path):
    from chemviz_desktop.ui.pages.alerts_page import AlertsPage
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    page = AlertsPage(str(store.path))
    qtbot.addWidget(page)
    page.show()
    counts: list[int] = []
    page.unacknowledgedChanged.connect(counts.append)
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.refresh()
    assert counts == [2] and page.model.rowCount() == 2
    # unacknowledged rows are bold: their state and times fit their columns without eliding
    from PyQt5.QtGui import QFontMetrics
    bold = QFontMetrics(page.model.data(page.model.index(0, 0), Qt.FontRole))
    for col in (0, 6):
        text = page.model.data(page.model.index(0, col))
        assert bold.horizontalAdvance(text) < page.table.columnWidth(col), (text, page.table.columnWidth(col))
    ids = sorted(page.model.alert_id(r) for r in range(2))
    page.select_ids(ids)
    assert page.ack_button.isEnabled() and page.ack_button.text() == "Acknowledge 2…"
    dialog = page.acknowledge_selected()
    assert dialog is not None and dialog.user_edit.text()          # the OS user by default
    dialog.user_edit.setText("ana")
    dialog.comment_edit.setPlainText("relief valve checked")
    with qtbot.waitSignal(page.acknowledged, timeout=10_000) as done, \
            qtbot.waitSignal(page.unacknowledgedChanged, timeout=10_000) as changed:
        dialog.accept()
    assert sorted(done.args[0]) == ids and changed.args == [0] and counts == [2, 0], page.message.text()
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=10_000)
    states = {page.model.alert_id(r): page.model.data(page.model.index(r, 0)) for r in range(2)}
    assert set(states.values()) == {"Cleared · acknowledged"}
    stored = alerts.listing(store.db)
    assert {(a.acknowledged_by, a.comment, a.state) for a in stored} == \
        {("ana", "relief valve checked", "cleared-acknowledged")}
    # the unacknowledged filter is now empty; export of all alerts writes both
    with qtbot.waitSignal(page.loaded, timeout=10_000) as shown:
        page.set_filters(state="unacked")
    assert shown.args == [0]
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        page.set_filters(state="all", equipment="p-2")
    assert page.model.rowCount() == 1
    out = tmp_path / "alerts.csv"
    with qtbot.waitSignal(page.exported, timeout=10_000) as saved:
        page.export(str(out))
    assert saved.args == [str(out)]
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert written[["equipment", "level", "peak", "comment"]].values.tolist() == \
        [["P-2", "hihi", 5.9, "relief valve checked"]]
    assert written["start"].tolist() == ["2026-03-01T08:00:00Z"]


def test_limits_dialog_refuses_lo_above_hi_in_words_and_saves_valid_rows(qtbot, store, tmp_path):
    from chemviz_desktop.ui.dialogs.limits_dialog import LimitsDialog
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    dialog = LimitsDialog(str(store.path))
    qtbot.addWidget(dialog)
    assert [(r["scope"], r["name"], r["parameter"], r["hi"], r["hihi"]) for r in dialog.rows()] == \
        [("type", "Pump", "pressure", "5.5", "5.8")]
    row = dialog.add_row("equipment", "V-1", "pressure", lo="6", hi="5")
    with qtbot.assertNotEmitted(dialog.saved):
        assert dialog.save() is False
    assert "lo (6) is above hi (5)" in dialog.message.text() and dialog.message.isVisibleTo(dialog)
    assert dialog.message.text().startswith("Row 2")
    assert [x.name for x in limits.listing(store.db)] == ["Pump"]          # nothing stored
    dialog.set_cell(row, "lo", "2")
    dialog.set_cell(row, "hihi", "8.5")                                   # V-1 reads 9.0: HiHi
    with qtbot.waitSignal(dialog.saved, timeout=10_000) as saved:
        assert dialog.save() is True
    assert saved.args == [1]
    assert [(x.scope, x.name, x.lo, x.hi, x.hihi) for x in limits.listing(store.db)] == \
        [("equipment", "V-1", 2.0, 5.0, 8.5), ("type", "Pump", None, 5.5, 5.8)]
    # saving re-evaluated the alerts: the Valve's 9.0 is above its own HiHi 8.5 now
    assert sorted((a.equipment, a.level) for a in alerts.listing(store.db)) == \
        [("P-1", "hi"), ("P-2", "hihi"), ("V-1", "hihi")]
    # from the Equipment page: only that equipment's rows and its type's; export, then import a bad file
    one = LimitsDialog(str(store.path), equipment="p-1")
    qtbot.addWidget(one)
    assert [one.cell(r, "name") for r in one.visible_rows()] == ["Pump"]
    new = one.add_row(parameter="temperature", hi="150")
    assert one.cell(new, "scope") == "equipment" and one.cell(new, "name") == "P-1"
    out = tmp_path / "limits.csv"
    assert one.export_csv(str(out))
    assert out.read_text().splitlines()[0] == "scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s"
    assert len(out.read_text().splitlines()) == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("scope,name,parameter,lo,hi\ntype,Pump,pressure,6,5\n")
    assert one.import_csv(str(bad)) == -1 and "line 2: lo (6) is above hi (5)" in one.message.text()
    assert len(one.rows()) == 3


def test_limits_dialog_is_edited_in_its_table_with_the_keyboard(qtbot, store):
    from PyQt5.QtWidgets import QApplication

    from chemviz_desktop.ui.dialogs.limits_dialog import LimitsDialog
    put(store, PUMP)
    dialog = LimitsDialog(str(store.path))
    qtbot.addWidget(dialog)
    dialog.show()
    QApplication.setActiveWindow(dialog)
    model = dialog.table.model()
    assert model.data(model.index(0, 0)) == "Equipment type" and model.data(model.index(0, 2)) == "Pressure"
    assert model.data(model.index(0, 5), Qt.TextAlignmentRole) & Qt.AlignRight          # numbers to the right
    dialog.add_button.click()                          # a new type row; its Name cell opens for typing
    name = dialog.table.indexWidget(model.index(1, 1))
    assert name is not None
    qtbot.keyClicks(name, "Valve")
    qtbot.keyClick(name, Qt.Key_Tab)                   # Parameter: a combo of the three, by their words
    parameter = dialog.table.indexWidget(model.index(1, 2))
    assert [parameter.itemText(i) for i in range(parameter.count())] == ["Flowrate", "Pressure", "Temperature"]
    parameter.setCurrentIndex(parameter.findData("temperature"))
    parameter.activated.emit(parameter.currentIndex())  # picked from the list: taken at once
    assert dialog.cell(1, "name") == "Valve" and dialog.cell(1, "parameter") == "temperature"
    assert not model.setData(model.index(1, 0), "plant")                                  # not a scope
    assert model.setData(model.index(1, 5), "90") and dialog.cell(1, "hi") == "90"
    model.setData(model.index(1, 4), "95")             # lo above hi: said in words, nothing saved
    with qtbot.assertNotEmitted(dialog.saved):
        assert dialog.save() is False
    assert "Row 2" in dialog.message.text() and "lo (95) is above hi (90)" in dialog.message.text()
    assert dialog.table.selectionModel().isRowSelected(1, model.index(1, 0).parent())     # the row is shown
    model.setData(model.index(1, 4), "85")             # an edit clears the error
    assert not dialog.message.isVisibleTo(dialog)
    dialog.table.setFocus()
    dialog.table.selectRow(0)
    qtbot.keyClick(dialog.table, Qt.Key_Delete)        # Delete removes the selected row
    assert [(r["name"], r["parameter"], r["lo"], r["hi"]) for r in dialog.rows()] == \
        [("Valve", "temperature", "85", "90")]


def test_limits_dialog_columns_show_their_headers_and_the_scope_words_whole(qtbot, store):
    """"Deadband" and "On-delay (s)" were clipped and "Equipment type" elided at the default size."""
    from chemviz_desktop.ui.dialogs.limits_dialog import LimitsDialog
    dialog = LimitsDialog(str(store.path))
    qtbot.addWidget(dialog)
    table, fm = dialog.table, dialog.table.fontMetrics()
    header = table.horizontalHeader().fontMetrics()
    for c in range(dialog.model.columnCount()):
        text = str(dialog.model.headerData(c, Qt.Horizontal))
        assert table.columnWidth(c) >= header.horizontalAdvance(text) + 12, text
    assert table.columnWidth(0) >= fm.horizontalAdvance("Equipment type") + 12


def test_control_chart_lists_rule_4_at_point_18_only_with_cpk(qtbot, store):
    from chemviz_desktop.ui.control_chart import ControlChart
    # points 1-10 alternate 10, 9; 11-18 are 10.1; 19, 20 are 9, 10. Mean 9.74, MR-bar 12.2/19, sigma MR-bar/1.128
    # = 0.569: 10.1 is within 1 sigma, so rules 1-3 stay silent; 11..18 are the first 8 on one side (rule 4 at 18)
    x = [10.0, 9.0] * 5 + [10.1] * 8 + [9.0, 10.0]
    store.add(load(minutes("F-1", "2026-03-01T00:00:00Z", x, column="Flowrate"), "s.csv"))
    put(store, Limit("equipment", "F-1", "flowrate", lo=8.0, hi=12.0))
    chart = ControlChart(str(store.path))
    qtbot.addWidget(chart)
    chart.resize(900, 500)
    chart.show()
    chart.parameter_combo.blockSignals(True)
    chart.set_parameter("flowrate")
    chart.parameter_combo.blockSignals(False)
    with qtbot.waitSignal(chart.chartReady, timeout=10_000):
        chart.set_equipment("f-1")
    d = chart.data
    sigma = 12.2 / 19 / 1.128
    assert d is not None and d.n == 20 and d.center == pytest.approx(9.74) and d.ucl == pytest.approx(9.74 + 3 * sigma)
    assert d.violations == [(17, 4)]                                     # point 18 (index 17)
    texts = chart.violation_texts()
    assert len(texts) == 1 and texts[0].startswith("Rule 4 · ") and texts[0].endswith(" · 10.1")
    assert f"Cpk {min(12 - 9.74, 9.74 - 8) / (3 * sigma):.2f}" in chart.summary.text()
    assert d.report()["violations"] == [{"timestamp": "2026-03-01T00:17:00Z", "value": 10.1, "rule": 4}]
    with qtbot.waitSignal(chart.violationSelected, timeout=2_000) as picked:
        chart.violations.setCurrentRow(0)
    assert picked.args == [pd.Timestamp("2026-03-01T00:17:00Z").value]
    chart.grab()                                                         # paints without error
    # a window with the 8 equal points only: sigma 0, no violation, no crash
    with qtbot.waitSignal(chart.chartReady, timeout=10_000):
        chart.set_window(pd.Timestamp("2026-03-01T00:10:00Z").value, pd.Timestamp("2026-03-01T00:18:00Z").value)
    assert chart.data.n == 8 and chart.data.violations == [] and chart.violation_texts() == []
    chart.grab()


def test_event_search_finds_one_25_minute_event_and_zooms_to_it(qtbot, store, tmp_path):
    from chemviz_desktop.ui.event_search import EventSearchPanel
    # 09:50 .. 11:09 one reading a minute at 140; 155 from 10:00 to 10:24 (peak 162 at 10:10), back at 10:25;
    # a one-minute blip of 151 at 11:00 (shorter than 5 min)
    values = [140.0] * 80
    for i in range(10, 35):
        values[i] = 155.0
    values[20], values[70] = 162.0, 151.0
    store.add(load(minutes("R-7", "2026-03-01T09:50:00Z", values), "reactor.csv"))
    panel = EventSearchPanel(str(store.path))
    qtbot.addWidget(panel)
    panel.show()
    panel.set_equipment("R-7")
    panel.set_query("temperature", "above", 150, "soon")
    with qtbot.waitSignal(panel.searched, timeout=2_000) as bad:
        assert panel.search() is False
    assert bad.args == [-1] and "Not a duration: 'soon'" in panel.message.text()
    panel.set_query("temperature", "above", 150, "5m")
    with qtbot.waitSignal(panel.searched, timeout=10_000) as found:
        assert panel.search()
    assert found.args == [1]
    e = panel.result.events[0]
    assert (e.start, e.end, e.duration_s, e.peak) == (pd.Timestamp("2026-03-01T10:00:00Z"),
                                                      pd.Timestamp("2026-03-01T10:25:00Z"), 1500.0, 162.0)
    assert panel.rows()[0][2:] == ("25 min", "162")
    with qtbot.waitSignal(panel.zoomRequested, timeout=2_000) as zoom:
        view = panel.table
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.visualRect(panel.model.index(0, 0)).center())
    assert zoom.args == [pd.Timestamp("2026-03-01T10:00:00Z").value, pd.Timestamp("2026-03-01T10:25:00Z").value]
    out = tmp_path / "events.csv"
    with qtbot.waitSignal(panel.exported, timeout=10_000):
        panel.export(str(out))
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert written[["start", "end", "duration_s", "peak"]].values.tolist() == \
        [["2026-03-01T10:00:00Z", "2026-03-01T10:25:00Z", 1500.0, 162.0]]
    # without a minimum duration the blip is an event too
    panel.set_query("temperature", "above", 150, "0")
    with qtbot.waitSignal(panel.searched, timeout=10_000) as every:
        panel.search()
    assert every.args == [2]


def test_event_search_lists_thousands_of_events_through_a_model_and_zooms_to_the_last(qtbot, store):
    from chemviz_desktop.core.monitoring import EventResult
    from chemviz_desktop.ui.event_search import EventSearchPanel
    from chemviz_desktop.ui.models.events_model import EventsModel
    from engine.excursions import Excursion
    # 3,000 ten-minute events an hour apart (a year of a noisy reactor gives this many); the
    # last one is still going at the last reading (10 min so far)
    t0 = pd.Timestamp("2026-01-01T00:00:00Z")
    events = [Excursion(t0 + pd.Timedelta(hours=i), t0 + pd.Timedelta(hours=i, minutes=10), 150.0 + i % 7,
                        t0 + pd.Timedelta(hours=i, minutes=9)) for i in range(2999)]
    events.append(Excursion(t0 + pd.Timedelta(hours=2999), None, 171.5, t0 + pd.Timedelta(hours=2999, minutes=10)))
    panel = EventSearchPanel(str(store.path))
    qtbot.addWidget(panel)
    panel.resize(700, 400)
    panel.show()
    with qtbot.waitSignal(panel.searched, timeout=2_000) as found:
        panel._found(EventResult("R-7", "temperature", "above", 150.0, 300.0, events, 200_000))
    assert found.args == [3000]
    assert isinstance(panel.table.model(), EventsModel) and panel.model.rowCount() == 3000
    assert "R-7: 3000 events" in panel.summary.text()
    assert panel.rows()[-1][1:] == ("still going", "10 min so far", "171.5")
    assert panel.rows()[0][2:] == ("10 min", "150")
    last = panel.model.index(2999, 0)
    panel.table.scrollTo(last)
    with qtbot.waitSignal(panel.zoomRequested, timeout=2_000) as zoom:
        qtbot.mouseClick(panel.table.viewport(), Qt.LeftButton, pos=panel.table.visualRect(last).center())
    assert zoom.args == [events[-1].start.value, events[-1].last.value]   # no end yet: to its last reading
