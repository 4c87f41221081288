"""The Help menu's texts and actions: keyboard shortcuts (read from the menus themselves, so the
list cannot go stale), where the data is stored, open the data folder, About."""
from __future__ import annotations

from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import QMenu, QMessageBox

from engine.version import APP_NAME, __version__


class HelpMixin:
    """Needs from the window: menuBar(), statusBar()."""

    def shortcuts_text(self) -> str:
        """Every menu shortcut plus the table keys, as one list (Help ▸ Keyboard shortcuts)."""
        lines: list[str] = []

        def walk(menu: QMenu, path: str) -> None:
            for a in menu.actions():
                if a.menu() is not None:
                    walk(a.menu(), f"{path}{a.menu().title().replace('&', '')} ▸ ")
                elif not a.shortcut().isEmpty():
                    key = a.shortcut().toString(QKeySequence.NativeText)
                    lines.append(f"{key:<16} {path}{a.text().replace('&', '')}")
        for top in self.menuBar().actions():
            if top.menu() is not None:
                walk(top.menu(), f"{top.menu().title().replace('&', '')} ▸ ")
        lines += ["Ctrl+C           Tables: copy the selection with headers (pastes into Excel)",
                  "Ctrl+A           Tables: select all", "Right-click      Tables: copy, export selection, filter",
                  "Double-click     Import report: show the row in Data"]
        return "\n".join(lines)

    def show_shortcuts(self) -> None:
        box = QMessageBox(QMessageBox.Information, f"{APP_NAME} keyboard shortcuts", self.shortcuts_text(),
                          QMessageBox.Ok, self)
        box.setStyleSheet("QLabel { font-family: monospace; }")
        box.open()

    def data_location_text(self) -> str:
        from chemviz_desktop.core import paths
        return (f"Your imported datasets (local history), settings and logs are stored in:\n{paths.data_dir()}\n\n"
                "Nothing leaves this computer unless you sign in to a server and sync.")

    def show_data_location(self) -> None:
        QMessageBox.information(self, f"Where {APP_NAME} keeps your data", self.data_location_text())

    def open_data_folder(self) -> None:
        from PyQt5.QtCore import QUrl
        from PyQt5.QtGui import QDesktopServices

        from chemviz_desktop.core import paths
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.data_dir()))):
            self.statusBar().showMessage(f"Could not open a file browser; the data folder is {paths.data_dir()}", 10000)

    def about(self) -> None:
        QMessageBox.about(self, APP_NAME, f"<b>{APP_NAME} {__version__}</b><br>Chemical equipment CSV validation, "
                          "statistics, charts and reports. Works offline; data stays on this computer.")
