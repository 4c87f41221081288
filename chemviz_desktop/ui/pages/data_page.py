"""Data: the dataset as a lazy table (FrameModel), sortable by any column, filtered by type and
name text, excluded rows shown on demand and marked. Filtering and sorting of big frames run in
a worker; the model only swaps its index array. Analytics follows the filter (filterChanged)."""
from __future__ import annotations

import dataclasses

import numpy as np
from PyQt5.QtCore import QItemSelectionModel, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QHBoxLayout, QLabel, QLineEdit,
                             QTableView, QVBoxLayout, QWidget)

from engine import schema

from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.dataset import Dataset, ViewSpec, view_index
from chemviz_desktop.ui.models.frame_model import FrameModel
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner

ALL_TYPES = "All types"
SYNC_LIMIT = 200_000  # below this many rows, filter/sort on the GUI thread (a few ms)


class DataPage(QWidget):
    filterChanged = pyqtSignal(object)   # ViewSpec
    viewReady = pyqtSignal()             # the table shows the current spec

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.dataset: Dataset | None = None
        self.spec = ViewSpec()
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._apply_index)
        self.runner.error.connect(
            lambda exc: self.message.show_message(f"Could not filter: {describe(exc, doing='filtering')}", "error"))
        self._pending_row: int | None = None

        self.type_combo = QComboBox()
        self.type_combo.setMinimumContentsLength(14)
        self.type_combo.addItem(ALL_TYPES)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("Filter by equipment name…")
        self.name_edit.setClearButtonEnabled(True)
        self.excluded_check = QCheckBox("Show excluded rows")
        self.count_label = styled_label("No dataset", "Muted")
        self._text_timer = QTimer(self, singleShot=True, interval=250)
        self._text_timer.timeout.connect(self._spec_from_controls)
        self.name_edit.textChanged.connect(lambda _t: self._text_timer.start())
        self.type_combo.currentIndexChanged.connect(lambda _i: self._spec_from_controls())
        self.excluded_check.toggled.connect(lambda _b: self._spec_from_controls())

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Type:"))
        bar.addWidget(self.type_combo)
        bar.addWidget(self.name_edit, 1)
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

        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.table, 1)

    # -- dataset ------------------------------------------------------------------------------
    def set_dataset(self, ds: Dataset | None) -> None:
        """Show a new dataset with the filters cleared (the index is built in the worker)."""
        self.runner.cancel()
        self.dataset = ds
        self.message.clear_message()
        for w in (self.type_combo, self.name_edit, self.excluded_check):
            w.blockSignals(True)
        self.type_combo.clear()
        self.type_combo.addItem(ALL_TYPES)
        if ds is not None:
            self.type_combo.addItems(ds.types())
        self.name_edit.clear()
        self.excluded_check.setChecked(False)
        for w in (self.type_combo, self.name_edit, self.excluded_check):
            w.blockSignals(False)
        self.spec = ViewSpec()
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        if ds is None or ds.frame is None:
            self.model.set_frame(None, None, np.zeros(0, dtype=np.int64))
            self.count_label.setText("No dataset")
            return
        index = np.flatnonzero(~ds.excluded)
        self.model.set_frame(ds.frame, ds.excluded, index)
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

    def _spec_from_controls(self) -> None:
        t = self.type_combo.currentText()
        spec = dataclasses.replace(self.spec, type_name="" if t == ALL_TYPES else t,
                                   text=self.name_edit.text(), show_excluded=self.excluded_check.isChecked())
        filter_changed = (spec.type_name, spec.text.strip()) != (self.spec.type_name, self.spec.text.strip())
        self._set_spec(spec)
        if filter_changed:
            self.filterChanged.emit(spec)

    def _sort_requested(self, column: str, ascending: bool) -> None:
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
