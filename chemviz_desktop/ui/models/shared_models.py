"""The Sync panel's tables (#19): queued shared changes, and conflicts the user lost. Rows are
read on a worker (`shared_sync.overview`); these models only present them."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtGui import QColor

from chemviz_desktop.core.formatting import local_time
from chemviz_desktop.core.store.shared import PendingOp
from chemviz_desktop.core.sync.shared_sync import op_change, op_question, op_record
from chemviz_desktop.ui.models.list_model import ListTableModel

STATE_LABEL = {"pending": "to send", "needs_decision": "needs your decision", "failed": "refused"}
STATE_COLOR = {"needs_decision": QColor("#c98a00"), "failed": QColor("#d62728")}


class OutboxModel(ListTableModel):
    """Queued changes: record, what, state, detail (the server's words or the question)."""
    HEADERS = ("Record", "Change", "State", "Detail")
    items: list[PendingOp]

    def op(self, row: int) -> PendingOp:
        return self.items[row]

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        op, c = self.items[index.row()], index.column()
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            detail = op_question(op) if op.state == "needs_decision" else op.detail
            return (op_record(op), op_change(op), STATE_LABEL.get(op.state, op.state), detail)[c]
        if role == Qt.ForegroundRole and c == 2:
            return STATE_COLOR.get(op.state)
        return None


class ConflictsModel(ListTableModel):
    """Edits of this user that another user's later edit replaced, with the server's sentence."""
    HEADERS = ("When", "Record", "Field", "What happened")
    items: list[dict[str, Any]]

    def conflict(self, row: int) -> dict[str, Any]:
        return self.items[row]

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c, col = self.items[index.row()], index.column()
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            when = local_time(c["won_at"]) if c.get("won_at") else ""
            return (when, c["name"], str(c["field"]).replace("_", " "), c["message"])[col]
        return None
