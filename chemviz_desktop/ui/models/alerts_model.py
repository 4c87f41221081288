"""The Alerts table (#16): one row per alert of an `alerts.listing_frame` (state, level,
equipment, parameter, limit, peak, start, end, duration, acknowledgement). Times show in local
time; the level's cell is coloured like the Data page (amber Lo/Hi, red LoLo/HiHi); an alert that
waits for an acknowledgement is bold."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt5.QtGui import QFont

from chemviz_desktop.core.formatting import fmt_value
from chemviz_desktop.core.monitoring import parameter_label
from chemviz_desktop.ui import limit_colors

STATE_WORDS = {"active-unacknowledged": "Active · unacknowledged", "active-acknowledged": "Active · acknowledged",
               "cleared-unacknowledged": "Cleared · unacknowledged", "cleared-acknowledged": "Cleared · acknowledged"}
LEVEL_CODE = {"hi": 1, "hihi": 2, "lo": -1, "lolo": -2}
LEVEL_WORDS = {"hi": "Hi", "hihi": "HiHi", "lo": "Lo", "lolo": "LoLo"}
# (header, frame column)
COLUMNS: list[tuple[str, str]] = [("State", "state"), ("Level", "level"), ("Equipment", "equipment"),
                                  ("Parameter", "parameter"), ("Limit", "limit"), ("Peak", "peak"),
                                  ("Start", "start"), ("End", "end"), ("Duration", "duration_s"),
                                  ("Acknowledged by", "acknowledged_by"), ("Acknowledged at", "acknowledged_at"),
                                  ("Comment", "comment"), ("Id", "id")]


def local_time(value: Any) -> str:
    """A UTC Timestamp (or ISO text) in local time, to the second ("" for none)."""
    if _missing(value):
        return ""
    t = pd.Timestamp(value)
    t = t.tz_localize("UTC") if t.tzinfo is None else t
    return t.tz_convert(_local_zone()).strftime("%Y-%m-%d %H:%M:%S")


def _local_zone() -> Any:
    from datetime import datetime
    return datetime.now().astimezone().tzinfo


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def duration_text(seconds: float) -> str:
    """1500 -> "25 min", 90 -> "1 min 30 s", 7260 -> "2 h 1 min"."""
    if seconds is None or not np.isfinite(seconds):
        return ""
    s = int(round(float(seconds)))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{v} {u}" for v, u in parts if v]
    return " ".join(shown[:2]) if shown else "0 s"


class AlertsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.frame = pd.DataFrame(columns=[c for _h, c in COLUMNS] + ["end", "last"])
        self._bold = QFont()
        self._bold.setBold(True)

    def set_frame(self, frame: pd.DataFrame) -> None:
        self.beginResetModel()
        self.frame = frame.reset_index(drop=True)
        self.endResetModel()

    def alert_id(self, row: int) -> int:
        return int(self.frame["id"].iat[row])

    def row_of(self, alert_id: int) -> int:
        hits = np.flatnonzero(self.frame["id"].to_numpy() == alert_id) if len(self.frame) else []
        return int(hits[0]) if len(hits) else -1

    def state(self, row: int) -> str:
        return str(self.frame["state"].iat[row])

    # -- Qt API -------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.frame)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole and 0 <= section < len(COLUMNS):
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        key = COLUMNS[c][1]
        value = self.frame[key].iat[r]
        if role == Qt.DisplayRole:
            return self.text(r, key, value)
        if role == Qt.TextAlignmentRole:
            numeric = key in ("limit", "peak", "duration_s", "id")
            return int((Qt.AlignRight if numeric else Qt.AlignLeft) | Qt.AlignVCenter)
        if role == Qt.BackgroundRole and key == "level":
            return limit_colors.background(LEVEL_CODE.get(str(value), 0))
        if role == Qt.FontRole and str(self.frame["state"].iat[r]).endswith("-unacknowledged"):
            return self._bold
        if role == Qt.ToolTipRole:
            if key == "end" and _missing(value):
                return "Still beyond the limit at the last reading"
            if key == "comment" and value:
                return str(value)
        return None

    def text(self, r: int, key: str, value: Any) -> str:
        if key == "state":
            return STATE_WORDS.get(str(value), str(value))
        if key == "level":
            return LEVEL_WORDS.get(str(value), str(value))
        if key == "parameter":
            return parameter_label(str(value))
        if key in ("limit", "peak"):
            return fmt_value(float(value))
        if key == "start":
            return local_time(value)
        if key == "end":
            return "active" if _missing(value) else local_time(value)
        if key == "acknowledged_at":
            return local_time(value) if value else ""
        if key == "duration_s":
            text = duration_text(float(value))
            return text + (" so far" if _missing(self.frame["end"].iat[r]) else "")
        if key == "id":
            return str(int(value))
        return "" if _missing(value) else str(value)
