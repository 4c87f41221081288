"""Errors are never flattened into bare strings and lost. Expected failures (a bad file, an
unreachable server, a refused sign-in, a damaged store) subclass `ExpectedError` (or are OS
errors naming a file) and read as the message the user sees. Anything else is a bug: `describe`
logs it with its traceback to the log file and tells the user where the details are."""
from __future__ import annotations

import logging

log = logging.getLogger("chemviz")


class ExpectedError(Exception):
    """A failure the user can act on; `str(exc)` is the whole message they read."""


def describe(exc: BaseException, doing: str = "") -> str:
    """The words to show for `exc`; unexpected errors are logged with their traceback first."""
    if isinstance(exc, ExpectedError):
        return str(exc)
    if isinstance(exc, OSError) and (exc.filename or exc.strerror):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}"
    from chemviz_desktop.core.logs import log_file
    log.error("unexpected error%s", f" while {doing}" if doing else "",
              exc_info=(type(exc), exc, exc.__traceback__))
    return f"An unexpected error occurred ({type(exc).__name__}); details in {log_file()}"
