"""Equipment and Trends pages (#15), snapshot reading times in Import and History, equipment side
by side in Compare: what a user notices, through the real window."""
from __future__ import annotations

import os
import threading
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chemviz_desktop.core import trend_series
from chemviz_desktop.core.store import Store
from chemviz_desktop.core.store import equipment as registry
from tests.desktop.conftest import import_file, write

SNAP_1 = """Equipment Name,Type,Flowrate,Pressure,Temperature
Pump-1,Pump,120,5.2,110
Compressor-1,Compressor,95,8.4,95
"""
SNAP_2 = """Equipment Name,Type,Flowrate,Pressure,Temperature
pump-1 ,Pump,125,5.0,112
Compressor-1,Compressor,97,8.1,96
"""
T1 = datetime(2026, 1, 10, 8, 0, tzinfo=timezone.utc)
T2 = datetime(2026, 1, 11, 8, 0, tzinfo=timezone.utc)
START = pd.Timestamp("2026-03-01T00:00:00Z")


def snapshot(tmp_path: Path, name: str, text: str, when: datetime) -> Path:
    """A snapshot file whose modified time is `when` (the import's default reading time)."""
    path = write(tmp_path, name, text)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def series_csv(tmp_path: Path, n: int = 432, step: str = "10min", offline: int | None = 200,
               name: str = "series.csv") -> tuple[Path, pd.DataFrame]:
    """One equipment, a reading every `step` from START; reading `offline` is Offline at 0.0."""
    t = pd.date_range(START, periods=n, freq=step)
    flow = 100 + np.arange(n) % 7 * 1.5
    status = np.array(["Running"] * n, dtype=object)
    if offline is not None:
        flow[offline] = 0.0
        status[offline] = "Offline"
    frame = pd.DataFrame({"EquipmentID": "Reactor-9", "Timestamp": np.char.add(np.datetime_as_string(t.to_numpy(dtype="datetime64[s]"), unit="s"), "Z"),
                          "FlowRate": flow, "Pressure": 5.0 + np.arange(n) % 3 * 0.1,
                          "Temperature": 80.0, "Status": status})
    path = tmp_path / name
    import pyarrow as pa
    import pyarrow.csv as pacsv
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), str(path),
                    pacsv.WriteOptions(quoting_style="none"))
    return path, frame.assign(ts=t)


def show_equipment(qtbot, window):
    page = window.equipment_page
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.show_page("equipment")
        if not page._stale and not page.runner.busy:
            page.refresh()
    return page


def row_of(page, name: str) -> dict:
    r = page.model.find(name)
    assert r >= 0, f"{name} not listed"
    return page.model.row(r)


def trend(qtbot, page, *, names=None, window=None, interval=None, parameters=None, running=None):
    """Change the Trends page's choices and wait for the prepared data to be on screen."""
    if names is not None:
        with qtbot.waitSignal(page.trendReady, timeout=60_000):
            page.show_equipment(names)
    for value, setter in ((parameters, page.set_parameters), (window, page.set_window),
                          (interval, page.set_interval), (running, page.running_box.setChecked)):
        if value is not None:
            with qtbot.waitSignal(page.trendReady, timeout=60_000):
                setter(value)
    qtbot.waitUntil(lambda: not page.runner.busy, timeout=60_000)
    return page.data


# -- Equipment page -----------------------------------------------------------------------------
def test_two_snapshots_at_two_times_are_one_equipment_with_two_readings(qtbot, window, tmp_path):
    import_file(qtbot, window, snapshot(tmp_path, "monday.csv", SNAP_1, T1))
    import_file(qtbot, window, snapshot(tmp_path, "tuesday.csv", SNAP_2, T2))
    page = show_equipment(qtbot, window)
    assert page.model.rowCount() == 2                     # "pump-1 " is Pump-1
    pump = row_of(page, "Pump-1")
    assert pump["readings"] == 2
    assert pump["last_ns"] == int(pd.Timestamp(T2).value)
    assert pump["last_flowrate"] == 125
    assert "2 equipment" in page.count_label.text() and "4 readings" in page.count_label.text()
    with qtbot.waitSignal(page.loaded, timeout=10_000):   # searching narrows the registry
        page.search.setText("comp")
    assert page.model.rowCount() == 1 and page.model.row(0)["name"] == "Compressor-1"


def test_editing_status_persists_and_a_bad_date_is_refused_in_words(qtbot, make_window, tmp_path):
    window = make_window()
    import_file(qtbot, window, snapshot(tmp_path, "monday.csv", SNAP_1, T1))
    page = show_equipment(qtbot, window)
    assert page.select_name("Pump-1")
    dialog = page.edit_selected()
    assert dialog is not None and dialog.isVisible()
    dialog.installed_edit.setText("31/12/2020")
    with qtbot.waitSignal(page.editFailed, timeout=10_000) as refused:
        dialog.save()
    assert "installation_date must be a date like" in refused.args[0]
    assert dialog.isVisible() and "installation_date" in dialog.message.text()
    dialog.installed_edit.setText("2020-12-31")
    dialog.status_combo.setCurrentIndex(dialog.status_combo.findData("maintenance"))
    dialog.notes_edit.setPlainText("seal replaced")
    with qtbot.waitSignal(page.loaded, timeout=10_000):
        dialog.save()
    assert not dialog.isVisible()
    pump = row_of(page, "Pump-1")
    assert (pump["status"], pump["installation_date"], pump["notes"]) == ("maintenance", "2020-12-31", "seal replaced")
    window.close()
    again = make_window()                                    # a restart reads it from the store
    page = show_equipment(qtbot, again)
    assert row_of(page, "Pump-1")["status"] == "maintenance"


def test_open_trend_shows_the_selected_equipment_on_the_trends_page(qtbot, window, tmp_path):
    import_file(qtbot, window, snapshot(tmp_path, "monday.csv", SNAP_1, T1))
    import_file(qtbot, window, snapshot(tmp_path, "tuesday.csv", SNAP_2, T2))
    page = show_equipment(qtbot, window)
    page.select_name("Compressor-1")
    with qtbot.waitSignal(window.trends_page.trendReady, timeout=20_000):
        page.trend_button.click()
    assert window.current_page() == "trends"
    tp = window.trends_page
    qtbot.waitUntil(lambda: tp.data is not None and not tp.runner.busy, timeout=20_000)
    assert tp.picker.checked == ["Compressor-1"]
    (line,) = tp.data.series
    assert line.equipment == "Compressor-1" and line.points == 2        # two snapshots: a two-point trend
    assert line.value.tolist() == [95, 97]


def test_one_snapshot_is_drawn_inside_the_plot_not_on_its_edge(qtbot, window, tmp_path):
    """Seen in a screenshot: the only reading of one snapshot sat on the plot's left border
    (a 1 ns window). "All" now spans at least an hour around it, and the caption counts 1 reading."""
    import_file(qtbot, window, snapshot(tmp_path, "monday.csv", SNAP_1, T1))
    page = show_equipment(qtbot, window)
    page.select_name("Compressor-1")
    with qtbot.waitSignal(window.trends_page.trendReady, timeout=20_000):
        page.trend_button.click()
    tp = window.trends_page
    qtbot.waitUntil(lambda: tp.data is not None and not tp.runner.busy, timeout=20_000)
    (line,) = tp.data.series
    t = int(line.t[0])
    hour = 3_600 * 10**9
    assert tp.data.start_ns <= t - hour // 3 and t + hour // 3 <= tp.data.end_ns
    assert trend_series.describe(tp.data).startswith("1 reading in 1 line")


# -- Trends page --------------------------------------------------------------------------------
def test_window_and_interval_give_the_right_points_and_buckets(qtbot, window, tmp_path):
    path, frame = series_csv(tmp_path, offline=None)          # 3 days, every 10 minutes
    import_file(qtbot, window, path)
    window.show_page("trends")
    tp = window.trends_page
    data = trend(qtbot, tp, names=["Reactor-9"])
    assert data.series[0].points == 432 and data.series[0].drawn == 432
    data = trend(qtbot, tp, window="day")                      # the last day of data
    assert data.series[0].points == 144
    data = trend(qtbot, tp, interval="hourly")
    (line,) = data.series
    assert line.points == 24
    last_day = frame[frame.ts >= frame.ts.max() - pd.Timedelta(hours=23, minutes=50)]
    expected = last_day.groupby(last_day.ts.dt.floor("h"))["FlowRate"].agg(["mean", "min", "max"])
    assert np.allclose(line.value, expected["mean"]) and np.allclose(line.lo, expected["min"])
    assert np.allclose(line.hi, expected["max"])
    assert len(line.band_x) == 24                              # the min-max band is drawn
    data = trend(qtbot, tp, window="all", interval="daily")
    assert data.series[0].points == 3 and data.series[0].count.tolist() == [144, 144, 144]
    data = trend(qtbot, tp, parameters=["flowrate", "pressure"])
    assert [s.parameter for s in data.series] == ["flowrate", "pressure"] and data.units == ["L/min", "bar"]
    # a window dragged on the overview: its first half
    a, b = tp.overview.x_of(data.extent[0]), tp.overview.x_of(data.extent[1])
    with qtbot.waitSignal(tp.trendReady, timeout=20_000):
        tp.overview.choose(a, a + (b - a) / 2)
    qtbot.waitUntil(lambda: not tp.runner.busy)
    assert tp.window_combo.currentData() == "custom"
    assert tp.data.request.window[1] - tp.data.request.window[0] == pytest.approx(36 * 3600e9, rel=0.02)
    # the cursor names the values under it
    text = tp.plot.set_cursor(int(START.value) + 12 * 3600 * 10**9)
    assert "Reactor-9 · Flowrate (L/min)" in text and "Reactor-9 · Pressure (bar)" in text
    assert tp.cursor_label.text() == text


def test_running_only_hides_an_offline_reading(qtbot, window, tmp_path):
    path, _frame = series_csv(tmp_path, offline=200)
    import_file(qtbot, window, path)
    window.show_page("trends")
    tp = window.trends_page
    assert tp.running_box.isChecked()                         # the default
    data = trend(qtbot, tp, names=["Reactor-9"])
    assert data.series[0].points == 431 and data.series[0].value.min() > 0
    data = trend(qtbot, tp, running=False)
    assert data.series[0].points == 432 and data.series[0].value.min() == 0.0


def test_exports_write_the_points_and_the_chart(qtbot, window, tmp_path):
    path, _frame = series_csv(tmp_path, offline=None)
    import_file(qtbot, window, path)
    window.show_page("trends")
    tp = window.trends_page
    data = trend(qtbot, tp, names=["Reactor-9"], interval="hourly")
    out = tmp_path / "points.csv"
    with qtbot.waitSignal(tp.exported, timeout=20_000) as done:
        tp.export_csv(str(out))
    assert done.args == [str(out)]
    points = pd.read_csv(out)
    assert list(points.columns) == list(trend_series.CSV_COLUMNS)
    assert len(points) == data.series[0].points == 72
    assert points["timestamp"].iloc[0] == "2026-03-01T00:00:00Z"
    assert np.allclose(points["value"], data.series[0].value) and points["count"].sum() == 432
    png, svg = tmp_path / "trend.png", tmp_path / "trend.svg"
    tp.ask_path = lambda *_a: str(png)                         # what the save dialog would answer
    tp.png_button.click()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert tp.export_chart("svg", str(svg)) == str(svg) and "<svg" in svg.read_text(encoding="utf-8")


def test_a_year_of_minute_readings_is_prepared_off_the_gui_thread(qtbot, window, tmp_path, monkeypatch):
    path, _frame = series_csv(tmp_path, n=525_600, step="1min", offline=None, name="year.csv")
    import_file(qtbot, window, path, timeout=120_000)
    threads: list[threading.Thread] = []
    real = trend_series.prepare

    def watched(*args, **kw):
        threads.append(threading.current_thread())
        return real(*args, **kw)

    monkeypatch.setattr(trend_series, "prepare", watched)
    reads: list[tuple] = []
    real_load = trend_series.load
    monkeypatch.setattr(trend_series, "load", lambda *a: reads.append(a[2]) or real_load(*a))
    window.show_page("trends")
    tp = window.trends_page
    painted: list[float] = []
    tp.plot.painted.connect(painted.append)
    data = trend(qtbot, tp, names=["Reactor-9"])
    assert threads and all(t is not threading.main_thread() for t in threads)
    (line,) = data.series
    assert line.points == 525_600
    assert line.drawn <= 2 * tp.plot.plot_columns()           # the GUI thread paints a few thousand points
    qtbot.waitUntil(lambda: bool(painted), timeout=5_000)
    data = trend(qtbot, tp, window="week", interval="hourly")  # histories kept: only re-bucketed
    assert data.series[0].points == 7 * 24 and len(reads) == 1
    assert all(t is not threading.main_thread() for t in threads)


# -- reading times of snapshots ---------------------------------------------------------------------
def test_snapshot_reading_time_defaults_to_the_file_time_and_can_be_corrected(qtbot, window, tmp_path):
    ds = import_file(qtbot, window, snapshot(tmp_path, "monday.csv", SNAP_1, T1))
    ip = window.import_page
    assert ip.taken_box.isVisible()
    assert ip.taken_edit.dateTime().toPyDateTime().astimezone() == T1
    later = datetime(2026, 1, 10, 9, 30, tzinfo=timezone.utc)
    with qtbot.waitSignal(ip.readingsMoved, timeout=10_000):
        ip.change_reading_time(later)
    info = window.store.info(ds.store_id)
    assert datetime.fromisoformat(info.taken_at) == later
    hp = window.history_page
    hp.select_id(ds.store_id)
    shown = hp.model.data(hp.model.index(0, hp.model.HEADERS.index("Readings taken at")))
    assert shown == later.astimezone().strftime("%Y-%m-%d %H:%M")
    fixed = datetime(2026, 1, 9, 7, 0, tzinfo=timezone.utc)
    hp.ask_time = lambda _name, _current: fixed
    with qtbot.waitSignal(hp.changed, timeout=10_000):
        hp.time_button.click()
    assert datetime.fromisoformat(window.store.info(ds.store_id).taken_at) == fixed
    page = show_equipment(qtbot, window)
    assert row_of(page, "Pump-1")["last_ns"] == int(pd.Timestamp(fixed).value)


def test_a_time_series_keeps_its_own_times(qtbot, window, tmp_path):
    path, _frame = series_csv(tmp_path)
    ds = import_file(qtbot, window, path)
    assert not window.import_page.taken_box.isVisible()       # nothing to ask: the file has times
    hp = window.history_page
    hp.select_id(ds.store_id)
    column = hp.model.HEADERS.index("Readings taken at")
    assert hp.model.data(hp.model.index(0, column)) == "times in the file"
    hp.ask_time = lambda *_a: pytest.fail("no time to ask for a time series")
    hp.time_button.click()
    assert "time series" in hp.message.text() and "keeps the time the file gives it" in hp.message.text()
    with pytest.raises(ValueError, match="time series"):     # the store refuses it too
        Store(window.store.path).set_taken_at(ds.store_id, T1)


# -- Compare ----------------------------------------------------------------------------------------
def test_compare_equipment_side_by_side_marks_highest_and_lowest(qtbot, window, tmp_path):
    import_file(qtbot, window, snapshot(tmp_path, "monday.csv", SNAP_1, T1))
    import_file(qtbot, window, snapshot(tmp_path, "tuesday.csv", SNAP_2, T2))
    window.show_page("compare")
    cp = window.compare_page
    cp.modes.setCurrentIndex(1)
    with qtbot.waitSignal(cp.equipmentCompared, timeout=10_000):
        cp.compare_equipment(["Pump-1", "Compressor-1"])
    qtbot.waitUntil(lambda: cp.eq_model.columnCount() == 2, timeout=10_000)
    result = cp.equipment_result
    assert [e["equipment_name"] for e in result["equipment"]] == ["Pump-1", "Compressor-1"]
    assert result["comparison"]["flowrate"]["highest"]["equipment_name"] == "Pump-1"
    assert result["comparison"]["pressure"]["highest"] == {"equipment_id": result["equipment"][1]["id"],
                                                            "equipment_name": "Compressor-1", "value": 8.1}
    flow_row = 3
    assert cp.eq_model.data(cp.eq_model.index(flow_row, 0)) == "125 ▲"
    assert cp.eq_model.data(cp.eq_model.index(flow_row, 1)) == "97 ▼"
    assert "Flowrate: highest Pump-1 (125), lowest Compressor-1 (97)" in cp.eq_summary.text()


def test_core_trend_matches_the_store_history(tmp_path):
    """The Qt-free preparation the page uses, straight over a store (as the CLI and scripts can)."""
    import engine
    path, frame = series_csv(tmp_path, offline=200)
    store = Store(tmp_path / "store.sqlite3")
    store.add(engine.load(path, file_name=path.name))
    req = trend_series.TrendRequest(("reactor-9",), ("flowrate",), "all", "daily", True, 800)
    data = trend_series.prepare(None, store.path, req)
    history = registry.history(store.db, "Reactor-9")
    assert data.series[0].equipment == "Reactor-9" and data.series[0].count.sum() == len(history) == 431
    daily = history.groupby(history.timestamp.dt.floor("D"))["flowrate"].mean()
    assert np.allclose(data.series[0].value, daily.to_numpy())
    assert trend_series.points_csv(data).splitlines()[0] == ",".join(trend_series.CSV_COLUMNS)
    store.close()
