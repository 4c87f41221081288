"""Event-search results (#16) as a table model: a year of readings can give thousands of events,
and a model only formats the rows the view paints (a QTableWidget made an item per cell up
front). Columns: start, end ("still going" for an event beyond at the last reading), duration
("so far" while going) and peak; times in local time."""
from __future__ import annotations

from typing import Any

from PyQt5.QtCore import QModelIndex, Qt

from chemviz_desktop.core.formatting import fmt_value
from chemviz_desktop.ui.models.alerts_model import duration_text, local_time
from chemviz_desktop.ui.models.list_model import ListTableModel
from engine.excursions import Excursion


class EventsModel(ListTableModel):
    HEADERS = ("Start", "End", "Duration", "Peak")

    def event_at(self, row: int) -> Excursion | None:
        """The event on `row` (None outside the table)."""
        return self.items[row] if 0 <= row < len(self.items) else None

    def text(self, row: int, column: int) -> str:
        e: Excursion = self.items[row]
        if column == 0:
            return local_time(e.start)
        if column == 1:
            return local_time(e.end) if e.end is not None else "still going"
        if column == 2:
            return duration_text(e.duration_s) + ("" if e.end is not None else " so far")
        return fmt_value(e.peak)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        if role == Qt.DisplayRole:
            return self.text(index.row(), index.column())
        if role == Qt.TextAlignmentRole and index.column() >= 2:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        if role == Qt.ToolTipRole:
            return "Click to zoom the trend to this event"
        return None
