"""History: the datasets kept in the local store, newest first, with their sync state and when a
snapshot's readings were taken. Open, rename, correct the reading time, delete (confirmed), pin,
upload again, and how many to keep (a setting stored in the
store, so the CLI obeys it too). `refresh()` is the hook the sync layer calls."""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QShortcut,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import equipment_service
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.store import ELSEWHERE, FAILED, KEEP_ALL, MAX_KEEP, REMOVED, DatasetInfo, Store, StoreError
from chemviz_desktop.ui.models.history_model import INFO_ROLE, HistoryModel
from chemviz_desktop.ui.reading_time import ReadingTimeDialog, chosen_time
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner


class Remote(Protocol):
    """What the sync layer plugs into History (`page.remote`); without it the page is local-only."""

    def can_fetch(self, info: DatasetInfo) -> bool: ...
    def fetch(self, info: DatasetInfo) -> None: ...
    def delete(self, info: DatasetInfo) -> bool:
        """Handle the delete (asking about the server); False leaves it to the local flow."""


class HistoryPage(QWidget):
    openRequested = pyqtSignal(int)     # dataset id
    deleted = pyqtSignal(int)           # dataset id
    keepChanged = pyqtSignal(int)
    changed = pyqtSignal()              # the list was reloaded
    requeued = pyqtSignal(int)          # dataset id put back in the outbox ("Upload again")

    def __init__(self, store: Store, keep: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.remote: Remote | None = None
        title = styled_label("Local history", "PageTitle")
        hint = styled_label("Datasets are kept on this computer, with their cleaned rows, report and "
                            "statistics; reopening needs no original file.", "Muted", wrap=True)
        self.model = HistoryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        fm = self.table.fontMetrics()
        samples = ("M" * 16, "M" * 14, "2026-12-31 23:59", "times in the file", "1,000,000", "1,000,000",
                   "server only")
        for c, sample in enumerate(samples):
            header = str(self.model.headerData(c, Qt.Horizontal))
            self.table.setColumnWidth(c, max(fm.horizontalAdvance(sample), fm.horizontalAdvance(header)) + 24)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.doubleClicked.connect(lambda _i: self.open_selected())
        for key, slot in ((QKeySequence.Delete, self.delete_selected), (Qt.Key_F2, self.rename_selected),
                          (Qt.Key_Return, self.open_selected)):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.WidgetShortcut)
            shortcut.activated.connect(slot)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        self.open_button = QPushButton("Open")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.pin_button = QPushButton("Pin")
        self.pin_button.setToolTip("A pinned dataset is never removed by the history limit.")
        self.time_button = QPushButton("Reading time…")
        self.time_button.setToolTip("Correct when a snapshot's readings were taken (its equipment history moves)")
        self.time_button.clicked.connect(self.change_reading_time)
        self.time_runner = TaskRunner(self)
        self.time_runner.result.connect(self._time_changed)
        self.time_runner.error.connect(self._time_failed)
        self.upload_button = QPushButton("Upload again")
        self.upload_button.setToolTip("Send a dataset the server no longer has (or refused) again.")
        self.pin_button.clicked.connect(self.toggle_pin)
        self.upload_button.clicked.connect(self.requeue_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.keep_spin = QSpinBox()
        self.keep_spin.setRange(KEEP_ALL, MAX_KEEP)
        self.keep_spin.setSpecialValueText("all")
        self.keep_spin.setValue(store.keep if keep is None else keep)
        self.keep_spin.setToolTip("Older datasets are removed when a new one is imported: only ones "
                                  "the server also has, never pinned ones or the only copy of a dataset.")
        self.keep_spin.valueChanged.connect(self._keep_changed)
        self.message = MessageBar()

        buttons = QHBoxLayout()
        for b in (self.open_button, self.rename_button, self.time_button, self.delete_button, self.pin_button,
                  self.upload_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(QLabel("Keep the last"))
        buttons.addWidget(self.keep_spin)
        buttons.addWidget(QLabel("datasets"))
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(hint)
        lay.addLayout(buttons)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        self.refresh()
        notice = store.take_notice()      # e.g. a damaged settings file: said once
        if notice:
            self.message.show_message(notice, "warning")

    # -- hooks --------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the list from the store, keeping the selection when possible."""
        selected = self.selected()
        try:
            self.model.series = equipment_service.time_series_ids(self.store.db)
        except Exception:  # noqa: BLE001 -- only the "Readings taken at" wording depends on it
            self.model.series = set()
        self.model.set_items(self.store.list())
        if selected is not None:
            self.select_id(selected.id)
        self._update_buttons()
        self.changed.emit()

    def confirm(self, question: str) -> bool:
        """Ask yes/no (tests replace this)."""
        return QMessageBox.question(self, "ChemViz", question,
                                    QMessageBox.Yes | QMessageBox.No, QMessageBox.No) == QMessageBox.Yes

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        """Ask for a line of text (tests replace this)."""
        value, ok = QInputDialog.getText(self, title, label, text=text)
        return value if ok else None

    def ask_time(self, name: str, current: str) -> datetime | None:
        """Ask when a snapshot's readings were taken (tests replace this)."""
        dialog = ReadingTimeDialog(name, current, self)
        return chosen_time(dialog.edit) if dialog.exec_() == ReadingTimeDialog.Accepted else None

    # -- selection ----------------------------------------------------------------------------
    def selected(self) -> DatasetInfo | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.data(rows[0], INFO_ROLE) if rows else None

    def select_id(self, dataset_id: int) -> bool:
        for r, info in enumerate(self.model.items):
            if info.id == dataset_id:
                self.table.selectRow(r)
                return True
        return False

    def _update_buttons(self) -> None:
        info = self.selected()
        self.open_button.setEnabled(info is not None and (info.has_rows or self._fetchable(info)))
        self.rename_button.setEnabled(info is not None)
        self.time_button.setEnabled(info is not None and info.has_rows and not self.time_runner.busy)
        self.delete_button.setEnabled(info is not None)
        self.pin_button.setEnabled(info is not None)
        self.pin_button.setText("Unpin" if info is not None and info.pinned else "Pin")
        self.upload_button.setEnabled(info is not None and info.has_rows and info.sync_state in (REMOVED, FAILED))

    def _fetchable(self, info: DatasetInfo) -> bool:
        return not info.has_rows and self.remote is not None and self.remote.can_fetch(info)

    # -- actions ------------------------------------------------------------------------------
    def _current(self) -> DatasetInfo | None:
        """The selected dataset as the store has it now; None (and the list refreshed, with a
        message) when another window or command removed it meanwhile."""
        info = self.selected()
        if info is None:
            return None
        try:
            now = self.store.info(info.id)
        except StoreError as exc:
            self.message.show_message(describe(exc), "error")
            return None
        if now is None:
            self.refresh()
            self.message.show_message(f"'{info.display_name}' is no longer in the local history (removed by "
                                      "another ChemViz window or command); the list has been refreshed.",
                                      "warning")
        return now

    def open_selected(self) -> None:
        info = self._current()
        if info is None:
            return
        if self._fetchable(info):
            self.message.show_message(f"Downloading '{info.display_name}' from the server…", "info")
            self.remote.fetch(info)
            return
        if not info.has_rows:
            self.message.show_message(f"'{info.display_name}' is on the server only; sign in to download it.",
                                      "warning")
            return
        self.openRequested.emit(info.id)

    def rename_selected(self) -> None:
        info = self.selected()
        if info is None:
            return
        name = self.ask_text("Rename dataset", "New name:", info.display_name)
        if name and name.strip():
            self.store.rename(info.id, name.strip())
            self.refresh()

    def change_reading_time(self) -> None:
        """Correct a snapshot's reading time (in a worker: its readings are recorded again). A
        time series keeps its own times: the store's words say so."""
        info = self._current()
        if info is None:
            return
        if info.id in self.model.series:
            self.message.show_message(f"'{info.display_name}' is a time series: each reading keeps the time "
                                      "the file gives it.", "warning")
            return
        when = self.ask_time(info.display_name, info.taken_at)
        if when is None:
            return
        self.message.show_message(f"Moving the readings of '{info.display_name}'…", "info")
        self.time_runner.start(equipment_service.set_reading_time, str(self.store.path), info.id, when)
        self._update_buttons()

    def _time_changed(self, when: datetime) -> None:
        self.refresh()
        self.message.show_message(f"Readings now recorded at {when.astimezone().strftime('%Y-%m-%d %H:%M:%S')}.",
                                  "info")

    def _time_failed(self, exc: BaseException) -> None:
        self._update_buttons()
        text = str(exc) if isinstance(exc, ValueError) else describe(exc, doing="changing the reading time")
        self.message.show_message(f"Reading time not changed: {text}", "error")

    def delete_selected(self) -> None:
        info = self.selected()
        if info is None or (self.remote is not None and self.remote.delete(info)):
            return
        only = "" if info.sync_state in ELSEWHERE else "\nIt exists only on this computer."
        if not self.confirm(f"Delete '{info.display_name}' from the local history?{only}\nThis cannot be undone."):
            return
        self.delete_local(info, f"Deleted '{info.display_name}'.")

    def delete_local(self, info: DatasetInfo, message: str) -> None:
        self.store.delete(info.id)
        self.table.clearSelection()
        self.refresh()
        self.message.show_message(message, "info")
        self.deleted.emit(info.id)

    def toggle_pin(self) -> None:
        info = self._current()
        if info is None:
            return
        self.store.set_pinned(info.id, not info.pinned)
        self.refresh()

    def requeue_selected(self) -> None:
        """Put a dataset the server lost (or refused) back in the outbox; the next sync sends it."""
        info = self._current()
        if info is None or not info.has_rows:
            return
        self.store.enqueue(info.uuid)
        self.refresh()
        self.message.show_message(f"'{info.display_name}' will be uploaded at the next sync.", "info")
        self.requeued.emit(info.id)

    def _keep_changed(self, value: int) -> None:
        """Saved in the store (the CLI obeys it too). Shrinking never deletes on the spot (a spin
        box is too easy to nudge): the store trims at the next import, and only datasets the
        server also has -- never pinned ones or the only copy of a dataset."""
        try:
            self.store.set_keep(value)
        except StoreError as exc:
            self.message.show_message(describe(exc), "error")
            return
        self.keepChanged.emit(value)
        if value == KEEP_ALL or value >= len(self.model.items):
            self.message.clear_message()
        else:
            self.message.show_message(
                f"Only the newest {value} datasets will be kept from the next import on (never pinned "
                "ones, or ones that exist only on this computer).", "info")
