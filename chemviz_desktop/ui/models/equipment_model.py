"""The equipment registry (equipment.listing_frame) as a table: columns read by position through
an order array, a cell formatted only when the view asks, so a million equipment cost no more
than a hundred."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt

from chemviz_desktop.core.formatting import elide, fmt_value
from engine import schema

# (header, listing column)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Name", "name"), ("Type", "type"), ("Status", "status"), ("Last reading", "last_ns"),
    (f"Flowrate ({schema.UNITS[schema.FLOWRATE]})", "last_flowrate"),
    (f"Pressure ({schema.UNITS[schema.PRESSURE]})", "last_pressure"),
    (f"Temperature ({schema.UNITS[schema.TEMPERATURE]})", "last_temperature"),
    ("Readings", "readings"), ("First reading", "first_ns"), ("Installed", "installation_date"),
    ("Last maintenance", "last_maintenance_date"), ("Notes", "notes"))
NUMERIC = {"last_flowrate", "last_pressure", "last_temperature", "readings"}
TIMES = {"last_ns", "first_ns"}
ROW_ROLE = Qt.UserRole + 1


def local_ns(ns: int) -> str:
    """Epoch ns as local time to the second ("" when -1: no reading)."""
    if ns < 0:
        return ""
    return datetime.fromtimestamp(ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")


class EquipmentModel(QAbstractTableModel):
    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.frame = pd.DataFrame(columns=[c for _h, c in COLUMNS])
        self.order = np.zeros(0, dtype=np.int64)
        self._arrays: list[np.ndarray] = []

    def set_frame(self, frame: pd.DataFrame, order: np.ndarray | None = None) -> None:
        self.beginResetModel()
        self.frame = frame
        self._arrays = [frame[c].to_numpy() for _h, c in COLUMNS]
        self.order = np.arange(len(frame), dtype=np.int64) if order is None else order
        self.endResetModel()

    def set_order(self, order: np.ndarray) -> None:
        self.layoutAboutToBeChanged.emit()
        self.order = order
        self.layoutChanged.emit()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.order)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return COLUMNS[section][0]
        return None

    def row(self, r: int) -> dict[str, Any]:
        """One equipment's listing row as a dict."""
        i = int(self.order[r])
        return {c: self.frame[c].iat[i] for c in self.frame.columns}

    def find(self, name: str) -> int:
        """The view row of an equipment by name (case-insensitive), -1 when not listed."""
        key = name.strip().casefold()
        names = self._arrays[0] if self._arrays else []
        hits = [i for i, n in enumerate(names) if str(n).casefold() == key] if len(names) < 200_000 else \
            np.flatnonzero(pd.Series(names).str.casefold().to_numpy() == key).tolist()
        if not hits:
            return -1
        where = np.flatnonzero(self.order == hits[0])
        return int(where[0]) if len(where) else -1

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        c = index.column()
        key = COLUMNS[c][1]
        i = int(self.order[index.row()])
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            v = self._arrays[c][i]
            if key in TIMES:
                return local_ns(int(v))
            if key == "readings":
                return f"{int(v):,}"
            if key in NUMERIC:
                return "" if v is None or v != v else fmt_value(v)
            text = "" if v is None or (isinstance(v, float) and v != v) else elide(str(v))
            return text if role == Qt.DisplayRole or key == "notes" else None
        if role == Qt.TextAlignmentRole and key in NUMERIC:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == ROW_ROLE:
            return self.row(index.row())
        return None
