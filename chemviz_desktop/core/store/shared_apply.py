"""Apply a shared record from the server to the local tables (#19): equipment registry fields,
limits (alerts re-evaluated as for a local edit) and acknowledgements. Runs inside
`shared.remote()`, so nothing applied here is queued to go back. Fields that a local
operation still waiting to be pushed will set are left alone: the server merges that op later.

Keys are the contract's (docs/sync_shared_records.md): equipment `name_key`, limit
`scope|name_key|parameter`, acknowledgement `name_key|parameter|level|start_us`."""
from __future__ import annotations

import sqlite3
from typing import Any, Mapping

from engine.limits import LEVELS, PARAMETERS, SCOPES, Limit, name_key

from . import shared

EQUIPMENT_FIELDS = ("type", "status", "installation_date", "last_maintenance_date", "notes")


def ack_key(equipment_key: str, parameter: str, level: str, start_ns: int) -> str:
    return f"{equipment_key}|{parameter}|{level}|{int(start_ns) // 1000}"


def local_fields(db: sqlite3.Connection, kind: str, key: str) -> dict[str, Any] | None:
    """The record's synced fields as this workstation has them (None when absent)."""
    if kind == "equipment":
        row = db.execute(f"SELECT name, {', '.join(EQUIPMENT_FIELDS)} FROM equipment WHERE name_key=?",
                         (key,)).fetchone()
        return None if row is None else dict(zip(("name", *EQUIPMENT_FIELDS), row, strict=True))
    if kind == "limit":
        scope, nkey, parameter = key.split("|")
        row = db.execute("SELECT name, lolo, lo, hi, hihi, deadband, delay_s FROM limits WHERE scope=? AND"
                         " name_key=? AND parameter=?", (scope, nkey, parameter)).fetchone()
        return None if row is None else dict(zip(("name", "lolo", "lo", "hi", "hihi", "deadband", "delay_s"),
                                                 row, strict=True))
    if kind == "ack":
        row = _alert(db, key)
        return None if row is None else {"acknowledged_by": row[1], "acknowledged_at": row[2], "comment": row[3]}
    if kind == "dataset":
        row = db.execute("SELECT display_name FROM datasets WHERE uuid=?", (key,)).fetchone()
        return None if row is None else {"name": row[0]}
    return None


def _alert(db: sqlite3.Connection, key: str) -> tuple | None:
    parts = key.split("|")
    if len(parts) != 4 or parts[1] not in PARAMETERS or parts[2] not in LEVELS:
        return None
    return db.execute("SELECT a.id, a.acknowledged_by, a.acknowledged_at, a.comment FROM alerts a"
                      " JOIN equipment e ON e.id = a.equipment_id WHERE e.name_key=? AND a.parameter=? AND"
                      " a.level=? AND a.start_ns=?", (parts[0], parts[1], parts[2], int(parts[3]) * 1000)).fetchone()


def apply(db: sqlite3.Connection, kind: str, key: str, fields: Mapping[str, Any] | None, now: str) -> bool:
    """Make the local record match the server's `fields` (None: deleted there), except fields a
    pending local op sets. Returns True when something changed here."""
    keep = shared.pending_fields(db, kind, key)
    if (fields is None and keep) or "*" in keep:
        return False     # deleted on one side, edited on the other, not settled: the user decides
    with shared.remote():
        if kind == "equipment":
            return _equipment(db, key, fields, keep, now)
        if kind == "limit":
            return _limit(db, key, fields, keep, now)
        if kind == "ack":
            return _ack(db, key, fields)
        if kind == "dataset":
            return _dataset(db, key, fields, keep)
    return False


def _dataset(db: sqlite3.Connection, key: str, fields: Mapping[str, Any] | None, keep: set[str]) -> bool:
    """A rename from another workstation (deletions come through the datasets sync)."""
    name = " ".join(str((fields or {}).get("name") or "").split())
    if not name or "name" in keep:
        return False
    cur = db.execute("UPDATE datasets SET display_name=? WHERE uuid=? AND display_name<>?", (name, key, name))
    return bool(cur.rowcount)


def _equipment(db: sqlite3.Connection, key: str, fields: Mapping[str, Any] | None, keep: set[str],
               now: str) -> bool:
    from . import alerts
    if fields is None:       # deleted on the server: the readings here stay (they are this machine's)
        return False
    row = db.execute(f"SELECT id, {', '.join(EQUIPMENT_FIELDS)} FROM equipment WHERE name_key=?", (key,)).fetchone()
    wanted = {f: fields.get(f) for f in EQUIPMENT_FIELDS if f in fields and f not in keep}
    if wanted.get("notes") is None and "notes" in wanted:
        wanted["notes"] = ""
    if row is None:
        name = str(fields.get("name") or key)
        if name_key(name) != key:
            return False
        db.execute("INSERT INTO equipment (name, name_key, type, status, installation_date, last_maintenance_date,"
                   " notes, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                   (name.strip(), key, wanted.get("type") or "Unassigned", wanted.get("status") or "active",
                    wanted.get("installation_date"), wanted.get("last_maintenance_date"),
                    wanted.get("notes") or "", now, now))
        return True
    current = dict(zip(EQUIPMENT_FIELDS, row[1:], strict=True))
    changed = {f: v for f, v in wanted.items() if current.get(f) != v}
    if not changed:
        return False
    sets = ", ".join(f"{f}=?" for f in changed)
    db.execute(f"UPDATE equipment SET {sets}, updated_at=? WHERE id=?", (*changed.values(), now, row[0]))
    if "type" in changed:    # type limits apply differently now
        alerts.reevaluate(db, [int(row[0])])
    return True


def _limit(db: sqlite3.Connection, key: str, fields: Mapping[str, Any] | None, keep: set[str], now: str) -> bool:
    from . import limits
    parts = key.split("|")
    if len(parts) != 3 or parts[0] not in SCOPES or parts[2] not in PARAMETERS:
        return False
    scope, nkey, parameter = parts
    if fields is None:
        return bool(limits.delete(db, scope, nkey, parameter))
    current = local_fields(db, "limit", key) or {}
    merged = {**current, **{f: v for f, v in fields.items() if f not in keep}}
    limit = Limit(scope, str(merged.get("name") or nkey), parameter, merged.get("lolo"), merged.get("lo"),
                  merged.get("hi"), merged.get("hihi"), deadband=float(merged.get("deadband") or 0.0),
                  delay_s=float(merged.get("delay_s") or 0.0))
    if limit.problems():
        return False          # inconsistent with a pending local edit: that edit will settle it
    return bool(limits.put(db, [limit], now))


def _ack(db: sqlite3.Connection, key: str, fields: Mapping[str, Any] | None) -> bool:
    row = _alert(db, key)
    if row is None or not fields or not fields.get("acknowledged_at"):
        return False        # no such alert here (its readings are not on this machine)
    alert_id, by, at, comment = row
    server_comment = str(fields.get("comment") or "")
    if at is None:
        db.execute("UPDATE alerts SET acknowledged_by=?, acknowledged_at=?, comment=? WHERE id=?",
                   (fields.get("acknowledged_by") or "", fields.get("acknowledged_at"), server_comment, alert_id))
        return True
    if server_comment and server_comment != comment:   # the first acknowledgement stands; notes added
        db.execute("UPDATE alerts SET comment=? WHERE id=?", (server_comment, alert_id))
        return True
    return False
