"""Limits and alerts in the real window (#16): limits set from the Equipment page colour the
Data cells and raise alerts; the status bar counts what waits for an acknowledgement and opens
the Alerts page; the control chart and event search follow the trend."""
from __future__ import annotations

from datetime import datetime, timezone

from PyQt5.QtCore import Qt

from tests.desktop.conftest import import_file, write

PLANT = """Equipment Name,Type,Flowrate,Pressure,Temperature
P-1,Pump,100,5.6,40
P-2,Pump,110,5.9,42
P-3,Pump,105,5.0,41
V-1,Valve,50,7.0,30
"""


def test_limits_from_the_equipment_page_colour_cells_and_count_alerts(qtbot, window, tmp_path):
    ds = import_file(qtbot, window, write(tmp_path, "plant.csv", PLANT))
    assert ds is not None
    assert window.tabs.tabText(window.tabs.indexOf(window.alerts_page)) == "Alerts"
    qtbot.waitUntil(lambda: window.alert_count_label.count == 0 and "No alerts" in window.alert_count_label.text())

    page = window.equipment_page
    with qtbot.waitSignal(page.loaded, timeout=20_000):
        window.show_page("equipment")
        page.refresh()
    assert page.select_name("P-1")
    with qtbot.waitSignal(window.alerts_page.unacknowledgedChanged, timeout=30_000,
                          check_params_cb=lambda n: n == 2):
        page.limits_button.click()
        dialog = window.limits_dialog
        assert dialog.equipment == "P-1"
        row = dialog.add_row(scope="type", name="Pump", parameter="pressure")
        dialog.set_cell(row, "hi", "5.5")
        dialog.set_cell(row, "hihi", "5.8")
        assert dialog.save()
    assert window.alert_count_label.text() == "2 alerts to acknowledge"

    model = window.data_page.model
    col = [model.column_name(c) for c in range(model.columnCount())].index("Pressure")
    qtbot.waitUntil(lambda: model.level(0, col) == 1, timeout=20_000)
    assert [model.level(r, col) for r in range(4)] == [1, 2, 0, 0]   # amber, red, inside, a Valve: none

    qtbot.mouseClick(window.alert_count_label, Qt.LeftButton)
    assert window.tabs.currentWidget() is window.alerts_page


def test_control_chart_and_event_search_follow_the_trend(qtbot, window, tmp_path):
    lines = ["Tag,Timestamp,Flowrate,Pressure,Temperature,Status"]
    t0 = datetime(2026, 3, 1, 10, 0, tzinfo=timezone.utc).timestamp()
    for i in range(60):
        temp = 160 if 10 <= i < 35 else 140
        stamp = datetime.fromtimestamp(t0 + 60 * i, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"R-1,{stamp},100,5,{temp},Running")
    import_file(qtbot, window, write(tmp_path, "r1.csv", "\n".join(lines) + "\n"))
    trends = window.trends_page
    analysis = window.trend_analysis
    window.show_page("trends")
    with qtbot.waitSignal(trends.trendReady, timeout=60_000):
        trends.show_equipment(["R-1"])
    with qtbot.waitSignal(trends.trendReady, timeout=60_000):
        trends.set_parameters(["temperature"])
    chart = analysis.chart
    qtbot.waitUntil(lambda: chart.data is not None and chart.data.parameter == "temperature", timeout=60_000)
    assert chart.data.equipment == "R-1" and len(chart.data.x) == 60
    events = analysis.events
    events.set_query("temperature", "above", 150, "5m")
    with qtbot.waitSignal(events.searched, timeout=30_000, check_params_cb=lambda n: n == 1):
        assert events.search()


def test_analytics_statistics_of_a_time_series_are_running_only_unless_unticked(qtbot, window, tmp_path):
    text = ("Tag,Timestamp,Flowrate,Pressure,Temperature,Status\n"
            "P-1,2026-03-01T10:00:00Z,100,5,80,Running\n"
            "P-1,2026-03-01T10:10:00Z,0,0,20,Offline\n"
            "P-1,2026-03-01T10:20:00Z,110,5,80,Running\n")
    import_file(qtbot, window, write(tmp_path, "ts.csv", text))
    page = window.analytics_page
    window.show_page("analytics")
    assert page.running_box.isVisibleTo(page) and page.running_box.isChecked()
    assert page.statistics["overall"]["avg_flowrate"] == 105.0            # the Offline 0.0 left out
    with qtbot.waitSignal(page.statisticsReady, timeout=20_000):
        page.running_box.setChecked(False)
    assert page.statistics["overall"]["avg_flowrate"] == 70.0              # (100 + 0 + 110) / 3
    snapshot = import_file(qtbot, window, write(tmp_path, "snap.csv", "Equipment Name,Type,Flowrate,Pressure,"
                                                                       "Temperature\nP-2,Pump,1,2,3\n"))
    assert snapshot is not None and not page.running_box.isVisibleTo(page)   # no Status column: no choice
