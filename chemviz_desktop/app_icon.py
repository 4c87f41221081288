"""The application icon (window, taskbar, About dialog). PNGs at fixed sizes, rendered once from
resources/icons/chemviz.svg, so no SVG icon-engine plugin is needed at run time (nor in the
packaged build)."""
from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QSize
from PyQt5.QtGui import QIcon

ICON_DIR = Path(__file__).resolve().parent / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """QIcon with every shipped size; an empty icon (not an error) if the files are missing."""
    icon = QIcon()
    for size in SIZES:
        path = ICON_DIR / f"chemviz-{size}.png"
        if path.is_file():
            icon.addFile(str(path), QSize(size, size))
    return icon


def apply_app_icon(app) -> QIcon:
    """Set the icon on the QApplication: every window (main, dialogs, About) inherits it."""
    icon = app_icon()
    app.setWindowIcon(icon)
    return icon
