"""The local dataset store: SQLite (WAL, one transaction per write) holding each dataset's rows
(with a checksum), validation report and statistics, so reopening needs no original file and a
crash mid-import leaves the store as it was. Also the sync outbox and the retention setting.
No Qt here: the CLI and tests use it too. Every SQLite failure surfaces as a StoreError naming
the file."""
from __future__ import annotations

import builtins
import functools
import json
import sqlite3
import uuid as uuidlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import pandas as pd

from chemviz_desktop.core.paths import store_path
from chemviz_desktop.core.store import alerts, equipment, schema, settings, shared
from chemviz_desktop.core.store.codec import frame_to_parquet, parquet_to_frame
from chemviz_desktop.core.store.errors import DamagedDataset, DatasetGone, NewerStoreError, StoreError, explain
from chemviz_desktop.core.store.schema import sha256_hex
from engine import LoadResult, Report
from engine import schema as engine_schema
from engine.readings import TIMESTAMP

# sync_state values
LOCAL = "local"            # imported here, not signed in / not queued
PENDING = "pending"        # in the outbox, waiting to reach the server
SYNCED = "synced"          # on the server and here
SERVER_ONLY = "server-only"  # seen on the server, rows not fetched yet
FAILED = "failed"          # the server refused it for good (message in sync_error)
REMOVED = "removed"        # was on the server, is not any more: the copy here is the only one
SYNC_STATES = (LOCAL, PENDING, SYNCED, SERVER_ONLY, FAILED, REMOVED)
# States in which a copy exists elsewhere (the server): only these may be trimmed by retention.
ELSEWHERE = (SYNCED, SERVER_ONLY)

T = TypeVar("T")


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
    pinned: bool = False
    content_sha256: str = ""
    taken_at: str = ""          # when a snapshot's readings were taken (UTC ISO); "" before recorded


@dataclass
class StoredDataset:
    info: DatasetInfo
    frame: pd.DataFrame | None
    report: Report
    statistics: dict[str, Any] | None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _mapped(doing: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Turn an SQLite failure inside a Store method into a StoreError naming the file."""
    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def inner(self: "Store", *args: Any, **kw: Any) -> T:
            try:
                return fn(self, *args, **kw)
            except sqlite3.Error as exc:
                raise explain(exc, self.path, doing) from exc
        return inner
    return wrap


class Store:
    """One SQLite file; open one Store per thread (connections are not shared across threads).
    `now` stamps imported_at (tests inject a skewed clock); ordering never depends on it."""

    def __init__(self, path: Path | str | None = None, *, now: Callable[[], datetime] = utc_now,
                 settings_file: Path | None = None):
        self.path = Path(path) if path else store_path()
        self.now = now
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise explain(exc, self.path, "opening it") from exc
        try:
            self._open(settings_file or self.path.parent / "settings.ini")
        except BaseException:
            self.db.close()
            raise

    def _open(self, ini: Path) -> None:
        try:
            self.db.row_factory = sqlite3.Row
            found = schema.version(self.db)     # reads the header only: touches nothing
            if found > schema.SCHEMA_VERSION:
                raise NewerStoreError(
                    f"The local store {self.path} was written by a newer version of ChemViz (store "
                    f"version {found}; this version knows up to {schema.SCHEMA_VERSION}). Update ChemViz "
                    "to open it. Nothing in the file was changed.", self.path)
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if found < schema.SCHEMA_VERSION:
                schema.upgrade(self.db)
            if settings.needs_adoption(self.db, ini):
                with self.transaction() as db:
                    settings.adopt_legacy(db, ini, self.now())
        except sqlite3.Error as exc:
            raise explain(exc, self.path, "opening it") from exc

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT. A failure rolls back only if SQLite has not already done so
        (a full disk aborts the transaction itself), so the real cause is what gets reported."""
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise explain(exc, self.path, "starting a change") from exc
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                try:
                    self.db.execute("ROLLBACK")
                except sqlite3.Error:
                    pass   # the original failure below is the one worth reporting
            if isinstance(exc, sqlite3.Error):
                raise explain(exc, self.path, "saving") from exc
            raise

    # -- settings --------------------------------------------------------------------------
    @property
    def keep(self) -> int:
        """How many datasets History keeps (0 = all). Stored in the store: CLI and GUI agree."""
        value = settings.parse_keep(self._setting(settings.KEEP_KEY))
        return settings.KEEP_ALL if value is None else value

    @_mapped("saving the history limit")
    def set_keep(self, keep: int) -> None:
        """Persist the limit. Shrinking deletes nothing now; retention runs at the next import."""
        value = max(settings.KEEP_ALL, min(settings.MAX_KEEP, int(keep)))
        with self.transaction() as db:
            settings.put(db, settings.KEEP_KEY, str(value))

    @_mapped("reading a setting")
    def _setting(self, key: str) -> str | None:
        return settings.get(self.db, key)

    @_mapped("reading a setting")
    def take_notice(self) -> str | None:
        """The pending warning for the user (damaged settings file…), cleared once taken."""
        with self.transaction() as db:
            text = settings.get(db, settings.NOTICE_KEY)
            db.execute("DELETE FROM settings WHERE key=?", (settings.NOTICE_KEY,))
        return text

    # -- integrity -------------------------------------------------------------------------
    @_mapped("checking it")
    def problems(self) -> list[str]:
        """SQLite's quick_check plus every row blob against its checksum ([] = sound)."""
        found = [r[0] for r in self.db.execute("PRAGMA quick_check").fetchall() if r[0] != "ok"]
        for r in self.db.execute("SELECT d.id, d.display_name, r.sha256, r.parquet FROM datasets d "
                                 "JOIN dataset_rows r ON r.dataset_id = d.id"):
            if r["sha256"] != sha256_hex(r["parquet"]):
                found.append(f"the rows of '{r['display_name']}' (id {r['id']}) are damaged")
        return found

    def ensure_sound(self) -> None:
        """Raise StoreError (naming the file and what is damaged) unless the store is sound."""
        found = self.problems()
        if found:
            raise StoreError(
                f"The local store {self.path} is damaged ({'; '.join(found[:3])}). Nothing was "
                "written to it. Delete the damaged dataset in History, or close ChemViz and move "
                "the file away (keep a copy); ChemViz starts a new store when none is there.",
                self.path)

    # -- writes ----------------------------------------------------------------------------
    @_mapped("saving the dataset")
    def add(self, result: LoadResult, *, file_name: str | None = None, uuid: str | None = None,
            sync_state: str = LOCAL, server_id: int | None = None, server_owner: str = "",
            csv_bytes: bytes | None = None, queue: bool = False, taken_at: datetime | None = None) -> int:
        """Store an accepted load result in one transaction; returns the new dataset id.
        `queue=True` also puts it in the outbox (state pending). Refuses a damaged store, then
        applies retention (never to the new row). The original file is kept (to upload the
        user's own bytes) only when the server would accept its size; its hash is kept always.
        Equipment and readings are recorded in the same transaction: a time series at its own
        times, a snapshot at `taken_at` (default: the import time)."""
        if not result.accepted or result.frame is None:
            raise ValueError("only accepted datasets are stored")
        content = sha256_hex(csv_bytes) if csv_bytes is not None else ""
        if csv_bytes is not None and len(csv_bytes) > engine_schema.SERVER_UPLOAD_LIMIT_BYTES:
            csv_bytes = None
        self.ensure_sound()
        r = result.report
        name = file_name or r.file_name or "dataset.csv"
        blob = frame_to_parquet(result.frame)
        state = PENDING if queue else sync_state
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO datasets (uuid, file_name, display_name, imported_at, rows_total, rows_accepted,"
                " rows_excluded, status, report_json, statistics_json, has_rows, sync_state, server_id,"
                " server_owner, content_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,1,?,?,?,?)",
                (uuid or str(uuidlib.uuid4()), name, name, self._stamp(), r.rows_total, r.rows_accepted,
                 r.rows_excluded, "completed", json.dumps(r.to_dict()), json.dumps(result.statistics),
                 state, server_id, server_owner, content))
            ds_id = int(cur.lastrowid or 0)
            db.execute("INSERT INTO dataset_rows (dataset_id, parquet, csv_bytes, sha256) VALUES (?,?,?,?)",
                       (ds_id, blob, csv_bytes, sha256_hex(blob)))
            self._record_readings(db, ds_id, result.frame, taken_at)
            if queue:
                db.execute("INSERT INTO outbox (dataset_uuid) SELECT uuid FROM datasets WHERE id=?", (ds_id,))
            self._apply_retention(db, protect=ds_id)
        return ds_id

    def _stamp(self) -> str:
        return self.now().astimezone(timezone.utc).isoformat(timespec="seconds")

    def _record_readings(self, db: sqlite3.Connection, dataset_id: int, frame: pd.DataFrame,
                         taken_at: datetime | None) -> None:
        at = (taken_at or self.now()).astimezone(timezone.utc)
        before = alerts.touched(db, dataset_id)      # what its previous readings (if any) affected
        db.execute("UPDATE datasets SET taken_at=? WHERE id=?", (at.isoformat(timespec="seconds"), dataset_id))
        taken_ns = equipment.iso_to_ns(at.isoformat())
        equipment.record(db, dataset_id, frame, taken_ns, self._stamp())
        alerts.recorded(db, dataset_id, TIMESTAMP in frame, taken_ns, before)   # alerts, same transaction

    @_mapped("changing the reading time")
    def set_taken_at(self, dataset_id: int, taken_at: datetime) -> None:
        """Correct when a snapshot's readings were taken (its readings move with it). A time
        series keeps its own times: refused with the reason."""
        opened = self.open(dataset_id)
        if opened.frame is None:
            raise DatasetGone(f"dataset {dataset_id} has no rows here", self.path, dataset_id)
        if TIMESTAMP in opened.frame:
            raise ValueError("this dataset is a time series: each reading keeps the time the file gives it")
        with self.transaction() as db:
            self._record_readings(db, dataset_id, opened.frame, taken_at)

    @_mapped("recording a server dataset")
    def add_server_only(self, *, uuid: str, file_name: str, imported_at: str, rows_total: int,
                        rows_accepted: int, server_id: int, server_owner: str,
                        rows_excluded: int | None = None, content_sha256: str = "",
                        statistics: dict | None = None, report: dict | None = None) -> int:
        """Record a dataset seen on the server whose rows are not here yet. Idempotent by uuid
        (= the server's client_id): a bare server id never identifies a dataset."""
        excluded = rows_total - rows_accepted if rows_excluded is None else rows_excluded
        with self.transaction() as db:
            row = db.execute("SELECT id FROM datasets WHERE uuid=?", (uuid,)).fetchone()
            if row:
                return int(row["id"])
            if "*" in shared.pending_fields(db, "dataset", uuid):
                return 0       # deleted here, its delete on the server still queued
            cur = db.execute(
                "INSERT INTO datasets (uuid, file_name, display_name, imported_at, rows_total, rows_accepted,"
                " rows_excluded, status, report_json, statistics_json, has_rows, sync_state, server_id,"
                " server_owner, content_sha256) VALUES (?,?,?,?,?,?,?,?,?,?,0,?,?,?,?)",
                (uuid, file_name, file_name, imported_at, rows_total, rows_accepted, excluded,
                 "completed", json.dumps(report or {}), json.dumps(statistics) if statistics else None,
                 SERVER_ONLY, server_id, server_owner, content_sha256))
            return int(cur.lastrowid or 0)

    @_mapped("saving the downloaded rows")
    def attach_rows(self, dataset_id: int, frame: pd.DataFrame, report: dict | None = None,
                    statistics: dict | None = None) -> None:
        """Fill in the rows of a server-only dataset (it becomes synced)."""
        blob = frame_to_parquet(frame)
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO dataset_rows (dataset_id, parquet, sha256) VALUES (?,?,?)",
                       (dataset_id, blob, sha256_hex(blob)))
            row = db.execute("SELECT COALESCE(NULLIF(taken_at, ''), imported_at) FROM datasets WHERE id=?",
                             (dataset_id,)).fetchone()
            stamp = datetime.fromisoformat(row[0]) if row and row[0] else None
            self._record_readings(db, dataset_id, frame, stamp if stamp and stamp.tzinfo else None)
            db.execute("UPDATE datasets SET has_rows=1, sync_state=?,"
                       " report_json=COALESCE(?, report_json), statistics_json=COALESCE(?, statistics_json)"
                       " WHERE id=?",
                       (SYNCED, json.dumps(report) if report else None,
                        json.dumps(statistics) if statistics else None, dataset_id))

    @_mapped("renaming")
    def rename(self, dataset_id: int, display_name: str) -> None:
        """The new name is queued for the team too (a shared record, #19)."""
        with self.transaction() as db:
            row = db.execute("SELECT uuid, display_name FROM datasets WHERE id=?", (dataset_id,)).fetchone()
            db.execute("UPDATE datasets SET display_name=? WHERE id=?", (display_name.strip(), dataset_id))
            if row is not None:
                shared.record_edit(db, "dataset", str(row[0]), {"name": row[1]}, {"name": display_name.strip()},
                                   self.now().isoformat(timespec="seconds"))

    @_mapped("pinning")
    def set_pinned(self, dataset_id: int, pinned: bool) -> None:
        """A pinned dataset is never removed by retention."""
        with self.transaction() as db:
            db.execute("UPDATE datasets SET pinned=? WHERE id=?", (int(bool(pinned)), dataset_id))

    @_mapped("deleting")
    def delete(self, dataset_id: int, *, on_server: bool = False) -> None:
        """Delete a dataset and its readings; alerts are re-evaluated from the readings left (see
        `alerts`: unacknowledged alerts no longer found go, acknowledged ones stay as records).
        `on_server`: the server could not be reached, so the delete there is queued in the same
        transaction (a shared-record op, #19) and the next sync carries it out; until then the
        pull does not bring the dataset back as server-only."""
        with self.transaction() as db:
            row = db.execute("SELECT uuid, display_name, server_id FROM datasets WHERE id=?",
                             (dataset_id,)).fetchone()
            if on_server and row is not None and row[2] is not None:
                shared.record_edit(db, "dataset", str(row[0]), {"name": row[1]}, {},
                                   self.now().isoformat(timespec="seconds"), delete=True)
            before = alerts.touched(db, dataset_id)
            db.execute("DELETE FROM datasets WHERE id=?", (dataset_id,))
            equipment.forget(db, dataset_id)
            alerts.forgotten(db, dataset_id, before)

    @_mapped("saving the sync state")
    def set_sync_state(self, dataset_uuid: str, state: str, *, error: str = "",
                       server_id: int | None = None, server_owner: str | None = None) -> None:
        assert state in SYNC_STATES
        with self.transaction() as db:
            db.execute("UPDATE datasets SET sync_state=?, sync_error=?, server_id=COALESCE(?, server_id),"
                       " server_owner=COALESCE(?, server_owner) WHERE uuid=?",
                       (state, error, server_id, server_owner, dataset_uuid))
            if state != PENDING:
                db.execute("DELETE FROM outbox WHERE dataset_uuid=?", (dataset_uuid,))

    @_mapped("saving the sync state")
    def mark_removed(self, dataset_uuid: str, why: str) -> None:
        """The server no longer has it: the copy here is the only one (never trimmed)."""
        with self.transaction() as db:
            db.execute("UPDATE datasets SET sync_state=?, sync_error=?, server_id=NULL WHERE uuid=?",
                       (REMOVED, why, dataset_uuid))
            db.execute("DELETE FROM outbox WHERE dataset_uuid=?", (dataset_uuid,))

    @_mapped("saving the sync state")
    def adopt_identity(self, dataset_uuid: str, server_client_id: str, server_id: int, owner: str) -> None:
        """The server already holds this file (same content, uploaded from elsewhere): take its
        identity so both machines name one server dataset; a placeholder for it is merged in."""
        with self.transaction() as db:
            db.execute("DELETE FROM outbox WHERE dataset_uuid=?", (dataset_uuid,))
            db.execute("DELETE FROM datasets WHERE uuid=? AND has_rows=0", (server_client_id,))
            db.execute("UPDATE datasets SET uuid=?, sync_state=?, sync_error='', server_id=?, server_owner=?"
                       " WHERE uuid=?", (server_client_id, SYNCED, server_id, owner, dataset_uuid))

    @_mapped("queueing")
    def enqueue(self, dataset_uuid: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO outbox (dataset_uuid) VALUES (?)", (dataset_uuid,))
            db.execute("UPDATE datasets SET sync_state=?, sync_error='' WHERE uuid=?", (PENDING, dataset_uuid))

    @_mapped("queueing")
    def enqueue_all_local(self) -> int:
        """Queue every dataset imported here that never reached the server (on sign-in)."""
        with self.transaction() as db:
            rows = db.execute("SELECT uuid FROM datasets WHERE sync_state=?", (LOCAL,)).fetchall()
            for r in rows:
                db.execute("INSERT OR IGNORE INTO outbox (dataset_uuid) VALUES (?)", (r["uuid"],))
            db.execute("UPDATE datasets SET sync_state=? WHERE sync_state=?", (PENDING, LOCAL))
        return len(rows)

    @_mapped("saving the sync state")
    def record_attempt(self, dataset_uuid: str, error: str, next_attempt_at: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE outbox SET attempts=attempts+1, last_error=?, next_attempt_at=? WHERE dataset_uuid=?",
                       (error, next_attempt_at, dataset_uuid))

    def _apply_retention(self, db: sqlite3.Connection, protect: int | None = None) -> None:
        """Keep the newest `keep` datasets by insertion order (the id, never the wall clock).
        Only datasets with a copy elsewhere (synced, server-only) are trimmed: never the row being
        inserted, a pinned one, or the only copy of a dataset (local, pending, failed, removed)."""
        keep = self.keep
        if keep == settings.KEEP_ALL:
            return
        db.execute(
            "DELETE FROM datasets WHERE pinned=0 AND id != ? AND sync_state IN (?, ?) AND id NOT IN "
            "(SELECT id FROM datasets ORDER BY id DESC LIMIT ?)",
            (protect if protect is not None else -1, *ELSEWHERE, keep))

    @_mapped("applying the history limit")
    def apply_retention(self) -> None:
        with self.transaction() as db:
            self._apply_retention(db)

    @_mapped("reading the history")
    def kept_beyond_limit(self) -> list[DatasetInfo]:
        """Datasets beyond the limit kept because they are pinned or the only copy."""
        keep = self.keep
        if keep == settings.KEEP_ALL:
            return []
        return self.list()[keep:]

    # -- reads -----------------------------------------------------------------------------
    @_mapped("reading the history")
    def list(self) -> list[DatasetInfo]:
        """Newest first, by insertion order (a wrong clock cannot reorder it)."""
        rows = self.db.execute("SELECT * FROM datasets ORDER BY id DESC").fetchall()
        return [self._info(r) for r in rows]

    @_mapped("reading the history")
    def info(self, dataset_id: int) -> DatasetInfo | None:
        r = self.db.execute("SELECT * FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        return self._info(r) if r else None

    @_mapped("reading the history")
    def by_uuid(self, dataset_uuid: str) -> DatasetInfo | None:
        r = self.db.execute("SELECT * FROM datasets WHERE uuid=?", (dataset_uuid,)).fetchone()
        return self._info(r) if r else None

    @_mapped("opening a dataset")
    def open(self, dataset_id: int) -> StoredDataset:
        """Rows, report and statistics. Rows whose checksum fails raise DamagedDataset naming
        the dataset; a dataset deleted meanwhile raises DatasetGone."""
        r = self.db.execute("SELECT * FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        if r is None:
            raise DatasetGone(f"That dataset (id {dataset_id}) is no longer in the local history: another "
                              "ChemViz window or command removed it. The list has been refreshed.",
                              self.path, dataset_id)
        info = self._info(r)
        blob = self.db.execute("SELECT parquet, sha256 FROM dataset_rows WHERE dataset_id=?",
                               (dataset_id,)).fetchone()
        frame = None
        if blob is not None:
            frame = self._decode(info, blob["parquet"], blob["sha256"])
        elif info.has_rows:
            raise self._damaged(info, "its stored rows are missing")
        try:
            stats = json.loads(r["statistics_json"]) if r["statistics_json"] else None
            report = Report.from_dict(json.loads(r["report_json"] or "{}"))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise self._damaged(info, f"its report cannot be read ({type(exc).__name__})") from exc
        return StoredDataset(info, frame, report, stats)

    def _decode(self, info: DatasetInfo, data: bytes, digest: str) -> pd.DataFrame:
        if sha256_hex(data) != digest:
            raise self._damaged(info, "its stored rows fail their checksum")
        try:
            return parquet_to_frame(data)
        except (OSError, ValueError) as exc:   # pyarrow's ArrowInvalid is a ValueError
            raise self._damaged(info, f"its stored rows cannot be decoded ({exc})") from exc

    def _damaged(self, info: DatasetInfo, why: str) -> DamagedDataset:
        again = ("download it again from the server (delete it here, then sync)" if info.sync_state == SYNCED
                 else "import the original file again")
        return DamagedDataset(
            f"Dataset '{info.display_name}' (id {info.id}) in the local store {self.path} is damaged: {why}. "
            f"Nothing from it was shown. Delete it in History and {again}.", self.path, info.id)

    @_mapped("reading statistics")
    def statistics(self, dataset_id: int) -> dict[str, Any] | None:
        """Only the stored statistics (no rows): what Compare needs."""
        r = self.db.execute("SELECT statistics_json FROM datasets WHERE id=?", (dataset_id,)).fetchone()
        return json.loads(r["statistics_json"]) if r and r["statistics_json"] else None

    @_mapped("reading the original file")
    def csv_bytes(self, dataset_id: int) -> bytes | None:
        r = self.db.execute("SELECT csv_bytes FROM dataset_rows WHERE dataset_id=?", (dataset_id,)).fetchone()
        return r["csv_bytes"] if r else None

    @_mapped("reading the outbox")
    def outbox(self) -> builtins.list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM outbox ORDER BY rowid").fetchall()

    @_mapped("reading the outbox")
    def pending_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    @staticmethod
    def _info(r: sqlite3.Row) -> DatasetInfo:
        return DatasetInfo(r["id"], r["uuid"], r["file_name"], r["display_name"], r["imported_at"],
                           r["rows_total"], r["rows_accepted"], r["rows_excluded"], r["status"],
                           r["sync_state"], r["sync_error"], r["server_id"], r["server_owner"],
                           bool(r["has_rows"]), bool(r["pinned"]), r["content_sha256"], r["taken_at"])
