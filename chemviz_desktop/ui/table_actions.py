"""What Excel users expect of every table: Ctrl+C copies the selection (rows × columns, with
headers) as tab-separated text, Ctrl+A selects all, and a right-click menu offers copy, copy with
headers, export selection and the page's own actions. Selections are read as ranges (never one
QModelIndex per cell) and big ones are turned into text in a worker, so Ctrl+A, Ctrl+C on a
million rows never freezes the window."""
from __future__ import annotations

import csv
import io
from typing import Any, Callable

import numpy as np
from PyQt5.QtCore import QModelIndex, QObject, Qt, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QAbstractItemView, QAction, QApplication, QFileDialog, QMenu, QTableView

from chemviz_desktop.ui.workers import TaskRunner

COPY_ROLE = Qt.UserRole + 7     # full cell text, when a model offers it (FrameModel does)
WORKER_CELLS = 100_000          # above this many cells the text is built in a worker


def selection_block(view: QTableView) -> tuple[np.ndarray, list[int]]:
    """Selected rows (sorted) and columns, from the selection ranges (a rectangular block)."""
    sm = view.selectionModel()
    if sm is None:
        return np.zeros(0, dtype=np.int64), []
    rows: list[np.ndarray] = []
    cols: set[int] = set()
    for r in sm.selection():
        rows.append(np.arange(r.top(), r.bottom() + 1, dtype=np.int64))
        cols.update(range(r.left(), r.right() + 1))
    if not rows:
        current = view.currentIndex()
        if not current.isValid():
            return np.zeros(0, dtype=np.int64), []
        return np.array([current.row()], dtype=np.int64), [current.column()]
    hidden = view.horizontalHeader()
    return np.unique(np.concatenate(rows)), [c for c in sorted(cols) if not hidden.isSectionHidden(c)]


def _clean(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def block_rows(model: Any, rows: np.ndarray, cols: list[int], headers: bool,
               state: Any = None) -> list[list[str]]:
    """Cells of the block as text (the full text, not the elided display)."""
    out: list[list[str]] = []
    if headers:
        out.append([str(model.headerData(c, Qt.Horizontal, Qt.DisplayRole) or "") for c in cols])
    if hasattr(model, "block_text"):
        out += model.block_text(rows, cols, state)
        return out
    for i, r in enumerate(rows):
        if state is not None and i % 10_000 == 0:
            state.check()
        line = []
        for c in cols:
            idx = model.index(int(r), c)
            value = model.data(idx, COPY_ROLE)
            if value is None:
                value = model.data(idx, Qt.DisplayRole)
            line.append("" if value is None else str(value))
        out.append(line)
    return out


def to_tsv(block: list[list[str]]) -> str:
    """Tab-separated lines: what Excel and LibreOffice paste into cells."""
    return "\n".join("\t".join(_clean(v) for v in line) for line in block) + ("\n" if block else "")


def to_csv_text(block: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(block)
    return buf.getvalue()


def _tsv_task(state: Any, model: Any, rows: np.ndarray, cols: list[int], headers: bool) -> str:
    return to_tsv(block_rows(model, rows, cols, headers, state))


def _csv_task(state: Any, model: Any, rows: np.ndarray, cols: list[int], path: str) -> str:
    from engine import neutralise
    block = block_rows(model, rows, cols, True, state)
    block = [block[0]] + [[neutralise(v) for v in line] for line in block[1:]]
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(to_csv_text(block))
    return path


class TableActions(QObject):
    """Copy / copy with headers / select all / export selection on `view`, plus `extra(menu, index)`
    to add the page's own entries to the right-click menu."""
    copied = pyqtSignal(int)      # rows copied
    exported = pyqtSignal(str)    # path written
    message = pyqtSignal(str)

    def __init__(self, view: QTableView, extra: Callable[[QMenu, QModelIndex], None] | None = None):
        super().__init__(view)
        self.view, self.extra = view, extra
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._done)
        self.runner.error.connect(lambda exc: self.message.emit(f"Copy failed: {exc}"))
        self._pending = ""
        if view.selectionMode() in (QAbstractItemView.NoSelection, QAbstractItemView.SingleSelection):
            view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.copy_action = self._action("Copy with headers", QKeySequence.Copy, lambda: self.copy(True))
        self.copy_values_action = self._action("Copy values only", None, lambda: self.copy(False))
        self.select_all_action = self._action("Select all", QKeySequence.SelectAll, view.selectAll)
        self.export_action = self._action("Export selection as CSV…", None, self.export_selection)
        view.setContextMenuPolicy(Qt.CustomContextMenu)
        view.customContextMenuRequested.connect(self._menu)

    def _action(self, text: str, key: Any, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self.view)
        if key is not None:
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.view.addAction(action)
        action.triggered.connect(lambda _c=False: slot())
        return action

    def menu(self, index: QModelIndex) -> QMenu:
        """The right-click menu for `index` (tests open it without a mouse)."""
        menu = QMenu(self.view)
        for a in (self.copy_action, self.copy_values_action, self.select_all_action, self.export_action):
            menu.addAction(a)
        if self.extra is not None:
            menu.addSeparator()
            self.extra(menu, index)
        return menu

    def _menu(self, pos: Any) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and not self.view.selectionModel().isSelected(index):
            self.view.setCurrentIndex(index)
        self.menu(index).exec_(self.view.viewport().mapToGlobal(pos))

    def copy(self, headers: bool = True) -> None:
        rows, cols = selection_block(self.view)
        if not len(rows) or not cols:
            return
        model = self.view.model()
        if len(rows) * len(cols) <= WORKER_CELLS:
            self._set_clipboard(to_tsv(block_rows(model, rows, cols, headers)), len(rows))
        else:
            self.message.emit(f"Copying {len(rows):,} rows…")
            self._pending = "copy"
            self._rows = len(rows)
            self.runner.start(_tsv_task, model, rows, cols, headers)

    def export_selection(self, path: str | None = None) -> None:
        rows, cols = selection_block(self.view)
        if not len(rows) or not cols:
            self.message.emit("Select the rows to export first.")
            return
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self.view, f"Export {len(rows):,} selected rows", "selection.csv",
                                                  "CSV files (*.csv)")
            if not path:
                return
            if not path.lower().endswith(".csv"):
                path += ".csv"
        self._pending = "export"
        self.runner.start(_csv_task, self.view.model(), rows, cols, path)

    def _done(self, value: str) -> None:
        if self._pending == "copy":
            self._set_clipboard(value, self._rows)
        else:
            self.message.emit(f"Exported the selection to {value}")
            self.exported.emit(value)

    def _set_clipboard(self, text: str, rows: int) -> None:
        QApplication.clipboard().setText(text)
        self.message.emit(f"Copied {rows:,} row{'s' if rows != 1 else ''}")
        self.copied.emit(rows)


def install(view: QTableView, extra: Callable[[QMenu, QModelIndex], None] | None = None) -> TableActions:
    """Give `view` copy/select-all/export-selection keys and a right-click menu."""
    actions = TableActions(view, extra)
    view.table_actions = actions  # type: ignore[attr-defined]  # kept alive with the view
    return actions
