"""Settings ▸ Equipment types: the user's own type spellings (`Centrifugal` -> Pump), saved with
the data (core/user_types) and applied to every import."""
from __future__ import annotations

from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.ui.widgets import styled_label
from engine import schema


class EquipmentTypesDialog(QDialog):
    def __init__(self, aliases: dict[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Equipment types")
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Spelling in your files", "Read as type"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        for spelling, target in sorted(aliases.items(), key=lambda kv: kv[0].casefold()):
            self.add_row(spelling, target)
        add = QPushButton("Add")
        remove = QPushButton("Remove")
        add.clicked.connect(lambda: self.add_row("", ""))
        remove.clicked.connect(self.remove_selected)
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
        r = self.table.rowCount()
        self.table.insertRow(r)
        self.table.setItem(r, 0, QTableWidgetItem(spelling))
        combo = QComboBox()
        combo.setEditable(True)
        combo.addItems(list(schema.CANONICAL_TYPES) + ["Column", "Tank", "Vessel"])
        combo.setCurrentText(target)
        self.table.setCellWidget(r, 1, combo)
        if not spelling:
            self.table.setCurrentCell(r, 0)
            self.table.editItem(self.table.item(r, 0))

    def remove_selected(self) -> None:
        for r in sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(r)

    def aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for r in range(self.table.rowCount()):
            item = self.table.item(r, 0)
            combo = self.table.cellWidget(r, 1)
            spelling = item.text().strip() if item else ""
            target = combo.currentText().strip() if isinstance(combo, QComboBox) else ""
            if spelling and target:
                out[spelling] = target
        return out
