"""Issue 13, tables: copy/paste into Excel, Ctrl+A, right-click menus, range and multi-type
filters, scroll to top after sorting, numbers as the file wrote them, huge cells elided."""
from __future__ import annotations

from PyQt5.QtCore import QItemSelectionModel, Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QApplication

from chemviz_desktop.core.formatting import fmt, fmt_value

from .conftest import import_file, write

PRECISE = """Equipment Name,Type,Flowrate,Pressure,Temperature
Big-1,Pump,1234567.891,5.45,12.3457891
Small-1,Pump,0.000123,5.5,20
Valve-1,Valve,250,2.25,30
Valve-2,Valve,150,3,40
Tank-1,Tank,300,1,25
"""


def press(qtbot, widget, seq: QKeySequence.StandardKey) -> None:
    key = QKeySequence(seq)[0]
    qtbot.keyClick(widget, Qt.Key(key & ~Qt.KeyboardModifierMask), Qt.KeyboardModifiers(key & Qt.KeyboardModifierMask))


def test_data_values_read_as_written_and_row_column_fits(qtbot, window, tmp_path):
    import_file(qtbot, window, write(tmp_path, "p.csv", PRECISE))
    page = window.data_page
    model = page.model
    cols = [model.headerData(c, Qt.Horizontal) for c in range(model.columnCount())]
    flow = cols.index("Flowrate (L/min)")
    temp = cols.index("Temperature (°C)")
    shown = [model.data(model.index(r, flow)) for r in range(model.rowCount())]
    assert "1234567.891" in shown and "0.000123" in shown             # not 1.23457e+06 / 0.000123 rounded
    assert "12.3457891" in [model.data(model.index(r, temp)) for r in range(model.rowCount())]
    fm = page.table.fontMetrics()
    assert page.table.columnWidth(0) >= fm.horizontalAdvance("1000000")   # 7-digit row numbers fit
    assert fmt(0.000123) == "0.000123" and fmt(5.45) == "5.45" and fmt(1234567.0) == "1,234,567"
    assert fmt_value(1.2340000000000002) == "1.234" and fmt_value(1e11) == "100000000000"


def test_cards_and_statistics_use_significant_digits(qtbot, window, tmp_path):
    import_file(qtbot, window, write(tmp_path, "p.csv", PRECISE))
    window.show_page("analytics")
    page = window.analytics_page
    assert page.cards["pressure"].detail.text() == "range 1 – 5.5"   # same formatter as the value
    assert page.cards["pressure"].value.text() == "3.44 bar"
    m = page.stats_model
    headers = [m.headerData(c, Qt.Horizontal) for c in range(m.columnCount())]
    pump = next(r for r in range(m.rowCount()) if m.data(m.index(r, 0)) == "Pump")
    shown = m.data(m.index(pump, headers.index("Min flowrate (L/min)")))
    engine_value = window.analytics_page.statistics["by_type"]["Pump"]["min_flowrate"]
    assert shown == fmt(engine_value) and shown != "0.00" and float(shown) > 0   # significant digits


def test_huge_cell_is_elided_but_copied_whole(qtbot, window, tmp_path):
    name = "X" * 2_000_000
    import_file(qtbot, window, write(tmp_path, "huge.csv",
                                     f"Equipment Name,Type,Flowrate,Pressure,Temperature\n{name},Pump,1,2,3\nB,Pump,2,3,4\n"))
    model = window.data_page.model
    shown = model.data(model.index(0, 1))
    assert len(shown) <= 300 and shown.endswith("…")
    assert "2,000,000 characters" in model.data(model.index(0, 1), Qt.ToolTipRole)
    window.show_page("data")
    window.data_page.table.viewport().repaint()                 # paints without measuring 2 MB


def test_ctrl_c_copies_selection_with_headers_as_tsv(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    window.show_page("data")
    table = window.data_page.table
    table.setFocus()
    sm = table.selectionModel()
    sm.select(table.model().index(0, 0), QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
    sm.select(table.model().index(1, 0), QItemSelectionModel.Select | QItemSelectionModel.Rows)
    press(qtbot, table, QKeySequence.Copy)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t")[:3] == ["Row", "Equipment Name", "Type"]
    assert lines[1].split("\t")[:4] == ["2", "Pump-1", "Pump", "100"]
    assert len(lines) == 3
    press(qtbot, table, QKeySequence.SelectAll)                 # Ctrl+A, then copy everything
    press(qtbot, table, QKeySequence.Copy)
    assert len(QApplication.clipboard().text().splitlines()) == 1 + table.model().rowCount()


def test_right_click_menus(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    page = window.data_page
    menu = page.table.table_actions.menu(page.model.index(3, 1))   # Valve-1
    texts = [a.text() for a in menu.actions()]
    assert {"Copy with headers", "Copy values only", "Select all", "Export selection as CSV…"} <= set(texts)
    filt = next(a for a in menu.actions() if a.text() == "Filter to type 'Valve'")
    with qtbot.waitSignal(page.viewReady):
        filt.trigger()
    assert page.model.rowCount() == 1 and page.spec.type_name == "Valve"

    stats_menu = window.analytics_page.stats_table.table_actions.menu(window.analytics_page.stats_model.index(0, 0))
    assert any(a.text().startswith("Filter to type") for a in stats_menu.actions())
    report = window.import_page
    row = next(r for r in range(report.model.rowCount()) if report.model.issue(r).row is not None)
    report_menu = report.table.table_actions.menu(report.model.index(row, 0))
    show = next(a for a in report_menu.actions() if a.text().startswith("Show row"))
    show.trigger()
    assert window.current_page() == "data"


def test_export_selection_writes_csv(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    table = window.data_page.table
    table.selectAll()
    with qtbot.waitSignal(table.table_actions.exported, timeout=10_000):
        table.table_actions.export_selection(str(tmp_path / "sel.csv"))
    lines = (tmp_path / "sel.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Row,Equipment Name") and len(lines) == 7
    assert "'=HYPERLINK" in (tmp_path / "sel.csv").read_text(encoding="utf-8-sig")   # neutralised


def test_range_and_multi_type_filters_reach_analytics(qtbot, window, tmp_path):
    import_file(qtbot, window, write(tmp_path, "p.csv", PRECISE))
    page = window.data_page
    with qtbot.waitSignal(page.viewReady):
        page.set_ranges("Flowrate > 200")
    names = {page.model.data(page.model.index(r, 1)) for r in range(page.model.rowCount())}
    assert names == {"Big-1", "Valve-1", "Tank-1"}
    assert window.analytics_page.statistics["total_equipment"] == 3
    assert "Flowrate > 200 L/min" in window.analytics_page.filter_label.text()
    page.set_ranges("Flowrate >> x")
    assert not page.message.isHidden() and "Flowrate > 200" in page.message.text()
    assert window.analytics_page.statistics["total_equipment"] == 3   # a typo keeps the last good filter
    page.set_ranges("")
    page.set_types(["Pump", "Tank"])
    names = {page.model.data(page.model.index(r, 1)) for r in range(page.model.rowCount())}
    assert names == {"Big-1", "Small-1", "Tank-1"}
    assert set(window.analytics_page.statistics["by_type"]) == {"Pump", "Tank"}
    assert page.types_button.text().startswith("2 types")


def test_sorting_scrolls_to_top(qtbot, window, sample_csv):
    import_file(qtbot, window, sample_csv)
    window.show_page("data")
    table = window.data_page.table
    table.verticalScrollBar().setValue(table.verticalScrollBar().maximum())
    with qtbot.waitSignal(window.data_page.viewReady):
        table.sortByColumn(3, Qt.DescendingOrder)
    assert table.verticalScrollBar().value() == 0


def test_kpi_cards_fit_a_narrow_window(qtbot, window, sample_csv):
    import_file(qtbot, window, sample_csv)
    window.resize(960, 600)
    window.show_page("analytics")
    qtbot.wait(50)
    for card in window.analytics_page.cards.values():
        width = card.contentsRect().width() - 24
        assert card.value.fontMetrics().horizontalAdvance(card.value.text()) <= width + 1
        full = card.toolTip()
        assert card.value.text() in full                    # full texts in the tooltip
