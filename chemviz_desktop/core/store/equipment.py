"""The equipment registry and its readings over time, in the local store (seed §2.3.1 Equipment,
§2.3.2 Parameter History). Equipment is created or updated on import (name unique, trimmed,
case-insensitive); each accepted row of a dataset becomes one reading (equipment, time, values,
status, dataset), deleted with its dataset. Functions take the caller's connection so an import
writes dataset, equipment and readings in ONE transaction.

Readings are stored the way historians store them: one compressed columnar chunk (Arrow IPC,
zstd) per equipment and dataset, with its time range, count and last values beside it in SQL.
One equipment's history is then a handful of blob reads instead of tens of thousands of rows
through the SQLite driver (bench/history_bench.py: 10M readings)."""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine import schema as engine_schema
from engine.limits import name_key
from engine.readings import ACTIVE, STATUS, STATUS_CHOICES, TIMESTAMP, UNASSIGNED_TYPE

STATUSES = tuple(c["value"] for c in STATUS_CHOICES)
PARAMETERS = ("flowrate", "pressure", "temperature")
_COLUMN = {"flowrate": engine_schema.FLOWRATE, "pressure": engine_schema.PRESSURE,
           "temperature": engine_schema.TEMPERATURE}
EDITABLE = ("type", "status", "installation_date", "last_maintenance_date", "notes")

SQL_V3 = """
CREATE TABLE equipment (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL DEFAULT 'Unassigned',
    status TEXT NOT NULL DEFAULT 'active',
    installation_date TEXT,
    last_maintenance_date TEXT,
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE reading_chunks (
    equipment_id INTEGER NOT NULL REFERENCES equipment(id) ON DELETE CASCADE,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    ts_min INTEGER NOT NULL,
    ts_max INTEGER NOT NULL,
    n INTEGER NOT NULL,
    last_flowrate REAL,
    last_pressure REAL,
    last_temperature REAL,
    chunk BLOB NOT NULL,
    PRIMARY KEY (equipment_id, dataset_id)
) WITHOUT ROWID;
CREATE INDEX reading_chunks_dataset ON reading_chunks(dataset_id);
ALTER TABLE datasets ADD COLUMN taken_at TEXT NOT NULL DEFAULT ''
"""


class EquipmentError(ValueError):
    """An edit that cannot be applied; the message says which field and why."""


@dataclass
class EquipmentInfo:
    id: int
    name: str
    type: str
    status: str
    installation_date: str | None
    last_maintenance_date: str | None
    notes: str
    readings: int
    first: str | None          # UTC ISO with Z
    last: str | None
    last_values: dict[str, float | None]
    created_at: str
    updated_at: str


def _iso(ns: int | None) -> str | None:
    if ns is None:
        return None
    return pd.Timestamp(int(ns), tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def record(db: sqlite3.Connection, dataset_id: int, frame: pd.DataFrame, taken_at_ns: int, now: str) -> int:
    """Create/update the equipment of a stored dataset's accepted rows and insert their readings.
    Rows with their own Timestamp use it; a snapshot's rows all take `taken_at_ns`. Returns the
    number of readings written. A known equipment keeps its registry type unless the file names
    one (never overwritten by Unassigned)."""
    from engine.frames import accepted_rows
    ok = accepted_rows(frame)
    if not len(ok):
        return 0
    names = ok[engine_schema.NAME].astype(str).to_numpy()
    types = (ok[engine_schema.TYPE].astype(str).to_numpy() if engine_schema.TYPE in ok
             else np.full(len(ok), UNASSIGNED_TYPE, dtype=object))
    keys = np.array([name_key(n) for n in names], dtype=object)
    first_of = pd.Series(range(len(keys))).groupby(keys, sort=False).first()
    ids: dict[str, int] = {}
    for key, i in first_of.items():
        name, typ = " ".join(str(names[i]).split()), str(types[i])
        row = db.execute("SELECT id, type FROM equipment WHERE name_key=?", (key,)).fetchone()
        if row is None:
            cur = db.execute("INSERT INTO equipment (name, name_key, type, created_at, updated_at) VALUES (?,?,?,?,?)",
                             (name, key, typ or UNASSIGNED_TYPE, now, now))
            ids[str(key)] = int(cur.lastrowid or 0)
        else:
            ids[str(key)] = int(row[0])
            if typ and typ != UNASSIGNED_TYPE and typ != row[1]:
                db.execute("UPDATE equipment SET type=?, updated_at=? WHERE id=?", (typ, now, row[0]))
    if TIMESTAMP in ok:
        ts = pd.DatetimeIndex(pd.to_datetime(ok[TIMESTAMP], utc=True)).as_unit("ns").asi8
    else:
        ts = np.full(len(ok), taken_at_ns, dtype=np.int64)
    status = ok[STATUS].to_numpy(dtype=object) if STATUS in ok else np.full(len(ok), ACTIVE, dtype=object)
    values = {p: pd.to_numeric(ok[c], errors="coerce").to_numpy(dtype=float) if c in ok else
              np.full(len(ok), np.nan) for p, c in _COLUMN.items()}
    eq = np.array([ids[str(k)] for k in keys], dtype=np.int64)
    order = np.lexsort((np.arange(len(eq)), ts, eq))       # by equipment, time, then file order
    eq, ts = eq[order], ts[order]
    first = np.concatenate(([True], (eq[1:] != eq[:-1]) | (ts[1:] != ts[:-1])))   # one reading per time
    order = order[first]
    eq, ts, status = eq[first], ts[first], status[order]
    values = {p: v[order] for p, v in values.items()}
    bounds = np.flatnonzero(np.diff(eq)) + 1
    written = 0
    for a, b in zip(np.concatenate(([0], bounds)), np.concatenate((bounds, [len(eq)])), strict=True):
        part = {"ts": ts[a:b], **{p: values[p][a:b] for p in PARAMETERS}, "status": status[a:b]}
        db.execute("INSERT OR REPLACE INTO reading_chunks (equipment_id, dataset_id, ts_min, ts_max, n, last_flowrate,"
                   " last_pressure, last_temperature, chunk) VALUES (?,?,?,?,?,?,?,?,?)",
                   (int(eq[a]), dataset_id, int(ts[a]), int(ts[b - 1]), int(b - a),
                    *(_num(values[p][b - 1]) for p in PARAMETERS), _encode(part)))
        written += int(b - a)
    return written


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


def _encode(part: dict[str, np.ndarray]) -> bytes:
    import pyarrow as pa
    table = pa.table({"ts": pa.array(part["ts"], pa.int64()),
                      **{p: pa.array(part[p], pa.float64(), from_pandas=True) for p in PARAMETERS},
                      "status": pa.array([None if s is None else str(s) for s in part["status"]], pa.string())})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def _decode(blob: bytes) -> "pa.Table":  # type: ignore[name-defined]  # noqa: F821
    import pyarrow as pa
    return pa.ipc.open_stream(blob).read_all()


def listing(db: sqlite3.Connection, search: str = "") -> list[EquipmentInfo]:
    """The registry with reading counts, first/last time and the last values, by name."""
    like = f"%{name_key(search)}%" if search else "%"
    out = []
    for r in db.execute(
            "SELECT e.*, (SELECT coalesce(sum(n), 0) FROM reading_chunks WHERE equipment_id=e.id) AS n,"
            " (SELECT min(ts_min) FROM reading_chunks WHERE equipment_id=e.id) AS first_ts,"
            " (SELECT max(ts_max) FROM reading_chunks WHERE equipment_id=e.id) AS last_ts"
            " FROM equipment e WHERE e.name_key LIKE ? ORDER BY e.name_key", (like,)).fetchall():
        last = db.execute("SELECT last_flowrate, last_pressure, last_temperature FROM reading_chunks"
                          " WHERE equipment_id=? ORDER BY ts_max DESC, dataset_id DESC LIMIT 1", (r["id"],)).fetchone()
        out.append(EquipmentInfo(
            r["id"], r["name"], r["type"], r["status"], r["installation_date"], r["last_maintenance_date"],
            r["notes"], int(r["n"]), _iso(r["first_ts"]), _iso(r["last_ts"]),
            {p: (last[f"last_{p}"] if last is not None else None) for p in PARAMETERS},
            r["created_at"], r["updated_at"]))
    return out


def _date(value: str | None, field: str) -> str | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise EquipmentError(f"{field} must be a date like 2026-03-31, not {value!r}") from None


def update(db: sqlite3.Connection, name: str, now: str, **changes: str | None) -> None:
    """Edit one equipment's type, status, dates or notes; an unknown name or value is refused."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise EquipmentError(f"cannot edit {', '.join(sorted(unknown))}")
    row = db.execute("SELECT id FROM equipment WHERE name_key=?", (name_key(name),)).fetchone()
    if row is None:
        raise EquipmentError(f"no equipment named {name!r} in the local store")
    values = dict(changes)
    if "status" in values and values["status"] not in STATUSES:
        raise EquipmentError(f"status must be one of {', '.join(STATUSES)}, not {values['status']!r}")
    if "type" in values and not str(values["type"] or "").strip():
        raise EquipmentError("type cannot be empty")
    for field in ("installation_date", "last_maintenance_date"):
        if field in values:
            values[field] = _date(values[field], field)
    if not values:
        return
    sets = ", ".join(f"{k}=?" for k in values)
    db.execute(f"UPDATE equipment SET {sets}, updated_at=? WHERE id=?", (*values.values(), now, row[0]))


def history(db: sqlite3.Connection, name: str, start_ns: int | None = None, end_ns: int | None = None,
            running_only: bool = True) -> pd.DataFrame:
    """One equipment's readings in time order (columns timestamp UTC, flowrate, pressure,
    temperature, status); a time seen in several datasets counts once (the newest dataset's)."""
    row = db.execute("SELECT id FROM equipment WHERE name_key=?", (name_key(name),)).fetchone()
    if row is None:
        raise EquipmentError(f"no equipment named {name!r} in the local store")
    sql = "SELECT dataset_id, ts_min, ts_max, chunk FROM reading_chunks WHERE equipment_id=?"
    args: list[object] = [row[0]]
    if start_ns is not None:
        sql += " AND ts_max >= ?"
        args.append(int(start_ns))
    if end_ns is not None:
        sql += " AND ts_min < ?"
        args.append(int(end_ns))
    chunks = db.execute(sql + " ORDER BY ts_min, dataset_id", args).fetchall()
    import pyarrow as pa
    import pyarrow.compute as pc
    tables = [_decode(c[3]) for c in chunks]
    overlap = any(b[1] <= a[2] for a, b in zip(chunks, chunks[1:], strict=False))
    if tables:
        table = pa.concat_tables(tables)
    else:
        table = pa.table({"ts": pa.array([], pa.int64()), **{p: pa.array([], pa.float64()) for p in PARAMETERS},
                          "status": pa.array([], pa.string())})
    mask = None
    if start_ns is not None:
        mask = pc.greater_equal(table["ts"], int(start_ns))
    if end_ns is not None:
        m = pc.less(table["ts"], int(end_ns))
        mask = m if mask is None else pc.and_(mask, m)
    if running_only:
        m = pc.fill_null(pc.equal(table["status"], ACTIVE), False)
        mask = m if mask is None else pc.and_(mask, m)
    if mask is not None:
        table = table.filter(mask)
    cols = {c: table[c].to_numpy(zero_copy_only=False) for c in ("ts", *PARAMETERS, "status")}
    if overlap:   # a time seen in several datasets counts once: the newest dataset's
        newest = np.concatenate([np.full(t.num_rows, c[0]) for t, c in zip(tables, chunks, strict=True)])
        if mask is not None:
            newest = newest[np.asarray(mask)]
        order = np.lexsort((newest, cols["ts"]))
        ts_sorted = cols["ts"][order]
        last = np.concatenate((ts_sorted[1:] != ts_sorted[:-1], [True]))
        pick = order[last]
        cols = {c: v[pick] for c, v in cols.items()}
    out = pd.DataFrame({"timestamp": pd.to_datetime(cols["ts"].astype(np.int64).view("datetime64[ns]")).tz_localize("UTC")})
    for p in PARAMETERS:
        out[p] = cols[p].astype(float)
    out["status"] = cols["status"].astype(object)
    return out
