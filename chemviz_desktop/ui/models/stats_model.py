"""Per-type statistics (engine output) as a read-only table; numbers formatted, units in headers."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt

from chemviz_desktop.core.formatting import fmt, outlier_total
from chemviz_desktop.ui.models.list_model import ListTableModel
from engine import schema

__all__ = ["StatsModel", "fmt", "outlier_total"]

MEASURES = ("avg", "min", "max", "std")


def stat_columns() -> list[tuple[str, str | None]]:
    """(header, key) pairs: Type, Count, avg/min/max/std per parameter, outliers."""
    cols: list[tuple[str, str | None]] = [("Type", None), ("Count", "count")]
    for column, key in schema.STAT_KEY.items():
        unit = schema.UNITS[column]
        for m in MEASURES:
            cols.append((f"{m.capitalize()} {column.lower()} ({unit})", f"{m}_{key}"))
    cols.append(("Outliers (IQR)", "outliers"))
    return cols


class StatsModel(ListTableModel):
    columns = stat_columns()
    HEADERS = [header for header, _key in columns]
    items: list[tuple[str, dict[str, Any]]]

    @property
    def rows(self) -> list[tuple[str, dict[str, Any]]]:
        return self.items

    def set_statistics(self, stats: dict[str, Any] | None) -> None:
        self.set_items((stats or {}).get("by_type", {}).items())

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        name, entry = self.rows[index.row()]
        key = self.columns[index.column()][1]
        if role == Qt.DisplayRole:
            if key is None:
                return name
            if key == "outliers":
                return f"{outlier_total(entry):,}"
            return fmt(entry.get(key))
        if role == Qt.TextAlignmentRole and key is not None:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole and key == "outliers":
            parts = [f"{k}: {v['count']}" for k, v in entry.get("outliers", {}).items() if v.get("count")]
            return "Outside 1.5 × IQR — " + (", ".join(parts) if parts else "none")
        return None
