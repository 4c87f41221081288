"""The local history (store.list(), newest first) as a table, with each dataset's sync state."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtGui import QColor

from chemviz_desktop.core.formatting import local_time
from chemviz_desktop.core.store import DatasetInfo
from chemviz_desktop.ui.models.list_model import ListTableModel

__all__ = ["HistoryModel", "local_time"]

# (The store's per-dataset "status" is always "completed" on this side: not shown.)
HEADERS = ("Name", "File", "Imported at", "Readings taken at", "Accepted", "Excluded", "Sync")
TAKEN_COLUMN = HEADERS.index("Readings taken at")
IN_FILE = "times in the file"
SYNC_COLUMN = HEADERS.index("Sync")
SYNC_LABEL = {"local": "local", "pending": "pending", "synced": "synced",
              "server-only": "server only", "failed": "failed",
              "removed": "local only — removed from the server"}
SYNC_COLOR = {"failed": QColor("#d62728"), "pending": QColor("#c98a00"), "synced": QColor("#2ca02c"),
              "removed": QColor("#d62728")}
SYNC_TIP = {"local": "Only on this computer (not signed in)",
            "server-only": "On the server; rows not downloaded yet",
            "removed": "The server no longer has this dataset: the copy here is the only one. "
                       "Select it and press 'Upload again' to send it back."}
PIN = "\N{BLACK STAR} "
INFO_ROLE = Qt.UserRole + 1


class HistoryModel(ListTableModel):
    HEADERS = HEADERS
    items: list[DatasetInfo]
    series: set[int] = set()    # ids of time-series datasets (each reading has its own time)

    def taken_text(self, info: DatasetInfo) -> str:
        if info.id in self.series:
            return IN_FILE
        return local_time(info.taken_at) if info.taken_at else ""

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.items[index.row()]
        c = index.column()
        if role == Qt.DisplayRole:
            return ((PIN if info.pinned else "") + info.display_name, info.file_name, local_time(info.imported_at),
                    self.taken_text(info), f"{info.rows_accepted:,}",
                    f"{info.rows_excluded:,}", SYNC_LABEL.get(info.sync_state, info.sync_state))[c]
        if role == Qt.TextAlignmentRole and c in (4, 5):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and c == SYNC_COLUMN:
            return SYNC_COLOR.get(info.sync_state)
        if role == Qt.ToolTipRole and c == SYNC_COLUMN:
            return SYNC_TIP.get(info.sync_state) if info.sync_state == "removed" else (
                info.sync_error or SYNC_TIP.get(info.sync_state, info.sync_state))
        if role == Qt.ToolTipRole and c == TAKEN_COLUMN:
            return ("A time series: each reading keeps the time the file gives it" if info.id in self.series else
                    "When this snapshot's readings were taken (select it and press 'Reading time…' to correct)")
        if role == Qt.ToolTipRole and c == 0 and info.pinned:
            return "Pinned: never removed by the history limit"
        if role == INFO_ROLE:
            return info
        return None
