"""The validation report as a sortable table: severity, row, column, message (one row per issue)."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtGui import QColor

from chemviz_desktop.ui.models.list_model import ListTableModel
from engine import Issue
from engine.report import SEVERITY_ORDER

HEADERS = ("Severity", "Row", "Column", "Message")
SEVERITY_COLOR = {"error": QColor("#d62728"), "warning": QColor("#c98a00"), "info": QColor("#2f7fd0")}
ISSUE_ROLE = Qt.UserRole + 1


class ReportModel(ListTableModel):
    HEADERS = HEADERS
    items: list[Issue]

    @property
    def issues(self) -> list[Issue]:
        return self.items

    def set_issues(self, issues: list[Issue]) -> None:
        self.set_items(issues)

    def issue(self, row: int) -> Issue:
        return self.issues[row]

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        issue = self.issues[index.row()]
        c = index.column()
        if role == Qt.DisplayRole:
            return (issue.severity, "" if issue.row is None else str(issue.row),
                    issue.column or "", issue.message)[c]
        if role == Qt.ForegroundRole and c == 0:
            return SEVERITY_COLOR.get(issue.severity)
        if role == Qt.ToolTipRole:
            tip = issue.message
            return tip + ("\nDouble-click to show this row in the Data page." if issue.row is not None else "")
        if role == ISSUE_ROLE:
            return issue
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        keys = (lambda i: (SEVERITY_ORDER.get(i.severity, 9), i.row or 0),
                lambda i: (i.row is not None, i.row or 0),
                lambda i: (i.column or "", i.row or 0),
                lambda i: i.message)
        self.layoutAboutToBeChanged.emit()
        self.issues.sort(key=keys[column], reverse=order == Qt.DescendingOrder)
        self.layoutChanged.emit()
