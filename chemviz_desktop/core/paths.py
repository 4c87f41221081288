"""Where the desktop keeps its files: platformdirs, overridable for tests and portable installs."""
from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

from engine.version import APP_NAME, APP_ORG


def data_dir() -> Path:
    """`CHEMVIZ_DATA_DIR` if set, else the per-user data dir named after the app."""
    override = os.environ.get("CHEMVIZ_DATA_DIR")
    path = Path(override) if override else Path(user_data_dir(APP_NAME, APP_ORG))
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_path() -> Path:
    return data_dir() / "chemviz.sqlite3"
