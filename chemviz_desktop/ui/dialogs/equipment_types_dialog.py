"""Settings ▸ Equipment types: the user's own type spellings (`Centrifugal` -> Pump), saved with
the data (core/user_types) and applied to every import."""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.ui.models.rows_model import Column, editable_table
from chemviz_desktop.ui.widgets import styled_label
from engine import schema

# the target is open text: the standard types and a few common own groups are only suggestions
SUGGESTED = [(t, t) for t in list(schema.CANONICAL_TYPES) + ["Column", "Tank", "Vessel"]]
COLUMNS = [Column("Spelling in your files", "spelling"),
           Column("Read as type", "target", choices=SUGGESTED, free=True)]


class EquipmentTypesDialog(QDialog):
    def __init__(self, aliases: dict[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Equipment types")
        self.model, self.table = editable_table(COLUMNS, self)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        for spelling, target in sorted(aliases.items(), key=lambda kv: kv[0].casefold()):
            self.model.append({"spelling": spelling, "target": target})
        add = QPushButton("Add")
        remove = QPushButton("Remove")
        add.clicked.connect(lambda: self.add_row("", ""))
        remove.clicked.connect(self.remove_selected)
        delete = QAction("Remove", self.table)
        delete.setShortcut(QKeySequence.Delete)
        delete.setShortcutContext(Qt.WidgetShortcut)     # the table's own key, not while a cell is edited
        delete.triggered.connect(self.remove_selected)
        self.table.addAction(delete)
        buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(add)
        row.addWidget(remove)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Spellings your plant uses for equipment types. They apply to every import "
                                   "from now on; a type not in the standard list becomes its own group.",
                                   "Muted", wrap=True))
        lay.addWidget(self.table, 1)
        lay.addLayout(row)
        lay.addWidget(buttons)
        self.resize(520, 380)

    def add_row(self, spelling: str, target: str) -> None:
        """A new row; an empty one opens its spelling cell for typing."""
        r = self.model.append({"spelling": spelling, "target": target})
        if not spelling:
            index = self.model.index(r, 0)
            self.table.setCurrentIndex(index)
            self.table.edit(index)

    def remove_selected(self) -> None:
        self.model.remove(sorted({i.row() for i in self.table.selectionModel().selectedIndexes()}))

    def aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for row in self.model.rows():
            spelling, target = row["spelling"].strip(), row["target"].strip()
            if spelling and target:
                out[spelling] = target
        return out
