"""The main window: eight pages in tabs, menus, status bar, drag-and-drop, export and the saved
layout. It wires pages together; the work itself lives in the pages, workers and the engine.
The sync layer hooks in through `sync_status_label`, `account_menu` and `history_page.refresh()`."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt5.QtCore import QEvent, QObject, Qt, pyqtSignal
from PyQt5.QtGui import QIcon, QKeySequence
from PyQt5.QtWidgets import (
    QAction,
    QActionGroup,
    QApplication,
    QFileDialog,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QTabWidget,
    QWidget,
)

from chemviz_desktop.core.dataset import Dataset, open_stored
from chemviz_desktop.core.equipment_service import readings_mark
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.export import (
    KINDS,
)
from chemviz_desktop.core.store import DatasetGone, Store, StoreError
from chemviz_desktop.ui import theme
from chemviz_desktop.ui.models.report_model import ISSUE_ROLE
from chemviz_desktop.ui.pages.alerts_page import AlertsPage
from chemviz_desktop.ui.pages.analytics_page import AnalyticsPage
from chemviz_desktop.ui.pages.compare_page import ComparePage
from chemviz_desktop.ui.pages.data_page import DataPage
from chemviz_desktop.ui.pages.equipment_page import EquipmentPage
from chemviz_desktop.ui.pages.history_page import HistoryPage
from chemviz_desktop.ui.pages.import_page import ImportPage
from chemviz_desktop.ui.pages.trends_page import TrendsPage
from chemviz_desktop.ui.settings import PAGES, AppSettings
from chemviz_desktop.ui.table_actions import install as install_table_actions
from chemviz_desktop.ui.window_exports import ExportMixin
from chemviz_desktop.ui.window_help import HelpMixin
from chemviz_desktop.ui.workers import TaskRunner, wait_all
from engine.version import APP_NAME

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
SAMPLE = RESOURCES / "sample_equipment.csv"
RESTORE_LIMIT = 1_000_000   # rows: larger datasets are offered, not reopened, at start


def csv_paths(mime: Any) -> list[str]:
    """Local files in a drag's mime data (.csv first). Any file is taken: the engine reads CSV and
    Excel and says in words what another file is, so a dropped .tsv/.txt/.ods never does nothing."""
    if mime is None or not mime.hasUrls():
        return []
    files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile() and Path(u.toLocalFile()).is_file()]
    return sorted(files, key=lambda f: not f.lower().endswith(".csv"))


def show_store_error(parent: QWidget | None, exc: StoreError) -> None:
    """The store cannot be opened: a message box naming the file and what to do (tests replace it)."""
    QMessageBox.critical(parent, APP_NAME, str(exc))


class MainWindow(ExportMixin, HelpMixin, QMainWindow):
    datasetChanged = pyqtSignal(object)   # Dataset or None
    exportFinished = pyqtSignal(str)      # path written, or "" on failure

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or AppSettings()
        try:
            self.store = Store()   # retention (History's "keep N") lives in the store itself
        except StoreError as exc:  # a damaged/newer/read-only store: say so in a window, not only stderr
            show_store_error(self, exc)
            raise
        self.dataset: Dataset | None = None
        self.last_export_error = ""
        self._readings_mark: tuple | None = None
        self.setWindowTitle(APP_NAME)
        self.setWindowIcon(QIcon(str(RESOURCES / "chemviz.svg")))
        self.setMinimumSize(960, 600)
        self.setAcceptDrops(True)

        self.import_page = ImportPage(str(self.store.path))
        self.data_page = DataPage()
        self.analytics_page = AnalyticsPage()
        self.history_page = HistoryPage(self.store, self.store.keep)
        self.compare_page = ComparePage(self.store)
        self.equipment_page = EquipmentPage(str(self.store.path))
        self.trends_page = TrendsPage(str(self.store.path))
        self.alerts_page = AlertsPage(str(self.store.path))
        self.pages = dict(zip(PAGES, (self.import_page, self.data_page, self.analytics_page,
                                      self.history_page, self.compare_page, self.equipment_page,
                                      self.trends_page, self.alerts_page), strict=True))
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for name, page in self.pages.items():
            self.tabs.addTab(page, name.capitalize())
        self.setCentralWidget(self.tabs)

        self.open_runner = TaskRunner(self)
        self.export_runner = TaskRunner(self)
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self._restore_layout()
        QApplication.instance().installEventFilter(self)
        from chemviz_desktop.ui.sync_menu import attach_sync  # status label, Account menu, History <-> server
        self.sync_controller = attach_sync(self)
        from chemviz_desktop.ui.monitoring_wiring import attach_monitoring  # Alerts tab + count, limits, colours
        attach_monitoring(self)
        self._restoring = False
        self.restore_last_dataset()

    # -- construction -------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 1000)
        self.busy_bar.setMaximumWidth(160)
        self.busy_bar.hide()
        self.dataset_label = QLabel("No dataset")
        self.sync_status_label = QLabel()   # text and tooltip come from the sync layer
        self.sync_status_label.setObjectName("Muted")
        separator = QFrame()
        separator.setFrameShape(QFrame.VLine)
        separator.setFrameShadow(QFrame.Sunken)
        bar.addPermanentWidget(self.busy_bar)
        bar.addPermanentWidget(self.dataset_label)
        bar.addPermanentWidget(separator)
        bar.addPermanentWidget(self.sync_status_label)

    def _action(self, menu: QMenu, text: str, slot: Any, shortcut: Any = None) -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda _checked=False: slot())
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        return action

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.open_action = self._action(file_menu, "&Open CSV…", self.choose_file, QKeySequence.Open)
        self.sample_action = self._action(file_menu, "Open &sample data", self.open_sample)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        file_menu.addSeparator()
        self.export_menu = file_menu.addMenu("&Export")
        self.export_actions: dict[str, QAction] = {}
        for kind, (label, _filt, _ext) in KINDS.items():
            shortcut = "Ctrl+E" if kind == "pdf" else "Ctrl+Shift+E" if kind == "stats_xlsx" else None
            self.export_actions[kind] = self._action(self.export_menu, label + "…",
                                                     lambda k=kind: self.choose_export(k), shortcut)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.Quit).setMenuRole(QAction.QuitRole)

        view_menu = mb.addMenu("&View")
        for i, (name, _page) in enumerate(self.pages.items()):
            self._action(view_menu, name.capitalize(), lambda n=name: self.show_page(n), f"Ctrl+{i + 1}")
        view_menu.addSeparator()
        group = QActionGroup(self)
        self.theme_actions = {}
        for name in ("light", "dark"):
            a = self._action(view_menu, f"{name.capitalize()} theme", lambda n=name: self.set_theme(n))
            a.setCheckable(True)
            a.setChecked(self.settings.theme == name)
            group.addAction(a)
            self.theme_actions[name] = a
        view_menu.addSeparator()
        self._action(view_menu, "Reset settings to defaults…", self.reset_settings)

        from chemviz_desktop.ui.dialogs.settings_menu import install as install_settings_menu
        self.settings_menu = install_settings_menu(mb.addMenu("&Settings"), self)   # types, pressure reference
        self.account_menu = mb.addMenu("&Account")   # filled by the sync layer (ui/sync_menu.py)

        help_menu = mb.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", self.show_shortcuts, "F1")
        self._action(help_menu, "Where is my data?", self.show_data_location)
        self._action(help_menu, "Open data folder", self.open_data_folder)
        help_menu.addSeparator()
        self._action(help_menu, f"About {APP_NAME}", self.about)
        self._update_actions()

    def _connect(self) -> None:
        ip = self.import_page
        ip.openRequested.connect(self.choose_file)
        ip.sampleRequested.connect(self.open_sample)
        ip.imported.connect(self._imported)
        ip.rowActivated.connect(self.jump_to_row)
        ip.runner.progress.connect(self._busy_progress)
        ip.finished.connect(self.busy_bar.hide)
        self.data_page.filterChanged.connect(self.analytics_page.set_filter)
        self.analytics_page.rowRequested.connect(self.jump_to_row)   # a clicked scatter point
        self.analytics_page.typeFilterRequested.connect(lambda t: self.data_page.set_filter(t))
        install_table_actions(self.import_page.table, self._report_menu)   # copy, Ctrl+A, right-click
        install_table_actions(self.history_page.table)
        self.history_page.openRequested.connect(self.open_dataset)
        self.history_page.deleted.connect(self._history_deleted)
        self.history_page.keepChanged.connect(self._keep_changed)
        self.history_page.changed.connect(self.compare_page.refresh)
        self.history_page.changed.connect(self._history_changed)   # import, delete, reading time, download
        self.equipment_page.trendRequested.connect(self.open_trend)
        self.equipment_page.edited.connect(lambda _name: self.compare_page.equipment_changed())
        self.import_page.readingsMoved.connect(lambda _id: self.history_page.refresh())
        self.open_runner.result.connect(self._opened)
        self.open_runner.error.connect(self._open_failed)
        self.open_runner.progress.connect(self._busy_progress)
        self.open_runner.finished.connect(self.busy_bar.hide)
        self.export_runner.progress.connect(self._busy_progress)
        self.export_runner.result.connect(self._exported)
        self.export_runner.error.connect(self._export_failed)
        self.export_runner.finished.connect(self.busy_bar.hide)
        self.tabs.currentChanged.connect(lambda i: setattr(self.settings, "last_page", PAGES[i]))

    def open_trend(self, names: list[str]) -> None:
        """From the Equipment page: the Trends page with that equipment selected."""
        self.trends_page.show_equipment(names)
        self.show_page("trends")

    def _history_changed(self) -> None:
        """History reloads often (sync passes); the readings changed only if the datasets did."""
        try:
            mark = readings_mark(self.store.db)
        except Exception:  # noqa: BLE001 -- a busy/damaged store: History says so; read again to be safe
            mark = None
        if mark is None or mark != self._readings_mark:
            self._readings_mark = mark
            self._readings_changed()

    def _readings_changed(self) -> None:
        """Readings or the registry changed: the Equipment, Trends and Compare pages read again."""
        self.equipment_page.invalidate()
        self.trends_page.invalidate()
        self.compare_page.equipment_changed()

    def _report_menu(self, menu: QMenu, index: Any) -> None:
        issue = self.import_page.model.data(index, ISSUE_ROLE) if index.isValid() else None
        if issue is not None and issue.row is not None:
            menu.addAction(f"Show row {issue.row} in Data", lambda r=int(issue.row): self.jump_to_row(r))

    # -- layout persistence -------------------------------------------------------------------
    def _splitters(self) -> dict[str, Any]:
        return {"analytics": self.analytics_page.splitter, "compare": self.compare_page.splitter,
                "trends": self.trends_page.splitter}

    def _restore_layout(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 720)
        for name, splitter in self._splitters().items():
            state = self.settings.splitter(name)
            if state is not None:
                splitter.restoreState(state)
        self.show_page(self.settings.last_page)

    def save_layout(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        for name, splitter in self._splitters().items():
            self.settings.set_splitter(name, splitter.saveState())
        self.settings.last_page = PAGES[self.tabs.currentIndex()]
        self.settings.sync()

    def closeEvent(self, event: Any) -> None:
        self.save_layout()
        QApplication.instance().removeEventFilter(self)
        for page in (self.equipment_page, self.trends_page, self.compare_page):
            page.shutdown()          # their timers must not start work after this
        for runner in {self.import_page.runner, self.data_page.runner, self.analytics_page.runner,
                       self.open_runner, self.export_runner, *self.findChildren(TaskRunner)}:
            runner.cancel()   # every page's runner, chart renderers included
        wait_all(10_000)
        self.store.close()
        super().closeEvent(event)

    # -- navigation ---------------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        self.tabs.setCurrentWidget(self.pages.get(name, self.import_page))

    def current_page(self) -> str:
        return PAGES[self.tabs.currentIndex()]

    def jump_to_row(self, row: int) -> None:
        """From a report issue to that row in the Data page."""
        if self.dataset is not None and self.data_page.show_row(row):
            self.show_page("data")

    # -- opening data ---------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open CSV export", self.settings.last_dir,
                                              "CSV files and Excel workbooks (*.csv *.xlsx *.xlsm);;"
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.open_file(path)

    def open_sample(self) -> None:
        self.open_file(str(SAMPLE))

    def open_file(self, path: str) -> None:
        """Import a CSV through the Import page's worker (the one path the UI, drag-and-drop and the
        smoke test use)."""
        self.show_page("import")
        if Path(path) != SAMPLE:
            self.settings.add_recent(str(Path(path).resolve()))
            self.settings.last_dir = str(Path(path).resolve().parent)
        self.busy_bar.setValue(0)
        self.busy_bar.show()
        self.import_page.start(path, self.settings.keep)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files
        for f in files:
            self._action(self.recent_menu, f, lambda p=f: self.open_file(p))
        if not files:
            self.recent_menu.addAction("(none)").setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self._action(self.recent_menu, "Clear list", lambda: setattr(self.settings, "recent_files", []))

    def open_dataset(self, dataset_id: int) -> None:
        """Reopen a stored dataset from the history (in a worker), then show Analytics."""
        self._restoring = False
        self.busy_bar.setValue(0)
        self.busy_bar.show()
        self.open_runner.start(open_stored, dataset_id)

    def restore_last_dataset(self) -> bool:
        """Reopen the dataset shown at the last close, from the store (not the file, which may have
        moved), on the page the user left; above 1M rows only offer it (History ▸ Open)."""
        dataset_id = self.settings.last_dataset_id
        info = self.store.info(dataset_id) if dataset_id else None
        if info is None:
            return False
        if getattr(info, "rows_total", 0) > RESTORE_LIMIT:
            self.import_page.summary.show_message(
                f"Last time you worked on {info.display_name} ({info.rows_total:,} rows). It is not reopened "
                "automatically because it is large: open it from History when you need it.", "info")
            return False
        self._restoring = True
        self.busy_bar.setValue(0)
        self.busy_bar.show()
        self.open_runner.start(open_stored, dataset_id)
        return True

    def _open_failed(self, exc: BaseException) -> None:
        """Say why on History too; a dataset removed by another window/command refreshes the list."""
        text = describe(exc, doing="opening")
        if isinstance(exc, DatasetGone):
            self.history_page.refresh()
        if isinstance(exc, StoreError):
            self.history_page.message.show_message(text, "warning")
        self.statusBar().showMessage(f"Could not open: {text}", 8000)

    def _imported(self, ds: Dataset) -> None:
        self.set_dataset(ds)
        self.history_page.refresh()
        self.statusBar().showMessage(f"Imported {ds.name}", 6000)

    def _opened(self, ds: Dataset) -> None:
        restoring, self._restoring = self._restoring, False
        self.set_dataset(ds)
        self.import_page.show_report(ds)
        if not restoring:   # a restore keeps the page the user left
            self.show_page("analytics")

    def set_dataset(self, ds: Dataset | None) -> None:
        self.dataset = ds
        if ds is not None and ds.store_id is not None:
            self.settings.last_dataset_id = ds.store_id
        self.analytics_page.set_dataset(ds)   # first, so the Data page's filter reset is a no-op there
        self.data_page.set_dataset(ds)
        self.setWindowTitle(f"{ds.name} — {APP_NAME}" if ds else APP_NAME)
        self._set_dataset_label(f"{ds.name}: {ds.report.rows_accepted:,} rows" if ds else "No dataset")
        self._update_actions()
        self.datasetChanged.emit(ds)

    def _set_dataset_label(self, text: str) -> None:
        """Long file names are elided so the sync field always stays visible."""
        self.dataset_label.setToolTip(text)
        width = max(140, min(340, self.width() // 4))   # narrow window: leave room for status messages
        self.dataset_label.setText(self.dataset_label.fontMetrics().elidedText(text, Qt.ElideMiddle, width))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._set_dataset_label(self.dataset_label.toolTip() or self.dataset_label.text())

    def _history_deleted(self, dataset_id: int) -> None:
        if self.dataset is not None and self.dataset.store_id == dataset_id:
            self.dataset.store_id = None
            self._set_dataset_label(f"{self.dataset.name} (deleted from history)")

    def _keep_changed(self, keep: int) -> None:
        self.settings.keep = keep

    def _busy_progress(self, fraction: float, message: str) -> None:
        self.busy_bar.show()
        self.busy_bar.setValue(int(fraction * 1000))
        self.busy_bar.setFormat(message or "%p%")

    # -- drag and drop anywhere -----------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Catch .csv drops on any child widget (line edits would otherwise take the path text)."""
        kind = event.type()
        if kind in (QEvent.DragEnter, QEvent.DragMove, QEvent.Drop) and isinstance(obj, QWidget) \
                and obj.window() is self:
            paths = csv_paths(event.mimeData())
            if paths:
                event.acceptProposedAction()
                if kind == QEvent.Drop:
                    self.open_file(paths[0])
                return True
        return super().eventFilter(obj, event)

    # -- settings -------------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        self.settings.theme = name
        theme.apply(QApplication.instance(), name)
        self.theme_actions[name].setChecked(True)
        self.analytics_page.redraw()
        self.compare_page.redraw_chart()
        self.trends_page.redraw()
        self.data_page.table.viewport().update()

    def reset_settings(self) -> None:
        if QMessageBox.question(self, APP_NAME, "Reset window layout, theme, recent files and the history "
                                "limit to their defaults?") == QMessageBox.Yes:
            self.settings.reset()
            self.set_theme("light")
            self.history_page.keep_spin.setValue(self.settings.keep)
