"""Import (good, bad, cancelled, dropped) and the Data table (filter, sort, excluded rows, jump)."""
from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QMimeData, QPoint, Qt, QUrl
from PyQt5.QtGui import QDragEnterEvent, QDropEvent
from PyQt5.QtWidgets import QApplication

from chemviz_desktop.core.store import Store

from .conftest import import_file, write


def column_of(model, header: str) -> int:
    for c in range(model.columnCount()):
        if model.headerData(c, Qt.Horizontal) == header:
            return c
    raise AssertionError(header)


def cells(model, header: str) -> list[str]:
    c = column_of(model, header)
    return [model.data(model.index(r, c)) for r in range(model.rowCount())]


def test_good_file_shows_summary_report_and_lands_in_history(qtbot, window, good_csv):
    ds = import_file(qtbot, window, good_csv)
    assert ds.accepted and ds.store_id is not None
    page = window.import_page
    assert "6 of 7 rows accepted, 1 excluded" in page.summary.text()
    issues = [(i.severity, i.row, i.column, i.code) for i in page.model.issues]
    assert ("error", 6, "Flowrate", "not_a_number") in issues
    assert page.notes.isVisible() and "Mixer" in page.notes.text()
    assert window.data_page.model.rowCount() == 6               # excluded rows hidden by default
    assert window.history_page.model.rowCount() == 1
    assert window.history_page.model.items[0].file_name == "good.csv"
    assert str(good_csv.resolve()) in window.settings.recent_files


def test_unit_header_is_converted_and_said_in_notes(qtbot, window, sample_csv):
    ds = import_file(qtbot, window, sample_csv)
    assert ds.accepted
    assert "converted to bar" in window.import_page.notes.text()
    assert ds.statistics["by_type"]["Pump"]["count"] == 4


def test_bad_file_is_rejected_with_file_errors_and_not_stored(qtbot, window, bad_csv):
    ds = import_file(qtbot, window, bad_csv)
    assert not ds.accepted and ds.store_id is None
    page = window.import_page
    assert page.summary.property("level") == "error"
    assert "rejected and not saved" in page.summary.text()
    assert any(i.code == "missing_column" and i.row is None for i in page.model.issues)
    assert window.history_page.model.rowCount() == 0
    assert Store().list() == []
    assert window.dataset is None


def test_report_list_sorts_and_double_click_jumps_to_excluded_row(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    view = window.import_page.table
    model = window.import_page.model
    view.sortByColumn(1, Qt.DescendingOrder)            # by row number
    assert model.issues[0].row == 6
    view.sortByColumn(0, Qt.AscendingOrder)             # errors first
    assert model.issues[0].severity == "error"
    row_issue = next(r for r in range(model.rowCount()) if model.issues[r].row == 6)
    index = model.index(row_issue, 3)
    view.scrollTo(index)
    rect = view.visualRect(index)
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert window.current_page() == "data"
    assert window.data_page.excluded_check.isChecked()
    assert window.data_page.selected_row() == 6


def test_filter_by_type_and_name_and_show_excluded(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    window.show_page("data")
    page = window.data_page
    model = page.model
    page.type_combo.setCurrentIndex(page.type_combo.findText("Pump"))
    assert set(cells(model, "Type")) == {"Pump"} and model.rowCount() == 3
    # statistics follow the filter (engine recomputed on the filtered frame)
    assert window.analytics_page.statistics["total_equipment"] == 3
    assert list(window.analytics_page.statistics["by_type"]) == ["Pump"]
    page.type_combo.setCurrentIndex(0)
    with qtbot.waitSignal(page.viewReady, timeout=3000):
        qtbot.keyClicks(page.name_edit, "valve")
    assert cells(model, "Equipment Name") == ["Valve-1"]
    qtbot.mouseClick(page.excluded_check, Qt.LeftButton)
    assert cells(model, "Equipment Name") == ["Valve-1", "Valve-2"]
    assert cells(model, "Status") == ["ok", "not a number"]
    assert model.data(model.index(1, 0), Qt.BackgroundRole) is not None     # excluded row marked
    assert model.data(model.index(0, 0), Qt.BackgroundRole) is None
    assert "2 of 7 rows" in page.count_label.text()
    page.set_filter("", "no such name")
    assert model.rowCount() == 0
    assert window.analytics_page.statistics["total_equipment"] == 0
    window.show_page("analytics")
    window.analytics_page.set_chart("scatter")       # an empty selection draws a message, not an error
    assert window.analytics_page.cards["total"].value.text() == "0"


def test_sort_by_any_column(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    page = window.data_page
    model = page.model
    page.table.sortByColumn(column_of(model, "Flowrate (L/min)"), Qt.DescendingOrder)
    flows = [float(v) for v in cells(model, "Flowrate (L/min)")]
    assert flows == sorted(flows, reverse=True)
    page.table.sortByColumn(column_of(model, "Equipment Name"), Qt.AscendingOrder)
    names = cells(model, "Equipment Name")
    assert names == sorted(names)


def test_cancel_import_stores_nothing(qtbot, window, tmp_path):
    n = 300_000
    rng = np.random.default_rng(1)
    lines = "\n".join(f"EQ-{i},Pump,{v:.2f},5,40" for i, v in enumerate(rng.uniform(1, 100, n)))
    path = write(tmp_path, "big.csv", "Equipment Name,Type,Flowrate,Pressure,Temperature\n" + lines + "\n")
    page = window.import_page
    with qtbot.waitSignal(page.finished, timeout=30_000):
        window.open_file(str(path))
        assert page.busy and page.progress_box.isVisible()
        qtbot.mouseClick(page.cancel_button, Qt.LeftButton)
    assert "cancelled" in page.summary.text()
    assert not page.busy and page.open_button.isEnabled()
    assert window.history_page.model.rowCount() == 0
    QApplication.processEvents()
    assert Store().list() == []


def test_csv_dropped_on_any_widget_is_imported(qtbot, window, good_csv):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good_csv))])
    window.show_page("data")
    target = window.data_page.name_edit        # a line edit would otherwise swallow the path text
    enter = QDragEnterEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPoint(5, 5), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    with qtbot.waitSignal(window.import_page.finished, timeout=30_000):
        QApplication.sendEvent(target, drop)
    assert window.import_page.last.accepted
    assert target.text() == ""


def test_open_sample_data_action(qtbot, window):
    with qtbot.waitSignal(window.import_page.finished, timeout=30_000):
        window.sample_action.trigger()
    ds = window.import_page.last
    assert ds.accepted and ds.name == "sample_equipment.csv"
    types = set(ds.statistics["by_type"])
    assert {"Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser", "Other"} <= types
    assert len(types - {"Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser", "Other"}) == 2


def test_big_frames_filter_sort_and_statistics_run_in_workers(qtbot, window, good_csv, monkeypatch):
    from chemviz_desktop.ui.pages import analytics_page, data_page
    monkeypatch.setattr(data_page, "SYNC_LIMIT", 0)
    monkeypatch.setattr(analytics_page, "SYNC_LIMIT", 0)
    import_file(qtbot, window, good_csv)
    page = window.data_page
    with qtbot.waitSignals([page.viewReady, window.analytics_page.statisticsReady], timeout=10_000):
        page.set_filter("Pump")
    assert set(cells(page.model, "Type")) == {"Pump"}
    assert window.analytics_page.statistics["total_equipment"] == 3
    with qtbot.waitSignal(page.viewReady, timeout=10_000):
        page.table.sortByColumn(column_of(page.model, "Flowrate (L/min)"), Qt.DescendingOrder)
    assert cells(page.model, "Flowrate (L/min)") == ["900", "110", "100"]


def test_menus_shortcuts_recent_files_and_export_enabling(qtbot, window, good_csv):
    from PyQt5.QtGui import QKeySequence
    assert window.open_action.shortcut() == QKeySequence(QKeySequence.Open)
    assert not window.export_menu.isEnabled()
    import_file(qtbot, window, good_csv)
    assert window.export_menu.isEnabled() and window.export_actions["pdf"].shortcut().toString() == "Ctrl+E"
    window._fill_recent()
    assert str(good_csv.resolve()) in [a.text() for a in window.recent_menu.actions()]


def test_history_keyboard_delete_asks_first(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    window.show_page("history")
    page = window.history_page
    page.select_id(page.model.items[0].id)
    asked = []
    page.confirm = lambda q: asked.append(q) or True
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key_Delete)
    assert asked and page.model.rowCount() == 0
