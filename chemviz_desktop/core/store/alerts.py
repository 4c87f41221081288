"""Alerts in the local store (#16): excursions of stored readings beyond the stored limits, with
the operator's acknowledgement (user, time, comment). States after ISA-18.2: active/cleared x
unacknowledged/acknowledged. Functions take the caller's connection.

How alerts follow the data (all in the transaction of the change that causes it):
- Alerts are derived from the stored readings and the current limits; the store re-derives them
  whenever either changes: an import (`Store.add`, `attach_rows`), a new reading time
  (`set_taken_at`), a deleted dataset (`Store.delete`), a limits change (`limits.put/delete`).
  Only readings taken while running count (status active; an Offline pump reading 0 flow is not
  a low-flow alarm), the rule trends use by default.
- Time series: an equipment's alerts are the excursions (`engine.alerts.series_alerts`: deadband,
  on-delay, worst level reached) of ALL its time-series readings in time order, whatever file
  they came from; a time seen in several datasets counts once (the newest dataset's, as in
  `equipment.history`). So an excursion still active at the end of one file and continued in the
  next is ONE alert: it keeps its start (its identity, its id and any acknowledgement) and its
  end and peak are updated; if it reaches a worse level in the second file, it becomes an alert
  of that level (a new identity, to be acknowledged again).
- Snapshots: each reading beyond a limit is an alert starting and ending at the dataset's
  reading time (`taken_at`); snapshot readings are not part of the time-series evaluation.
- Identity is (equipment, parameter, level, start): re-importing the same data finds the same
  alerts and creates none; re-evaluation keeps the id and acknowledgement of every alert found
  again.
- An alert no longer found (its dataset deleted, its limit changed or removed) is deleted when
  unacknowledged. An acknowledged alert is never deleted automatically: it stays as the record
  of what the operator acknowledged, with the values it had; if it was active it is closed at its
  last reading beyond the limit.
- Retention (the history limit) keeps readings, so it never changes alerts.
"""
from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

import numpy as np
import pandas as pd

from chemviz_desktop.core.store.reading_chunks import decode
from engine.alerts import point_rows, series_rows, state
from engine.excursions import iso_z
from engine.limits import LimitSet, limited_equipment
from engine.readings import ACTIVE

__all__ = ["AlertError", "Scope", "SQL_V4", "STATE_FILTERS", "StoredAlert", "acknowledge", "count_unacknowledged",
           "dataset_findings", "fill_reading_sets", "forgotten", "listing", "listing_frame", "recorded", "reevaluate", "touched"]

PARAMETERS = ("flowrate", "pressure", "temperature")
SERIES, POINT = "series", "point"
STATE_FILTERS = ("all", "active", "unacked", "active-unacknowledged", "active-acknowledged",
                 "cleared-unacknowledged", "cleared-acknowledged")

SQL_V4 = """
CREATE TABLE reading_sets (
    dataset_id INTEGER PRIMARY KEY,
    time_series INTEGER NOT NULL,
    taken_ns INTEGER NOT NULL
);
CREATE INDEX reading_sets_taken ON reading_sets(time_series, taken_ns);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    equipment_id INTEGER NOT NULL REFERENCES equipment(id) ON DELETE CASCADE,
    parameter TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('lolo', 'lo', 'hi', 'hihi')),
    limit_value REAL NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER,
    last_ns INTEGER NOT NULL,
    peak REAL NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('series', 'point')),
    dataset_id INTEGER,
    acknowledged_by TEXT,
    acknowledged_at TEXT,
    comment TEXT NOT NULL DEFAULT '',
    UNIQUE (equipment_id, parameter, level, start_ns)
);
CREATE INDEX alerts_start ON alerts(start_ns)
"""


class AlertError(ValueError):
    """An acknowledgement that cannot be applied (unknown alert id); the message says which."""


@dataclass(frozen=True)
class StoredAlert:
    """One alert as stored. Times are UTC Timestamps; `end` is None while active; `last` is the
    last reading beyond the limit (so an active alert's duration so far is last - start)."""
    id: int
    equipment_id: int
    equipment: str
    parameter: str
    level: str                      # lolo | lo | hi | hihi (the worst reached)
    limit: float                    # the value of that level's limit when it was evaluated
    start: pd.Timestamp
    end: pd.Timestamp | None
    last: pd.Timestamp
    peak: float
    dataset_id: int | None          # the dataset holding the reading that started it
    acknowledged_by: str | None
    acknowledged_at: str | None     # UTC ISO 8601 with Z
    comment: str

    @property
    def active(self) -> bool:
        return self.end is None

    @property
    def acknowledged(self) -> bool:
        return self.acknowledged_at is not None

    @property
    def state(self) -> str:
        """ISA-18.2 state: active-unacknowledged, active-acknowledged, cleared-…"""
        return state(self.active, self.acknowledged)

    @property
    def duration_s(self) -> float:
        """end - start; while active, the duration so far (last reading - start)."""
        return ((self.end if self.end is not None else self.last) - self.start).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """The CLI/JSON shape: id, equipment, parameter, level, limit, start, end, peak,
        duration_s, state, acknowledged_by, acknowledged_at, comment (times UTC ISO with Z)."""
        return {"id": self.id, "equipment": self.equipment, "parameter": self.parameter, "level": self.level,
                "limit": self.limit, "start": iso_z(self.start), "end": iso_z(self.end), "peak": self.peak,
                "duration_s": self.duration_s, "state": self.state, "acknowledged_by": self.acknowledged_by,
                "acknowledged_at": self.acknowledged_at, "comment": self.comment}


@dataclass
class Scope:
    """What a change can affect: these equipment's time-series alerts (when `series`) and their
    snapshot alerts at `point_times` (epoch ns)."""
    equipment_ids: set[int] = field(default_factory=set)
    series: bool = False
    point_times: set[int] = field(default_factory=set)

    def __or__(self, other: "Scope") -> "Scope":
        return Scope(self.equipment_ids | other.equipment_ids, self.series or other.series,
                     self.point_times | other.point_times)


# -- reads ----------------------------------------------------------------------------------------
_SELECT = ("SELECT a.id, a.equipment_id, e.name, a.parameter, a.level, a.limit_value, a.start_ns, a.end_ns,"
           " a.last_ns, a.peak, a.dataset_id, a.acknowledged_by, a.acknowledged_at, a.comment"
           " FROM alerts a JOIN equipment e ON e.id = a.equipment_id")
_STATE_SQL = {
    "all": "1", "active": "a.end_ns IS NULL", "unacked": "a.acknowledged_at IS NULL",
    "active-unacknowledged": "a.end_ns IS NULL AND a.acknowledged_at IS NULL",
    "active-acknowledged": "a.end_ns IS NULL AND a.acknowledged_at IS NOT NULL",
    "cleared-unacknowledged": "a.end_ns IS NOT NULL AND a.acknowledged_at IS NULL",
    "cleared-acknowledged": "a.end_ns IS NOT NULL AND a.acknowledged_at IS NOT NULL",
}


def _ts(ns: int | None) -> pd.Timestamp | None:
    return None if ns is None else pd.Timestamp(int(ns), tz="UTC")


def listing(db: sqlite3.Connection, state: str = "all", *, equipment: str | None = None,
            level: str | None = None, parameter: str | None = None, start_ns: int | None = None,
            end_ns: int | None = None, ids: Iterable[int] | None = None) -> list[StoredAlert]:
    """Alerts, newest start first. `state`: one of STATE_FILTERS (active = not cleared, unacked =
    not acknowledged, or an ISA state name); `equipment` by name (case-insensitive); a time window
    keeps alerts overlapping [start_ns, end_ns)."""
    if state not in _STATE_SQL:
        raise AlertError(f"state must be one of {', '.join(STATE_FILTERS)}, not {state!r}")
    where: list[str] = [_STATE_SQL[state]]
    args: list[object] = []
    if equipment:
        from engine.limits import name_key
        where.append("e.name_key = ?")
        args.append(name_key(equipment))
    if level:
        where.append("a.level = ?")
        args.append(level)
    if parameter:
        where.append("a.parameter = ?")
        args.append(parameter)
    if start_ns is not None:
        where.append("COALESCE(a.end_ns, a.last_ns) >= ?")
        args.append(int(start_ns))
    if end_ns is not None:
        where.append("a.start_ns < ?")
        args.append(int(end_ns))
    if ids is not None:
        where.append("a.id IN (SELECT value FROM json_each(?))")
        args.append(json.dumps([int(i) for i in ids]))
    rows = db.execute(f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY a.start_ns DESC, a.id DESC", args)
    return [StoredAlert(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), float(r[5]), pd.Timestamp(r[6], tz="UTC"),
                        _ts(r[7]), pd.Timestamp(r[8], tz="UTC"), float(r[9]), None if r[10] is None else int(r[10]),
                        r[11], r[12], str(r[13] or "")) for r in rows]


def listing_frame(db: sqlite3.Connection, state: str = "all", **filters: Any) -> pd.DataFrame:
    """`listing` as a table (one row per alert; columns id, equipment_id, equipment, parameter,
    level, limit, start, end, last, peak, dataset_id, acknowledged_by, acknowledged_at, comment,
    state, duration_s) for the Alerts page and its CSV/XLSX export."""
    items = listing(db, state, **filters)
    cols = ["id", "equipment_id", "equipment", "parameter", "level", "limit", "start", "end", "last", "peak",
            "dataset_id", "acknowledged_by", "acknowledged_at", "comment", "state", "duration_s"]
    return pd.DataFrame([[*(getattr(a, c) for c in cols[:-2]), a.state, a.duration_s] for a in items],
                        columns=cols)


def count_unacknowledged(db: sqlite3.Connection) -> int:
    """How many alerts wait for an acknowledgement (the status bar's count)."""
    return int(db.execute("SELECT COUNT(*) FROM alerts WHERE acknowledged_at IS NULL").fetchone()[0])


def acknowledge(db: sqlite3.Connection, ids: Iterable[int], user: str, comment: str,
                now: datetime) -> list[int]:
    """Acknowledge alerts (user, time, comment). All ids must exist (else AlertError naming the
    unknown ones, nothing changed). An alert already acknowledged keeps its first
    acknowledgement. Returns the ids acknowledged now."""
    wanted = sorted({int(i) for i in ids})
    found = dict(db.execute("SELECT id, acknowledged_at FROM alerts WHERE id IN (SELECT value FROM json_each(?))",
                            (json.dumps(wanted),)).fetchall())
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise AlertError(f"no alert with id {', '.join(map(str, unknown))}")
    fresh = [i for i in wanted if found[i] is None]
    at = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.executemany("UPDATE alerts SET acknowledged_by=?, acknowledged_at=?, comment=? WHERE id=?",
                   [(user, at, comment, i) for i in fresh])
    from . import shared, shared_apply  # acknowledgements go to the team at the next sync
    for key, parameter, level, start_ns in db.execute(
            "SELECT e.name_key, a.parameter, a.level, a.start_ns FROM alerts a JOIN equipment e"
            " ON e.id = a.equipment_id WHERE a.id IN (SELECT value FROM json_each(?))", (json.dumps(fresh),)).fetchall():
        shared.record_edit(db, "ack", shared_apply.ack_key(key, parameter, level, start_ns), {},
                           {"acknowledged_by": user, "acknowledged_at": at, "comment": comment}, at)
    return fresh


def dataset_findings(db: sqlite3.Connection, dataset_id: int) -> tuple[bool, list[StoredAlert]]:
    """What the PDF report's "Findings" list for one stored dataset: (whether any limit applies to
    its equipment, the alerts of its equipment overlapping its readings' time span: a time
    series' first to last reading, a snapshot's reading time). No readings stored: (False, [])."""
    from chemviz_desktop.core.store.limits import load
    if db.execute("SELECT NOT EXISTS (SELECT 1 FROM limits)").fetchone()[0]:
        return False, []    # no limit at all (alerts go with their limits): no work on 1M equipment
    row = db.execute("SELECT time_series, taken_ns FROM reading_sets WHERE dataset_id=?", (dataset_id,)).fetchone()
    ids = _dataset_equipment(db, dataset_id)
    if row is None or not ids:
        return False, []
    limited = bool(limited_equipment(_registry(db, ids), load(db)))
    lo = hi = int(row[1])
    if row[0]:
        span = _dataset_span(db, dataset_id)
        if span is not None:
            lo, hi = span
    found = [a for a in listing(db, "all", start_ns=lo, end_ns=hi + 1) if a.equipment_id in ids]
    return limited, found


def _dataset_span(db: sqlite3.Connection, dataset_id: int) -> tuple[int, int] | None:
    """First and last reading time (epoch ns) of one dataset's stored readings."""
    found: list[int] = []
    for lo, hi in db.execute("SELECT MIN(ts_min), MAX(ts_max) FROM reading_chunks WHERE dataset_id=?"
                             " UNION ALL SELECT MIN(ts), MAX(ts) FROM readings WHERE dataset_id=?",
                             (dataset_id, dataset_id)):
        if lo is not None:
            found += [int(lo), int(hi)]
    for (blob,) in db.execute("SELECT chunk FROM dataset_chunks WHERE dataset_id=?", (dataset_id,)):
        ts = decode(blob)["ts"].to_numpy()
        if len(ts):
            found += [int(ts.min()), int(ts.max())]
    return (min(found), max(found)) if found else None


# -- bookkeeping of stored readings ---------------------------------------------------------------
def _in(ids: Iterable[int]) -> str:
    return json.dumps(sorted(int(i) for i in ids))


def _dataset_equipment(db: sqlite3.Connection, dataset_id: int) -> set[int]:
    ids = {int(r[0]) for r in db.execute("SELECT equipment_id FROM reading_chunks WHERE dataset_id=?"
                                         " UNION SELECT DISTINCT equipment_id FROM readings WHERE dataset_id=?",
                                         (dataset_id, dataset_id))}
    for (blob,) in db.execute("SELECT chunk FROM dataset_chunks WHERE dataset_id=?", (dataset_id,)):
        ids |= {int(x) for x in np.unique(decode(blob)["eq"].to_numpy())}
    return ids


def _dormant(db: sqlite3.Connection) -> bool:
    """No limits and no alerts: nothing can change, so imports skip the work."""
    return db.execute("SELECT NOT EXISTS (SELECT 1 FROM limits) AND NOT EXISTS (SELECT 1 FROM alerts)").fetchone()[0] == 1


def touched(db: sqlite3.Connection, dataset_id: int) -> Scope:
    """What a dataset's stored readings affect (read before they are replaced or deleted)."""
    row = db.execute("SELECT time_series, taken_ns FROM reading_sets WHERE dataset_id=?", (dataset_id,)).fetchone()
    if row is None or _dormant(db):
        return Scope()
    ids = _dataset_equipment(db, dataset_id)
    return Scope(ids, series=True) if row[0] else Scope(ids, point_times={int(row[1])})


def recorded(db: sqlite3.Connection, dataset_id: int, time_series: bool, taken_ns: int, before: Scope) -> None:
    """After a dataset's readings were (re)written: note the kind of readings, then re-evaluate
    the alerts they (and the readings they replaced, `before`) affect."""
    db.execute("INSERT OR REPLACE INTO reading_sets (dataset_id, time_series, taken_ns) VALUES (?,?,?)",
               (dataset_id, int(time_series), int(taken_ns)))
    if _dormant(db):
        return
    ids = _dataset_equipment(db, dataset_id)
    scope = Scope(ids, series=True) if time_series else Scope(ids, point_times={int(taken_ns)})
    _evaluate(db, before | scope)


def forgotten(db: sqlite3.Connection, dataset_id: int, before: Scope) -> None:
    """After a dataset's readings were deleted: re-evaluate what they affected (`touched`)."""
    db.execute("DELETE FROM reading_sets WHERE dataset_id=?", (dataset_id,))
    if before.equipment_ids:
        _evaluate(db, before)


def reevaluate(db: sqlite3.Connection, equipment_ids: Iterable[int] | None = None) -> None:
    """Re-derive every alert (time series and snapshots) of these equipment (None: all), e.g.
    after their limits changed."""
    ids = ({int(r[0]) for r in db.execute("SELECT id FROM equipment")} if equipment_ids is None
           else {int(i) for i in equipment_ids})
    if ids:
        times = {int(r[0]) for r in db.execute("SELECT DISTINCT taken_ns FROM reading_sets WHERE time_series=0")}
        _evaluate(db, Scope(ids, series=True, point_times=times))


def fill_reading_sets(db: sqlite3.Connection) -> None:
    """Migration v4: note the kind of every stored dataset's readings. A dataset whose statistics
    have a first_reading is a time series; a dataset gone from the history (trimmed, readings
    kept) is one when its readings span more than one time."""
    span: dict[int, tuple[int, int]] = {}

    def note(ds: int, lo: int, hi: int) -> None:
        a, b = span.get(ds, (lo, hi))
        span[ds] = (min(a, lo), max(b, hi))
    for ds, lo, hi in db.execute("SELECT dataset_id, MIN(ts_min), MAX(ts_max) FROM reading_chunks GROUP BY dataset_id"
                                 " UNION ALL SELECT dataset_id, MIN(ts), MAX(ts) FROM readings GROUP BY dataset_id"):
        note(int(ds), int(lo), int(hi))
    for ds, blob in db.execute("SELECT dataset_id, chunk FROM dataset_chunks"):
        ts = decode(blob)["ts"].to_numpy()
        if len(ts):
            note(int(ds), int(ts.min()), int(ts.max()))
    hinted = {int(r[0]) for r in db.execute(
        "SELECT id FROM datasets WHERE json_valid(statistics_json)"
        " AND json_type(statistics_json, '$.first_reading') IS NOT NULL")}
    db.executemany("INSERT OR REPLACE INTO reading_sets (dataset_id, time_series, taken_ns) VALUES (?,?,?)",
                   [(ds, int(ds in hinted or hi > lo), lo) for ds, (lo, hi) in span.items()])


# -- evaluation -----------------------------------------------------------------------------------
def _readings(db: sqlite3.Connection, dataset_ids: list[int], equipment_ids: set[int]) -> pd.DataFrame:
    """The running readings of these datasets and equipment (eq, ts, dataset_id, parameters), one
    per (equipment, time): the newest dataset's. Chunks stay Arrow until one concatenation (a
    frame per chunk cost more than the evaluation itself: bench/alerts_bench.py)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    cols = ["eq", "ts", "dataset_id", *PARAMETERS]
    schema = pa.schema([("eq", pa.int64()), ("ts", pa.int64()), ("dataset_id", pa.int64()),
                        *((p, pa.float64()) for p in PARAMETERS)])
    if not dataset_ids or not equipment_ids:
        return schema.empty_table().to_pandas()
    parts: list[pa.Table] = []
    wanted = pa.array(sorted(equipment_ids), pa.int64())

    def keep(t: pa.Table, eq: pa.Array | None, did: int) -> None:
        eq_col = eq if eq is not None else t.column("eq").cast(pa.int64())
        mask = pc.and_(pc.equal(t.column("status"), ACTIVE), pc.is_in(eq_col, value_set=wanted))
        part = pa.table({"eq": eq_col, "ts": t.column("ts").cast(pa.int64()),
                         "dataset_id": pa.array(np.full(len(t), did, dtype=np.int64)),
                         **{p: t.column(p).cast(pa.float64()) for p in PARAMETERS}}, schema=schema)
        parts.append(part.filter(pc.fill_null(mask, False)))
    ds, few = json.dumps(dataset_ids), len(equipment_ids) <= 5000
    eq_sql, eq_args = (" AND equipment_id IN (SELECT value FROM json_each(?))", [_in(equipment_ids)]) if few \
        else ("", [])
    for eid, did, blob in db.execute("SELECT equipment_id, dataset_id, chunk FROM reading_chunks"
                                     " WHERE dataset_id IN (SELECT value FROM json_each(?))" + eq_sql, [ds, *eq_args]):
        t = decode(blob)
        keep(t, pa.array(np.full(len(t), int(eid), dtype=np.int64)), int(did))
    rows = db.execute("SELECT equipment_id, ts, dataset_id, flowrate, pressure, temperature FROM readings"
                      " WHERE dataset_id IN (SELECT value FROM json_each(?)) AND status = ?" + eq_sql,
                      [ds, ACTIVE, *eq_args]).fetchall()
    if rows:
        frame = pd.DataFrame([tuple(r) for r in rows], columns=cols)
        frame = frame[frame["eq"].isin(list(equipment_ids))]
        parts.append(pa.Table.from_pandas(frame.astype({"eq": np.int64, "ts": np.int64, "dataset_id": np.int64,
                                                        **{p: float for p in PARAMETERS}}),
                                          schema=schema, preserve_index=False))
    for did, blob in db.execute("SELECT dataset_id, chunk FROM dataset_chunks"
                                " WHERE dataset_id IN (SELECT value FROM json_each(?))", [ds]):
        keep(decode(blob), None, int(did))
    if not parts:
        return schema.empty_table().to_pandas()
    table = pa.concat_tables(parts).sort_by([("eq", "ascending"), ("ts", "ascending"), ("dataset_id", "ascending")])
    eq, ts = table.column("eq").to_numpy(), table.column("ts").to_numpy()
    last = np.ones(len(eq), dtype=bool)          # sorted: the last of each (eq, ts) is the newest dataset's
    last[:-1] = (eq[1:] != eq[:-1]) | (ts[1:] != ts[:-1])
    return table.filter(pa.array(last)).to_pandas()


def _registry(db: sqlite3.Connection, ids: set[int]) -> dict[int, tuple[str, str]]:
    """(name, type) per id, asked in pieces of 20k ids (one JSON text of a million ids holds the
    GIL ~200 ms: the window that exported the PDF stalled)."""
    out: dict[int, tuple[str, str]] = {}
    ordered = sorted(ids)
    for i in range(0, len(ordered), 20_000):
        rows = db.execute("SELECT id, name, type FROM equipment WHERE id IN (SELECT value FROM json_each(?))",
                          (_in(ordered[i:i + 20_000]),))
        out.update({int(e): (str(n), str(t)) for e, n, t in rows})
    return out




_Row = tuple[int, str, str, float, int, "int | None", int, float, int]   # eq, parameter, level, limit, start,
#                                                                           end, last, peak, dataset


def _desired(frame: pd.DataFrame, registry: dict[int, tuple[str, str]], limits: LimitSet, kind: str) -> list[_Row]:
    """The alert rows the readings should have (engine.alerts, shared with the server), each with
    the dataset holding the reading that started it."""
    eq, ts = frame["eq"].to_numpy(dtype=np.int64), frame["ts"].to_numpy(dtype=np.int64)
    values = {p: frame[p].to_numpy(dtype=float) for p in PARAMETERS}
    rows = (series_rows(eq, ts, values, registry, limits) if kind == SERIES
            else point_rows(eq, ts, values, registry, limits))
    ds = frame["dataset_id"].to_numpy(dtype=np.int64)
    return [(*r[:8], int(ds[r[8]])) for r in rows]


def _evaluate(db: sqlite3.Connection, scope: Scope) -> None:
    """Re-derive the alerts in `scope` from the stored readings and limits, and reconcile: found
    again = kept (id, acknowledgement) with end/peak/limit updated; new = inserted; no longer
    found = deleted unless acknowledged (then closed if active)."""
    from chemviz_desktop.core.store.limits import load
    if not scope.equipment_ids or _dormant(db):
        return
    limits = load(db)
    registry = _registry(db, scope.equipment_ids)
    relevant = limited_equipment(registry, limits)
    if scope.series:
        series_ids = [int(r[0]) for r in db.execute("SELECT dataset_id FROM reading_sets WHERE time_series=1")]
        frame = _readings(db, series_ids, relevant)
        _reconcile(db, SERIES, _desired(frame, registry, limits, SERIES), scope.equipment_ids, None)
    if scope.point_times:
        point_ids = [int(r[0]) for r in db.execute(
            "SELECT dataset_id FROM reading_sets WHERE time_series=0 AND taken_ns IN (SELECT value FROM json_each(?))",
            (_in(scope.point_times),))]
        frame = _readings(db, point_ids, relevant)
        _reconcile(db, POINT, _desired(frame, registry, limits, POINT), scope.equipment_ids, scope.point_times)


def _reconcile(db: sqlite3.Connection, kind: str, desired: list[_Row], equipment_ids: set[int],
               times: set[int] | None) -> None:
    db.executemany(
        "INSERT INTO alerts (equipment_id, parameter, level, limit_value, start_ns, end_ns, last_ns, peak, dataset_id,"
        " kind) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (equipment_id, parameter, level, start_ns) DO UPDATE SET"
        " limit_value=excluded.limit_value, end_ns=excluded.end_ns, last_ns=excluded.last_ns, peak=excluded.peak,"
        " dataset_id=excluded.dataset_id, kind=excluded.kind", [(*r, kind) for r in desired])
    keep = {(r[0], r[1], r[2], r[4]) for r in desired}
    where, args = "kind=? AND equipment_id IN (SELECT value FROM json_each(?))", [kind, _in(equipment_ids)]
    if times is not None:
        where += " AND start_ns IN (SELECT value FROM json_each(?))"
        args.append(_in(times))
    gone, close = [], []
    for aid, eid, p, level, start, end, acked in db.execute(
            f"SELECT id, equipment_id, parameter, level, start_ns, end_ns, acknowledged_at FROM alerts WHERE {where}",
            args):
        if (int(eid), p, level, int(start)) in keep:
            continue
        if acked is None:
            gone.append((int(aid),))
        elif end is None:
            close.append((int(aid),))
    db.executemany("DELETE FROM alerts WHERE id=?", gone)
    db.executemany("UPDATE alerts SET end_ns=last_ns WHERE id=?", close)
