"""The equipment registry and its readings over time, in the local store (seed §2.3.1 Equipment,
§2.3.2 Parameter History). Equipment is created or updated on import (name unique, trimmed,
case-insensitive); each accepted row of a dataset becomes one reading (equipment, time, values,
status, dataset), deleted with its dataset. Functions take the caller's connection so an import
writes dataset, equipment and readings in ONE transaction.

Readings are stored the way historians store them: an equipment with many readings in a dataset
(a time series) gets one compressed columnar chunk (Arrow IPC, zstd) for that dataset, with its
time range, count and last values beside it in SQL, so its history is a handful of blob reads
instead of tens of thousands of rows through the SQLite driver (bench/history_bench.py: 10M
readings); the few readings of a snapshot are plain rows (one chunk per equipment would bloat
a 1M-equipment snapshot)."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from engine import schema as engine_schema
from engine.limits import name_key

__all__ = ["EDITABLE", "EquipmentError", "EquipmentInfo", "history", "iso_to_ns", "listing", "name_key", "record",
           "update"]
from engine.readings import ACTIVE, STATUS, STATUS_CHOICES, TIMESTAMP, UNASSIGNED_TYPE

STATUSES = tuple(c["value"] for c in STATUS_CHOICES)
PARAMETERS = ("flowrate", "pressure", "temperature")
_COLUMN = {"flowrate": engine_schema.FLOWRATE, "pressure": engine_schema.PRESSURE,
           "temperature": engine_schema.TEMPERATURE}
EDITABLE = ("type", "status", "installation_date", "last_maintenance_date", "notes")
CHUNK_MIN = 64      # an equipment with at least this many readings in a dataset is stored as a chunk

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
CREATE TABLE readings (
    equipment_id INTEGER NOT NULL REFERENCES equipment(id) ON DELETE CASCADE,
    ts INTEGER NOT NULL,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    flowrate REAL,
    pressure REAL,
    temperature REAL,
    status TEXT,
    PRIMARY KEY (equipment_id, ts, dataset_id)
) WITHOUT ROWID;
CREATE INDEX readings_dataset ON readings(dataset_id);
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


def iso_to_ns(text: str) -> int:
    """A stored ISO time (naive = UTC) as epoch nanoseconds."""
    t = pd.Timestamp(text)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return int(t.value)


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
    names = ok[engine_schema.NAME].astype(str).to_numpy(dtype=object)
    types = (ok[engine_schema.TYPE].astype(str).to_numpy(dtype=object) if engine_schema.TYPE in ok
             else np.full(len(ok), UNASSIGNED_TYPE, dtype=object))
    ids = _upsert_equipment(db, names, types, now)
    if TIMESTAMP in ok:
        ts = pd.DatetimeIndex(pd.to_datetime(ok[TIMESTAMP], utc=True)).as_unit("ns").asi8
    else:
        ts = np.full(len(ok), taken_at_ns, dtype=np.int64)
    status = ok[STATUS].to_numpy(dtype=object) if STATUS in ok else np.full(len(ok), ACTIVE, dtype=object)
    values = {p: pd.to_numeric(ok[c], errors="coerce").to_numpy(dtype=float) if c in ok else
              np.full(len(ok), np.nan) for p, c in _COLUMN.items()}
    eq = ids
    order = np.lexsort((np.arange(len(eq)), ts, eq))       # by equipment, time, then file order
    eq, ts = eq[order], ts[order]
    first = np.concatenate(([True], (eq[1:] != eq[:-1]) | (ts[1:] != ts[:-1])))   # one reading per time
    order = order[first]
    eq, ts, status = eq[first], ts[first], status[order]
    values = {p: v[order] for p, v in values.items()}
    bounds = np.flatnonzero(np.diff(eq)) + 1
    starts, ends = np.concatenate(([0], bounds)), np.concatenate((bounds, [len(eq)]))
    big = (ends - starts) >= CHUNK_MIN
    for a, b in zip(starts[big], ends[big], strict=True):
        part = {"ts": ts[a:b], **{p: values[p][a:b] for p in PARAMETERS}, "status": status[a:b]}
        db.execute("INSERT OR REPLACE INTO reading_chunks (equipment_id, dataset_id, ts_min, ts_max, n, last_flowrate,"
                   " last_pressure, last_temperature, chunk) VALUES (?,?,?,?,?,?,?,?,?)",
                   (int(eq[a]), dataset_id, int(ts[a]), int(ts[b - 1]), int(b - a),
                    *(_num(values[p][b - 1]) for p in PARAMETERS), _encode(part)))
    small = np.repeat(~big, ends - starts)
    if small.any():
        cols = [eq[small].tolist(), ts[small].tolist(), [dataset_id] * int(small.sum()),
                *[[None if np.isnan(x) else x for x in values[p][small].tolist()] for p in PARAMETERS],
                [None if x is None else str(x) for x in status[small].tolist()]]
        db.executemany("INSERT OR REPLACE INTO readings (equipment_id, ts, dataset_id, flowrate, pressure,"
                       " temperature, status) VALUES (?,?,?,?,?,?,?)", zip(*cols, strict=True))
    return len(eq)


def name_keys(names: np.ndarray) -> np.ndarray:
    """`name_key` for a whole column at once (trimmed, inner spaces collapsed, case-folded)."""
    s = pd.Series(names, dtype="object").astype(str)
    return s.str.strip().str.replace(r"\s+", " ", regex=True).str.casefold().to_numpy(dtype=object)


def _upsert_equipment(db: sqlite3.Connection, names: np.ndarray, types: np.ndarray, now: str) -> np.ndarray:
    """The registry id of each row's equipment, creating the new ones and updating a known one's
    type when the file names a type (never overwritten by Unassigned). Set-based: one pass."""
    keys = name_keys(names)
    uniq, first, inverse = np.unique(keys.astype(str), return_index=True, return_inverse=True)
    known = {k: (i, t) for k, i, t in db.execute("SELECT name_key, id, type FROM equipment")}
    new = [j for j, k in enumerate(uniq) if k not in known]
    if new:
        db.executemany("INSERT INTO equipment (name, name_key, type, created_at, updated_at) VALUES (?,?,?,?,?)",
                       [(" ".join(str(names[first[j]]).split()), str(uniq[j]), str(types[first[j]]) or UNASSIGNED_TYPE,
                         now, now) for j in new])
        known.update({k: (i, t) for k, i, t in db.execute(
            "SELECT name_key, id, type FROM equipment WHERE name_key IN (SELECT value FROM json_each(?))",
            (json.dumps([str(uniq[j]) for j in new]),))})
    retype = [(str(types[first[j]]), now, known[str(k)][0]) for j, k in enumerate(uniq)
              if str(types[first[j]]) not in ("", UNASSIGNED_TYPE) and str(types[first[j]]) != known[str(k)][1]]
    if retype:
        db.executemany("UPDATE equipment SET type=?, updated_at=? WHERE id=?", retype)
    ids = np.array([known[str(k)][0] for k in uniq], dtype=np.int64)
    return ids[inverse]


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
    agg: dict[int, list] = {}      # id -> [n, first, last, last_ts, {values}]

    def merge(eid: int, n: int, first: int, last: int, values: tuple) -> None:
        cur = agg.setdefault(eid, [0, None, None, None, {p: None for p in PARAMETERS}])
        cur[0] += n
        cur[1] = first if cur[1] is None else min(cur[1], first)
        if cur[2] is None or last >= cur[2]:
            cur[2] = last
            cur[4] = dict(zip(PARAMETERS, values, strict=True))

    for r in db.execute("SELECT equipment_id, n, ts_min, ts_max, last_flowrate, last_pressure, last_temperature"
                        " FROM reading_chunks ORDER BY ts_max, dataset_id"):
        merge(r[0], r[1], r[2], r[3], tuple(r[4:7]))
    for r in db.execute("SELECT r.equipment_id, a.n, a.first, a.last, r.flowrate, r.pressure, r.temperature"
                        " FROM (SELECT equipment_id, count(*) n, min(ts) first, max(ts) last FROM readings"
                        " GROUP BY equipment_id) a JOIN readings r ON r.equipment_id = a.equipment_id AND"
                        " r.ts = a.last ORDER BY r.dataset_id"):
        merge(r[0], 0, r[2], r[3], tuple(r[4:7]))      # counted below
    counts = dict(db.execute("SELECT equipment_id, count(*) FROM readings GROUP BY equipment_id").fetchall())
    out = []
    for r in db.execute("SELECT * FROM equipment WHERE name_key LIKE ? ORDER BY name_key", (like,)).fetchall():
        n, first, last, _unused, vals = agg.get(r["id"], [0, None, None, None, {p: None for p in PARAMETERS}])
        out.append(EquipmentInfo(
            r["id"], r["name"], r["type"], r["status"], r["installation_date"], r["last_maintenance_date"],
            r["notes"], int(n) + int(counts.get(r["id"], 0)), _iso(first), _iso(last), vals,
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
    sql_rows = "SELECT dataset_id, ts, flowrate, pressure, temperature, status FROM readings WHERE equipment_id=?"
    if start_ns is not None:
        sql_rows += " AND ts >= ?"
    if end_ns is not None:
        sql_rows += " AND ts < ?"
    plain = db.execute(sql_rows, args).fetchall()
    if plain:
        by_dataset: dict[int, list] = {}
        for rec in plain:
            by_dataset.setdefault(rec[0], []).append(rec[1:])
        for dataset_id, recs in by_dataset.items():
            cols_ = list(zip(*recs, strict=True))
            tables.append(pa.table({"ts": pa.array(cols_[0], pa.int64()),
                                    **{p: pa.array(cols_[k + 1], pa.float64()) for k, p in enumerate(PARAMETERS)},
                                    "status": pa.array(cols_[4], pa.string())}))
            chunks.append((dataset_id, min(cols_[0]), max(cols_[0]), b""))
    overlap = bool(plain) or any(b[1] <= a[2] for a, b in zip(chunks, chunks[1:], strict=False))
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
