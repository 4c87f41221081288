"""Event search (#16): "parameter above/below X for at least D" over one equipment's history,
with the same start/end semantics as alerts (`engine.excursions`): an event starts at the first
reading beyond X and ends at the first reading back inside; one still beyond at the last reading
has no end yet. Results list start, end, duration and peak (a table model: thousands of events
cost only the rows shown); picking one asks the host to zoom to it (`zoomRequested(start_ns,
end_ns)`); export as CSV/XLSX. The search runs in a worker. A
standalone widget: `set_equipment(name)`, `set_window(start_ns, end_ns)`, `set_query(...)`."""
from __future__ import annotations

from typing import Any

import pandas as pd
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtGui import QDoubleValidator
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import monitoring
from chemviz_desktop.core.alerts_export import write_events
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.monitoring import EventResult
from chemviz_desktop.ui.models.alerts_model import duration_text
from chemviz_desktop.ui.models.events_model import EventsModel
from chemviz_desktop.ui.widgets import MessageBar, styled_label
from chemviz_desktop.ui.workers import TaskRunner
from engine.excursions import parse_duration

PARAMETERS = ("flowrate", "pressure", "temperature")
HEADERS = EventsModel.HEADERS


class EventSearchPanel(QWidget):
    """Public: `set_equipment(name)`, `set_window(start_ns, end_ns)`, `set_running_only(b)`,
    `set_query(parameter, side, threshold, min_duration)`, `search()`, `export(path)`, `result`
    (the last EventResult). Signals: `searched(int)` (events found; -1 when the query is wrong),
    `zoomRequested(start_ns, end_ns)`, `exported(str)` (path, "" on failure)."""

    searched = pyqtSignal(int)
    zoomRequested = pyqtSignal("qint64", "qint64")
    exported = pyqtSignal(str)

    def __init__(self, store_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = str(store_path)
        self.equipment: str | None = None
        self.start_ns: int | None = None
        self.end_ns: int | None = None
        self.result: EventResult | None = None
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._found)
        self.runner.error.connect(self._failed)
        self.export_runner = TaskRunner(self)
        self.export_runner.result.connect(self._exported)
        self.export_runner.error.connect(self._export_failed)

        self.parameter_combo = QComboBox()
        for p in PARAMETERS:
            self.parameter_combo.addItem(monitoring.parameter_label(p), p)
        self.side_combo = QComboBox()
        self.side_combo.addItem("above", "above")
        self.side_combo.addItem("below", "below")
        self.threshold_edit = QLineEdit()
        self.threshold_edit.setPlaceholderText("value")
        self.threshold_edit.setValidator(QDoubleValidator())
        self.threshold_edit.setMaximumWidth(90)
        self.duration_edit = QLineEdit("5m")
        self.duration_edit.setToolTip("At least this long: 90s, 5m, 2h, 1d (0 = any)")
        self.duration_edit.setMaximumWidth(70)
        self.running_check = QCheckBox("Running only")
        self.running_check.setChecked(True)
        self.search_button = QPushButton("Search")
        self.search_button.setDefault(True)
        self.search_button.clicked.connect(self.search)
        self.threshold_edit.returnPressed.connect(self.search)
        self.duration_edit.returnPressed.connect(self.search)
        self.export_button = QPushButton("Export…")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self._export_clicked)
        self.summary = styled_label("Choose an equipment", "Muted", wrap=True)
        self.message = MessageBar()

        self.model = EventsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.table.setToolTip("Click an event to zoom the trend to it")
        self.table.clicked.connect(lambda index: self.zoom_to(index.row()))
        self.table.activated.connect(lambda index: self.zoom_to(index.row()))

        query = QHBoxLayout()
        for w in (self.parameter_combo, self.side_combo, self.threshold_edit, QLabel("for at least"),
                  self.duration_edit):
            query.addWidget(w)
        query.addStretch(1)
        query.addWidget(self.running_check)
        query.addWidget(self.search_button)
        query.addWidget(self.export_button)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Event search", "PageTitle"))
        lay.addLayout(query)
        lay.addWidget(self.message)
        lay.addWidget(self.summary)
        lay.addWidget(self.table, 1)

    # -- inputs ---------------------------------------------------------------------------------
    def set_equipment(self, name: str | None) -> None:
        """Search this equipment's history (results of another equipment are cleared)."""
        self.equipment = name or None
        self._show(None)
        self.summary.setText(f"Search {self.equipment}'s readings" if self.equipment else "Choose an equipment")

    def set_window(self, start_ns: int | None, end_ns: int | None) -> None:
        """Search readings in [start_ns, end_ns) (None: open end); a shown result is searched again."""
        self.start_ns, self.end_ns = start_ns, end_ns
        if self.result is not None:
            self.search()

    def set_running_only(self, running_only: bool) -> None:
        self.running_check.setChecked(running_only)

    def set_query(self, parameter: str, side: str, threshold: float, min_duration: str = "0") -> None:
        """Fill the query boxes (then `search()`)."""
        for combo, value in ((self.parameter_combo, parameter), (self.side_combo, side)):
            i = combo.findData(value)
            if i < 0:
                raise ValueError(f"unknown value {value!r}")
            combo.setCurrentIndex(i)
        self.threshold_edit.setText(f"{threshold:g}")
        self.duration_edit.setText(str(min_duration))

    def search(self) -> bool:
        """Run the search (in a worker); False (message shown, `searched(-1)`) when the query is
        incomplete or wrong."""
        problem = None
        try:
            threshold = float(self.threshold_edit.text().replace(",", "."))
        except ValueError:
            problem, threshold = "Type the value to search above or below.", 0.0
        try:
            min_s = parse_duration(self.duration_edit.text() or "0")
        except ValueError as exc:
            problem, min_s = str(exc)[:1].upper() + str(exc)[1:], 0.0
        if not self.equipment:
            problem = "Choose an equipment first."
        if problem:
            self.message.show_message(problem, "warning")
            self.searched.emit(-1)
            return False
        self.message.clear_message()
        self.summary.setText("Searching…")
        self.runner.start(monitoring.find_events, self.store_path, self.equipment,
                          str(self.parameter_combo.currentData()), str(self.side_combo.currentData()), threshold,
                          min_s, self.start_ns, self.end_ns, self.running_check.isChecked())
        return True

    # -- results --------------------------------------------------------------------------------
    def _found(self, result: EventResult) -> None:
        self._show(result)
        self.searched.emit(len(result.events))

    def _failed(self, exc: BaseException) -> None:
        self._show(None)
        self.message.show_message(describe(exc, doing="searching the readings"), "warning")
        self.searched.emit(-1)

    def _show(self, result: EventResult | None) -> None:
        self.result = result
        self.model.set_items(result.events if result is not None else [])
        self.export_button.setEnabled(bool(result and result.events))
        if result is None:
            return
        minimum = f" for at least {duration_text(result.min_duration_s)}" if result.min_duration_s else ""
        n = len(result.events)
        self.summary.setText(f"{result.equipment}: {n} event{'s' if n != 1 else ''} with "
                             f"{monitoring.parameter_label(result.parameter)} {result.side} {result.threshold:g}"
                             f"{minimum} ({result.readings:,} readings searched)")

    def rows(self) -> list[tuple[str, ...]]:
        """The results as shown (start, end, duration, peak)."""
        return [tuple(self.model.text(r, c) for c in range(len(HEADERS))) for r in range(self.model.rowCount())]

    def zoom_to(self, row: int) -> None:
        """Ask the host to zoom to event `row` (its start to its end, or to its last reading)."""
        if self.result is None or not 0 <= row < len(self.result.events):
            return
        e = self.result.events[row]
        end = e.end if e.end is not None else e.last
        self.zoomRequested.emit(int(pd.Timestamp(e.start).value), int(pd.Timestamp(end).value))

    # -- export ---------------------------------------------------------------------------------
    def _export_clicked(self) -> None:
        path, _f = QFileDialog.getSaveFileName(self, "Export events", "events.csv",
                                               "CSV (*.csv);;Excel workbook (*.xlsx)")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Write the events found as CSV or XLSX (by suffix), in a worker."""
        result = self.result
        if result is None:
            self.exported.emit("")
            return
        self.export_runner.start(_write, result, path)

    def _exported(self, path: str) -> None:
        self.message.show_message(f"Saved the events to {path}", "info")
        self.exported.emit(path)

    def _export_failed(self, exc: BaseException) -> None:
        self.message.show_message(f"Could not save the events: {describe(exc, doing='saving')}", "error")
        self.exported.emit("")

    def closeEvent(self, event: Any) -> None:
        self.runner.cancel()
        self.export_runner.cancel()
        super().closeEvent(event)


def _write(_state: Any, result: EventResult, path: str) -> str:
    return str(write_events(result.events, path, result.equipment, result.parameter, result.condition))
