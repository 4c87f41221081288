"""Chosen equipment side by side (the seed's comparison): one column per equipment, one row per
field (type, status, last reading, the latest flowrate/pressure/temperature, readings); per
parameter the highest value is marked ▲ and the lowest ▼."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt5.QtGui import QColor, QFont

from chemviz_desktop.core.formatting import elide, fmt_value, local_time
from engine import schema

ROWS: tuple[tuple[str, str], ...] = (
    ("Type", "equipment_type"), ("Status", "status"), ("Last reading", "last_reading"),
    (f"Flowrate ({schema.UNITS[schema.FLOWRATE]})", "flowrate"),
    (f"Pressure ({schema.UNITS[schema.PRESSURE]})", "pressure"),
    (f"Temperature ({schema.UNITS[schema.TEMPERATURE]})", "temperature"), ("Readings", "readings"))
PARAMS = ("flowrate", "pressure", "temperature")
HIGH, LOW = "▲", "▼"


class EquipmentCompareModel(QAbstractTableModel):
    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.result: dict[str, Any] = {"equipment": [], "comparison": {}}
        self._bold = QFont()
        self._bold.setBold(True)

    def set_result(self, result: dict[str, Any] | None) -> None:
        self.beginResetModel()
        self.result = result or {"equipment": [], "comparison": {}}
        self.endResetModel()

    @property
    def equipment(self) -> list[dict[str, Any]]:
        return self.result["equipment"]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ROWS)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.equipment)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            return elide(str(self.equipment[section]["equipment_name"]), 80)
        return ROWS[section][0]

    def mark(self, row: int, col: int) -> str:
        """"▲" for the highest of this parameter, "▼" for the lowest, "" otherwise."""
        key = ROWS[row][1]
        if key not in PARAMS or len(self.equipment) < 2:
            return ""
        entry = self.result["comparison"].get(key) or {}
        eid = self.equipment[col]["id"]
        hi, lo = entry.get("highest"), entry.get("lowest")
        if hi and lo and hi["value"] == lo["value"]:
            return ""
        if hi and hi["equipment_id"] == eid:
            return HIGH
        if lo and lo["equipment_id"] == eid:
            return LOW
        return ""

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        key = ROWS[r][1]
        value = self.equipment[c].get(key)
        mark = self.mark(r, c)
        if role == Qt.DisplayRole:
            if value is None:
                return "–"
            if key == "last_reading":
                return local_time(str(value).replace("Z", "+00:00"))
            if key == "readings":
                return f"{int(value):,}"
            if key in PARAMS:
                return f"{fmt_value(value)} {mark}".rstrip()
            return elide(str(value))
        if role == Qt.TextAlignmentRole and (key in PARAMS or key == "readings"):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.FontRole and mark:
            return self._bold
        if role == Qt.ForegroundRole and mark:
            return QColor("#c0392b") if mark == HIGH else QColor("#1f77b4")
        if role == Qt.ToolTipRole and mark:
            return f"Highest {key} of the chosen equipment" if mark == HIGH else f"Lowest {key} of the chosen equipment"
        return None
