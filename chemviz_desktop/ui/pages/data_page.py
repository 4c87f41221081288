"""Data: the dataset as a lazy table (FrameModel), sortable by any column, filtered by type and
name text, excluded rows shown on demand and marked. Filtering and sorting of big frames run in
a worker; the model only swaps its index array. Analytics follows the filter (filterChanged).
With a store (`store_path`), Flowrate/Pressure/Temperature cells are coloured by limit state
(#16): amber beyond Lo/Hi, red beyond LoLo/HiHi, with a legend; the codes are computed once per
dataset or limits change (`refresh_limits`, in a worker for big frames), never per paint."""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from PyQt5.QtCore import QEvent, QItemSelectionModel, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import filters
from chemviz_desktop.core.dataset import Dataset, ViewSpec, view_index
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.monitoring import LevelsResult, data_levels
from chemviz_desktop.ui import limit_colors
from chemviz_desktop.ui.models.frame_model import FrameModel
from chemviz_desktop.ui.table_actions import install
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner
from engine import schema

ALL_TYPES = "All types"
SYNC_LIMIT = 200_000  # below this many rows, filter/sort on the GUI thread (a few ms)
LEVELS_SYNC_LIMIT = 20_000  # below this many rows, limit colours are computed on the GUI thread


class DataPage(QWidget):
    filterChanged = pyqtSignal(object)   # ViewSpec
    viewReady = pyqtSignal()             # the table shows the current spec
    limitsApplied = pyqtSignal(int)      # limit colours are on screen: number of cells beyond a limit

    def __init__(self, parent: QWidget | None = None, store_path: str | None = None):
        super().__init__(parent)
        self.store_path = str(store_path) if store_path else None
        self.dataset: Dataset | None = None
        self.levels: LevelsResult | None = None
        self.levels_runner = TaskRunner(self)
        self.levels_runner.result.connect(self._apply_levels)
        self.levels_runner.error.connect(
            lambda exc: self.message.show_message(
                f"Could not colour cells by limits: {describe(exc, doing='reading the limits')}", "warning"))
        self.spec = ViewSpec()
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._apply_index)
        self.runner.error.connect(
            lambda exc: self.message.show_message(f"Could not filter: {describe(exc, doing='filtering')}", "error"))
        self._pending_row: int | None = None
        self._scroll_top = False

        self.type_combo = QComboBox()
        self.type_combo.setMinimumContentsLength(14)
        self.type_combo.addItem(ALL_TYPES)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Filter by equipment name…")
        self.name_edit.setClearButtonEnabled(True)
        self.types_button = QToolButton(text="Several types ▾")
        self.types_button.setToolTip("Show several types at once")
        self.types_button.setPopupMode(QToolButton.InstantPopup)
        self.types_menu = QMenu(self.types_button)
        self.types_button.setMenu(self.types_menu)
        self.range_edit = QLineEdit()
        self.range_edit.setPlaceholderText("Ranges: Flowrate > 200, Pressure 2..5")
        self.range_edit.setToolTip("Numeric filters: Flowrate > 200 · Pressure <= 5 · Temperature 20..80;\n"
                                   "several separated by commas")
        self.range_edit.setClearButtonEnabled(True)
        self.range_edit.textChanged.connect(lambda _t: self._text_timer.start())
        self.excluded_check = QCheckBox("Show excluded rows")
        self.count_label = styled_label("No dataset", "Muted")
        self.legend = QLabel()
        self.legend.setTextFormat(Qt.RichText)
        self.legend.setToolTip("Flowrate, Pressure and Temperature cells are coloured by the operating limits "
                               "(Settings ▸ Limits)")
        self.legend.hide()
        self._text_timer = QTimer(self, singleShot=True, interval=250)
        self._text_timer.timeout.connect(self._spec_from_controls)
        self.name_edit.textChanged.connect(lambda _t: self._text_timer.start())
        self.type_combo.currentIndexChanged.connect(lambda _i: self._spec_from_controls())
        self.excluded_check.toggled.connect(lambda _b: self._spec_from_controls())

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Type:"))
        bar.addWidget(self.type_combo)
        bar.addWidget(self.types_button)
        bar.addWidget(self.name_edit, 1)
        bar.addWidget(self.range_edit, 1)
        bar.addWidget(self.excluded_check)
        bar.addWidget(self.count_label)

        self.model = FrameModel(self)
        self.model.sortRequested.connect(self._sort_requested)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.message = MessageBar()
        self.actions = install(self.table, self._context_menu)
        self.actions.message.connect(lambda text: self.message.show_message(text, "info"))

        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.legend)

    # -- limit colours (#16) ------------------------------------------------------------------
    def set_store_path(self, store_path: str | None) -> None:
        """The local store whose limits colour the cells (None: no colours)."""
        self.store_path = str(store_path) if store_path else None
        self.refresh_limits()

    def refresh_limits(self) -> None:
        """Recompute the limit colours of the shown dataset (after the limits changed)."""
        self.levels_runner.cancel()
        ds = self.dataset
        if self.store_path is None or ds is None or ds.frame is None:
            self._apply_levels(None)
            return
        if ds.row_count <= LEVELS_SYNC_LIMIT:
            try:
                result = data_levels(None, self.store_path, ds.frame)
            except Exception as exc:  # noqa: BLE001 -- a busy or damaged store: said on the page, table stays
                self.message.show_message(
                    f"Could not colour cells by limits: {describe(exc, doing='reading the limits')}", "warning")
                result = None
            self._apply_levels(result)
        else:
            self.levels_runner.start(data_levels, self.store_path, ds.frame)

    def _apply_levels(self, result: LevelsResult | None) -> None:
        self.levels = result
        self.model.set_levels(result.for_column() if result is not None else None)
        self._update_legend()
        self.limitsApplied.emit(result.beyond if result is not None else 0)

    def _update_legend(self) -> None:
        result = self.levels
        if result is None or not result.limited:
            self.legend.hide()
            return
        count = f" &nbsp;·&nbsp; {result.beyond:,} cells beyond a limit" if result.beyond else \
            " &nbsp;·&nbsp; every reading within its limits"
        self.legend.setText(limit_colors.legend_html() + count)
        self.legend.show()

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.PaletteChange and self.legend.isVisible():
            self._update_legend()     # the swatches follow the theme

    # -- dataset ------------------------------------------------------------------------------
    def set_dataset(self, ds: Dataset | None) -> None:
        """Show a new dataset with the filters cleared (the index is built in the worker)."""
        self.runner.cancel()
        self.dataset = ds
        self.message.clear_message()
        for w in (self.type_combo, self.name_edit, self.excluded_check, self.range_edit):
            w.blockSignals(True)
        self.type_combo.clear()
        self.type_combo.addItem(ALL_TYPES)
        self.types_menu.clear()
        if ds is not None:
            self.type_combo.addItems(ds.types())
            for t in ds.types():
                action = self.types_menu.addAction(t)
                action.setCheckable(True)
                action.toggled.connect(lambda _on: self._types_toggled())
        self.name_edit.clear()
        self.range_edit.clear()
        self.excluded_check.setChecked(False)
        for w in (self.type_combo, self.name_edit, self.excluded_check, self.range_edit):
            w.blockSignals(False)
        self.types_button.setText("Several types ▾")
        self.spec = ViewSpec()
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        if ds is None or ds.frame is None:
            self.model.set_frame(None, None, np.zeros(0, dtype=np.int64))
            self.count_label.setText("No dataset")
            self.refresh_limits()
            return
        # the import worker found the visible rows and long cells already (a 1M-row first view)
        index = ds.visible if ds.visible is not None else np.flatnonzero(~ds.excluded)
        self.model.set_frame(ds.frame, ds.excluded, index, ds.long_cells or None)
        self.refresh_limits()
        self._size_columns()
        self._update_count()
        self.filterChanged.emit(self.spec)
        self.viewReady.emit()

    def _size_columns(self) -> None:
        fm = self.table.fontMetrics()
        for c in range(self.model.columnCount()):
            col = self.model.column_name(c)
            header = str(self.model.headerData(c, Qt.Horizontal))
            width = fm.horizontalAdvance(header) + 30
            if col == schema.NAME:
                width = max(width, fm.horizontalAdvance("M" * 14))
            elif col == schema.TYPE:
                width = max(width, fm.horizontalAdvance("HeatExchanger") + 16)
            elif col == schema.REASON:
                width = max(width, fm.horizontalAdvance("below absolute zero") + 20)
            elif col == schema.ROW and self.dataset is not None and len(self.dataset.rows):
                digits = max(7, len(str(int(self.dataset.rows.max()))))   # 1,000,000+ rows fit
                width = max(width, fm.horizontalAdvance("9" * digits) + 20)
            elif self.model._numeric[c]:
                width = max(width, fm.horizontalAdvance("-1234567.89") + 16)
            self.table.setColumnWidth(c, max(width, 60))

    # -- filter / sort ------------------------------------------------------------------------
    def set_filter(self, type_name: str = "", text: str = "", show_excluded: bool | None = None) -> None:
        """Programmatic filter (tests, jump-to-row); same path as the controls."""
        self.type_combo.blockSignals(True)
        i = self.type_combo.findText(type_name) if type_name else 0
        self.type_combo.setCurrentIndex(max(i, 0))
        self.type_combo.blockSignals(False)
        self.name_edit.blockSignals(True)
        self.name_edit.setText(text)
        self.name_edit.blockSignals(False)
        if show_excluded is not None:
            self.excluded_check.blockSignals(True)
            self.excluded_check.setChecked(show_excluded)
            self.excluded_check.blockSignals(False)
        self._spec_from_controls()

    def set_types(self, types: list[str]) -> None:
        """Several types at once (the single-type box goes back to All types)."""
        for action in self.types_menu.actions():
            action.blockSignals(True)
            action.setChecked(action.text() in types)
            action.blockSignals(False)
        self._types_toggled()

    def set_ranges(self, text: str) -> None:
        """Numeric conditions as typed ("Flowrate > 200"); same path as the box."""
        self.range_edit.blockSignals(True)
        self.range_edit.setText(text)
        self.range_edit.blockSignals(False)
        self._spec_from_controls()

    def _types_toggled(self) -> None:
        chosen = [a.text() for a in self.types_menu.actions() if a.isChecked()]
        self.types_button.setText(f"{len(chosen)} types ▾" if chosen else "Several types ▾")
        if chosen and self.type_combo.currentIndex() != 0:
            self.type_combo.blockSignals(True)
            self.type_combo.setCurrentIndex(0)
            self.type_combo.blockSignals(False)
        self._spec_from_controls()

    def _spec_from_controls(self) -> None:
        t = self.type_combo.currentText()
        if t != ALL_TYPES and any(a.isChecked() for a in self.types_menu.actions()):
            for action in self.types_menu.actions():   # one type chosen in the box: the menu clears
                action.blockSignals(True)
                action.setChecked(False)
                action.blockSignals(False)
            self.types_button.setText("Several types ▾")
        try:
            ranges = filters.parse(self.range_edit.text())
            self.range_edit.setStyleSheet("")
        except filters.FilterError as exc:
            self.message.show_message(str(exc), "warning")
            self.range_edit.setStyleSheet("QLineEdit { border: 1px solid #d62728; }")
            ranges = self.spec.ranges
        else:
            if self.message.property("level") == "warning":
                self.message.clear_message()
        types = tuple(a.text() for a in self.types_menu.actions() if a.isChecked())
        spec = dataclasses.replace(self.spec, type_name="" if t == ALL_TYPES else t, types=types, ranges=ranges,
                                   text=self.name_edit.text(), show_excluded=self.excluded_check.isChecked())
        filter_changed = _filter_key(spec) != _filter_key(self.spec)
        self._set_spec(spec)
        if filter_changed:
            self.filterChanged.emit(spec)

    def _sort_requested(self, column: str, ascending: bool) -> None:
        self._scroll_top = True   # a new order starts at its top, like Excel
        self._set_spec(dataclasses.replace(self.spec, sort_column=column, ascending=ascending))

    def _set_spec(self, spec: ViewSpec) -> None:
        self.spec = spec
        ds = self.dataset
        if ds is None or ds.frame is None:
            return
        if ds.row_count <= SYNC_LIMIT:
            self._apply_index(view_index(None, ds, spec))
        else:
            self.count_label.setText("Updating…")
            self.runner.start(view_index, ds, spec)

    def _apply_index(self, index: np.ndarray) -> None:
        self.model.set_index(index)
        self._update_count()
        if self._scroll_top:
            self._scroll_top = False
            self.table.scrollToTop()
        if self._pending_row is not None:
            row, self._pending_row = self._pending_row, None
            self._select_row(row)
        self.viewReady.emit()

    def _update_count(self) -> None:
        ds = self.dataset
        shown = self.model.rowCount()
        total = ds.row_count if ds else 0
        excluded = int(ds.excluded.sum()) if ds is not None else 0
        self.count_label.setText(f"{shown:,} of {total:,} rows" + (f" · {excluded:,} excluded" if excluded else ""))

    # -- jump to a spreadsheet row ------------------------------------------------------------
    def show_row(self, row: int) -> bool:
        """Select the row with spreadsheet number `row`, clearing filters and showing excluded
        rows if needed. Returns False when the dataset has no such row."""
        ds = self.dataset
        if ds is None or ds.frame is None or not np.any(ds.rows == row):
            self.message.show_message(f"Row {row} is not in this dataset's table.", "warning")
            return False
        self.message.clear_message()
        if self._select_row(row):
            return True
        self._pending_row = row
        self.set_filter("", "", show_excluded=True)
        return True

    def _select_row(self, row: int) -> bool:
        ds = self.dataset
        hits = np.flatnonzero(ds.rows[self.model.index_array()] == row)
        if not len(hits):
            return False
        index = self.model.index(int(hits[0]), 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.ClearAndSelect | QItemSelectionModel.Rows)
        self.table.scrollTo(index, QAbstractItemView.PositionAtCenter)
        return True

    def selected_row(self) -> int | None:
        """Spreadsheet row number of the current row (tests, jump-to-row)."""
        idx = self.table.currentIndex()
        if not idx.isValid():
            return None
        return int(self.dataset.rows[self.model.frame_position(idx.row())])

    # -- right-click menu ---------------------------------------------------------------------
    def _context_menu(self, menu: QMenu, index: object) -> None:
        """Page entries under copy/export: filter to this row's type, show excluded rows."""
        ds = self.dataset
        if ds is None or ds.frame is None or not getattr(index, "isValid", lambda: False)():
            return
        pos = self.model.frame_position(index.row())
        t = str(ds.frame[schema.TYPE].array[pos])
        menu.addAction(f"Filter to type '{t}'", lambda: self.set_filter(t, self.name_edit.text()))
        if self.spec.filtered:
            menu.addAction("Clear filters", self.clear_filters)
        menu.addAction("Hide excluded rows" if self.spec.show_excluded else "Show excluded rows",
                       lambda: self.excluded_check.setChecked(not self.spec.show_excluded))

    def clear_filters(self) -> None:
        self.range_edit.blockSignals(True)
        self.range_edit.clear()
        self.range_edit.blockSignals(False)
        self.set_types([])
        self.set_filter("", "")


def _filter_key(spec: ViewSpec) -> tuple:
    return (spec.type_name, spec.types, spec.ranges, spec.text.strip())
