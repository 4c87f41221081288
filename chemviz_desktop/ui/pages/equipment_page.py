"""Equipment: the registry of every equipment seen in imports (name, type, status, last reading
time and values, number of readings), searchable; edit type/status/dates/notes; open the trend of
the selected ones. The listing (it can be a million rows) and every sort and save run in workers."""
from __future__ import annotations

from typing import Any

import pandas as pd
from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableView, QVBoxLayout, QWidget

from chemviz_desktop.core import equipment_service
from chemviz_desktop.core.errors import describe
from chemviz_desktop.ui.dialogs.equipment_dialog import EquipmentDialog
from chemviz_desktop.ui.models.equipment_model import COLUMNS, EquipmentModel
from chemviz_desktop.ui.table_actions import install
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner


def error_words(exc: BaseException, doing: str) -> str:
    """A refused edit reads as the store's own sentence; anything else through `describe`."""
    if isinstance(exc, (equipment_service.EquipmentError, ValueError)):
        return str(exc)
    return describe(exc, doing=doing)


class EquipmentPage(QWidget):
    loaded = pyqtSignal()                 # the listing is on screen
    edited = pyqtSignal(str)              # equipment name, after a saved edit
    editFailed = pyqtSignal(str)          # the words shown
    trendRequested = pyqtSignal(list)     # names
    limitsRequested = pyqtSignal(str)     # equipment name: open the limits editor on it

    def __init__(self, store_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = str(store_path)
        self.dialog: EquipmentDialog | None = None
        self._stale = True
        self._reselect: str | None = None
        self.closed = False
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._listed)
        self.runner.error.connect(lambda exc: self.message.show_message(
            f"Could not list equipment: {describe(exc, doing='listing equipment')}", "error"))
        self.sort_runner = TaskRunner(self)
        self.sort_runner.result.connect(lambda order: self.model.set_order(order))
        self.save_runner = TaskRunner(self)
        self.save_runner.result.connect(self._saved)
        self.save_runner.error.connect(self._save_failed)
        self._sort: tuple[int, bool] | None = None

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by name…")
        self.search.setClearButtonEnabled(True)
        self._timer = QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Type, status, installation and maintenance dates, notes (or double-click)")
        self.trend_button = QPushButton("Open trend")
        self.trend_button.setToolTip("Show the selected equipment on the Trends page")
        self.refresh_button = QPushButton("Refresh")
        self.edit_button.clicked.connect(self.edit_selected)
        self.trend_button.clicked.connect(self.open_trend)
        self.limits_button = QPushButton("Limits…")
        self.limits_button.setToolTip("Operating limits (Lo/Hi, LoLo/HiHi) of the selected equipment and its type")
        self.limits_button.clicked.connect(self.open_limits)
        self.refresh_button.clicked.connect(self.refresh)
        self.count_label = QLabel("")
        self.count_label.setObjectName("Muted")
        self.message = MessageBar()

        self.model = EquipmentModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        install(self.table)
        fm = self.table.fontMetrics()
        samples = ("Heat-Exchanger-001", "HeatExchanger", "maintenance", "2026-12-31 23:59:59", "1,000.00",
                   "100.00", "1,000.00", "1,000,000", "2026-12-31 23:59:59", "2026-12-31", "2026-12-31", "notes")
        for c, sample in enumerate(samples):
            self.table.setColumnWidth(c, max(fm.horizontalAdvance(sample), fm.horizontalAdvance(COLUMNS[c][0])) + 24)
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.sectionClicked.connect(self._header_clicked)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        for b in (self.edit_button, self.trend_button, self.limits_button, self.refresh_button):
            bar.addWidget(b)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Equipment", "PageTitle"))
        lay.addWidget(styled_label("Every equipment seen in your imports, with its latest reading. Values are "
                                   "the last reading's; a snapshot's readings are at the time it was taken.",
                                   "Muted", wrap=True))
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count_label)
        self._update_buttons()

    # -- loading --------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def invalidate(self) -> None:
        """The store changed: reload now if shown, else when next shown."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def shutdown(self) -> None:
        """The window is closing: stop timers and start nothing new."""
        self.closed = True
        self._timer.stop()
        for runner in (self.runner, self.sort_runner, self.save_runner):
            runner.cancel()

    def refresh(self) -> None:
        if self.closed:
            return
        self._stale = False
        self.count_label.setText("Loading…")
        self.runner.start(equipment_service.listing, self.store_path, self.search.text())

    def _listed(self, frame: pd.DataFrame) -> None:
        keep = self._reselect or (self.selected_names()[0] if self.selected_names() else None)
        self._reselect = None
        self.model.set_frame(frame)
        if self._sort is not None:
            self._start_sort()
        n = len(frame)
        total = int(frame["readings"].sum()) if n else 0
        what = f"{n:,} equipment" + (f" matching '{self.search.text().strip()}'" if self.search.text().strip() else "")
        self.count_label.setText(f"{what} · {total:,} readings")
        if not n and not self.search.text().strip():
            self.message.show_message("No equipment yet: import a file and its equipment appear here.", "info")
        elif self.message.text().startswith("No equipment yet"):
            self.message.clear_message()
        if keep:
            self.select_name(keep)
        self._update_buttons()
        self.loaded.emit()

    def _header_clicked(self, section: int) -> None:
        ascending = not (self._sort is not None and self._sort[0] == section and self._sort[1])
        self._sort = (section, ascending)
        self.table.horizontalHeader().setSortIndicator(section, Qt.AscendingOrder if ascending else Qt.DescendingOrder)
        self._start_sort()

    def _start_sort(self) -> None:
        if self._sort is None or not len(self.model.frame):
            return
        section, ascending = self._sort
        self.sort_runner.start(equipment_service.sort_order, self.model.frame, COLUMNS[section][1], ascending)

    # -- selection ------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.table.selectionModel().selectedRows())

    def selected_names(self) -> list[str]:
        return [str(self.model.row(r)["name"]) for r in self.selected_rows()]

    def select_name(self, name: str) -> bool:
        r = self.model.find(name)
        if r < 0:
            return False
        self.table.selectRow(r)
        self.table.scrollTo(self.model.index(r, 0))
        return True

    def _update_buttons(self) -> None:
        rows = self.selected_rows()
        self.edit_button.setEnabled(len(rows) == 1)
        self.trend_button.setEnabled(bool(rows))
        self.limits_button.setEnabled(len(rows) == 1)

    # -- actions --------------------------------------------------------------------------------
    def open_trend(self) -> None:
        names = self.selected_names()
        if names:
            self.trendRequested.emit(names)

    def open_limits(self) -> None:
        names = self.selected_names()
        if len(names) == 1:
            self.limitsRequested.emit(names[0])

    def edit_selected(self) -> EquipmentDialog | None:
        """Open the edit dialog for the selected equipment (window-modal, not blocking)."""
        rows = self.selected_rows()
        if len(rows) != 1:
            return None
        row = self.model.row(rows[0])
        types = sorted({str(t) for t in self.model.frame["type"].unique()[:5000]}) if len(self.model.frame) else []
        self.dialog = EquipmentDialog(row, types, self)
        self.dialog.saveRequested.connect(self.save)
        self.dialog.open()
        return self.dialog

    def save(self, name: str, changes: dict[str, Any]) -> None:
        """Apply an edit in a worker (one transaction); the words of a refusal are shown."""
        self._reselect = name
        self.save_runner.start(equipment_service.save_edit, self.store_path, name, changes)

    def _saved(self, name: str) -> None:
        if self.dialog is not None:
            self.dialog.saved()
        self.message.show_message(f"Saved {name}.", "info")
        self._reselect = name
        self.refresh()
        self.edited.emit(name)

    def _save_failed(self, exc: BaseException) -> None:
        text = error_words(exc, "saving an equipment edit")
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.refused(text)
        else:
            self.message.show_message(f"Not saved: {text}", "error")
        self.editFailed.emit(text)


__all__ = ["EquipmentPage"]
