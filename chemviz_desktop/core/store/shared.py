"""Shared records on this workstation (#19, docs/sync_shared_records.md): the server version and
synced values of each record, the change outbox (one operation per local edit, written in the
same transaction as the edit, so it survives restarts and kill -9), the pull cursor and the
conflicts the server reported. Functions take the caller's connection.

Edits applied from the server run inside `remote()`, so they do not go back out as new
operations."""
from __future__ import annotations

import contextvars
import json
import sqlite3
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

SQL_V6 = """
CREATE TABLE shared_state (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    base TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (kind, key)
);
CREATE TABLE change_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    base_version INTEGER NOT NULL,
    base TEXT NOT NULL,
    payload TEXT NOT NULL,
    is_delete INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'needs_decision', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    server_fields TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX change_outbox_record ON change_outbox(kind, key);
CREATE TABLE sync_conflicts (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    field TEXT NOT NULL,
    lost_value TEXT,
    won_value TEXT,
    won_by TEXT NOT NULL,
    won_at TEXT NOT NULL,
    message TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0
)
"""

CURSOR_SETTING = "shared_cursor"
SERVER_SETTING = "shared_server"
_remote: contextvars.ContextVar[bool] = contextvars.ContextVar("chemviz_shared_remote", default=False)


@contextmanager
def remote() -> Iterator[None]:
    """Edits made inside come from the server: they are not queued to go back."""
    token = _remote.set(True)
    try:
        yield
    finally:
        _remote.reset(token)


@dataclass
class PendingOp:
    seq: int
    op_id: str
    kind: str
    key: str
    base_version: int
    base: dict[str, Any]
    set: dict[str, Any]
    delete: bool
    state: str
    attempts: int
    detail: str
    server_fields: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """The op as the server's `sync/push/` takes it."""
        out: dict[str, Any] = {"op_id": self.op_id, "kind": self.kind, "key": self.key,
                               "base_version": self.base_version, "base": self.base}
        if self.delete:
            out["delete"] = True
        else:
            out["set"] = self.set
        return out


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def state(db: sqlite3.Connection, kind: str, key: str) -> tuple[int, dict[str, Any]]:
    """(server version, synced values) of a record; (0, {}) for one never synced."""
    row = db.execute("SELECT version, base FROM shared_state WHERE kind=? AND key=?", (kind, key)).fetchone()
    return (0, {}) if row is None else (int(row[0]), json.loads(row[1]))


def set_state(db: sqlite3.Connection, kind: str, key: str, version: int, fields: Mapping[str, Any]) -> None:
    db.execute("INSERT INTO shared_state (kind, key, version, base) VALUES (?,?,?,?) ON CONFLICT (kind, key)"
               " DO UPDATE SET version=excluded.version, base=excluded.base", (kind, key, int(version), _json(fields)))


def record_edit(db: sqlite3.Connection, kind: str, key: str, before: Mapping[str, Any],
                changes: Mapping[str, Any], now: str, *, delete: bool = False) -> str | None:
    """Queue one local edit (call in the edit's transaction). `before` are the record's values
    as this workstation had them just before the edit (the merge's base); `changes` what the edit
    set. Returns the op id, or None when nothing is queued (an edit applied from the server, or
    an edit that changes nothing)."""
    if _remote.get():
        return None
    changes = {k: v for k, v in changes.items() if before.get(k) != v}
    if not changes and not delete:
        return None
    version, _synced = state(db, kind, key)
    op_id = str(uuid.uuid4())
    db.execute("INSERT INTO change_outbox (op_id, kind, key, base_version, base, payload, is_delete, created_at)"
               " VALUES (?,?,?,?,?,?,?,?)",
               (op_id, kind, key, version, _json(dict(before)), _json({} if delete else dict(changes)),
                int(delete), now))
    return op_id


def _op(row: tuple) -> PendingOp:
    return PendingOp(int(row[0]), row[1], row[2], row[3], int(row[4]), json.loads(row[5]), json.loads(row[6]),
                     bool(row[7]), row[8], int(row[9]), row[10], json.loads(row[11]) if row[11] else None)


_COLUMNS = ("seq, op_id, kind, key, base_version, base, payload, is_delete, state, attempts, detail,"
            " server_fields")


def pending(db: sqlite3.Connection, limit: int = 200, skip: Iterable[int] = ()) -> list[PendingOp]:
    """Operations to push, oldest first, leaving out the `skip` seqs (ops put off in this pass,
    so a full batch of them cannot hide the ops behind it)."""
    return [_op(r) for r in db.execute(f"SELECT {_COLUMNS} FROM change_outbox WHERE state='pending'"
                                       " AND seq NOT IN (SELECT value FROM json_each(?)) ORDER BY seq LIMIT ?",
                                       (json.dumps(sorted(skip)), limit))]


def listing(db: sqlite3.Connection) -> list[PendingOp]:
    """Every queued operation (pending, waiting for a decision, failed), oldest first."""
    return [_op(r) for r in db.execute(f"SELECT {_COLUMNS} FROM change_outbox ORDER BY seq")]


def pending_fields(db: sqlite3.Connection, kind: str, key: str) -> set[str]:
    """Fields that local operations not yet settled (waiting to be sent, or for the user's
    decision) will set; a pulled value must not hide them. A local delete counts as "*"."""
    out: set[str] = set()
    for payload, is_delete in db.execute("SELECT payload, is_delete FROM change_outbox WHERE kind=? AND key=?"
                                         " AND state IN ('pending', 'needs_decision')", (kind, key)):
        out |= {"*"} if is_delete else set(json.loads(payload))
    return out


def done(db: sqlite3.Connection, op: PendingOp, version: int, fields: Mapping[str, Any]) -> None:
    """The server applied (or merged) `op`: the record is at `version` with `fields`. Later
    operations on the same record move their base version up to that one (so an op after this
    op's delete does not read as an edit of a record deleted on the server); their base values
    stay as they were made: they already hold this op's values and those of the ops between,
    which may still be on their way (e.g. in the same push request). Replacing them with this
    op's fields made the next op's base older than the op before it: a conflict with itself."""
    db.execute("DELETE FROM change_outbox WHERE op_id=?", (op.op_id,))
    set_state(db, op.kind, op.key, version, fields)
    db.execute("UPDATE change_outbox SET base_version=MAX(base_version, ?) WHERE kind=? AND key=?"
               " AND state='pending' AND seq > ?", (int(version), op.kind, op.key, op.seq))


def hold(db: sqlite3.Connection, op: PendingOp, outcome: str, detail: str, version: int,
         fields: Mapping[str, Any] | None) -> None:
    """The server needs a decision (deleted or edited there meanwhile) or refused the op."""
    new_state = "failed" if outcome == "refused" else "needs_decision"
    db.execute("UPDATE change_outbox SET state=?, detail=?, server_fields=?, attempts=attempts+1 WHERE op_id=?",
               (new_state, detail or outcome, _json({"outcome": outcome, "version": version,
                                                     "fields": dict(fields) if fields is not None else None}),
                op.op_id))


def retry_later(db: sqlite3.Connection, op: PendingOp, detail: str, give_up_after: int = 50) -> None:
    """The record is not on the server yet (or the server could not answer): try again in a later
    pass; after `give_up_after` passes the op fails with the reason."""
    db.execute("UPDATE change_outbox SET attempts=attempts+1, detail=?,"
               " state=CASE WHEN attempts+1 >= ? THEN 'failed' ELSE state END WHERE op_id=?",
               (detail, give_up_after, op.op_id))


def decide(db: sqlite3.Connection, op_id: str, keep_mine: bool) -> PendingOp | None:
    """The user's answer to a delete/edit question. Keep mine: the op goes again, based on the
    server's current version (so it applies). Take theirs: the op is dropped and the caller
    applies the server's state (returned in `server_fields`)."""
    row = db.execute(f"SELECT {_COLUMNS} FROM change_outbox WHERE op_id=?", (op_id,)).fetchone()
    if row is None:
        return None
    op = _op(row)
    server = op.server_fields or {}
    if keep_mine:
        db.execute("UPDATE change_outbox SET state='pending', detail='', base_version=?, base=?, op_id=?"
                   " WHERE op_id=?", (int(server.get("version") or 0), _json(server.get("fields") or {}),
                                      str(uuid.uuid4()), op_id))
    else:
        db.execute("DELETE FROM change_outbox WHERE op_id=?", (op_id,))
        set_state(db, op.kind, op.key, int(server.get("version") or 0), server.get("fields") or {})
    return op


def cursor(db: sqlite3.Connection, server_url: str) -> int:
    """Where the last pull from this server stopped. Another server than before (or none yet):
    its versions start afresh (call inside a transaction) and the cursor is 0."""
    rows = dict(db.execute("SELECT key, value FROM settings WHERE key IN (?, ?)",
                           (CURSOR_SETTING, SERVER_SETTING)).fetchall())
    if rows.get(SERVER_SETTING) != server_url:
        db.execute("DELETE FROM shared_state")
        _put_settings(db, {SERVER_SETTING: server_url, CURSOR_SETTING: "0"})
        return 0
    try:
        return int(rows.get(CURSOR_SETTING) or 0)
    except ValueError:
        return 0


def set_cursor(db: sqlite3.Connection, value: int) -> None:
    """Save the cursor, in the transaction that applied the page it ends."""
    _put_settings(db, {CURSOR_SETTING: str(int(value))})


def _put_settings(db: sqlite3.Connection, values: Mapping[str, str]) -> None:
    db.executemany("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
                   " value=excluded.value", list(values.items()))


def add_conflicts(db: sqlite3.Connection, items: list[dict[str, Any]]) -> int:
    """Conflicts the server reported for this user (kept until the user has seen them)."""
    before = db.total_changes
    db.executemany("INSERT OR IGNORE INTO sync_conflicts (id, kind, key, name, field, lost_value, won_value,"
                   " won_by, won_at, message) VALUES (?,?,?,?,?,?,?,?,?,?)",
                   [(int(c["id"]), c["kind"], c["key"], c.get("name") or c["key"], c["field"],
                     _json(c.get("lost_value")), _json(c.get("won_value")), c.get("won_by") or "",
                     c.get("won_at") or "", c.get("message") or "") for c in items])
    return db.total_changes - before


def conflicts(db: sqlite3.Connection, unseen_only: bool = True) -> list[dict[str, Any]]:
    sql = "SELECT id, kind, key, name, field, lost_value, won_value, won_by, won_at, message, seen FROM sync_conflicts"
    rows = db.execute(sql + (" WHERE seen=0" if unseen_only else "") + " ORDER BY won_at DESC, id DESC").fetchall()
    return [{"id": r[0], "kind": r[1], "key": r[2], "name": r[3], "field": r[4],
             "lost_value": json.loads(r[5]) if r[5] else None, "won_value": json.loads(r[6]) if r[6] else None,
             "won_by": r[7], "won_at": r[8], "message": r[9], "seen": bool(r[10])} for r in rows]


def mark_seen(db: sqlite3.Connection, conflict_id: int) -> None:
    db.execute("UPDATE sync_conflicts SET seen=1 WHERE id=?", (int(conflict_id),))


def counts(db: sqlite3.Connection) -> dict[str, int]:
    """For the status bar: pending changes, decisions needed, failed, unseen conflicts."""
    by_state = dict(db.execute("SELECT state, COUNT(*) FROM change_outbox GROUP BY state").fetchall())
    unseen = db.execute("SELECT COUNT(*) FROM sync_conflicts WHERE seen=0").fetchone()[0]
    return {"pending": int(by_state.get("pending", 0)), "needs_decision": int(by_state.get("needs_decision", 0)),
            "failed": int(by_state.get("failed", 0)), "conflicts": int(unseen)}
