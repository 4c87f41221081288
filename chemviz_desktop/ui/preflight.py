"""Check, before Qt loads, that a window can be shown; Qt's own failure is an abort with a core
dump and a message few engineers can act on."""
from __future__ import annotations

import ctypes.util
import os
import sys

XCB_LIBS = {"xcb-icccm": "libxcb-icccm4", "xcb-keysyms": "libxcb-keysyms1",
            "xcb-xinerama": "libxcb-xinerama0", "xkbcommon-x11": "libxkbcommon-x11-0"}


def problem() -> str | None:
    """One line explaining why the GUI cannot start here, with the fix; None when it can."""
    if not sys.platform.startswith("linux"):
        return None
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith("xcb"):
        return None
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return ("no display found: run it on a desktop session, or set QT_QPA_PLATFORM=offscreen "
                "for headless use")
    if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY"):
        return None
    missing = [pkg for lib, pkg in XCB_LIBS.items() if ctypes.util.find_library(lib) is None]
    if missing:
        return (f"Qt's xcb plugin needs {' '.join(missing)}; install them with: "
                f"sudo apt install {' '.join(missing)}")
    return None
