"""The local history (store.list(), newest first) as a table, with each dataset's sync state."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtGui import QColor

from chemviz_desktop.core.store import DatasetInfo
from chemviz_desktop.core.formatting import local_time
from chemviz_desktop.ui.models.list_model import ListTableModel

__all__ = ["HistoryModel", "local_time"]

HEADERS = ("Name", "File", "Imported at", "Accepted", "Excluded", "Status", "Sync")
SYNC_LABEL = {"local": "local", "pending": "pending", "synced": "synced",
              "server-only": "server only", "failed": "failed"}
SYNC_COLOR = {"failed": QColor("#d62728"), "pending": QColor("#c98a00"), "synced": QColor("#2ca02c")}
INFO_ROLE = Qt.UserRole + 1


class HistoryModel(ListTableModel):
    HEADERS = HEADERS
    items: list[DatasetInfo]

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        info = self.items[index.row()]
        c = index.column()
        if role == Qt.DisplayRole:
            return (info.display_name, info.file_name, local_time(info.imported_at), f"{info.rows_accepted:,}",
                    f"{info.rows_excluded:,}", info.status, SYNC_LABEL.get(info.sync_state, info.sync_state))[c]
        if role == Qt.TextAlignmentRole and c in (3, 4):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ForegroundRole and c == 6:
            return SYNC_COLOR.get(info.sync_state)
        if role == Qt.ToolTipRole and c == 6:
            return info.sync_error or {"local": "Only on this computer (not signed in)",
                                       "server-only": "On the server; rows not downloaded yet"}.get(
                                           info.sync_state, info.sync_state)
        if role == INFO_ROLE:
            return info
        return None
