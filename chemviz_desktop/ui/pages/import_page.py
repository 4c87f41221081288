"""Import: pick or drop a CSV; the engine reads and validates it in a worker (progress + Cancel)
and the report appears as a sortable list. Double-clicking a row issue asks to show that row."""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (QHBoxLayout, QLabel, QProgressBar, QPushButton, QTableView, QVBoxLayout,
                             QWidget)

from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.dataset import Dataset, import_file
from chemviz_desktop.ui.models.report_model import ISSUE_ROLE, ReportModel
from chemviz_desktop.ui.widgets import MessageBar, setup_table, styled_label
from chemviz_desktop.ui.workers import TaskRunner


# File-level findings repeated above the list because they change what the numbers mean.
NOTE_CODES = {"unit_converted", "format_detected", "temperature_maybe_kelvin", "custom_types",
              "extra_columns_kept", "duplicate_column"}


class ImportPage(QWidget):
    openRequested = pyqtSignal()
    sampleRequested = pyqtSignal()
    imported = pyqtSignal(object)      # Dataset (accepted, stored)
    rejected = pyqtSignal(object)      # Dataset (rejected, not stored)
    finished = pyqtSignal()            # after any outcome, including cancel and error
    rowActivated = pyqtSignal(int)     # spreadsheet row

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = TaskRunner(self)
        self.last: Dataset | None = None
        self.last_error = ""

        title = styled_label("Import a CSV export", "PageTitle")
        hint = styled_label("Columns: Equipment Name, Type, Flowrate, Pressure, Temperature (units in the header "
                            "are converted to L/min, bar, °C). Drop a .csv file anywhere on the window, or:",
                            "Muted", wrap=True)
        self.open_button = QPushButton("Open CSV…")
        self.sample_button = QPushButton("Open sample data")
        self.open_button.clicked.connect(self.openRequested)
        self.sample_button.clicked.connect(self.sampleRequested)

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
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addWidget(hint)
        lay.addLayout(buttons)
        lay.addWidget(self.progress_box)
        lay.addWidget(self.summary)
        lay.addWidget(self.notes)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.truncated)

        self.runner.progress.connect(self._on_progress)
        self.runner.result.connect(self._on_result)
        self.runner.error.connect(self._on_error)
        self.runner.cancelled.connect(self._on_cancelled)
        self.runner.finished.connect(self._on_finished)

    # -- actions ------------------------------------------------------------------------------
    def start(self, path: str, keep: int) -> None:
        """Import `path` in a worker; a running import is cancelled first."""
        self.last_error = ""
        self.model.set_issues([])          # the previous file's report must not look like this one's
        self.notes.hide()
        self.truncated.hide()
        self.summary.show_message(f"Reading {Path(path).name}…", "info")
        self.progress.setValue(0)
        self.progress_label.setText("Starting")
        self.progress_box.show()
        self.open_button.setEnabled(False)
        self.sample_button.setEnabled(False)
        self.runner.start(import_file, path, keep)

    def cancel(self) -> None:
        self.runner.cancel()

    @property
    def busy(self) -> bool:
        return self.runner.busy

    # -- results ------------------------------------------------------------------------------
    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_label.setText(message)

    def show_report(self, ds: Dataset) -> None:
        """Summary line, unit/format notes and the issue list of a report (new or reopened)."""
        report = ds.report
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

    def _on_result(self, ds: Dataset) -> None:
        self.last = ds
        self.show_report(ds)
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
