"""Which sheet of a workbook, and which row is its header, with a preview of the first rows."""
from __future__ import annotations

from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.ui.models.preview_model import SheetPreviewModel
from chemviz_desktop.ui.widgets import styled_label
from engine.workbook import SheetPreview


class SheetDialog(QDialog):
    """The header row is shown in bold; rows above it (titles) are greyed out."""

    def __init__(self, previews: list[SheetPreview], file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Import {file_name}")
        self.previews = previews
        self.sheet_combo = QComboBox()
        for p in previews:
            self.sheet_combo.addItem(p.name if p.header_row else f"{p.name} (no header found)", p.name)
        self.header_spin = QSpinBox()
        self.header_spin.setRange(1, 1_048_576)
        self.model = SheetPreviewModel(self)
        self.preview = QTableView()
        self.preview.setModel(self.model)
        self.preview.setEditTriggers(QAbstractItemView.NoEditTriggers)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Import")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Sheet", self.sheet_combo)
        form.addRow("Header row", self.header_spin)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Choose the sheet with the readings and the row that holds the column "
                                   "names. Rows above the header are skipped.", "Muted", wrap=True))
        lay.addLayout(form)
        lay.addWidget(self.preview, 1)
        lay.addWidget(buttons)
        first = next((i for i, p in enumerate(previews) if p.header_row), 0)
        self.sheet_combo.currentIndexChanged.connect(self._sheet_changed)
        self.header_spin.valueChanged.connect(self._paint)
        self.sheet_combo.setCurrentIndex(first)
        self._sheet_changed(first)
        self.resize(760, 460)

    def _sheet_changed(self, index: int) -> None:
        p = self.previews[index]
        self.model.set_rows(p.rows)
        self.header_spin.setValue(p.header_row or 1)
        self._paint()

    def _paint(self) -> None:
        self.model.set_header_row(self.header_spin.value())

    def choice(self) -> tuple[str, int]:
        """(sheet name, header row)."""
        return self.sheet_combo.currentData(), self.header_spin.value()
