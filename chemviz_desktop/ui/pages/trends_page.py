"""Trends: one or more equipment and parameters on a shared time axis (a y axis per unit), a time
window (last hour/day/week/all, or a drag on the overview), an interval (raw, or hourly/daily/
weekly means with a min-max band), "running only", a cursor with values, and exports (PNG, SVG,
the points as CSV). Histories are read, bucketed and decimated in a worker
(core.trend_series.prepare); the GUI thread only paints a few thousand points."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import trend_series
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.trend_series import (
    INTERVAL_LABELS,
    LABELS,
    PARAMETERS,
    UNITS,
    WINDOW_LABELS,
    Loaded,
    TrendData,
    TrendRequest,
)
from chemviz_desktop.ui import theme
from chemviz_desktop.ui.equipment_picker import EquipmentPicker
from chemviz_desktop.ui.trend_overview import OverviewStrip
from chemviz_desktop.ui.trend_plot import TrendPlot, render_image, write_svg
from chemviz_desktop.ui.widgets import MessageBar, styled_label
from chemviz_desktop.ui.workers import TaskRunner

CUSTOM = "custom"
EXPORT_SIZE = (1200, 600)


class TrendsPage(QWidget):
    trendReady = pyqtSignal()          # new data is on screen
    exported = pyqtSignal(str)         # path written ("" on failure)

    def __init__(self, store_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = str(store_path)
        self.data: TrendData | None = None
        self._loaded: Loaded | None = None
        self._custom: tuple[int, int] | None = None
        self._asked: TrendRequest | None = None
        self.closed = False
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._ready)
        self.runner.error.connect(self._failed)
        self.runner.progress.connect(lambda _f, m: self.info.setText(m))
        self.export_runner = TaskRunner(self)
        self.export_runner.result.connect(self._exported)
        self.export_runner.error.connect(lambda exc: self._export_failed(describe(exc, doing="exporting points")))
        # Replaceable (tests): where to save an export.
        self.ask_path = self._ask_path

        self.picker = EquipmentPicker(self.store_path)
        self.picker.selectionChanged.connect(lambda _names: self.request())
        self.param_boxes: dict[str, QCheckBox] = {}
        params = QVBoxLayout()
        params.addWidget(QLabel("Parameters:"))
        for p in PARAMETERS:
            box = QCheckBox(f"{LABELS[p]} ({UNITS[p]})")
            box.setChecked(p == "flowrate")
            box.toggled.connect(lambda _on: self.request())
            self.param_boxes[p] = box
            params.addWidget(box)
        side = QWidget()
        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(QLabel("Equipment:"))
        sl.addWidget(self.picker, 1)
        sl.addLayout(params)

        self.window_combo = QComboBox()
        for key, label in WINDOW_LABELS.items():
            self.window_combo.addItem(label, key)
        self.window_combo.setCurrentIndex(self.window_combo.findData("all"))
        self.window_combo.setToolTip("Last hour/day/week end at the latest reading shown; drag on the overview "
                                     "below the chart for any other window")
        self.window_combo.currentIndexChanged.connect(self._window_changed)
        self.interval_combo = QComboBox()
        for key, label in INTERVAL_LABELS.items():
            self.interval_combo.addItem(label, key)
        self.interval_combo.setToolTip("Raw readings, or the mean per hour/day/week with the min–max band")
        self.interval_combo.currentIndexChanged.connect(lambda _i: self.request())
        self.running_box = QCheckBox("Running only")
        self.running_box.setChecked(True)
        self.running_box.setToolTip("Leave out readings taken while the equipment was in maintenance or offline "
                                    "(an offline 0.0 is not a flow of zero)")
        self.running_box.toggled.connect(lambda _on: self.request())
        self.png_button = QPushButton("PNG…")
        self.svg_button = QPushButton("SVG…")
        self.csv_button = QPushButton("Points CSV…")
        self.png_button.clicked.connect(lambda: self.export_chart("png"))
        self.svg_button.clicked.connect(lambda: self.export_chart("svg"))
        self.csv_button.clicked.connect(self.export_csv)
        bar = QHBoxLayout()
        for label, w in (("Window:", self.window_combo), ("Interval:", self.interval_combo)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.running_box)
        bar.addStretch(1)
        bar.addWidget(QLabel("Export:"))
        for b in (self.png_button, self.svg_button, self.csv_button):
            bar.addWidget(b)

        self.plot = TrendPlot()
        self.plot.cursorMoved.connect(self._cursor_text)
        self.overview = OverviewStrip()
        self.overview.windowChosen.connect(lambda a, b: self.set_window((a, b)))
        self.overview.allRequested.connect(lambda: self.set_window("all"))
        self.info = styled_label("", "Muted")
        self.cursor_label = styled_label("Move the mouse over the chart to read values.", "Muted")
        self.cursor_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.message = MessageBar()
        chart = QWidget()
        cl = QVBoxLayout(chart)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addLayout(bar)
        cl.addWidget(self.message)
        cl.addWidget(self.plot, 1)
        cl.addWidget(self.overview)
        cl.addWidget(self.info)
        cl.addWidget(self.cursor_label)

        self.splitter = QSplitter(Qt.Horizontal)
        self.splitter.addWidget(side)
        self.splitter.addWidget(chart)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 900])
        self.splitter.setChildrenCollapsible(False)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Trends", "PageTitle"))
        lay.addWidget(self.splitter, 1)
        self._resize_timer = QTimer(self, singleShot=True, interval=200)
        self._resize_timer.timeout.connect(self._maybe_redecimate)
        self.plot.resized.connect(self._resize_timer.start)   # (no event filter: none runs during teardown)
        self._update_buttons()
        self.picker.refresh()

    # -- inputs ---------------------------------------------------------------------------------
    def parameters(self) -> tuple[str, ...]:
        return tuple(p for p, b in self.param_boxes.items() if b.isChecked())

    def set_parameters(self, parameters: list[str]) -> None:
        for p, box in self.param_boxes.items():
            box.blockSignals(True)
            box.setChecked(p in parameters)
            box.blockSignals(False)
        self.request()

    def show_equipment(self, names: list[str]) -> None:
        """Show these equipment (from the Equipment page's "Open trend")."""
        self.picker.set_checked(names)

    def set_window(self, window: Any) -> None:
        """"hour"/"day"/"week"/"all", or a (start_ns, end_ns) pair (an overview drag)."""
        if isinstance(window, str):
            self._custom = None
            self._select_window(window)
        else:
            self._custom = (int(window[0]), int(window[1]))
            if self.window_combo.findData(CUSTOM) < 0:
                self.window_combo.addItem("Chosen on the overview", CUSTOM)
            self._select_window(CUSTOM)
        self.request()

    def _select_window(self, key: str) -> None:
        self.window_combo.blockSignals(True)
        self.window_combo.setCurrentIndex(self.window_combo.findData(key))
        self.window_combo.blockSignals(False)

    def _window_changed(self, _i: int) -> None:
        if self.window_combo.currentData() != CUSTOM:
            self._custom = None
        self.request()

    def set_interval(self, interval: str) -> None:
        self.interval_combo.setCurrentIndex(self.interval_combo.findData(interval))

    def invalidate(self) -> None:
        """The store changed (import, delete, edit): read histories again."""
        self._loaded = None
        self.picker.refresh()
        if self.picker.checked:
            self.request()

    def current_request(self) -> TrendRequest:
        key = self.window_combo.currentData()
        window: Any = self._custom if key == CUSTOM and self._custom else (key if key != CUSTOM else "all")
        return TrendRequest(tuple(self.picker.checked), self.parameters(), window,
                            self.interval_combo.currentData(), self.running_box.isChecked(),
                            self.plot.plot_columns())

    def shutdown(self) -> None:
        """The window is closing: stop timers and start nothing new."""
        self.closed = True
        self._resize_timer.stop()
        self.picker.shutdown()
        self.runner.cancel()
        self.export_runner.cancel()

    def request(self) -> None:
        """Prepare the trend for the current choices in a worker."""
        if self.closed:
            return
        req = self.current_request()
        self._asked = req
        if not req.names or not req.parameters:
            self.runner.cancel()
            self.data = None
            why = "Tick one or more equipment on the left." if not req.names else "Tick a parameter."
            self.plot.set_data(None, why)
            self.overview.set_data(None)
            self.info.setText("")
            self._update_buttons()
            self.trendReady.emit()
            return
        self.info.setText("Preparing the trend…")
        # `trend_series.prepare` looked up at call time (tests wrap it to see which thread runs it)
        self.runner.start(trend_series.prepare, self.store_path, req, self._loaded)

    # -- results --------------------------------------------------------------------------------
    def _ready(self, data: TrendData) -> None:
        self.data = data
        self._loaded = data.loaded
        self.message.clear_message()
        if data.missing:
            self.message.show_message(f"Not in the local store any more: {', '.join(data.missing)}.", "warning")
        colors = theme.chart_colors()
        self.plot.colors = self.overview.colors = colors
        empty = "No readings in this window" + (" while running (untick 'Running only' to see all)."
                                                 if data.request.running_only else ".")
        self.plot.set_data(data, empty)
        self.overview.set_data(data)
        self.info.setText(trend_series.describe(data))
        self._update_buttons()
        self.trendReady.emit()

    def _failed(self, exc: BaseException) -> None:
        self.message.show_message(f"Trend failed: {describe(exc, doing='preparing a trend')}", "error")
        self.info.setText("")
        self.trendReady.emit()

    def _cursor_text(self, text: str) -> None:
        self.cursor_label.setText(text or "Move the mouse over the chart to read values.")

    def redraw(self) -> None:
        """Theme change: same data, new colours."""
        self.plot.colors = self.overview.colors = theme.chart_colors()
        self.plot.update()
        self.overview.update()

    def _maybe_redecimate(self) -> None:
        """Much wider than the points were decimated for: prepare again (histories are kept)."""
        if self.data is None:
            return
        cols, had = self.plot.plot_columns(), self.data.request.columns
        if cols > had * 1.25 or cols < had * 0.5:
            self.request()

    def _update_buttons(self) -> None:
        has = self.data is not None and not self.data.empty
        for b in (self.png_button, self.svg_button, self.csv_button):
            b.setEnabled(has)

    # -- export ---------------------------------------------------------------------------------
    def _ask_path(self, title: str, name: str, filt: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, name, filt)
        return path

    def _default_name(self, ext: str) -> str:
        names = "_".join(s.equipment for s in (self.data.series if self.data else []))[:60] or "trend"
        return f"trend_{names}.{ext}".replace("/", "-").replace(" ", "_")

    def export_chart(self, kind: str, path: str | None = None) -> str:
        """PNG or SVG of the chart as shown (the same drawing code, light colours)."""
        if self.data is None:
            return ""
        if path is None:
            filt = "PNG images (*.png)" if kind == "png" else "SVG images (*.svg)"
            path = self.ask_path(f"Export the trend as {kind.upper()}", self._default_name(kind), filt)
        if not path:
            return ""
        if not path.lower().endswith("." + kind):
            path += "." + kind
        w, h = EXPORT_SIZE
        if kind == "svg":
            write_svg(self.data, path, w, h)
            ok = Path(path).is_file()
        else:
            ok = render_image(self.data, w, h).save(path, "PNG")
        if not ok:
            self._export_failed(f"could not write {path} (is the folder writable?)")
            return ""
        self.message.show_message(f"Saved {Path(path).name}.", "info")
        self.exported.emit(path)
        return path

    def export_csv(self, path: str | None = None) -> None:
        """The points of every line in the window (the buckets, not the decimated drawing) in a worker."""
        if self.data is None:
            return
        if path is None:
            path = self.ask_path("Export the trend points as CSV", self._default_name("csv"), "CSV files (*.csv)")
        if not path:
            return
        if not path.lower().endswith(".csv"):
            path += ".csv"
        self.message.show_message("Writing the points…", "info")
        self.export_runner.start(trend_series.write_points_csv, self.data, path)

    def _exported(self, path: str) -> None:
        self.message.show_message(f"Saved {Path(path).name}.", "info")
        self.exported.emit(path)

    def _export_failed(self, text: str) -> None:
        self.message.show_message(f"Export failed: {text}", "error")
        self.exported.emit("")


__all__ = ["TrendsPage"]
