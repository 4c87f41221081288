"""The store's schema, versioned with `PRAGMA user_version`.

`MIGRATIONS[n - 1]` takes a store from version n - 1 to version n. Opening a store applies every
missing step in ONE transaction (all or nothing) and then sets `user_version`; a store whose
version is higher than `SCHEMA_VERSION` was written by a newer ChemViz and is refused untouched.

Version 1 is the schema of the release before versioning existed (its stores say user_version 0
but already hold these tables, so step 1 is a no-op for them; `tests/data/stores/release_v1.sqlite3`
is such a store and `tests/store/test_schema.py` upgrades it).

To add a migration (say equipment tables):
    1. write `def _v3_equipment(db: sqlite3.Connection) -> None:` issuing plain SQL (no
       BEGIN/COMMIT: the caller holds the transaction; never `executescript`, it commits);
    2. append it to `MIGRATIONS` -- `SCHEMA_VERSION` follows from the list's length;
    3. add a test in tests/store/test_schema.py that opens the previous version's fixture.
Never edit or reorder a released step; fix mistakes with a new one.
"""
from __future__ import annotations

import hashlib
import sqlite3
from typing import Callable

Migration = Callable[[sqlite3.Connection], None]


def sha256_hex(data: bytes | None) -> str:
    return hashlib.sha256(data).hexdigest() if data is not None else ""


def _statements(db: sqlite3.Connection, sql: str) -> None:
    """Run `;`-separated DDL inside the caller's transaction (executescript would commit)."""
    for stmt in sql.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _v1_baseline(db: sqlite3.Connection) -> None:
    """The schema as released before versioning (no-op on such a store)."""
    _statements(db, """
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    file_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    rows_total INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL,
    rows_excluded INTEGER NOT NULL,
    status TEXT NOT NULL,
    report_json TEXT NOT NULL,
    statistics_json TEXT,
    has_rows INTEGER NOT NULL DEFAULT 1,
    sync_state TEXT NOT NULL DEFAULT 'local',
    sync_error TEXT NOT NULL DEFAULT '',
    server_id INTEGER,
    server_owner TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS dataset_rows (
    dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
    parquet BLOB NOT NULL,
    csv_bytes BLOB
);
CREATE TABLE IF NOT EXISTS outbox (
    dataset_uuid TEXT PRIMARY KEY REFERENCES datasets(uuid) ON DELETE CASCADE,
    action TEXT NOT NULL DEFAULT 'upload',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT '',
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS datasets_imported ON datasets(imported_at DESC)
""")


def _v2_integrity_settings_pins(db: sqlite3.Connection) -> None:
    """Row checksums, content identity, pins, and the settings table (retention lives here)."""
    db.create_function("sha256_hex", 1, sha256_hex, deterministic=True)
    _statements(db, """
ALTER TABLE dataset_rows ADD COLUMN sha256 TEXT NOT NULL DEFAULT '';
UPDATE dataset_rows SET sha256 = sha256_hex(parquet);
ALTER TABLE datasets ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE datasets ADD COLUMN content_sha256 TEXT NOT NULL DEFAULT '';
UPDATE datasets SET content_sha256 = COALESCE(
    (SELECT sha256_hex(csv_bytes) FROM dataset_rows WHERE dataset_id = datasets.id AND csv_bytes IS NOT NULL), '');
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)
""")


def _v3_equipment_readings(db: sqlite3.Connection) -> None:
    """The equipment registry and readings over time (#15). Datasets already stored become
    history too: each one's readings are taken at its import time."""
    from chemviz_desktop.core.store import equipment
    from chemviz_desktop.core.store.codec import parquet_to_frame
    _statements(db, equipment.SQL_V3)
    db.execute("UPDATE datasets SET taken_at = imported_at")
    rows = db.execute("SELECT d.id, d.imported_at, r.parquet FROM datasets d JOIN dataset_rows r"
                      " ON r.dataset_id = d.id WHERE d.has_rows = 1 ORDER BY d.id").fetchall()
    for dataset_id, imported_at, blob in rows:
        try:
            frame = parquet_to_frame(blob)
        except Exception:  # noqa: BLE001 -- a damaged blob is reported when opened, not here
            continue
        equipment.record(db, int(dataset_id), frame, equipment.iso_to_ns(imported_at), str(imported_at))


def _v4_limits_alerts(db: sqlite3.Connection) -> None:
    """Operating limits and alerts (#16), and the kind of each stored dataset's readings (time
    series or snapshot, which alerts need). No limits exist yet, so no alerts either."""
    from chemviz_desktop.core.store import alerts, limits
    _statements(db, limits.SQL_V4)
    _statements(db, alerts.SQL_V4)
    alerts.fill_reading_sets(db)


def _v5_outbox_imports(db: sqlite3.Connection) -> None:
    """Import ids of uploads a server queued (202) and the client is still waiting for (#17)."""
    from chemviz_desktop.core.store import pending_imports
    _statements(db, pending_imports.SQL_V5)


def _v6_shared_records(db: sqlite3.Connection) -> None:
    """Two-way sync of shared records (#19): synced versions, the change outbox, conflicts."""
    from chemviz_desktop.core.store import shared
    _statements(db, shared.SQL_V6)


MIGRATIONS: list[Migration] = [_v1_baseline, _v2_integrity_settings_pins, _v3_equipment_readings,
                               _v4_limits_alerts, _v5_outbox_imports, _v6_shared_records]
SCHEMA_VERSION = len(MIGRATIONS)


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def upgrade(db: sqlite3.Connection) -> None:
    """Apply the missing MIGRATIONS in one transaction and stamp the new version. The version is
    read again under the write lock: another process may have upgraded the file meanwhile."""
    db.execute("BEGIN IMMEDIATE")
    try:
        current = version(db)
        for step in MIGRATIONS[current:]:
            step(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
