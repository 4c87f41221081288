"""Small editable tables of text rows (the limits editor, the equipment-type spellings): the rows
are dicts of text by column key, the view is a QTableView. A column with choices is edited in a
combo box (ChoiceDelegate) and shows the choice's words; fixed choices store their value, open
ones (`free=True`) store whatever the user typed."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from PyQt5.QtCore import QAbstractItemModel, QAbstractTableModel, QModelIndex, QObject, Qt
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    choices: Sequence[tuple[str, str]] = ()     # (value, words shown); empty: a text cell
    free: bool = False                          # choices are suggestions, any text is kept
    align_right: bool = False
    default: str = field(default="")

    def words(self, value: str) -> str:
        return next((w for v, w in self.choices if v == value), value) if not self.free else value


class RowsModel(QAbstractTableModel):
    """Every cell is editable text; `rows()` is a copy of the table, `cell`/`set_cell` by key."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None):
        super().__init__(parent)
        self.columns = list(columns)
        self.keys = [c.key for c in self.columns]
        self._rows: list[dict[str, str]] = []

    # -- the Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.columns[section].header
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsEditable

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        col = self.columns[index.column()]
        value = self._rows[index.row()].get(col.key, "")
        if role == Qt.DisplayRole:
            return col.words(value)
        if role in (Qt.EditRole, Qt.UserRole):
            return value
        if role == Qt.TextAlignmentRole and col.align_right:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.EditRole) -> bool:
        if not index.isValid() or role != Qt.EditRole:
            return False
        col = self.columns[index.column()]
        text = "" if value is None else str(value)
        if col.choices and not col.free and text not in {v for v, _w in col.choices}:
            return False
        row = self._rows[index.row()]
        if row.get(col.key, "") == text:
            return True
        row[col.key] = text
        self.dataChanged.emit(index, index, [Qt.DisplayRole, Qt.EditRole])
        return True

    # -- rows by key ----------------------------------------------------------------------------
    def append(self, values: dict[str, str]) -> int:
        """A new row at the end (missing keys take the column's default); returns its number."""
        r = len(self._rows)
        self.beginInsertRows(QModelIndex(), r, r)
        self._rows.append({c.key: str(values.get(c.key, c.default)) for c in self.columns})
        self.endInsertRows()
        return r

    def remove(self, rows: Sequence[int]) -> None:
        for r in sorted(set(rows), reverse=True):
            if 0 <= r < len(self._rows):
                self.beginRemoveRows(QModelIndex(), r, r)
                del self._rows[r]
                self.endRemoveRows()

    def cell(self, row: int, key: str) -> str:
        return self._rows[row].get(key, "")

    def set_cell(self, row: int, key: str, text: str) -> None:
        """As if typed: a fixed-choice column refuses a value it does not offer (ValueError)."""
        col = self.columns[self.keys.index(key)]
        if not self.setData(self.index(row, self.keys.index(key)), text):
            raise ValueError(f"{key} must be one of {', '.join(v for v, _w in col.choices)}")

    def rows(self) -> list[dict[str, str]]:
        return [dict(r) for r in self._rows]


class ChoiceDelegate(QStyledItemDelegate):
    """A combo box editor for the model's choice columns (plain line edit for the others). A
    choice picked from the list is committed at once, as a cell widget's combo was."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None):
        super().__init__(parent)
        self.columns = list(columns)

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: QModelIndex) -> QWidget:
        col = self.columns[index.column()]
        if not col.choices:
            return super().createEditor(parent, option, index)
        combo = QComboBox(parent)
        combo.setEditable(col.free)
        for value, words in col.choices:
            combo.addItem(words, value)
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: QModelIndex) -> None:
        if not isinstance(editor, QComboBox):
            super().setEditorData(editor, index)
            return
        value = str(index.data(Qt.EditRole) or "")
        i = editor.findData(value)
        if i >= 0:
            editor.setCurrentIndex(i)
        elif editor.isEditable():
            editor.setCurrentText(value)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: QModelIndex) -> None:
        if not isinstance(editor, QComboBox):
            super().setModelData(editor, model, index)
            return
        if editor.isEditable():
            model.setData(index, editor.currentText().strip(), Qt.EditRole)
        else:
            model.setData(index, editor.currentData(), Qt.EditRole)


def editable_table(columns: Sequence[Column], parent: QObject | None = None) -> tuple[RowsModel, QTableView]:
    """A RowsModel and the view the editing dialogs show it in: rows selected whole, choice
    cells edited with their delegate, edits started by double-click, F2 or typing."""
    model = RowsModel(columns, parent)
    view = QTableView()
    view.setModel(model)
    view.setItemDelegate(ChoiceDelegate(columns, view))
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setEditTriggers(QAbstractItemView.DoubleClicked | QAbstractItemView.SelectedClicked
                         | QAbstractItemView.EditKeyPressed | QAbstractItemView.AnyKeyPressed)
    view.verticalHeader().setVisible(False)
    return model, view
