"""Alerts (#16): the excursions of stored readings beyond the operating limits, filtered by
ISA-18.2 state (or active / unacknowledged / all), level, parameter, equipment (search) and time
window; select one or many and acknowledge them with a comment (user, time, comment are kept);
export the filtered alerts as CSV or XLSX. Listings are read in a worker (each task opens its own
Store on `store_path`); `unacknowledgedChanged` carries the store's count for the status bar."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
from PyQt5.QtCore import QDateTime, QItemSelection, QItemSelectionModel, QTimer, pyqtSignal
from PyQt5.QtGui import QFont, QFontMetrics
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import monitoring
from chemviz_desktop.core.alerts_export import write_alerts
from chemviz_desktop.core.errors import describe
from chemviz_desktop.ui.models.alerts_model import COLUMNS, AlertsModel
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner

STATES: list[tuple[str, str]] = [("All alerts", "all"), ("Active", "active"), ("Unacknowledged", "unacked"),
                                 ("Active · unacknowledged", "active-unacknowledged"),
                                 ("Active · acknowledged", "active-acknowledged"),
                                 ("Cleared · unacknowledged", "cleared-unacknowledged"),
                                 ("Cleared · acknowledged", "cleared-acknowledged")]
LEVELS: list[tuple[str, str]] = [("Any level", ""), ("HiHi", "hihi"), ("Hi", "hi"), ("Lo", "lo"), ("LoLo", "lolo")]
PARAMETERS: list[tuple[str, str]] = [("Any parameter", ""), ("Flowrate", "flowrate"), ("Pressure", "pressure"),
                                     ("Temperature", "temperature")]
WINDOWS: list[tuple[str, timedelta | None]] = [("All time", None), ("Last 24 hours", timedelta(days=1)),
                                               ("Last 7 days", timedelta(days=7)), ("Last 30 days", timedelta(days=30)),
                                               ("Custom…", None)]
CUSTOM = len(WINDOWS) - 1


def _ns(dt: QDateTime) -> int:
    return int(dt.toMSecsSinceEpoch()) * 1_000_000


class AcknowledgeDialog(QDialog):
    """Who acknowledges (the OS user by default) and a comment, for `count` alerts."""

    def __init__(self, count: int, user: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Acknowledge alerts")
        self.user_edit = QLineEdit(user)
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setPlaceholderText("What was done or checked (kept with the alert)")
        self.comment_edit.setTabChangesFocus(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText(f"Acknowledge {count} alert{'s' if count != 1 else ''}")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.user_edit.textChanged.connect(self._check)
        form = QFormLayout()
        form.addRow("User:", self.user_edit)
        form.addRow("Comment:", self.comment_edit)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"Acknowledge {count} selected alert{'s' if count != 1 else ''}. An alert already "
                             "acknowledged keeps its first acknowledgement."))
        lay.addLayout(form)
        lay.addWidget(self.buttons)
        self._check()

    def _check(self) -> None:
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(bool(self.user_edit.text().strip()))

    def values(self) -> tuple[str, str]:
        """(user, comment)"""
        return self.user_edit.text().strip(), self.comment_edit.toPlainText().strip()


class AlertsPage(QWidget):
    """The Alerts page. Public: `refresh()`, `set_filters(...)`, `set_window(start_ns, end_ns)`,
    `selected_ids()`, `select_ids(ids)`, `acknowledge_selected()` (dialog), `acknowledge(ids,
    comment, user)`, `export(path)`."""

    unacknowledgedChanged = pyqtSignal(int)   # alerts in the store waiting for an acknowledgement
    loaded = pyqtSignal(int)                  # a listing is on screen: rows shown
    acknowledged = pyqtSignal(list)           # ids acknowledged now
    exported = pyqtSignal(str)                # path written ("" on failure)

    def __init__(self, store_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = str(store_path)
        self.unacknowledged: int | None = None
        self.ack_dialog: AcknowledgeDialog | None = None
        self._keep_selection: list[int] = []
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._loaded)
        self.runner.error.connect(lambda exc: self._failed(exc, "reading the alerts"))
        self.ack_runner = TaskRunner(self)
        self.ack_runner.result.connect(self._acknowledged)
        self.ack_runner.error.connect(self._write_failed)
        self.export_runner = TaskRunner(self)
        self.export_runner.result.connect(self._exported)
        self.export_runner.error.connect(self._export_failed)

        self.state_combo = QComboBox()
        for label, key in STATES:
            self.state_combo.addItem(label, key)
        self.level_combo = QComboBox()
        for label, key in LEVELS:
            self.level_combo.addItem(label, key)
        self.parameter_combo = QComboBox()
        for label, key in PARAMETERS:
            self.parameter_combo.addItem(label, key)
        self.equipment_edit = QLineEdit()
        self.equipment_edit.setPlaceholderText("Search equipment…")
        self.equipment_edit.setClearButtonEnabled(True)
        self.window_combo = QComboBox()
        for label, _span in WINDOWS:
            self.window_combo.addItem(label)
        now = QDateTime.currentDateTime()
        self.from_edit = QDateTimeEdit(now.addDays(-7))
        self.to_edit = QDateTimeEdit(now)
        for edit in (self.from_edit, self.to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setVisible(False)
            edit.dateTimeChanged.connect(lambda _d: self._timer.start())
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.refresh)
        self.equipment_edit.textChanged.connect(lambda _t: self._timer.start())
        for combo in (self.state_combo, self.level_combo, self.parameter_combo):
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.window_combo.currentIndexChanged.connect(self._window_changed)

        self.ack_button = QPushButton("Acknowledge…")
        self.ack_button.setToolTip("Acknowledge the selected alerts with a comment")
        self.ack_button.clicked.connect(self.acknowledge_selected)
        self.export_button = QPushButton("Export…")
        self.export_button.setToolTip("Save the alerts shown (this filter) as CSV or Excel")
        self.export_button.clicked.connect(self._export_clicked)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.count_label = styled_label("", "Muted")

        filters = QHBoxLayout()
        for w in (QLabel("State:"), self.state_combo, QLabel("Level:"), self.level_combo, self.parameter_combo):
            filters.addWidget(w)
        filters.addWidget(self.equipment_edit, 1)
        for w in (QLabel("Time:"), self.window_combo, self.from_edit, self.to_edit):
            filters.addWidget(w)
        actions = QHBoxLayout()
        actions.addWidget(self.count_label, 1)
        for b in (self.ack_button, self.export_button, self.refresh_button):
            actions.addWidget(b)

        self.model = AlertsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.table.doubleClicked.connect(lambda _i: self.acknowledge_selected())
        bold = QFont(self.table.font())
        bold.setBold(True)                     # unacknowledged rows are bold: size for them
        fm = QFontMetrics(bold)
        widths = {"state": "Cleared · unacknowledged", "start": "2026-01-01 00:00:00", "end": "2026-01-01 00:00:00",
                  "acknowledged_at": "2026-01-01 00:00:00", "equipment": "M" * 10, "parameter": "Temperature (°C)"}
        for c, (header, key) in enumerate(COLUMNS):
            self.table.setColumnWidth(c, max(fm.horizontalAdvance(widths.get(key, header)) + 24, 60))
        self.message = MessageBar()

        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Alerts", "PageTitle"))
        lay.addLayout(filters)
        lay.addWidget(self.message)
        lay.addLayout(actions)
        lay.addWidget(self.table, 1)
        self._update_buttons()

    # -- filters --------------------------------------------------------------------------------
    def set_filters(self, state: str | None = None, level: str | None = None, equipment: str | None = None,
                    parameter: str | None = None) -> None:
        """Programmatic filters (keys as in alerts.STATE_FILTERS, level lolo|lo|hi|hihi or "",
        parameter or ""); one refresh."""
        for combo, value in ((self.state_combo, state), (self.level_combo, level),
                             (self.parameter_combo, parameter)):
            if value is not None:
                i = combo.findData(value)
                if i < 0:
                    raise ValueError(f"unknown filter value {value!r}")
                combo.blockSignals(True)
                combo.setCurrentIndex(i)
                combo.blockSignals(False)
        if equipment is not None:
            self.equipment_edit.blockSignals(True)
            self.equipment_edit.setText(equipment)
            self.equipment_edit.blockSignals(False)
        self.refresh()

    def set_window(self, start_ns: int | None, end_ns: int | None) -> None:
        """A custom time window (alerts overlapping it); both None = all time."""
        self.window_combo.blockSignals(True)
        if start_ns is None and end_ns is None:
            self.window_combo.setCurrentIndex(0)
        else:
            self.window_combo.setCurrentIndex(CUSTOM)
            for edit, ns in ((self.from_edit, start_ns), (self.to_edit, end_ns)):
                if ns is not None:
                    edit.blockSignals(True)
                    edit.setDateTime(QDateTime.fromMSecsSinceEpoch(int(ns) // 1_000_000))
                    edit.blockSignals(False)
        self.window_combo.blockSignals(False)
        self._show_custom()
        self.refresh()

    def _window_changed(self, _i: int) -> None:
        self._show_custom()
        self.refresh()

    def _show_custom(self) -> None:
        custom = self.window_combo.currentIndex() == CUSTOM
        self.from_edit.setVisible(custom)
        self.to_edit.setVisible(custom)

    def window(self) -> tuple[int | None, int | None]:
        """The chosen time window as (start_ns, end_ns), None for an open end."""
        i = self.window_combo.currentIndex()
        if i == CUSTOM:
            return _ns(self.from_edit.dateTime()), _ns(self.to_edit.dateTime())
        span = WINDOWS[i][1]
        if span is None:
            return None, None
        now = datetime.now(timezone.utc)
        return int(pd.Timestamp(now - span).value), None

    # -- listing --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the alerts again with the current filters (in a worker)."""
        self._timer.stop()
        start_ns, end_ns = self.window()
        if self.runner.current is None:
            self._keep_selection = self.selected_ids()
        self.count_label.setText("Reading alerts…")
        self.runner.start(_load, self.store_path, self.state_combo.currentData(), self.equipment_edit.text(),
                          self.level_combo.currentData() or None, self.parameter_combo.currentData() or None,
                          start_ns, end_ns)

    def _loaded(self, listing: monitoring.AlertListing) -> None:
        keep = self._keep_selection
        self.model.set_frame(listing.frame)
        shown = self.model.rowCount()
        waiting = int((~listing.frame["state"].str.endswith("-acknowledged")).sum()) if shown else 0
        self.count_label.setText(f"{shown:,} alert{'s' if shown != 1 else ''}"
                                 + (f" · {waiting:,} unacknowledged" if waiting else "")
                                 + f"  (store: {listing.unacknowledged:,} unacknowledged)")
        if keep:
            self.select_ids(keep)
        self._update_buttons()
        if listing.unacknowledged != self.unacknowledged:
            self.unacknowledged = listing.unacknowledged
            self.unacknowledgedChanged.emit(listing.unacknowledged)
        self.loaded.emit(shown)

    def _failed(self, exc: BaseException, doing: str) -> None:
        self.count_label.setText("")
        self.message.show_message(f"Could not finish {doing}: {describe(exc, doing=doing)}", "error")

    # -- selection ------------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.alert_id(r) for r in rows]

    def select_ids(self, ids: list[int]) -> None:
        selection = QItemSelection()
        for alert_id in ids:
            r = self.model.row_of(int(alert_id))
            if r >= 0:
                selection.select(self.model.index(r, 0), self.model.index(r, self.model.columnCount() - 1))
        self.table.selectionModel().select(selection, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ids = self.selected_ids()
        waiting = [i for i in ids if self.model.state(self.model.row_of(i)).endswith("-unacknowledged")]
        self.ack_button.setEnabled(bool(waiting))
        self.ack_button.setText(f"Acknowledge {len(waiting)}…" if len(waiting) > 1 else "Acknowledge…")
        self.export_button.setEnabled(self.model.rowCount() > 0)

    # -- acknowledge ----------------------------------------------------------------------------
    def acknowledge_selected(self) -> AcknowledgeDialog | None:
        """Open the acknowledgement dialog for the selected unacknowledged alerts (non-modal
        `open()`; its OK acknowledges them)."""
        ids = [i for i in self.selected_ids() if self.model.state(self.model.row_of(i)).endswith("-unacknowledged")]
        if not ids:
            self.message.show_message("Select one or more unacknowledged alerts first.", "info")
            return None
        dialog = AcknowledgeDialog(len(ids), monitoring.os_user(), self)
        dialog.accepted.connect(lambda: self.acknowledge(ids, dialog.values()[1], dialog.values()[0]))
        self.ack_dialog = dialog
        dialog.open()
        return dialog

    def acknowledge(self, ids: list[int], comment: str, user: str | None = None) -> None:
        """Acknowledge these alerts (in a worker); the listing and the count follow."""
        who = (user if user is not None else monitoring.os_user()).strip()
        if not who:
            self.message.show_message("Give a user name to acknowledge alerts.", "warning")
            return
        self.ack_button.setEnabled(False)
        self.ack_runner.start(monitoring.acknowledge, self.store_path, list(ids), who, comment)

    def _acknowledged(self, done: list[int]) -> None:
        n = len(done)
        self.message.show_message(f"Acknowledged {n} alert{'s' if n != 1 else ''}." if n
                                  else "Those alerts were already acknowledged.", "info")
        self._keep_selection = []
        self.acknowledged.emit(list(done))
        self.refresh()

    def _write_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        self.message.show_message(describe(exc, doing="saving"), "error")

    # -- export ---------------------------------------------------------------------------------
    def _export_clicked(self) -> None:
        path, _f = QFileDialog.getSaveFileName(self, "Export alerts", "alerts.csv",
                                               "CSV (*.csv);;Excel workbook (*.xlsx)")
        if path:
            self.export(path)

    def export(self, path: str) -> None:
        """Write the alerts shown (the current filter) as CSV or XLSX (by suffix), in a worker."""
        frame = self.model.frame.copy()
        self.export_runner.start(_write, frame, path)

    def _export_failed(self, exc: BaseException) -> None:
        self.message.show_message(f"Could not save the alerts: {describe(exc, doing='saving')}", "error")
        self.exported.emit("")

    def _exported(self, path: str) -> None:
        self.message.show_message(f"Saved {len(self.model.frame):,} alerts to {path}", "info")
        self.exported.emit(path)

    def closeEvent(self, event: Any) -> None:
        for runner in (self.runner, self.ack_runner, self.export_runner):
            runner.cancel()
        super().closeEvent(event)


def _load(state: Any, store_path: str, state_filter: str, equipment: str, level: str | None,
          parameter: str | None, start_ns: int | None, end_ns: int | None) -> monitoring.AlertListing:
    return monitoring.load_alerts(state, store_path, state_filter, equipment=equipment, level=level,
                                  parameter=parameter, start_ns=start_ns, end_ns=end_ns)


def _write(_state: Any, frame: pd.DataFrame, path: str) -> str:
    return str(write_alerts(frame, path))
