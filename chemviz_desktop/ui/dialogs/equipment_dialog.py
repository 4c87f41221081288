"""Edit one equipment's registry entry: type, status, installation and last maintenance dates,
notes. Saving goes through the page (a worker, one transaction); a refused value keeps the dialog
open with the store's words (e.g. "installation_date must be a date like 2026-03-31")."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core.equipment_service import STATUSES
from chemviz_desktop.ui.widgets import MessageBar

STATUS_LABELS = {"active": "Active (running)", "maintenance": "Maintenance", "inactive": "Inactive (offline)"}


class EquipmentDialog(QDialog):
    saveRequested = pyqtSignal(str, dict)    # name, changed fields only

    def __init__(self, row: dict[str, Any], types: list[str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.row = row
        self.name = str(row["name"])
        self.setWindowTitle(f"Edit {self.name}")
        self.type_edit = QLineEdit(str(row.get("type") or ""))
        if types:
            self.type_edit.setCompleter(QCompleter(sorted(set(types)), self))
        self.status_combo = QComboBox()
        for s in STATUSES:
            self.status_combo.addItem(STATUS_LABELS.get(s, s), s)
        self.status_combo.setCurrentIndex(max(0, self.status_combo.findData(row.get("status"))))
        self.installed_edit = QLineEdit(str(row.get("installation_date") or ""))
        self.maintained_edit = QLineEdit(str(row.get("last_maintenance_date") or ""))
        for e in (self.installed_edit, self.maintained_edit):
            e.setPlaceholderText("YYYY-MM-DD (empty: not known)")
        self.notes_edit = QPlainTextEdit(str(row.get("notes") or ""))
        self.notes_edit.setMaximumHeight(90)
        self.message = MessageBar()
        form = QFormLayout()
        form.addRow("Name", QLabel(self.name))
        form.addRow("Type", self.type_edit)
        form.addRow("Status", self.status_combo)
        form.addRow("Installed on", self.installed_edit)
        form.addRow("Last maintenance", self.maintained_edit)
        form.addRow("Notes", self.notes_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Save | QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.message)
        lay.addWidget(self.buttons)
        self.resize(420, 0)

    def values(self) -> dict[str, Any]:
        return {"type": self.type_edit.text().strip(), "status": self.status_combo.currentData(),
                "installation_date": self.installed_edit.text().strip() or None,
                "last_maintenance_date": self.maintained_edit.text().strip() or None,
                "notes": self.notes_edit.toPlainText()}

    def changes(self) -> dict[str, Any]:
        """Only the fields that differ from the registry's values."""
        def same(a: Any, b: Any) -> bool:
            return (a or "") == (b or "")
        return {k: v for k, v in self.values().items() if not same(v, self.row.get(k))}

    def save(self) -> None:
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self.buttons.setEnabled(False)
        self.message.show_message("Saving…", "info")
        self.saveRequested.emit(self.name, changes)

    def saved(self) -> None:
        self.buttons.setEnabled(True)
        self.accept()

    def refused(self, text: str) -> None:
        self.buttons.setEnabled(True)
        self.message.show_message(text, "error")
