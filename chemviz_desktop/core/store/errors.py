"""Store failures in words a user can act on: each names the store file and says what to do.
SQLite's own messages ("file is not a database", "cannot rollback") never reach the user bare."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from chemviz_desktop.core.errors import ExpectedError


class StoreError(ExpectedError):
    """The local store cannot do what was asked; `str()` names the file and the remedy."""

    def __init__(self, message: str, path: Path | str | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class NewerStoreError(StoreError):
    """The store was written by a newer ChemViz; this version leaves it untouched."""


class DamagedDataset(StoreError):
    """One dataset's stored rows fail their checksum or cannot be decoded."""

    def __init__(self, message: str, path: Path | str | None, dataset_id: int):
        super().__init__(message, path)
        self.dataset_id = dataset_id


class DatasetGone(StoreError, KeyError):
    """The dataset asked for is no longer in the store (deleted by another window or command)."""

    def __init__(self, message: str, path: Path | str | None, dataset_id: int):
        StoreError.__init__(self, message, path)
        self.dataset_id = dataset_id

    def __str__(self) -> str:   # KeyError would quote the message
        return self.args[0]


def explain(exc: sqlite3.Error, path: Path | str, doing: str = "") -> StoreError:
    """Map an SQLite failure to a StoreError that names `path` and what the user can do."""
    msg = str(exc).lower()
    what = f" while {doing}" if doing else ""
    if "not a database" in msg or "file is encrypted" in msg:
        text = (f"{path} is not a ChemViz store (it is not an SQLite database). Move it away or "
                "rename it; ChemViz then starts a new, empty store there. Restore it from a backup "
                "if it held your history.")
    elif "malformed" in msg or "corrupt" in msg:
        text = (f"The local store {path} is damaged ({exc}){what}. Close ChemViz, keep a copy of the "
                "file, then move it away or restore it from a backup; ChemViz starts a new store when "
                "none is there.")
    elif "full" in msg:
        text = (f"The disk holding {path} is full{what}; nothing was saved. Free some space and try "
                "again.")
    elif "readonly" in msg or "read-only" in msg or "unable to open" in msg or "access permission" in msg:
        text = (f"The local store {path} cannot be written{what} (read-only file or folder, or no "
                "permission). Check the permissions of the file and its folder, or set "
                "CHEMVIZ_DATA_DIR to a writable folder.")
    elif "locked" in msg or "busy" in msg:
        text = (f"The local store {path} is busy{what} (another ChemViz window or command is "
                "writing). Try again in a moment.")
    elif "disk i/o" in msg:
        text = (f"Reading or writing {path} failed{what} (disk I/O error). Check the disk, then try "
                "again.")
    else:
        text = f"The local store {path} failed{what}: {exc}."
    err = StoreError(text, path)
    err.__cause__ = exc
    return err
