"""Import: pick or drop a CSV or Excel workbook; the engine reads and validates it in a worker
(progress + Cancel) and the report appears as a sortable list. Double-clicking a row issue asks to
show that row. A workbook with several sheets or title rows asks which sheet and header row; a
file whose columns were not recognised offers the column-mapping dialog. A snapshot (no Timestamp
column) is recorded at the file's modified time; "Readings taken at" below the summary changes it."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QTableView, QVBoxLayout, QWidget

import engine
from chemviz_desktop.core import equipment_service, import_prefs
from chemviz_desktop.core.dataset import Dataset, import_file
from chemviz_desktop.core.errors import describe
from chemviz_desktop.ui.dialogs.mapping_dialog import MappingDialog
from chemviz_desktop.ui.dialogs.sheet_dialog import SheetDialog
from chemviz_desktop.ui.models.report_model import ISSUE_ROLE, ReportModel
from chemviz_desktop.ui.reading_time import chosen_time, make_edit, set_time
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner

# File-level findings repeated above the list because they change what the numbers mean.
NOTE_CODES = {"unit_converted", "format_detected", "temperature_maybe_kelvin", "custom_types",
              "extra_columns_kept", "duplicate_column", "separator_assumed", "encoding_repaired",
              "repeated_header_skipped", "header_below_titles", "mapping_recalled"}
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
SheetChoice = Callable[[list, str], "tuple[str, int] | None"]
MappingChoice = Callable[[list, str], "tuple[dict, dict, bool] | None"]


def _sheet_previews(_state: object, path: str) -> list | None:
    """Worker: the workbook's sheets with a preview each; None when it cannot be read (the import
    itself then says what is wrong with the file)."""
    try:
        return list(engine.workbook_sheets(path))
    except Exception:  # noqa: BLE001 -- reported by the import that follows
        return None


class ImportPage(QWidget):
    openRequested = pyqtSignal()
    sampleRequested = pyqtSignal()
    imported = pyqtSignal(object)      # Dataset (accepted, stored)
    rejected = pyqtSignal(object)      # Dataset (rejected, not stored)
    finished = pyqtSignal()            # after any outcome, including cancel and error
    rowActivated = pyqtSignal(int)     # spreadsheet row
    readingsMoved = pyqtSignal(int)    # dataset id whose reading time was changed

    def __init__(self, store_path: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = store_path
        self.taken_at: datetime | None = None   # the next snapshot's reading time (None: the file's modified time)
        self.runner = TaskRunner(self)
        self.time_runner = TaskRunner(self)     # moving a snapshot's readings re-records them: a worker
        self.preview_runner = TaskRunner(self)   # a workbook's sheets are read off the GUI thread too
        self._pending: tuple[str, int, engine.ImportOptions] | None = None
        self.last: Dataset | None = None
        self.last_error = ""
        self._request: tuple[str, int, engine.ImportOptions] | None = None   # path, keep, options
        # Replaceable (tests): ask for a workbook's sheet/header row, and for a column mapping.
        self.ask_sheet: SheetChoice = self._ask_sheet
        self.ask_mapping: MappingChoice = self._ask_mapping

        title = styled_label("Import a CSV export", "PageTitle")
        hint = styled_label("Columns: Equipment Name, Type, Flowrate, Pressure, Temperature (units in the header "
                            "are converted to L/min, bar gauge, °C). Drop a .csv or .xlsx file anywhere on the window, or:",
                            "Muted", wrap=True)
        self.open_button = QPushButton("Open CSV…")
        self.sample_button = QPushButton("Open sample data")
        self.open_button.clicked.connect(self.openRequested)
        self.sample_button.clicked.connect(self.sampleRequested)
        self.map_button = QPushButton("Match columns…")
        self.map_button.setToolTip("Pick which column of the file is which field, then import again")
        self.map_button.clicked.connect(self.map_columns)
        self.map_button.hide()

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        prog_row = QHBoxLayout()
        prog_row.addWidget(self.progress, 1)
        prog_row.addWidget(self.progress_label)
        prog_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        self.progress_box.setLayout(prog_row)
        prog_row.setContentsMargins(0, 0, 0, 0)
        self.progress_box.hide()

        self.summary = MessageBar()
        self.taken_edit = make_edit()
        self.taken_button = QPushButton("Change")
        self.taken_button.setToolTip("Record this file's readings at the time above instead")
        self.taken_button.clicked.connect(self.change_reading_time)
        self.taken_label = QLabel("Readings taken at:")
        taken_row = QHBoxLayout()
        taken_row.setContentsMargins(0, 0, 0, 0)
        taken_row.addWidget(self.taken_label)
        taken_row.addWidget(self.taken_edit)
        taken_row.addWidget(self.taken_button)
        taken_hint = styled_label("This file has no time column: all its readings are one snapshot at this time "
                                  "(by default the file's modified time), so snapshots line up as history.",
                                  "Muted", wrap=True)
        taken_row.addWidget(taken_hint, 1)
        self.taken_box = QWidget()
        self.taken_box.setLayout(taken_row)
        self.taken_box.hide()
        self.time_runner.result.connect(self._time_changed)
        self.time_runner.error.connect(self._time_failed)
        self.notes = styled_label("", "Muted", wrap=True)
        self.notes.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.notes.hide()

        self.model = ReportModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        setup_table(self.table)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.AscendingOrder)
        fm = self.table.fontMetrics()
        for c, sample in enumerate(("Severity", "1,000,000", "Equipment Name")):
            self.table.setColumnWidth(c, fm.horizontalAdvance(sample) + 24)
        self.table.doubleClicked.connect(self._double_clicked)
        self.truncated = styled_label("", "Muted")
        self.truncated.hide()

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.sample_button)
        buttons.addWidget(self.map_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(hint)
        lay.addLayout(buttons)
        lay.addWidget(self.progress_box)
        lay.addWidget(self.summary)
        lay.addWidget(self.taken_box)
        lay.addWidget(self.notes)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.truncated)

        self.runner.progress.connect(self._on_progress)
        self.runner.result.connect(self._on_result)
        self.runner.error.connect(self._on_error)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)
        self.preview_runner.result.connect(self._after_preview)
        self.preview_runner.cancelled.connect(self._on_finished)

    # -- actions ------------------------------------------------------------------------------
    def start(self, path: str, keep: int, options: engine.ImportOptions | None = None) -> None:
        """Import `path` in a worker; a running import is cancelled first. A workbook whose sheet
        or header row is not obvious asks first (nothing happens if the user cancels)."""
        options = options or engine.ImportOptions()
        if options.sheet is None and Path(path).suffix.lower() in WORKBOOK_SUFFIXES:
            self.preview_runner.cancel()           # an earlier workbook still being read
            self._pending = (path, keep, options)
            self.summary.show_message(f"Reading the sheets of {Path(path).name}…", "info")
            self.progress.setRange(0, 0)        # busy: openpyxl gives no progress for this step
            self.progress_label.setText("Reading sheets")
            self.progress_box.show()
            self.open_button.setEnabled(False)
            self.sample_button.setEnabled(False)
            self.preview_runner.start(_sheet_previews, path)
            return
        self._begin(path, keep, options)

    def _after_preview(self, previews: list | None) -> None:
        """The workbook's sheets are known: ask when it is not obvious, then import."""
        if self._pending is None:
            return
        path, keep, options = self._pending
        self._pending = None
        self.progress.setRange(0, 1000)
        chosen = self._choose_sheet(previews, path)
        if chosen is False:
            self.progress_box.hide()
            self.open_button.setEnabled(True)
            self.sample_button.setEnabled(True)
            self.summary.show_message(f"Import of {Path(path).name} cancelled; nothing was saved.", "warning")
            self.finished.emit()
            return
        if isinstance(chosen, tuple):
            options = replace(options, sheet=chosen[0], header_row=chosen[1])
        self._begin(path, keep, options)

    def _begin(self, path: str, keep: int, options: engine.ImportOptions) -> None:
        self._request = (path, keep, options)
        self.map_button.hide()
        self.last_error = ""
        self.model.set_issues([])          # the previous file's report must not look like this one's
        self.notes.hide()
        self.truncated.hide()
        self.taken_box.hide()
        self.summary.show_message(f"Reading {Path(path).name}…", "info")
        self.progress.setValue(0)
        self.progress_label.setText("Starting")
        self.progress_box.show()
        self.open_button.setEnabled(False)
        self.sample_button.setEnabled(False)
        self.runner.start(import_file, path, keep, options, self.taken_at)

    def _choose_sheet(self, previews: list | None, path: str) -> tuple[str, int] | bool | None:
        """(sheet, header row) chosen; None when there is nothing to ask; False when cancelled."""
        if not previews:
            return None
        if len(previews) == 1 and previews[0].header_row == 1:
            return None
        choice = self.ask_sheet(previews, Path(path).name)
        return False if choice is None else choice

    def _ask_sheet(self, previews: list, file_name: str) -> tuple[str, int] | None:
        dialog = SheetDialog(previews, file_name, self)
        return dialog.choice() if dialog.exec_() == SheetDialog.Accepted else None

    def _ask_mapping(self, headers: list, file_name: str) -> tuple[dict, dict, bool] | None:
        dialog = MappingDialog(headers, file_name, self)
        if dialog.exec_() != MappingDialog.Accepted:
            return None
        return dialog.mapping(), dialog.units(), dialog.remember.isChecked()

    def map_columns(self) -> None:
        """Column mapping for the last refused file, then import it again with that mapping."""
        if self._request is None or self.last is None or not self.last.headers:
            return
        path, keep, options = self._request
        choice = self.ask_mapping(self.last.headers, Path(path).name)
        if choice is None:
            return
        mapping, units, remember = choice
        if remember:
            import_prefs.remember_mapping(self.last.headers, mapping, units)
        self.start(path, keep, replace(options, mapping=mapping, units=units))

    def cancel(self) -> None:
        self._pending = None
        self.preview_runner.cancel()
        self.runner.cancel()

    @property
    def busy(self) -> bool:
        return self.runner.busy or self.preview_runner.busy

    # -- results ------------------------------------------------------------------------------
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_label.setText(message)

    def show_report(self, ds: Dataset) -> None:
        """Summary line, unit/format notes and the issue list of a report (new or reopened)."""
        report = ds.report
        self.taken_box.hide()     # shown again by an import of a snapshot
        if ds.accepted:
            level = "warning" if report.rows_excluded else "info"
            self.summary.show_message(f"{ds.name}: {report.summary()}", level)
        else:
            errors = report.file_errors
            text = f"{ds.name} was rejected and not saved. " + " ".join(i.message for i in errors)
            self.summary.show_message(text if errors else f"{ds.name}: {report.summary()}", "error")
        notes = [i.message for i in report.issues if i.row is None and i.code in NOTE_CODES]
        self.notes.setText("\n".join(f"• {n}" for n in notes))
        self.notes.setVisible(bool(notes))
        self.model.set_issues(report.issues)
        header = self.table.horizontalHeader()
        if header.sortIndicatorSection() < 0:          # default: errors first, then by row
            header.setSortIndicator(0, Qt.AscendingOrder)
        else:
            self.model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        if report.truncated:
            self.truncated.setText(f"Showing the first {len(report.issues):,} of {report.issues_total:,} "
                                   "problems; every excluded row is marked in the Data page.")
        self.truncated.setVisible(report.truncated)

    def _show_taken_at(self, ds: Dataset) -> None:
        snapshot = ds.accepted and not ds.time_series and ds.store_id is not None and bool(ds.taken_at)
        if snapshot:
            set_time(self.taken_edit, ds.taken_at)
        self.taken_box.setVisible(snapshot)

    def change_reading_time(self, when: datetime | None = None) -> None:
        """Move the last imported snapshot's readings to `when` (default: the time in the editor)."""
        ds = self.last
        if ds is None or ds.store_id is None:
            return
        when = when or chosen_time(self.taken_edit)
        self.taken_button.setEnabled(False)
        self.time_runner.start(equipment_service.set_reading_time, self.store_path, ds.store_id, when)

    def _time_changed(self, when: datetime) -> None:
        self.taken_button.setEnabled(True)
        ds = self.last
        if ds is not None:
            ds.taken_at = when.astimezone().isoformat(timespec="seconds")
            self.summary.show_message(f"{ds.name}: readings now recorded at "
                                      f"{when.astimezone().strftime('%Y-%m-%d %H:%M:%S')}.", "info")
            self.readingsMoved.emit(int(ds.store_id or 0))

    def _time_failed(self, exc: BaseException) -> None:
        self.taken_button.setEnabled(True)
        text = str(exc) if isinstance(exc, ValueError) else describe(exc, doing="changing the reading time")
        self.summary.show_message(f"Reading time not changed: {text}", "error")

    def _on_result(self, ds: Dataset) -> None:
        self.last = ds
        self.show_report(ds)
        self._show_taken_at(ds)
        self.map_button.setVisible(not ds.accepted and bool(ds.headers) and any(
            i.code in import_prefs.MAPPING_CODES for i in ds.report.file_errors))
        (self.imported if ds.accepted else self.rejected).emit(ds)

    def _on_error(self, exc: BaseException) -> None:
        message = describe(exc, doing="importing")
        self.last_error = message
        self.summary.show_message(f"Import failed: {message}", "error")

    def _on_cancelled(self) -> None:
        self.summary.show_message("Import cancelled; nothing was saved.", "warning")

    def _on_finished(self) -> None:
        self.progress_box.hide()
        self.open_button.setEnabled(True)
        self.sample_button.setEnabled(True)
        self.finished.emit()

    def _double_clicked(self, index) -> None:
        issue = self.model.data(index, ISSUE_ROLE)
        if issue is not None and issue.row is not None:
            self.rowActivated.emit(int(issue.row))
