"""The first rows of a workbook sheet, as read, for choosing the header row: the header row is
bold, the rows above it (titles, skipped on import) are grey. Read-only."""
from __future__ import annotations

from typing import Any, Sequence

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PyQt5.QtGui import QBrush, QColor, QFont

GREY = QBrush(QColor(150, 150, 150))


class SheetPreviewModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: list[list[str]] = []
        self.width = 0
        self.header_row = 1          # 1-based, as the spreadsheet numbers rows

    def set_rows(self, rows: Sequence[Sequence[str]]) -> None:
        self.beginResetModel()
        self.rows = [list(r) for r in rows]
        self.width = max((len(r) for r in self.rows), default=0)
        self.endResetModel()

    def set_header_row(self, row: int) -> None:
        self.header_row = row
        if self.rows and self.width:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, self.width - 1),
                                  [Qt.FontRole, Qt.ForegroundRole])

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.width

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if role == Qt.DisplayRole:
            return str(section + 1)      # rows numbered as in the workbook; columns 1, 2, ...
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if index.column() >= len(row):
            return None
        line = index.row() + 1
        if role == Qt.DisplayRole:
            return row[index.column()]
        if role == Qt.FontRole and line == self.header_row:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ForegroundRole and line < self.header_row:
            return GREY
        return None
