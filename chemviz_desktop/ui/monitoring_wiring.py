"""Limits and alerts in the window (#16): the Alerts page as a tab, a status-bar count of
unacknowledged alerts that opens it, Settings ▸ Limits…, Data cells coloured by limit state, the
control chart and event search beside the trends. Kept out of main_window.py so the window only
calls `attach_monitoring(self)`; every hook is optional (a window without a page skips it)."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QLabel, QSplitter, QTabWidget, QWidget

from chemviz_desktop.core.monitoring import load_limits
from chemviz_desktop.ui.control_chart import ControlChart
from chemviz_desktop.ui.dialogs.limits_dialog import LimitsDialog
from chemviz_desktop.ui.event_search import EventSearchPanel
from chemviz_desktop.ui.pages.alerts_page import AlertsPage
from chemviz_desktop.ui.theme import paint


class AlertCount(QLabel):
    """'N alerts to acknowledge' in the status bar; a click opens the Alerts page."""

    def __init__(self, open_alerts: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self._open = open_alerts
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip("Alerts waiting for an acknowledgement: click to review them")
        self.show_count(0)

    def show_count(self, n: int) -> None:
        self.count = n
        self.setText(f"{n:,} alert{'s' if n != 1 else ''} to acknowledge" if n else "No alerts to acknowledge")
        self.setObjectName("Warning" if n else "Muted")
        paint(self)                       # theme colour for the new name, light or dark

    def mousePressEvent(self, event: Any) -> None:
        self._open()
        super().mousePressEvent(event)


def open_limits(window: Any, equipment: str | None = None) -> LimitsDialog:
    """The limits editor (optionally on one equipment); saving refreshes colours and alerts."""
    dialog = LimitsDialog(str(window.store.path), equipment=equipment, parent=window)
    dialog.saved.connect(lambda _n: refresh_monitoring(window, limits_changed=True))
    dialog.open()
    window.limits_dialog = dialog
    return dialog


def refresh_limit_lines(window: Any) -> None:
    """The limits changed (or the window opened): box plots get the stored type limits (a small
    table, read here) and the Trends page reads again (its limit lines come with the histories)."""
    analytics = getattr(window, "analytics_page", None)
    if analytics is not None and hasattr(analytics, "set_operating_limits"):
        analytics.set_operating_limits(load_limits(str(window.store.path)))


def refresh_monitoring(window: Any, limits_changed: bool = False) -> None:
    """After an import, a deletion, a reading-time change or new limits."""
    if limits_changed:
        refresh_limit_lines(window)
        trends = getattr(window, "trends_page", None)
        if trends is not None:
            trends.invalidate()
    data_page = getattr(window, "data_page", None)
    if data_page is not None and hasattr(data_page, "refresh_limits"):
        data_page.refresh_limits()
    page = getattr(window, "alerts_page", None)
    if page is not None:
        page.refresh()


class TrendAnalysis:
    """The control chart and event search under the trend chart, following what the trend shows
    (first equipment, first parameter, the window, running only). The control chart is computed
    only while its tab is open (a worker each time), never for a hidden panel."""

    PAD_NS = 60 * 10**9     # a zoom to an event shows a minute either side

    def __init__(self, trends: Any, store_path: str):
        self.trends = trends
        self.chart = ControlChart(store_path)
        self.events = EventSearchPanel(store_path)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chart, "Control chart (I-MR)")
        self.tabs.addTab(self.events, "Event search")
        chart_side = trends.splitter.widget(1)
        outer = trends.splitter.sizes()
        self.split = QSplitter(Qt.Vertical)
        trends.splitter.replaceWidget(1, self.split)
        self.split.addWidget(chart_side)
        chart_side.show()                 # replaceWidget hid it when it took it out
        self.split.show()
        trends.splitter.setSizes(outer if outer[1] > 0 else [220, 900])
        self.split.addWidget(self.tabs)
        self.tabs.setMinimumHeight(160)        # overrides the tabs' size hint: the user may shrink it
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 1)
        self.split.setSizes([600, 260])
        self._stale = False
        self._name: str | None = None
        trends.trendReady.connect(self.follow)
        self.tabs.currentChanged.connect(lambda _i: self._maybe_chart())
        self.split.splitterMoved.connect(lambda *_a: self._maybe_chart())
        self.events.zoomRequested.connect(self.zoom)

    def _chart_visible(self) -> bool:
        return self.tabs.currentWidget() is self.chart and self.split.sizes()[1] > 0 and self.trends.isVisible()

    def _size_once(self) -> None:
        """Give the trend 3/5 of the height the first time there is a height (at 1280x720 that
        leaves the control chart ~230 px: its title, summary and a readable chart)."""
        total = sum(self.split.sizes())
        if not getattr(self, "_sized", False) and total > 0:
            self._sized = True
            self.split.setSizes([total * 3 // 5, total - total * 3 // 5])

    def follow(self) -> None:
        self._size_once()
        data = getattr(self.trends, "data", None)
        if data is None or not data.request.names:
            return
        req = data.request
        name, parameter = req.names[0], req.parameters[0]
        window = (int(data.start_ns), int(data.end_ns))
        chart = self.chart
        chart.equipment = name
        chart.start_ns, chart.end_ns = window
        chart.running_check.blockSignals(True)
        chart.running_check.setChecked(req.running_only)
        chart.running_check.blockSignals(False)
        i = chart.parameter_combo.findData(parameter)
        if i >= 0:
            chart.parameter_combo.blockSignals(True)
            chart.parameter_combo.setCurrentIndex(i)
            chart.parameter_combo.blockSignals(False)
        self._stale = True
        self._maybe_chart()
        if name != self._name:
            self.events.set_equipment(name)
            self._name = name
        self.events.set_running_only(req.running_only)
        self.events.set_window(*window)

    def _maybe_chart(self) -> None:
        if self._stale and self._chart_visible():
            self._stale = False
            self.chart.refresh()

    def zoom(self, start_ns: int, end_ns: int) -> None:
        self.trends.set_window((int(start_ns) - self.PAD_NS, int(end_ns) + self.PAD_NS))


def attach_analysis(trends: Any, store_path: str) -> TrendAnalysis:
    return TrendAnalysis(trends, store_path)


def attach_monitoring(window: Any) -> AlertsPage:
    store_path = str(window.store.path)
    tabs: QTabWidget = window.tabs
    page = getattr(window, "alerts_page", None)
    if page is None:                      # a window that did not build the page itself
        page = window.alerts_page = AlertsPage(store_path)
        tabs.addTab(page, "Alerts")

    count = AlertCount(lambda: tabs.setCurrentWidget(page))
    window.alert_count_label = count
    window.statusBar().addPermanentWidget(count)
    page.unacknowledgedChanged.connect(count.show_count)

    data_page = getattr(window, "data_page", None)
    if data_page is not None and hasattr(data_page, "set_store_path"):
        data_page.set_store_path(store_path)

    menu = getattr(getattr(window, "settings_menu", None), "menu", None)
    if menu is not None:
        menu.addSeparator()
        action = menu.addAction("Operating &limits…")
        action.setToolTip("Lo/Hi and LoLo/HiHi per equipment type or equipment; alerts follow them")
        action.triggered.connect(lambda _checked=False: open_limits(window))
        window.limits_action = action

    for source, signal in (("history_page", "changed"), ("import_page", "imported")):
        obj = getattr(window, source, None)
        if obj is not None and hasattr(obj, signal):
            getattr(obj, signal).connect(lambda *_a: refresh_monitoring(window))

    equipment_page = getattr(window, "equipment_page", None)
    if equipment_page is not None and hasattr(equipment_page, "limitsRequested"):
        equipment_page.limitsRequested.connect(lambda name: open_limits(window, name))

    trends_page = getattr(window, "trends_page", None)
    if trends_page is not None:
        window.trend_analysis = attach_analysis(trends_page, store_path)

    refresh_limit_lines(window)
    page.refresh()
    return page
