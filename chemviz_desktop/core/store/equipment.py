"""The equipment registry and its readings over time, in the local store (seed §2.3.1 Equipment,
§2.3.2 Parameter History). Equipment is created or updated on import (name unique, trimmed,
case-insensitive); each accepted row of a dataset becomes one reading (equipment, time, values,
status, dataset), deleted with its dataset. Functions take the caller's connection so an import
writes dataset, equipment and readings in ONE transaction.

Readings are stored the way historians store them: an equipment with many readings in a dataset
(a time series) gets one compressed columnar chunk (Arrow IPC, zstd) for that dataset, with its
time range, count and last values beside it in SQL, so its history is a handful of blob reads
instead of tens of thousands of rows through the SQLite driver (bench/history_bench.py: 10M
readings); the few readings of a snapshot are plain indexed rows, and when a dataset has very
many of those (a 1M-equipment snapshot) they go into one chunk for the dataset, sorted by
equipment, so the import does not push a million rows through the driver. The chunk format (and
the Arrow helpers that keep the import GIL-friendly) is reading_chunks.py.

Readings name their dataset without a foreign key on purpose: deleting a dataset deletes its
readings (`forget`, called by the store), but the history limit, which trims datasets that have a
copy on the server, frees their rows and files and keeps the plant's history."""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

from engine import schema as engine_schema
from engine.limits import name_key, names_and_keys, names_and_keys_arrow

__all__ = ["EDITABLE", "EquipmentError", "EquipmentInfo", "equipment_id", "forget", "history", "iso_to_ns", "listing",
           "listing_frame", "name_key", "record",
           "update"]
from engine.readings import ACTIVE, STATUS, STATUS_CHOICES, TIMESTAMP, UNASSIGNED_TYPE

from . import shared  # local edits queued for the team (#19)
from .reading_chunks import (  # the Arrow form of readings (chunks), and its GIL-friendly helpers
    PARAMETERS,
    PIECE,
    arrow_text,
    decode,
    empty,
    encode,
    pylist,
    status_part,
    status_take,
)

STATUSES = tuple(c["value"] for c in STATUS_CHOICES)
_COLUMN = {"flowrate": engine_schema.FLOWRATE, "pressure": engine_schema.PRESSURE,
           "temperature": engine_schema.TEMPERATURE}
EDITABLE = ("type", "status", "installation_date", "last_maintenance_date", "notes")
CHUNK_MIN = 64      # an equipment with at least this many readings in a dataset is stored as a chunk
PLAIN_MAX = 50_000  # a dataset's other readings are plain rows up to this many, else one dataset chunk

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
    dataset_id INTEGER NOT NULL,
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
    dataset_id INTEGER NOT NULL,
    flowrate REAL,
    pressure REAL,
    temperature REAL,
    status TEXT,
    PRIMARY KEY (equipment_id, ts, dataset_id)
) WITHOUT ROWID;
CREATE INDEX readings_dataset ON readings(dataset_id);
CREATE TABLE dataset_chunks (
    dataset_id INTEGER PRIMARY KEY,
    n INTEGER NOT NULL,
    chunk BLOB NOT NULL
);
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
    one (never overwritten by Unassigned). Recording a dataset again replaces its readings."""
    from engine.frames import accepted_mask
    forget(db, dataset_id)
    keep = accepted_mask(frame)
    wanted = [c for c in (engine_schema.NAME, engine_schema.TYPE, TIMESTAMP, STATUS, *_COLUMN.values())
              if c in frame.columns]
    ok = frame.loc[keep, wanted] if not keep.all() else frame[wanted]   # only the columns recorded
    if not len(ok):
        return 0
    names = ok[engine_schema.NAME]
    types = ok[engine_schema.TYPE] if engine_schema.TYPE in ok else None
    eq, fresh = _upsert_equipment(db, names, types, now)
    if TIMESTAMP in ok:
        ts = pd.DatetimeIndex(pd.to_datetime(ok[TIMESTAMP], utc=True)).as_unit("ns").asi8
    else:
        ts = np.full(len(ok), taken_at_ns, dtype=np.int64)
    # status stays Arrow (take/slice run without the GIL; a million-row object array does not)
    status = arrow_text(ok[STATUS]) if STATUS in ok else None
    values = {p: pd.to_numeric(ok[c], errors="coerce").to_numpy(dtype=float) if c in ok else
              np.full(len(ok), np.nan) for p, c in _COLUMN.items()}
    del ok
    order = np.lexsort((np.arange(len(eq)), ts, eq))       # by equipment, time, then file order
    eq, ts = eq[order], ts[order]
    first = np.concatenate(([True], (eq[1:] != eq[:-1]) | (ts[1:] != ts[:-1])))   # one reading per time
    order = order[first]
    eq, ts = eq[first], ts[first]
    if status is not None:
        import pyarrow as pa
        status = status.take(pa.array(order))
    values = {p: v[order] for p, v in values.items()}
    bounds = np.flatnonzero(np.diff(eq)) + 1
    starts, ends = np.concatenate(([0], bounds)), np.concatenate((bounds, [len(eq)]))
    if status is not None and len(fresh):      # new equipment starts with the status of its latest reading
        last = ends - 1
        last = last[np.isin(eq[last], fresh)]
        latest = pylist(status, last)
        db.executemany("UPDATE equipment SET status=? WHERE id=?",
                       [(s, int(e)) for s, e in zip(latest, eq[last].tolist(), strict=True)
                        if s in STATUSES and s != ACTIVE])
    big = (ends - starts) >= CHUNK_MIN
    for a, b in zip(starts[big], ends[big], strict=True):
        part = {"ts": ts[a:b], **{p: values[p][a:b] for p in PARAMETERS},
                "status": status_part(status, a, b)}
        db.execute("INSERT OR REPLACE INTO reading_chunks (equipment_id, dataset_id, ts_min, ts_max, n, last_flowrate,"
                   " last_pressure, last_temperature, chunk) VALUES (?,?,?,?,?,?,?,?,?)",
                   (int(eq[a]), dataset_id, int(ts[a]), int(ts[b - 1]), int(b - a),
                    *(_num(values[p][b - 1]) for p in PARAMETERS), encode(part)))
    small = np.repeat(~big, ends - starts)
    n_small = int(small.sum())
    where = np.flatnonzero(small)
    if n_small > PLAIN_MAX:
        part = {"eq": eq[small], "ts": ts[small], **{p: values[p][small] for p in PARAMETERS},
                "status": status_take(status, where)}
        db.execute("INSERT OR REPLACE INTO dataset_chunks (dataset_id, n, chunk) VALUES (?,?,?)",
                   (dataset_id, n_small, encode(part)))
    elif n_small:
        cols = [eq[small].tolist(), ts[small].tolist(), [dataset_id] * n_small,
                *[[None if np.isnan(x) else x for x in values[p][small].tolist()] for p in PARAMETERS],
                pylist(status, where) if status is not None else [ACTIVE] * n_small]
        db.executemany("INSERT OR REPLACE INTO readings (equipment_id, ts, dataset_id, flowrate, pressure,"
                       " temperature, status) VALUES (?,?,?,?,?,?,?)", zip(*cols, strict=True))
    return len(eq)


def forget(db: sqlite3.Connection, dataset_id: int) -> None:
    """Remove a dataset's readings (before recording it again at another time)."""
    for table in ("reading_chunks", "readings", "dataset_chunks"):
        db.execute(f"DELETE FROM {table} WHERE dataset_id=?", (dataset_id,))


def name_keys(names: np.ndarray) -> np.ndarray:
    """`name_key` for a whole column at once."""
    return names_and_keys(names)[1]


def _upsert_equipment(db: sqlite3.Connection, names: pd.Series, types: pd.Series | None,
                      now: str) -> tuple[np.ndarray, np.ndarray]:
    """The registry id of each row's equipment, creating the new ones and updating a known one's
    type when the file names a type (never overwritten by Unassigned). Also returns the ids
    created. Set-based and GIL-friendly: names stay Arrow (kernels run without the GIL), distinct
    names travel to SQLite as JSON arrays of at most PIECE names, so a 1M-equipment snapshot
    registers in seconds without freezing the window that imports it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    display, keys = names_and_keys_arrow(arrow_text(names))
    enc = pc.dictionary_encode(keys)
    inverse = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    ukeys = enc.dictionary
    first = np.full(len(ukeys), len(keys), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(keys), dtype=np.int64))   # first row of each name
    tarr = arrow_text(types) if types is not None else pa.nulls(len(keys), pa.string())
    ids = np.zeros(len(ukeys), dtype=np.int64)
    known_type: dict[int, str] = {}
    if db.execute("SELECT 1 FROM equipment LIMIT 1").fetchone() is not None:
        for i in range(0, len(ukeys), PIECE):
            part = ukeys.slice(i, PIECE).to_pylist()
            for j, eid, kind in db.execute("SELECT j.key, e.id, e.type FROM json_each(?) j"
                                           " JOIN equipment e ON e.name_key = j.value", (json.dumps(part),)):
                ids[i + j] = eid
                known_type[i + j] = kind
    new = np.flatnonzero(ids == 0)
    if len(new):
        top = int(db.execute("SELECT max(COALESCE((SELECT MAX(id) FROM equipment), 0),"
                             " COALESCE((SELECT seq FROM sqlite_sequence WHERE name='equipment'), 0))").fetchone()[0])
        ids[new] = top + 1 + np.arange(len(new))
        for i in range(0, len(new), PIECE):
            part = new[i:i + PIECE]
            rows = first[part]
            kinds = [t or UNASSIGNED_TYPE for t in pylist(tarr, rows)]
            payload = json.dumps(list(zip(pylist(display, rows), pylist(ukeys, part), kinds, strict=True)))
            db.execute("INSERT INTO equipment (id, name, name_key, type, created_at, updated_at)"
                       " SELECT ? + j.key, j.value ->> 0, j.value ->> 1, j.value ->> 2, ?, ? FROM json_each(?) j",
                       (top + 1 + i, now, now, payload))
    if known_type and types is not None:
        old = np.fromiter(known_type, dtype=np.int64, count=len(known_type))
        utypes = pylist(tarr, first[old])
        retype = [(t, now, int(ids[j])) for j, t in zip(old.tolist(), utypes, strict=True)
                  if t not in (None, "", UNASSIGNED_TYPE) and t != known_type[j]]
        if retype:
            db.executemany("UPDATE equipment SET type=?, updated_at=? WHERE id=?", retype)
    return ids[inverse], ids[new]


def _num(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


LISTING_COLUMNS = ("id", "name", "type", "status", "installation_date", "last_maintenance_date", "notes",
                   "readings", "first_ns", "last_ns", "last_flowrate", "last_pressure", "last_temperature",
                   "created_at", "updated_at")


def listing_frame(db: sqlite3.Connection, search: str = "") -> pd.DataFrame:
    """The registry as columns (for big tables): reading counts, first/last time (epoch ns, -1
    when none) and the last values, by name. Set-based: a 1M-equipment registry lists in seconds."""
    like = f"%{name_key(search)}%" if search else "%"
    reg = pd.DataFrame(db.execute(
        "SELECT id, name, type, status, installation_date, last_maintenance_date, notes, created_at, updated_at"
        " FROM equipment WHERE name_key LIKE ? ORDER BY name_key", (like,)).fetchall(),
        columns=["id", "name", "type", "status", "installation_date", "last_maintenance_date", "notes",
                 "created_at", "updated_at"])
    parts = []   # frames of equipment_id, n, first, last, last values (one row per equipment per source)
    cols = ["equipment_id", "n", "first", "last", *(f"last_{p}" for p in PARAMETERS)]
    rows = db.execute("SELECT equipment_id, n, ts_min, ts_max, last_flowrate, last_pressure, last_temperature"
                      " FROM reading_chunks").fetchall()
    parts.append(pd.DataFrame(rows, columns=cols))
    agg = pd.DataFrame(db.execute("SELECT equipment_id, count(*), min(ts), max(ts) FROM readings"
                                  " GROUP BY equipment_id").fetchall(), columns=cols[:4])
    last = pd.DataFrame(db.execute("SELECT equipment_id, max(ts), flowrate, pressure, temperature FROM readings"
                                   " GROUP BY equipment_id").fetchall(),
                        columns=["equipment_id", "_ts", *cols[4:]])
    parts.append(agg.merge(last.drop(columns="_ts"), on="equipment_id", how="left"))
    for (blob,) in db.execute("SELECT chunk FROM dataset_chunks"):
        t = decode(blob)
        e, ts = t["eq"].to_numpy(), t["ts"].to_numpy()
        bounds = np.flatnonzero(np.diff(e)) + 1          # sorted by equipment, then time
        starts = np.concatenate(([0], bounds))
        ends = np.concatenate((bounds, [len(e)])) - 1
        parts.append(pd.DataFrame({"equipment_id": e[starts], "n": ends - starts + 1, "first": ts[starts],
                                   "last": ts[ends], **{f"last_{p}": t[p].to_numpy(zero_copy_only=False)[ends]
                                                        for p in PARAMETERS}}))
    allp = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=cols)
    if len(allp):
        allp = allp.astype({"equipment_id": np.int64, "n": np.int64, "first": np.int64, "last": np.int64})
        totals = allp.groupby("equipment_id").agg(readings=("n", "sum"), first_ns=("first", "min"))
        latest = allp.sort_values(["equipment_id", "last"], kind="stable").drop_duplicates("equipment_id", keep="last")
        latest = latest.set_index("equipment_id")[["last", *cols[4:]]].rename(columns={"last": "last_ns"})
        summary = totals.join(latest)
    else:
        summary = pd.DataFrame(columns=["readings", "first_ns", "last_ns", *cols[4:]])
    out = reg.join(summary, on="id")
    out["readings"] = out["readings"].fillna(0).astype(np.int64)
    for c in ("first_ns", "last_ns"):
        out[c] = out[c].fillna(-1).astype(np.int64)
    for c in cols[4:]:
        out[c] = out[c].astype(float)
    return out[list(LISTING_COLUMNS)].reset_index(drop=True)


def listing(db: sqlite3.Connection, search: str = "") -> list[EquipmentInfo]:
    """The registry with reading counts, first/last time and the last values, by name."""
    f = listing_frame(db, search)
    return [EquipmentInfo(int(r.id), r.name, r.type, r.status, r.installation_date, r.last_maintenance_date,
                          r.notes, int(r.readings), _iso(r.first_ns if r.first_ns >= 0 else None),
                          _iso(r.last_ns if r.last_ns >= 0 else None),
                          {p: _num(getattr(r, f"last_{p}")) for p in PARAMETERS}, r.created_at, r.updated_at)
            for r in f.itertuples(index=False)]


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
    row = db.execute(f"SELECT id, name, {', '.join(EDITABLE)} FROM equipment WHERE name_key=?",
                     (name_key(name),)).fetchone()
    if row is None:
        raise EquipmentError(f"no equipment named {name!r} in the local store")
    before = dict(zip(("name", *EDITABLE), row[1:], strict=True))
    values = dict(changes)
    if "status" in values and values["status"] not in STATUSES:
        raise EquipmentError(f"status must be one of {', '.join(STATUSES)}, not {values['status']!r}")
    if "type" in values:
        values["type"] = " ".join(str(values["type"] or "").split())
        if not values["type"]:
            raise EquipmentError("type cannot be empty")
    if "notes" in values:
        values["notes"] = str(values["notes"] or "")
    for field in ("installation_date", "last_maintenance_date"):
        if field in values:
            values[field] = _date(values[field], field)
    if not values:
        return
    sets = ", ".join(f"{k}=?" for k in values)
    db.execute(f"UPDATE equipment SET {sets}, updated_at=? WHERE id=?", (*values.values(), now, row[0]))
    # the edit goes to the team at the next sync, queued in this same transaction
    shared.record_edit(db, "equipment", name_key(name), before, values, now)


def equipment_id(db: sqlite3.Connection, name: str) -> tuple[int, str]:
    """The registry id and display name of an equipment, or EquipmentError naming it."""
    row = db.execute("SELECT id, name FROM equipment WHERE name_key=?", (name_key(name),)).fetchone()
    if row is None:
        raise EquipmentError(f"no equipment named {name!r} in the local store")
    return int(row[0]), str(row[1])


def history(db: sqlite3.Connection, name: str, start_ns: int | None = None, end_ns: int | None = None,
            running_only: bool = True) -> pd.DataFrame:
    """One equipment's readings in time order (columns timestamp UTC, flowrate, pressure,
    temperature, status); a time seen in several datasets counts once (the newest dataset's)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    eid, _name = equipment_id(db, name)
    window, args = "", []
    if start_ns is not None:
        window += " AND ts_max >= ?"
        args.append(int(start_ns))
    if end_ns is not None:
        window += " AND ts_min < ?"
        args.append(int(end_ns))
    sources: list[tuple[int, pa.Table]] = []      # (dataset id, readings) pairs
    for dataset_id, blob in db.execute("SELECT dataset_id, chunk FROM reading_chunks WHERE equipment_id=?" + window
                                       + " ORDER BY ts_min, dataset_id", [eid, *args]):
        sources.append((int(dataset_id), decode(blob)))
    plain = db.execute("SELECT dataset_id, ts, flowrate, pressure, temperature, status FROM readings"
                       " WHERE equipment_id=?" + window.replace("ts_max", "ts").replace("ts_min", "ts"),
                       [eid, *args]).fetchall()
    by_dataset: dict[int, list] = {}
    for rec in plain:
        by_dataset.setdefault(rec[0], []).append(rec[1:])
    for dataset_id, recs in by_dataset.items():
        c = list(zip(*recs, strict=True))
        sources.append((dataset_id, pa.table({"ts": pa.array(c[0], pa.int64()),
                                              **{p: pa.array(c[k + 1], pa.float64()) for k, p in enumerate(PARAMETERS)},
                                              "status": pa.array(c[4], pa.string())})))
    for dataset_id, blob in db.execute("SELECT dataset_id, chunk FROM dataset_chunks"):
        t = decode(blob)
        e = t["eq"].to_numpy()
        a, b = np.searchsorted(e, eid, "left"), np.searchsorted(e, eid, "right")
        if b > a:
            sources.append((int(dataset_id), t.slice(int(a), int(b - a)).drop(["eq"])))
    tables = [t for _d, t in sources]
    table = pa.concat_tables(tables) if tables else empty()
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
    ts = cols["ts"]
    if len(sources) > 1 or (len(ts) > 1 and bool((np.diff(ts) <= 0).any())):
        newest = np.concatenate([np.full(t.num_rows, d) for d, t in sources])
        if mask is not None:
            newest = newest[np.asarray(mask)]
        order = np.lexsort((newest, ts))      # by time, the newest dataset last
        ts_sorted = ts[order]
        last = np.concatenate((ts_sorted[1:] != ts_sorted[:-1], [True]))
        pick = order[last]
        cols = {c: v[pick] for c, v in cols.items()}
    # a view, not pd.to_datetime: that parses int64 on pandas' object path (~400 ms for a year of minutes)
    stamps = pd.DatetimeIndex(cols["ts"].astype(np.int64).view("datetime64[ns]")).tz_localize("UTC")
    out = pd.DataFrame({"timestamp": stamps})
    for p in PARAMETERS:
        out[p] = cols[p].astype(float)
    out["status"] = cols["status"].astype(object)
    return out
