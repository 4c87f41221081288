"""The Data table: a QAbstractTableModel reading the engine frame's column arrays by position
through an index array (filter + sort result). Nothing is done per row up front: a cell is
formatted only when the view asks for it, so 1,000,000 rows cost no more than 100. Numbers read as
the file wrote them; a huge text cell is elided before Qt ever measures or paints it. Flowrate,
Pressure and Temperature cells are coloured by their limit state (#16) from level codes computed
once per dataset or limits change (`set_levels`), never per paint."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from PyQt5.QtGui import QFont

from chemviz_desktop.core.formatting import CELL_LIMIT, arrow_of, elide, fmt_value, long_cells
from chemviz_desktop.ui import limit_colors, theme
from engine import schema

ROW_LABEL = "Row"
COPY_ROLE = Qt.UserRole + 7   # the full cell text (copy/paste), never elided; same as table_actions
STATUS_LABEL = "Status"


def _header(column: str) -> str:
    unit = schema.UNITS.get(column)
    return f"{column} ({unit})" if unit else column


_arrow = arrow_of
_long_cells = long_cells


class FrameModel(QAbstractTableModel):
    """Columns: Row, the schema columns, extra columns, Status. `sortRequested` lets the page
    re-sort with pandas (possibly in a worker) and then call `set_index`."""

    sortRequested = pyqtSignal(str, bool)  # frame column, ascending

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._frame: pd.DataFrame | None = None
        self._cols: list[str] = []
        self._arrays: list[Any] = []
        self._numeric: list[bool] = []
        self._index = np.zeros(0, dtype=np.int64)
        self._excluded = np.zeros(0, dtype=bool)
        self._reasons: Any = None
        self._long: list[set[int] | None] = []
        self._short_text: dict[tuple[int, int], str] = {}
        self._italic = QFont()
        self._italic.setItalic(True)
        self._bold = QFont()
        self._bold.setBold(True)
        self._levels: list[np.ndarray | None] = []

    # -- data in ------------------------------------------------------------------------------
    def set_frame(self, frame: pd.DataFrame | None, excluded: np.ndarray | None, index: np.ndarray,
                  long: dict[str, set[int] | None] | None = None) -> None:
        """Point the model at a frame (zero-copy views of its columns) and a display order.
        `long`: the long text cells per column when a worker found them already."""
        self.beginResetModel()
        self._frame = frame
        if frame is None:
            self._cols, self._arrays, self._numeric = [], [], []
            self._excluded, self._reasons = np.zeros(0, dtype=bool), None
        else:
            extras = [c for c in frame.columns if c not in schema.REQUIRED_COLUMNS and c not in schema.META_COLUMNS]
            self._cols = [schema.ROW] + list(schema.REQUIRED_COLUMNS) + extras + [schema.REASON]
            self._cols = [c for c in self._cols if c in frame.columns]
            self._numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
                             for c in self._cols]
            self._arrays = [frame[c].to_numpy() if num else frame[c].array
                            for c, num in zip(self._cols, self._numeric, strict=True)]
            self._excluded = excluded if excluded is not None else np.zeros(len(frame), dtype=bool)
        self._long = [None if num else long.get(c) if long is not None and c in long else _long_cells(a)
                      for c, a, num in zip(self._cols, self._arrays, self._numeric, strict=True)]
        self._short_text: dict[tuple[int, int], str] = {}
        self._levels = [None] * len(self._cols)
        self._index = index
        self.endResetModel()

    def set_levels(self, levels: dict[str, np.ndarray] | None) -> None:
        """Limit level codes per frame row for some columns (frame column name -> int8 array of
        engine.limits.classify: 0 inside, ±1 Lo/Hi amber, ±2 LoLo/HiHi red); None clears them.
        Arrays of another length than the frame (a stale result) are ignored."""
        n = 0 if self._frame is None else len(self._frame)
        by_col = levels or {}
        self._levels = [by_col.get(c) if by_col.get(c) is not None and len(by_col[c]) == n
                        and np.any(by_col[c]) else None for c in self._cols]
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [Qt.BackgroundRole, Qt.FontRole, Qt.ToolTipRole])

    def level(self, row: int, column: int) -> int:
        """The limit level code of a displayed cell (0 when inside or not coloured)."""
        codes = self._levels[column] if column < len(self._levels) else None
        return 0 if codes is None else int(codes[self._index[row]])

    def set_index(self, index: np.ndarray) -> None:
        """New filter/sort result (computed elsewhere); only the mapping changes."""
        self.beginResetModel()
        self._index = index
        self.endResetModel()

    def column_name(self, section: int) -> str:
        return self._cols[section]

    def frame_position(self, row: int) -> int:
        return int(self._index[row])

    def index_array(self) -> np.ndarray:
        return self._index

    # -- Qt API -------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._index)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._cols)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if orientation != Qt.Horizontal or section >= len(self._cols):
            return None
        col = self._cols[section]
        if role == Qt.DisplayRole:
            return ROW_LABEL if col == schema.ROW else STATUS_LABEL if col == schema.REASON else _header(col)
        if role == Qt.ToolTipRole and col == schema.ROW:
            return "Spreadsheet row in the original file (header = row 1)"
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        pos = self._index[r]
        if role == Qt.DisplayRole and self._is_long(c, pos):
            return self._elided(c, pos, CELL_LIMIT)
        if role == Qt.DisplayRole or role == COPY_ROLE:
            text = self.cell_text(pos, c)
            return text if role == COPY_ROLE else elide(text)
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter) if self._numeric[c] else int(Qt.AlignLeft | Qt.AlignVCenter)
        if role == Qt.BackgroundRole:
            if self._excluded[pos]:
                return theme.excluded_row_color()
            codes = self._levels[c]
            return None if codes is None else limit_colors.background(int(codes[pos]))
        if role == Qt.FontRole:
            if self._excluded[pos]:
                return self._italic
            codes = self._levels[c]
            return self._bold if codes is not None and abs(int(codes[pos])) == 2 else None
        if role == Qt.ToolTipRole:
            tip = "Excluded from statistics: " + str(self._arrays[-1][pos]).replace("_", " ") \
                if self._excluded[pos] else ""
            codes = self._levels[c]
            if not tip and codes is not None and codes[pos]:
                tip = f"{self._cols[c]} {limit_colors.WORDS[int(codes[pos])]}"
            if self._is_long(c, pos):
                head = f"{self._elided(c, pos, 1000)}\n({self._length(c, pos):,} characters; shown shortened)"
                tip = head + ("\n" + tip if tip else "")
            return tip or None
        return None

    def _is_long(self, c: int, pos: int) -> bool:
        positions = self._long[c] if c < len(self._long) else None
        return positions is not None and int(pos) in positions

    def _length(self, c: int, pos: int) -> int:
        import pyarrow.compute as pc
        return int(pc.utf8_length(_arrow(self._arrays[c]).slice(pos, 1))[0].as_py())

    def _elided(self, c: int, pos: int, limit: int) -> str:
        """The head of a huge text cell, cut in Arrow: the whole string is never built or painted."""
        key = (c * 1_000_000_007 + pos, limit)
        text = self._short_text.get(key)
        if text is None:
            import pyarrow.compute as pc
            head = pc.utf8_slice_codeunits(_arrow(self._arrays[c]).slice(pos, 1), 0, limit - 1)[0].as_py()
            text = self._short_text[key] = (head or "") + "…"
        return text

    def cell_text(self, pos: int, c: int) -> str:
        """The full text of one cell (numbers as the file had them); callers elide for display."""
        value = self._arrays[c][pos]
        if self._cols[c] == schema.REASON:
            return value.replace("_", " ") if isinstance(value, str) and value else "ok"
        if self._numeric[c]:
            if value != value:  # NaN
                return ""
            return str(int(value)) if self._cols[c] == schema.ROW else fmt_value(value)
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return ""
        return str(value)

    def block_text(self, rows: np.ndarray, cols: list[int], state: Any = None) -> list[list[str]]:
        """Full cell texts of display rows × columns, column by column (copy/export selection;
        may run in a worker: it only reads the arrays)."""
        pos = self._index[np.asarray(rows, dtype=np.int64)]
        columns: list[list[str]] = []
        for c in cols:
            if state is not None:
                state.check()
            name, values = self._cols[c], self._arrays[c]
            taken = values[pos] if self._numeric[c] else np.asarray(values, dtype=object)[pos]
            if name == schema.ROW:
                columns.append([str(int(v)) for v in taken])
            elif name == schema.REASON:
                columns.append([v.replace("_", " ") if isinstance(v, str) and v else "ok" for v in taken])
            elif self._numeric[c]:
                columns.append([fmt_value(v) for v in taken.tolist()])
            else:
                columns.append(["" if v is None or v is pd.NA or (isinstance(v, float) and v != v) else str(v)
                                for v in taken])
        return [list(line) for line in zip(*columns, strict=True)]

    def sort(self, column: int, order: Qt.SortOrder = Qt.AscendingOrder) -> None:
        if 0 <= column < len(self._cols):
            self.sortRequested.emit(self._cols[column], order == Qt.AscendingOrder)
