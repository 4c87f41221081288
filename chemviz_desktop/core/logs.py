"""Logging for the workstation (desktop window and CLI), configured once at the entry point: a
rotating file in the data dir keeps every unexpected error with its traceback, so a user can send
it; `--debug` also prints records (and tracebacks) on stderr. The server configures its own
logging through Django's LOGGING setting."""
from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

LOG_NAME = "chemviz.log"
_configured: dict[str, object] = {}


def log_file() -> Path:
    """Where unexpected errors are written (beside the local store)."""
    from chemviz_desktop.core.paths import data_dir
    return data_dir() / LOG_NAME


def debug_enabled() -> bool:
    return bool(_configured.get("debug")) or os.environ.get("CHEMVIZ_DEBUG") == "1"


def configure(debug: bool = False) -> None:
    """Attach the rotating file handler (1 MB × 3) and, with `debug`, a stderr handler. Calling
    it again only switches debug on; it never adds a second file handler."""
    root = logging.getLogger()
    if debug and not _configured.get("debug"):
        err = logging.StreamHandler(sys.stderr)
        err.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(err)
        root.setLevel(logging.DEBUG)
        _configured["debug"] = True
    if "file" in _configured:
        return
    try:
        handler = logging.handlers.RotatingFileHandler(log_file(), maxBytes=1_000_000, backupCount=3,
                                                       encoding="utf-8", delay=True)
    except OSError as exc:  # an unwritable data dir must not stop the app; say so once
        print(f"warning: cannot write the log file ({exc.strerror or exc})", file=sys.stderr)
        _configured["file"] = None
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    _configured["file"] = handler
