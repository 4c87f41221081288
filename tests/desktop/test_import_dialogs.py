"""Issue 12 on the desktop: the workbook sheet/header-row picker, the column-mapping dialog
offered instead of a dead end (and remembered per header), equipment type spellings and the
pressure reference saved with the data. The Import page is used alone, its dialogs injected."""
from __future__ import annotations

from pathlib import Path

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication, QDialogButtonBox

from chemviz_desktop.core import import_prefs, user_types
from chemviz_desktop.ui.dialogs.equipment_types_dialog import EquipmentTypesDialog
from chemviz_desktop.ui.dialogs.mapping_dialog import MappingDialog
from chemviz_desktop.ui.dialogs.sheet_dialog import SheetDialog
from chemviz_desktop.ui.pages.import_page import ImportPage
from engine import schema
from engine.workbook import SheetPreview

from ..engine.helpers import write_xlsx

COLUMNS = ["Equipment Name", "Type", "Flowrate", "Pressure", "Temperature"]
ODD = "Tag,Kind,Q (m3/h),P,T\nP-1,Centrifugal,6,2,20\nC-1,Tower,12,1,80\n"
ODD_MAPPING = {"Equipment Name": "Tag", "Type": "Kind", "Flowrate": "Q (m3/h)", "Pressure": "P", "Temperature": "T"}


@pytest.fixture
def page(qtbot):
    p = ImportPage()
    qtbot.addWidget(p)
    p.show()
    return p


def run_import(qtbot, page: ImportPage, path: Path, **kw):
    with qtbot.waitSignal(page.finished, timeout=30_000):
        page.start(str(path), 5, **kw)
    return page.last


def test_workbook_asks_for_sheet_and_header_row(qtbot, page, tmp_path):
    wb = write_xlsx(tmp_path / "plant.xlsx", {"Cover": [["Plant 4"]],
                                              "Data": [["March readings"], COLUMNS, ["P-1", "Pump", 1, 2, 3]]})
    asked = []
    page.ask_sheet = lambda previews, name: asked.append([p.name for p in previews]) or ("Data", 2)
    ds = run_import(qtbot, page, wb)
    assert asked == [["Cover", "Data"]]
    assert ds.accepted and list(ds.frame[schema.ROW]) == [3]


def test_cancelling_the_sheet_picker_imports_nothing(qtbot, page, tmp_path):
    wb = write_xlsx(tmp_path / "plant.xlsx", {"A": [COLUMNS, ["P-1", "Pump", 1, 2, 3]], "B": [["x"]]})
    page.ask_sheet = lambda previews, name: None
    page.last = None
    with qtbot.waitSignal(page.finished, timeout=5_000):
        page.start(str(wb), 5)
    assert page.last is None and "cancelled" in page.summary.text()


def test_simple_workbook_is_not_asked_about(qtbot, page, tmp_path):
    wb = write_xlsx(tmp_path / "one.xlsx", {"S": [COLUMNS, ["P-1", "Pump", 1, 2, 3]]})
    page.ask_sheet = lambda previews, name: pytest.fail("nothing to ask")
    assert run_import(qtbot, page, wb).accepted


def test_unrecognised_columns_offer_the_mapping_which_is_then_remembered(qtbot, page, tmp_path):
    p = tmp_path / "odd.csv"
    p.write_text(ODD)
    ds = run_import(qtbot, page, p)
    assert not ds.accepted and ds.headers == ["Tag", "Kind", "Q (m3/h)", "P", "T"]
    assert page.map_button.isVisible()
    page.ask_mapping = lambda headers, name: (ODD_MAPPING, {"Pressure": "psig"}, True)
    with qtbot.waitSignal(page.finished, timeout=30_000):
        page.map_button.click()
    ds = page.last
    assert ds.accepted and not page.map_button.isVisible()
    assert ds.frame[schema.FLOWRATE].iloc[0] == pytest.approx(100.0)
    assert ds.frame[schema.PRESSURE].iloc[0] == pytest.approx(2 * 0.0689475729)
    # the same header next time: mapped without asking
    again = tmp_path / "odd2.csv"
    again.write_text(ODD.replace("P-1", "P-9"))
    ds = run_import(qtbot, page, again)
    assert ds.accepted and "mapping_recalled" in {i.code for i in ds.report.issues}


def test_type_spellings_and_pressure_mode_apply_on_import(qtbot, page, tmp_path):
    user_types.save({"Centrifugal": "Pump", "Tower": "Column"})
    import_prefs.set_pressure_mode("absolute")
    p = tmp_path / "types.csv"
    p.write_text("Equipment Name,Type,Flowrate,Pressure,Temperature\nP-1,Centrifugal,1,3.01325,20\nC-1,Tower,1,1,20\n")
    ds = run_import(qtbot, page, p)
    assert set(ds.statistics["by_type"]) == {"Pump", "Column"}
    assert ds.frame[schema.PRESSURE].iloc[0] == pytest.approx(2.0)
    assert user_types.path().parent == Path(import_prefs._path()).parent   # beside the store


def test_mapping_dialog_guesses_and_blocks_until_complete(qtbot):
    d = MappingDialog(["Equipment Name", "Kind", "Q (m3/h)", "Pressure", "T"], "x.csv")
    qtbot.addWidget(d)
    ok = d.buttons.button(QDialogButtonBox.Ok)
    assert d.column_combos["Equipment Name"].currentData() == "Equipment Name"   # recognised one preselected
    assert not ok.isEnabled()
    for column, header in (("Type", "Kind"), ("Flowrate", "Q (m3/h)"), ("Temperature", "T")):
        combo = d.column_combos[column]
        combo.setCurrentIndex(combo.findData(header))
    assert ok.isEnabled()
    assert "m3/h" in d.unit_combos["Flowrate"].itemText(0)                       # the header's own unit
    d.unit_combos["Temperature"].setCurrentIndex(d.unit_combos["Temperature"].findData("°F"))
    assert d.mapping()["Flowrate"] == "Q (m3/h)" and d.units() == {"Temperature": "°F"}
    d.column_combos["Type"].setCurrentIndex(d.column_combos["Type"].findData("T"))   # T twice
    assert not ok.isEnabled() and "two fields" in d.problem.text()


def test_sheet_dialog_preselects_the_sheet_with_a_header(qtbot):
    previews = [SheetPreview("Cover", [["Plant"]], None),
                SheetPreview("Data", [["Title", ""], COLUMNS, ["P-1", "Pump", "1", "2", "3"]], 2)]
    d = SheetDialog(previews, "x.xlsx")
    qtbot.addWidget(d)
    model = d.preview.model()
    assert d.choice() == ("Data", 2) and model.rowCount() == 3
    assert model.data(model.index(1, 0), Qt.FontRole).bold()                     # the header row
    assert model.data(model.index(0, 0), Qt.ForegroundRole) is not None          # the title above: greyed
    assert model.data(model.index(2, 0), Qt.FontRole) is None
    d.header_spin.setValue(3)                                                    # the user moves the header
    assert model.data(model.index(2, 0), Qt.FontRole).bold() and model.data(model.index(1, 0), Qt.FontRole) is None
    d.sheet_combo.setCurrentIndex(0)
    assert d.choice() == ("Cover", 1)


def test_equipment_types_dialog_round_trip(qtbot):
    d = EquipmentTypesDialog({"Tower": "Column", "Centrifugal": "Pump"})
    qtbot.addWidget(d)
    assert d.aliases() == {"Tower": "Column", "Centrifugal": "Pump"}
    d.add_row("Exch", "HeatExchanger")
    d.table.selectRow(0)
    d.remove_selected()
    assert d.aliases() == {"Tower": "Column", "Exch": "HeatExchanger"}


def test_equipment_types_dialog_is_edited_with_the_keyboard(qtbot):
    d = EquipmentTypesDialog({"Tower": "Column"})
    qtbot.addWidget(d)
    d.show()
    QApplication.setActiveWindow(d)                     # keys go where a user's would: the focused cell
    d.add_row("", "")                                   # what Add does: the new spelling cell opens for typing
    editor = d.table.indexWidget(d.model.index(1, 0))
    assert editor is not None
    qtbot.keyClicks(editor, "Centrifugal")
    qtbot.keyClick(editor, Qt.Key_Tab)                  # on to "Read as type": a combo of suggestions
    combo = d.table.indexWidget(d.model.index(1, 1))
    assert combo is not None and combo.findText("Pump") >= 0
    qtbot.keyClicks(combo.lineEdit(), "Pump")
    qtbot.keyClick(combo.lineEdit(), Qt.Key_Return)
    assert d.aliases() == {"Tower": "Column", "Centrifugal": "Pump"}
    assert d.model.data(d.model.index(1, 1)) == "Pump"
    d.table.setFocus()
    d.table.selectRow(0)
    qtbot.keyClick(d.table, Qt.Key_Delete)              # Delete removes the selected row
    assert d.aliases() == {"Centrifugal": "Pump"}


def test_settings_menu_sets_the_pressure_reference(qtbot, monkeypatch):
    from PyQt5.QtWidgets import QMainWindow

    from chemviz_desktop.ui.dialogs import settings_menu
    w = QMainWindow()
    qtbot.addWidget(w)
    menu = settings_menu.install(w.menuBar().addMenu("&Settings"), w)
    assert menu.pressure_actions["gauge"].isChecked()
    menu.pressure_actions["absolute"].trigger()
    assert import_prefs.pressure_mode() == "absolute"
    monkeypatch.setattr(EquipmentTypesDialog, "exec_", lambda self: EquipmentTypesDialog.Accepted)
    monkeypatch.setattr(EquipmentTypesDialog, "aliases", lambda self: {"Tower": "Column"})
    menu.types_action.trigger()
    assert user_types.load() == {"Tower": "Column"}


def test_original_file_is_kept_for_upload_only_when_the_server_would_read_it_alike(qtbot, page, tmp_path):
    from chemviz_desktop.core.store import Store
    plain = tmp_path / "plain.csv"
    plain.write_text("Equipment Name,Type,Flowrate,Pressure,Temperature\nP-1,Pump,1,2,3\n")
    ds = run_import(qtbot, page, plain)
    store = Store()
    try:
        assert store.csv_bytes(ds.store_id) == plain.read_bytes()
    finally:
        store.close()
    import_prefs.set_pressure_mode("absolute")        # the server would read 2 as 2 bar(g)
    ds = run_import(qtbot, page, plain)
    store = Store()
    try:
        assert store.csv_bytes(ds.store_id) is None    # sync sends the rows as read here
    finally:
        store.close()


def test_workbook_sheets_are_read_off_the_gui_thread(qtbot, page, tmp_path, monkeypatch):
    """Reading a big workbook's sheets for the picker must not freeze the window."""
    import threading

    import engine
    wb = write_xlsx(tmp_path / "plant.xlsx", {"Cover": [["Plant 4"]], "Data": [COLUMNS, ["P-1", "Pump", 1, 2, 3]]})
    seen = []
    real = engine.workbook_sheets

    def spy(path):
        seen.append(threading.current_thread() is threading.main_thread())
        return real(path)
    monkeypatch.setattr(engine, "workbook_sheets", spy)
    page.ask_sheet = lambda previews, name: ("Data", 1)
    assert run_import(qtbot, page, wb).accepted
    assert seen == [False]
