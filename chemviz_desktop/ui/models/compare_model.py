"""engine.compare_statistics output as a long table: one row per type and measure (A, B, B − A, %).
Types present in one dataset only are marked in the Type column and shown in italics."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtGui import QColor, QFont

from chemviz_desktop.ui.models.list_model import ListTableModel
from chemviz_desktop.ui.models.stats_model import fmt
from engine import schema

HEADERS = ("Type", "Measure", "A", "B", "B − A", "Change %")
MEASURE_LABEL = {"count": "Count", **{f"avg_{k}": f"Avg {c.lower()} ({schema.UNITS[c]})"
                                      for c, k in schema.STAT_KEY.items()}}
PRESENCE_LABEL = {"only_a": " (only in A)", "only_b": " (only in B)", "both": ""}


class CompareModel(ListTableModel):
    HEADERS = HEADERS
    items: list[tuple[str, str, str, dict[str, Any]]]

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._italic = QFont()
        self._italic.setItalic(True)

    @property
    def rows(self) -> list[tuple[str, str, str, dict[str, Any]]]:
        return self.items

    def set_comparison(self, comparison: dict[str, Any] | None) -> None:
        self.set_items([(t, entry.get("presence", "both"), m, entry.get(m) or {})
                        for t, entry in (comparison or {}).get("by_type", {}).items() for m in MEASURE_LABEL])

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        t, presence, measure, d = self.rows[index.row()]
        c = index.column()
        if role == Qt.DisplayRole:
            if c == 0:
                return t + PRESENCE_LABEL.get(presence, "")
            if c == 1:
                return MEASURE_LABEL[measure]
            value = d.get(("a", "b", "diff", "pct")[c - 2])
            if c == 5 and value is not None:
                return f"{value:+.1f} %"
            if c == 4 and value is not None:
                return ("+" if value > 0 else "") + fmt(value)
            return fmt(value)
        if role == Qt.TextAlignmentRole and c >= 2:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.FontRole and presence != "both":
            return self._italic
        if role == Qt.ForegroundRole and presence != "both" and c == 0:
            return QColor("#c98a00")
        return None
