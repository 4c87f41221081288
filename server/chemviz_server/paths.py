"""Where the embedded server keeps its SQLite database, uploaded files and generated secret key."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.version import APP_NAME


def server_dir() -> Path:
    """CHEMVIZ_SERVER_DIR, else the platform's user data dir for ChemViz + "/server"."""
    env = os.environ.get("CHEMVIZ_SERVER_DIR")
    if env:
        return Path(env).expanduser().resolve()
    from platformdirs import user_data_dir
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "server"


def secret_key(directory: Path) -> str:
    """DJANGO_SECRET_KEY, else a random key generated once and kept in the server dir (mode 600)."""
    env = os.environ.get("DJANGO_SECRET_KEY")
    if env:
        return env
    path = directory / "secret_key.txt"
    try:
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    directory.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return path.read_text(encoding="utf-8").strip() or key
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def private_dir(path: Path) -> Path:
    """Create `path` readable by the owner only (0700); an existing directory is left as it is
    (it may be shared with a proxy that serves its static/ folder)."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing (the SQLite database holds tokens and password
    hashes; SQLite gives its -wal/-shm files the same mode), and take group/other bits off an
    existing one."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)
    return path
