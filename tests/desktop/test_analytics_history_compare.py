"""Analytics charts and KPIs, History (open, rename, delete, keep N, sync column), Compare,
restart with the same data dir, and the hooks the sync layer relies on."""
from __future__ import annotations

from PyQt5.QtCore import Qt

import engine
from chemviz_desktop.core.store import FAILED, SYNCED, Store
from chemviz_desktop.ui.models.history_model import SYNC_COLUMN
from engine import schema

from .conftest import import_file, show_chart, write

OTHER_CSV = """Equipment Name,Type,Flowrate,Pressure,Temperature
Pump-9,Pump,200,6,50
Tank-1,Tank,10,1,20
"""


def test_kpis_stats_table_and_every_chart_with_units(qtbot, window, good_csv):
    import_file(qtbot, window, good_csv)
    window.show_page("analytics")
    page = window.analytics_page
    assert page.cards["total"].value.text() == "6"
    assert page.cards["flowrate"].value.text().endswith("L/min")
    assert page.stats_model.rowCount() == 3        # Pump, Valve, Mixer
    assert page.stats_model.data(page.stats_model.index(0, 0)) == "Pump"
    units = set(schema.UNITS.values())
    for key in ("averages", "distribution", "parameter", "scatter"):
        with qtbot.waitSignal(page.chartDrawn, timeout=5000) as blocker:
            page.set_chart(key)
        assert blocker.args == [key]
        labels = [ax.get_ylabel() + ax.get_xlabel() for ax in page.chart.figure.axes]
        assert labels and all(any(u in label or "items" in label for u in units | {"items"}) for label in labels)
    assert not page.param_combo.isVisible()        # scatter: no parameter picker, two axis pickers
    assert page.x_combo.isVisible() and page.y_combo.isVisible()
    show_chart(qtbot, page, "parameter", schema.TEMPERATURE)
    assert page.param_combo.isVisible() and not page.x_combo.isVisible()
    assert page.chart.figure.axes[0].get_xlabel() == "Temperature (°C)"
    assert page.chart.view.image is not None       # the worker's pixels are what the page paints


def test_engine_outliers_are_highlighted(qtbot, window, sample_csv):
    ds = import_file(qtbot, window, sample_csv)
    assert ds.statistics["by_type"]["Pump"]["outliers"]["flowrate"]["rows"] == [5]   # Pump-104, 410 L/min
    window.show_page("analytics")
    page = window.analytics_page
    show_chart(qtbot, page, "parameter", schema.FLOWRATE)
    box_ax = page.chart.figure.axes[1]
    assert any("IQR outliers (1)" in t.get_text() for t in box_ax.get_legend().get_texts())
    red = box_ax.collections[-1]
    assert list(red.get_offsets()[:, 1]) == [410.0]


def test_history_open_rename_delete_with_confirm(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    import_file(qtbot, window, write(tmp_path, "other.csv", OTHER_CSV))
    page = window.history_page
    assert [i.file_name for i in page.model.items] == ["other.csv", "good.csv"]   # newest first
    page.select_id(page.model.items[1].id)
    with qtbot.waitSignal(window.datasetChanged, timeout=10_000):
        page.open_button.click()
    assert window.dataset.name == "good.csv" and window.current_page() == "analytics"
    assert window.data_page.model.rowCount() == 6

    page.ask_text = lambda *a: "Plant A, March"
    page.rename_button.click()
    assert page.model.items[1].display_name == "Plant A, March"

    page.confirm = lambda q: False
    page.delete_button.click()
    assert page.model.rowCount() == 2
    page.select_id(page.model.items[1].id)
    page.confirm = lambda q: True
    page.delete_button.click()
    assert [i.file_name for i in page.model.items] == ["other.csv"]
    assert window.compare_page.combo_a.count() == 1


def test_keep_setting_limits_history(qtbot, window, tmp_path):
    window.history_page.keep_spin.setValue(2)
    assert window.settings.keep == 2 and window.store.keep == 2   # kept in the store (issue 11)
    for n in range(3):
        ds = import_file(qtbot, window, write(tmp_path, f"f{n}.csv", OTHER_CSV))
        # only datasets the server also has are trimmed; the only copy of one never is
        window.store.set_sync_state(window.store.info(ds.store_id).uuid, SYNCED, server_id=n + 1)
    window.history_page.refresh()
    assert [i.file_name for i in window.history_page.model.items] == ["f2.csv", "f1.csv"]


def test_sync_column_shows_state_with_error_tooltip(qtbot, window, good_csv):
    ds = import_file(qtbot, window, good_csv)
    model = window.history_page.model
    assert model.data(model.index(0, SYNC_COLUMN)) == "local"
    info = window.store.info(ds.store_id)
    window.store.set_sync_state(info.uuid, FAILED, error="server said: duplicate")
    window.history_page.refresh()
    assert model.data(model.index(0, SYNC_COLUMN)) == "failed"
    assert model.data(model.index(0, SYNC_COLUMN), Qt.ToolTipRole) == "server said: duplicate"


def test_compare_two_datasets_marks_types_in_one_only(qtbot, window, good_csv, tmp_path):
    a = import_file(qtbot, window, good_csv)
    b = import_file(qtbot, window, write(tmp_path, "other.csv", OTHER_CSV))
    window.show_page("compare")
    page = window.compare_page
    page.select(a.store_id, b.store_id)
    with qtbot.waitSignals([page.compared, page.chart.drawn], timeout=10_000):
        page.compare_button.click()
    rows = {(t, m): d for t, presence, m, d in page.model.rows}
    assert rows[("Pump", "count")] == {"a": 3, "b": 1, "diff": -2, "pct": -66.67}
    shown = [page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())]
    assert "Tank (only in B)" in shown and "Mixer (only in A)" in shown and "Valve (only in A)" in shown
    assert "only in B: Tank" in page.summary.text()
    assert len(page.chart.figure.axes) == 3
    assert page.chart.figure.axes[0].get_ylabel() == "Flowrate (L/min)"


def test_restart_finds_history_layout_and_settings(qtbot, make_window, good_csv):
    first = make_window()
    import_file(qtbot, first, good_csv)
    first.resize(1100, 650)
    first.analytics_page.splitter.setSizes([300, 250])
    sizes = first.analytics_page.splitter.sizes()
    first.show_page("history")
    first.history_page.keep_spin.setValue(7)
    first.set_theme("dark")
    first.close()

    second = make_window()
    assert second.current_page() == "history"
    assert [i.file_name for i in second.history_page.model.items] == ["good.csv"]
    assert second.size().width() == 1100 and second.size().height() == 650
    assert second.analytics_page.splitter.sizes() == sizes
    assert second.settings.keep == 7 and second.history_page.keep_spin.value() == 7
    assert second.settings.theme == "dark" and second.theme_actions["dark"].isChecked()
    second.history_page.select_id(second.history_page.model.items[0].id)
    with qtbot.waitSignal(second.datasetChanged, timeout=10_000):
        second.history_page.open_selected()
    assert second.dataset.statistics["total_equipment"] == 6
    second.set_theme("light")


def test_sync_status_and_account_menu_start_signed_out(window):
    assert window.sync_status_label.text().startswith("Signed out")
    actions = [a for a in window.account_menu.actions() if a.text() == "Sign in…"]
    assert actions and actions[0].isEnabled()
    # the hook the sync controller calls: a dataset added behind the window's back shows up
    before = window.history_page.model.rowCount()
    store = Store(window.store.path)
    try:
        res = engine.load(b"Equipment Name,Type,Flowrate,Pressure,Temperature\nX-1,Pump,1,2,3\n",
                          file_name="behind.csv")
        store.add(res, file_name="behind.csv")
    finally:
        store.close()
    window.history_page.refresh()
    assert window.history_page.model.rowCount() == before + 1


def test_theme_switch_recolours_every_page_and_keeps_the_style(qtbot, window):
    """Switching back and forth repaints all pages in the new palette and stays on Fusion (the
    style is set once: setting it again on each switch re-polished every widget, a visible stall)."""
    from PyQt5.QtGui import QPalette
    from PyQt5.QtWidgets import QApplication

    from chemviz_desktop.ui import theme
    app = QApplication.instance()
    window.set_theme("light")
    style = app.style()
    for name in ("dark", "light", "dark"):
        window.set_theme(name)
        qtbot.waitUntil(theme.settled, timeout=5000)   # hidden pages follow in batches
        window_colour = app.palette().color(QPalette.Window)
        assert (window_colour.lightness() < 100) == (name == "dark")
        for page in window.pages.values():
            assert page.palette().color(QPalette.Window) == window_colour, page
        table_base = window.data_page.table.palette().color(QPalette.Base)
        assert (table_base.lightness() < 100) == (name == "dark")
        assert app.style() is style   # not re-created (a new style re-polishes all 600 widgets)
    window.set_theme("light")
