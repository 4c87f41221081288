"""Settings kept IN the store (one place the CLI and the GUI both read): today the retention
limit. The old GUI-only `settings.ini` `store/keep` value is adopted once when it parses; a
damaged ini never shrinks retention: keep everything, keep a copy of the file, warn once."""
from __future__ import annotations

import configparser
import logging
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from chemviz_desktop.core.store.schema import sha256_hex

log = logging.getLogger("chemviz")

DEFAULT_KEEP = 5
KEEP_ALL = 0            # "keep everything": what an unreadable limit falls back to
MAX_KEEP = 100
KEEP_KEY = "keep"
NOTICE_KEY = "notice"                    # one warning for the user, shown once then cleared
DAMAGED_INI_KEY = "ini_damaged_sha256"   # the damaged ini already copied and warned about
BAD_LIMIT = "holds an unreadable history limit"


def get(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key=?", (key,)).fetchone()
    return None if row is None else str(row[0])


def put(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))


def parse_keep(text: str | None) -> int | None:
    """The stored limit, or None when it is not a whole number in 0..MAX_KEEP (0 = all)."""
    try:
        value = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 <= value <= MAX_KEEP else None


def read_ini_keep(ini: Path) -> tuple[int | None, str]:
    """(keep from the ini or None when absent, problem). A non-empty problem means the file is
    damaged or unreadable; then the keep value must not be trusted."""
    try:
        raw = ini.read_bytes()
    except FileNotFoundError:
        return None, ""
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "is not text"
    if "\x00" in text:
        return None, "contains binary data"
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return None, f"cannot be parsed ({exc.__class__.__name__})"
    if not parser.has_option("store", "keep"):
        return None, ""
    value = parse_keep(parser.get("store", "keep"))
    if value is None or value == KEEP_ALL:
        return None, f"{BAD_LIMIT} (keep={parser.get('store', 'keep')!r})"
    return value, ""


def needs_adoption(db: sqlite3.Connection, ini: Path) -> bool:
    """True when `adopt_legacy` has something to write (read-only check: most opens have not)."""
    if get(db, KEEP_KEY) is None:
        return True
    _keep, problem = read_ini_keep(ini)
    if not problem or problem.startswith(BAD_LIMIT):
        return False
    return get(db, DAMAGED_INI_KEY) != sha256_hex(_bytes(ini))


def adopt_legacy(db: sqlite3.Connection, ini: Path, now: datetime | None = None) -> None:
    """Inside the caller's transaction: adopt the ini's limit once, and copy + warn once about a
    damaged ini (whatever its age) so nothing the user set is silently lost."""
    keep, problem = read_ini_keep(ini)
    have_keep = get(db, KEEP_KEY) is not None
    if problem.startswith(BAD_LIMIT) and have_keep:
        return          # the ini's limit is no longer read: nothing is at risk, nothing to say
    if problem:
        digest = sha256_hex(_bytes(ini))
        if get(db, DAMAGED_INI_KEY) != digest:
            stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
            copy = ini.with_name(f"{ini.name}.damaged-{stamp}")
            try:
                shutil.copy2(ini, copy)
                kept = f"a copy is in {copy}"
            except OSError as exc:
                kept = f"no copy could be made ({exc.strerror or exc})"
            put(db, DAMAGED_INI_KEY, digest)
            what = ("every dataset is kept until you set 'Keep the last … datasets' in History"
                    if not have_keep else "the history limit stored with your datasets still applies")
            message = f"The settings file {ini} {problem}; {kept}. Nothing was deleted: {what}."
            put(db, NOTICE_KEY, message)
            log.warning(message)
        if not have_keep:
            put(db, KEEP_KEY, str(KEEP_ALL))
        return
    if not have_keep:
        put(db, KEEP_KEY, str(keep if keep is not None else DEFAULT_KEEP))


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
