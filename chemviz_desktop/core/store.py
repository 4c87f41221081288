"""The local dataset store: SQLite (WAL, one transaction per write) holding each dataset's rows,
validation report and statistics, so reopening needs no original file and a crash mid-import
leaves the store as it was. Also the sync outbox. No Qt here: the CLI and tests use it too."""
from __future__ import annotations

import io
import json
import sqlite3
import uuid as uuidlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from engine import LoadResult, Report, schema

from chemviz_desktop.core.paths import store_path

DEFAULT_KEEP = 5

# sync_state values
LOCAL = "local"            # imported here, not signed in / not queued
PENDING = "pending"        # in the outbox, waiting to reach the server
SYNCED = "synced"          # on the server and here
SERVER_ONLY = "server-only"  # seen on the server, rows not fetched yet
FAILED = "failed"          # the server refused it for good (message in sync_error)
SYNC_STATES = (LOCAL, PENDING, SYNCED, SERVER_ONLY, FAILED)

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS datasets_imported ON datasets(imported_at DESC);
"""


@dataclass
class DatasetInfo:
    id: int
    uuid: str
    file_name: str
    display_name: str
    imported_at: str
    rows_total: int
    rows_accepted: int
    rows_excluded: int
    status: str
    sync_state: str
    sync_error: str
    server_id: int | None
    server_owner: str
    has_rows: bool


@dataclass
class StoredDataset:
    info: DatasetInfo
    frame: pd.DataFrame | None
    report: Report
    statistics: dict[str, Any] | None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _frame_to_parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buf, compression="zstd")
    return buf.getvalue()


def _parquet_to_frame(blob: bytes) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(blob)).to_pandas()


class Store:
    """One SQLite file; open one Store per thread (connections are not shared across threads)."""

    def __init__(self, path: Path | str | None = None, keep: int = DEFAULT_KEEP):
        self.path = Path(path) if path else store_path()
        self.keep = keep
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        else:
            self.db.execute("COMMIT")

    # -- writes ---------------------------------------------------------------------------
    def add(self, result: LoadResult, *, file_name: str | None = None, uuid: str | None = None,
            sync_state: str = LOCAL, server_id: int | None = None, server_owner: str = "",
            csv_bytes: bytes | None = None, queue: bool = False) -> int:
        """Store an accepted load result in one transaction; returns the new dataset id.
        `queue=True` also puts it in the outbox (state pending). Applies retention. The original
        file is kept (to upload the user's own bytes) only when the server would accept its size."""
        if csv_bytes is not None and len(csv_bytes) > schema.SERVER_UPLOAD_LIMIT_BYTES:
            csv_bytes = None
        if not result.accepted or result.frame is None:
            raise ValueError("only accepted datasets are stored")
        r = result.report
        name = file_name or r.file_name or "dataset.csv"
        blob = _frame_to_parquet(result.frame)
        state = PENDING if queue else sync_state
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO datasets (uuid, file_name, display_name, imported_at, rows_total, rows_accepted,"
                " rows_excluded, status, report_json, statistics_json, has_rows, sync_state, server_id,"
                " server_owner) VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?,?)",
                (uuid or str(uuidlib.uuid4()), name, name, _now(), r.rows_total, r.rows_accepted,
                 r.rows_excluded, "completed", json.dumps(r.to_dict()), json.dumps(result.statistics),
                 state, server_id, server_owner))
            ds_id = int(cur.lastrowid)
            db.execute("INSERT INTO dataset_rows (dataset_id, parquet, csv_bytes) VALUES (?,?,?)",
                       (ds_id, blob, csv_bytes))
            if queue:
                db.execute("INSERT INTO outbox (dataset_uuid) SELECT uuid FROM datasets WHERE id=?", (ds_id,))
            self._apply_retention(db)
        return ds_id

    def add_server_only(self, *, uuid: str, file_name: str, imported_at: str, rows_total: int,
                        rows_accepted: int, server_id: int, server_owner: str,
                        statistics: dict | None = None, report: dict | None = None) -> int:
        """Record a dataset seen on the server whose rows are not here yet (idempotent by uuid)."""
        with self.transaction() as db:
            row = db.execute("SELECT id FROM datasets WHERE uuid=? OR server_id=?", (uuid, server_id)).fetchone()
            if row:
                return int(row["id"])
            cur = db.execute(
                "INSERT INTO datasets (uuid, file_name, display_name, imported_at, rows_total, rows_accepted,"
                " rows_excluded, status, report_json, statistics_json, has_rows, sync_state, server_id,"
                " server_owner) VALUES (?,?,?,?,?,?,?,?,?,?,0,?,?,?)",
                (uuid, file_name, file_name, imported_at, rows_total, rows_accepted, rows_total - rows_accepted,
                 "completed", json.dumps(report or {}), json.dumps(statistics) if statistics else None,
                 SERVER_ONLY, server_id, server_owner))
            return int(cur.lastrowid)

    def attach_rows(self, dataset_id: int, frame: pd.DataFrame, report: dict | None = None,
                    statistics: dict | None = None) -> None:
        """Fill in the rows of a server-only dataset (it becomes synced)."""
        blob = _frame_to_parquet(frame)
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO dataset_rows (dataset_id, parquet) VALUES (?,?)", (dataset_id, blob))
            db.execute("UPDATE datasets SET has_rows=1, sync_state=?,"
                       " report_json=COALESCE(?, report_json), statistics_json=COALESCE(?, statistics_json)"
                       " WHERE id=?",
                       (SYNCED, json.dumps(report) if report else None,
                        json.dumps(statistics) if statistics else None, dataset_id))

    def rename(self, dataset_id: int, display_name: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE datasets SET display_name=? WHERE id=?", (display_name.strip(), dataset_id))

    def delete(self, dataset_id: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM datasets WHERE id=?", (dataset_id,))

    def set_sync_state(self, dataset_uuid: str, state: str, *, error: str = "",
                       server_id: int | None = None, server_owner: str | None = None) -> None:
        assert state in SYNC_STATES
        with self.transaction() as db:
            db.execute("UPDATE datasets SET sync_state=?, sync_error=?, server_id=COALESCE(?, server_id),"
                       " server_owner=COALESCE(?, server_owner) WHERE uuid=?",
                       (state, error, server_id, server_owner, dataset_uuid))
            if state != PENDING:
                db.execute("DELETE FROM outbox WHERE dataset_uuid=?", (dataset_uuid,))

    def enqueue(self, dataset_uuid: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO outbox (dataset_uuid) VALUES (?)", (dataset_uuid,))
            db.execute("UPDATE datasets SET sync_state=?, sync_error='' WHERE uuid=?", (PENDING, dataset_uuid))

    def enqueue_all_local(self) -> int:
        """Queue every dataset imported here that never reached the server (on sign-in)."""
        with self.transaction() as db:
            rows = db.execute("SELECT uuid FROM datasets WHERE sync_state=?", (LOCAL,)).fetchall()
            for r in rows:
                db.execute("INSERT OR IGNORE INTO outbox (dataset_uuid) VALUES (?)", (r["uuid"],))
            db.execute("UPDATE datasets SET sync_state=? WHERE sync_state=?", (PENDING, LOCAL))
        return len(rows)

    def record_attempt(self, dataset_uuid: str, error: str, next_attempt_at: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE dataset_uuid=?",
                       (error, next_attempt_at, dataset_uuid))

    def _apply_retention(self, db: sqlite3.Connection) -> None:
        """Keep the newest `keep` datasets; never drop one still waiting to upload."""
        db.execute(
            "DELETE FROM datasets WHERE sync_state != ? AND id NOT IN "
            "(SELECT id FROM datasets ORDER BY imported_at DESC, id DESC LIMIT ?)", (PENDING, self.keep))

    def set_keep(self, keep: int) -> None:
        self.keep = max(1, int(keep))
        with self.transaction() as db:
            self._apply_retention(db)

    # -- reads ----------------------------------------------------------------------------
    def list(self) -> list[DatasetInfo]:
        rows = self.db.execute("SELECT * FROM datasets ORDER BY imported_at DESC, id DESC").fetchall()
        return [self._info(r) for r in rows]

    def info(self, dataset_id: int) -> DatasetInfo | None:
        r = self.db.execute("SELECT * FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        return self._info(r) if r else None

    def by_uuid(self, dataset_uuid: str) -> DatasetInfo | None:
        r = self.db.execute("SELECT * FROM datasets WHERE uuid=?", (dataset_uuid,)).fetchone()
        return self._info(r) if r else None

    def open(self, dataset_id: int) -> StoredDataset:
        r = self.db.execute("SELECT * FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        if r is None:
            raise KeyError(dataset_id)
        blob = self.db.execute("SELECT parquet FROM dataset_rows WHERE dataset_id=?", (dataset_id,)).fetchone()
        frame = _parquet_to_frame(blob["parquet"]) if blob else None
        stats = json.loads(r["statistics_json"]) if r["statistics_json"] else None
        return StoredDataset(self._info(r), frame, Report.from_dict(json.loads(r["report_json"] or "{}")), stats)

    def statistics(self, dataset_id: int) -> dict[str, Any] | None:
        """Only the stored statistics (no rows): what Compare needs."""
        r = self.db.execute("SELECT statistics_json FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        return json.loads(r["statistics_json"]) if r and r["statistics_json"] else None

    def csv_bytes(self, dataset_id: int) -> bytes | None:
        r = self.db.execute("SELECT csv_bytes FROM dataset_rows WHERE dataset_id=?", (dataset_id,)).fetchone()
        return r["csv_bytes"] if r else None

    def outbox(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM outbox ORDER BY rowid").fetchall()

    def pending_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    @staticmethod
    def _info(r: sqlite3.Row) -> DatasetInfo:
        return DatasetInfo(r["id"], r["uuid"], r["file_name"], r["display_name"], r["imported_at"],
                           r["rows_total"], r["rows_accepted"], r["rows_excluded"], r["status"],
                           r["sync_state"], r["sync_error"], r["server_id"], r["server_owner"],
                           bool(r["has_rows"]))
