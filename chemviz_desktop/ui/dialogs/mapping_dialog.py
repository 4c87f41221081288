"""Column mapping: when the required columns are not recognised, the user picks the file's column
for each field, and the unit of the numeric ones, instead of meeting a dead end."""
from __future__ import annotations

from PyQt5.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from chemviz_desktop.ui.widgets import styled_label
from engine import schema
from engine.columns import map_columns
from engine.units import known_units, split_header

FROM_HEADER = "as in the header"


class MappingDialog(QDialog):
    def __init__(self, headers: list[str], file_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Match the columns of {file_name}")
        self.headers = headers
        guess = map_columns(headers).canonical
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Field</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Column in the file</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Unit</b>"), 0, 2)
        self.column_combos: dict[str, QComboBox] = {}
        self.unit_combos: dict[str, QComboBox] = {}
        for r, column in enumerate(schema.REQUIRED_COLUMNS, start=1):
            combo = QComboBox()
            combo.addItem("— choose —", None)
            for h in headers:
                combo.addItem(h, h)
            if column in guess:
                combo.setCurrentIndex(guess[column] + 1)
            combo.currentIndexChanged.connect(self._check)
            grid.addWidget(QLabel(column), r, 0)
            grid.addWidget(combo, r, 1)
            self.column_combos[column] = combo
            if column in schema.NUMERIC_COLUMNS:
                unit = QComboBox()
                unit.addItem(FROM_HEADER, "")
                for label in known_units(column):
                    unit.addItem(label, label)
                grid.addWidget(unit, r, 2)
                self.unit_combos[column] = unit
                combo.currentIndexChanged.connect(lambda _i, c=column: self._unit_from_header(c))
                self._unit_from_header(column)
        self.remember = QCheckBox("Remember this for files with the same header")
        self.remember.setChecked(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        self.buttons.button(QDialogButtonBox.Ok).setText("Import with these columns")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.problem = styled_label("", "Muted", wrap=True)
        lay = QVBoxLayout(self)
        lay.addWidget(styled_label("Some required columns were not recognised. Pick the column that holds "
                                   "each field; without a unit in the header, flowrate is L/min, pressure bar "
                                   "and temperature °C.", "Muted", wrap=True))
        lay.addLayout(grid)
        lay.addWidget(self.remember)
        lay.addWidget(self.problem)
        lay.addWidget(self.buttons)
        self._check()

    def _unit_from_header(self, column: str) -> None:
        header = self.column_combos[column].currentData()
        unit_text = split_header(header)[1] if header else None
        combo = self.unit_combos[column]
        combo.setItemText(0, f"{FROM_HEADER} ({unit_text})" if unit_text else FROM_HEADER)

    def _check(self) -> None:
        chosen = [c.currentData() for c in self.column_combos.values()]
        missing = [col for col, c in self.column_combos.items() if c.currentData() is None]
        twice = {h for h in chosen if h is not None and chosen.count(h) > 1}
        text = ""
        if missing:
            text = "Still to choose: " + ", ".join(missing) + "."
        elif twice:
            text = "One column is chosen for two fields: " + ", ".join(f"'{h}'" for h in twice) + "."
        self.problem.setText(text)
        self.buttons.button(QDialogButtonBox.Ok).setEnabled(not text)

    def mapping(self) -> dict[str, str]:
        return {col: c.currentData() for col, c in self.column_combos.items() if c.currentData() is not None}

    def units(self) -> dict[str, str]:
        return {col: c.currentData() for col, c in self.unit_combos.items() if c.currentData()}
