"""Typed application settings over QSettings. The ini file lives in the data dir (so
CHEMVIZ_DATA_DIR isolates tests and portable installs) and every value has a default."""
from __future__ import annotations

from PyQt5.QtCore import QByteArray, QSettings

from chemviz_desktop.core import paths
from chemviz_desktop.core.store import DEFAULT_KEEP, Store

MAX_RECENT = 8
THEMES = ("light", "dark")
PAGES = ("import", "data", "analytics", "history", "compare", "equipment", "trends", "alerts")


class AppSettings:
    """One object per window; read/write through properties, `reset()` restores the defaults."""

    def __init__(self, path: str | None = None):
        self.path = path or str(paths.data_dir() / "settings.ini")
        self.q = QSettings(self.path, QSettings.IniFormat)

    def sync(self) -> None:
        self.q.sync()

    def reset(self) -> None:
        """Forget everything (window layout, theme, recent files, retention)."""
        self.q.clear()
        self.q.sync()
        self.keep = DEFAULT_KEEP

    # -- appearance ---------------------------------------------------------------------------
    @property
    def theme(self) -> str:
        value = str(self.q.value("ui/theme", "light"))
        return value if value in THEMES else "light"

    @theme.setter
    def theme(self, value: str) -> None:
        self.q.setValue("ui/theme", value if value in THEMES else "light")

    @property
    def last_page(self) -> str:
        value = str(self.q.value("ui/last_page", "import"))
        return value if value in PAGES else "import"

    @last_page.setter
    def last_page(self, value: str) -> None:
        self.q.setValue("ui/last_page", value)

    # -- store ------------------------------------------------------------------------------------
    # History's "keep N" lives in the store (one place for the CLI and the GUI; 0 = keep all);
    # the old ini value `store/keep` is adopted once by the store, then ignored.
    @property
    def keep(self) -> int:
        store = Store()
        try:
            return store.keep
        finally:
            store.close()

    @keep.setter
    def keep(self, value: int) -> None:
        store = Store()
        try:
            store.set_keep(int(value))
        finally:
            store.close()

    # -- files ------------------------------------------------------------------------------------
    @property
    def recent_files(self) -> list[str]:
        value = self.q.value("files/recent", [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])][:MAX_RECENT]

    @recent_files.setter
    def recent_files(self, files: list[str]) -> None:
        self.q.setValue("files/recent", list(files)[:MAX_RECENT])

    def add_recent(self, path: str) -> None:
        files = [path] + [f for f in self.recent_files if f != path]
        self.recent_files = files

    @property
    def last_dir(self) -> str:
        return str(self.q.value("files/last_dir", ""))

    @last_dir.setter
    def last_dir(self, value: str) -> None:
        self.q.setValue("files/last_dir", value)

    @property
    def export_dir(self) -> str:
        """Folder of the last export (the save dialog opens there next time)."""
        return str(self.q.value("files/export_dir", ""))

    @export_dir.setter
    def export_dir(self, value: str) -> None:
        self.q.setValue("files/export_dir", value)

    @property
    def last_dataset_id(self) -> int | None:
        """The stored dataset shown when the window closed (reopened from the store on start)."""
        try:
            value = int(self.q.value("store/last_dataset", 0))
        except (TypeError, ValueError):
            return None
        return value or None

    @last_dataset_id.setter
    def last_dataset_id(self, value: int | None) -> None:
        self.q.setValue("store/last_dataset", int(value or 0))

    # -- window layout ------------------------------------------------------------------------
    def geometry(self) -> QByteArray | None:
        value = self.q.value("window/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, value: QByteArray) -> None:
        self.q.setValue("window/geometry", value)

    def splitter(self, name: str) -> QByteArray | None:
        value = self.q.value(f"splitters/{name}")
        return value if isinstance(value, QByteArray) else None

    def set_splitter(self, name: str, value: QByteArray) -> None:
        self.q.setValue(f"splitters/{name}", value)
