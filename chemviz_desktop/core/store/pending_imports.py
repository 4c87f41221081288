"""Uploads the server accepted for background processing (HTTP 202) and has not finished yet:
the import id to poll, per outbox item and server (#17). Kept in the store, so a client killed
while waiting polls the same import after a restart instead of sending the file again.

A row lives only as long as its outbox item (ON DELETE CASCADE): once the dataset is synced,
failed or deleted, its import id goes with it. Functions take the caller's connection."""
from __future__ import annotations

import sqlite3

SQL_V5 = """
CREATE TABLE outbox_imports (
    dataset_uuid TEXT PRIMARY KEY REFERENCES outbox(dataset_uuid) ON DELETE CASCADE,
    server_url TEXT NOT NULL,
    import_id INTEGER NOT NULL,
    accepted_at TEXT NOT NULL
)
"""


def remember(db: sqlite3.Connection, dataset_uuid: str, server_url: str, import_id: int, accepted_at: str) -> None:
    """The server queued this outbox item as `import_id` (one import per item; a newer one
    replaces an older, e.g. from another server)."""
    db.execute("INSERT OR REPLACE INTO outbox_imports (dataset_uuid, server_url, import_id, accepted_at)"
               " SELECT dataset_uuid, ?, ?, ? FROM outbox WHERE dataset_uuid=?",
               (server_url, int(import_id), accepted_at, dataset_uuid))


def recall(db: sqlite3.Connection, dataset_uuid: str, server_url: str) -> int | None:
    """The import id this server gave the item, if it is still waiting for one."""
    row = db.execute("SELECT import_id FROM outbox_imports WHERE dataset_uuid=? AND server_url=?",
                     (dataset_uuid, server_url)).fetchone()
    return None if row is None else int(row[0])


def forget(db: sqlite3.Connection, dataset_uuid: str) -> None:
    db.execute("DELETE FROM outbox_imports WHERE dataset_uuid=?", (dataset_uuid,))
