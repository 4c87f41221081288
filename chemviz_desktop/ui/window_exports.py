"""The main window's exports: the save dialog (named after the dataset, in a writable folder,
asking before overwriting) and the export worker. A mixin so MainWindow keeps its public
`export`/`choose_export` API while this module holds the one job."""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtWidgets import QFileDialog, QMessageBox

from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.export import (
    FILTERED_KINDS,
    KINDS,
    default_folder,
    default_name,
    export_error_words,
    run_export,
)
from chemviz_desktop.core.export.charts import chart_list
from chemviz_desktop.ui.pages.analytics_page import filter_words
from engine.version import APP_NAME


class ExportMixin:
    """Needs from the window: dataset, settings, analytics_page, export_menu, export_actions,
    export_runner, busy_bar, statusBar(), exportFinished, last_export_error."""

    def _update_actions(self) -> None:
        has = self.dataset is not None and self.dataset.accepted
        self.export_menu.setEnabled(has)
        for a in self.export_actions.values():
            a.setEnabled(has)

    def choose_export(self, kind: str) -> None:
        """Save dialog named after the dataset, in a writable folder; says whether the export
        follows a filter; asks before overwriting."""
        if self.dataset is None:
            return
        label, filt, ext = KINDS[kind]
        folder = default_folder(self.settings.export_dir, self.dataset.source_path)
        start = str(folder / default_name(self.dataset.name, kind))
        words = filter_words(self.analytics_page.spec)
        title = label + (f" — filtered: {words}" if words and kind in FILTERED_KINDS else
                         " — all rows" if kind in FILTERED_KINDS else "")
        if kind == "charts_dir":
            path = QFileDialog.getExistingDirectory(self, title, str(folder))
            clash = [f"{stem}{e}" for _n, _c, stem in chart_list() for e in (".png", ".svg")
                     if path and (Path(path) / f"{stem}{e}").exists()]
            if clash and not self.confirm(f"{len(clash)} chart files already exist in {path} "
                                          f"(e.g. {clash[0]}). Replace them?"):
                return
        else:
            path, _ = QFileDialog.getSaveFileName(self, title, start, filt)
            if path and not path.lower().endswith(ext):
                path += ext
                if Path(path).exists() and not self.confirm(f"{Path(path).name} already exists. Replace it?"):
                    return
        if path:
            self.settings.export_dir = str(Path(path) if kind == "charts_dir" else Path(path).parent)
            self.export(kind, path)

    def confirm(self, question: str) -> bool:
        """Yes/no question (tests replace it)."""
        return QMessageBox.question(self, APP_NAME, question) == QMessageBox.Yes

    def export(self, kind: str, path: str) -> None:
        """Write one export in a worker; the statistics and charts follow the current filter."""
        ap = self.analytics_page
        filter_text = filter_words(ap.spec)
        self.last_export_error = ""
        self.busy_bar.setValue(0)
        self.busy_bar.show()
        self.export_runner.start(run_export, kind, path, self.dataset, ap.statistics, ap.current_chart(),
                                 ap.param_combo.currentData(), filter_text, ap.mask)

    def _exported(self, where: str) -> None:
        self.statusBar().showMessage(f"Exported {where}", 8000)
        self.exportFinished.emit(where)

    def _export_failed(self, exc: BaseException) -> None:
        message = export_error_words(exc) or describe(exc, doing="exporting")
        self.last_export_error = message
        self.statusBar().showMessage(f"Export failed: {message}", 10000)
        self.exportFinished.emit("")
