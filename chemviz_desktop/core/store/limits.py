"""Operating limits in the local store (#16): per equipment type or per equipment, per parameter,
LoLo/Lo/Hi/HiHi plus deadband and on-delay, in canonical units. One row per (scope, name_key,
parameter); an equipment's own limit overrides its type's (`engine.limits.LimitSet`).

Functions take the caller's connection (inside `Store.transaction()` for writes). Changing limits
re-evaluates the alerts of the equipment they apply to in the same transaction, so alerts always
match the stored readings and the current limits (see `alerts`)."""
from __future__ import annotations

import sqlite3
from typing import Iterable

import numpy as np
import pandas as pd

from engine import schema as engine_schema
from engine.limits import LEVELS, Limit, LimitError, LimitSet, classify_frame, name_key

from . import shared  # changed limits queued for the team (#19)

__all__ = ["LimitError", "SQL_V4", "cell_levels", "delete", "listing", "listing_frame", "load", "put"]

SQL_V4 = """
CREATE TABLE limits (
    scope TEXT NOT NULL CHECK (scope IN ('type', 'equipment')),
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    parameter TEXT NOT NULL,
    lolo REAL,
    lo REAL,
    hi REAL,
    hihi REAL,
    deadband REAL NOT NULL DEFAULT 0,
    delay_s REAL NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    UNIQUE (scope, name_key, parameter)
)
"""

_COLUMNS = ("scope", "name", "parameter", *LEVELS, "deadband", "delay_s")


def listing(db: sqlite3.Connection) -> list[Limit]:
    """Every stored limit, by scope, name and parameter."""
    rows = db.execute(f"SELECT {', '.join(_COLUMNS)} FROM limits ORDER BY scope, name_key, parameter").fetchall()
    return [Limit(str(r[0]), str(r[1]), str(r[2]), _f(r[3]), _f(r[4]), _f(r[5]), _f(r[6]),
                  deadband=float(r[7]), delay_s=float(r[8])) for r in rows]


def _f(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def listing_frame(db: sqlite3.Connection) -> pd.DataFrame:
    """The limits as a table (the CSV columns plus updated_at; empty levels are NaN)."""
    rows = db.execute(f"SELECT {', '.join(_COLUMNS)}, updated_at FROM limits"
                      " ORDER BY scope, name_key, parameter").fetchall()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[*_COLUMNS, "updated_at"])
    for c in (*LEVELS, "deadband", "delay_s"):
        frame[c] = frame[c].astype(float)
    return frame


def load(db: sqlite3.Connection) -> LimitSet:
    """The stored limits with the override rule (what evaluation and cell colours use)."""
    return LimitSet(listing(db))


def put(db: sqlite3.Connection, limits: Iterable[Limit], now: str, *, replace: bool = False) -> int:
    """Add or change limits (one per scope, name, parameter); with `replace`, the given limits
    become the only ones. Each limit is checked (LimitError names what is wrong). Alerts of the
    equipment whose limits changed are re-evaluated here, in the caller's transaction. Returns
    the number of limits added or changed (removed ones count too with `replace`)."""
    new = list(limits)
    for limit in new:
        problems = limit.problems()
        if problems:
            raise LimitError(f"{limit.scope} {limit.name!r} {limit.parameter}: " + "; ".join(problems))
    before = {x.key(): x for x in listing(db)}
    after = {} if replace else dict(before)
    for limit in new:
        after[limit.key()] = _tidy(limit)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    if not changed:
        return 0
    db.executemany("DELETE FROM limits WHERE scope=? AND name_key=? AND parameter=?",
                   [k for k in changed if k not in after])
    db.executemany(
        "INSERT INTO limits (scope, name_key, name, parameter, lolo, lo, hi, hihi, deadband, delay_s, updated_at)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (scope, name_key, parameter) DO UPDATE SET name=excluded.name,"
        " lolo=excluded.lolo, lo=excluded.lo, hi=excluded.hi, hihi=excluded.hihi, deadband=excluded.deadband,"
        " delay_s=excluded.delay_s, updated_at=excluded.updated_at",
        [(x.scope, k[1], x.name, x.parameter, x.lolo, x.lo, x.hi, x.hihi, x.deadband, x.delay_s, now)
         for k, x in after.items() if k in changed])
    _reevaluate(db, changed)
    for k in changed:    # each changed limit goes to the team at the next sync, in this transaction
        shared.record_edit(db, "limit", "|".join(k), _fields(before.get(k)), _fields(after.get(k)), now,
                           delete=k not in after)
    return len(changed)


def _fields(limit: Limit | None) -> dict[str, object]:
    """A limit's shared fields (docs/sync_shared_records.md); {} for none."""
    if limit is None:
        return {}
    return {"name": limit.name, "lolo": limit.lolo, "lo": limit.lo, "hi": limit.hi, "hihi": limit.hihi,
            "deadband": limit.deadband, "delay_s": limit.delay_s}


def delete(db: sqlite3.Connection, scope: str, name: str, parameter: str) -> bool:
    """Remove one limit (False when there was none); its equipment's alerts are re-evaluated."""
    key = (scope, name_key(name), parameter)
    old = next((x for x in listing(db) if x.key() == key), None)
    cur = db.execute("DELETE FROM limits WHERE scope=? AND name_key=? AND parameter=?", key)
    if not cur.rowcount:
        return False
    _reevaluate(db, {key})
    shared.record_edit(db, "limit", "|".join(key), _fields(old), {}, _now_text(), delete=True)
    return True


def _now_text() -> str:
    from datetime import datetime, timezone
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def cell_levels(db: sqlite3.Connection, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Limit state of each cell of a dataset frame, per parameter column (flowrate, pressure,
    temperature): int8 codes of `engine.limits.classify` (0 inside, ±1 lo/hi = amber, ±2
    lolo/hihi = red). The type is the registry's when the equipment is known, else the frame's.
    Rows without a limit are 0. For the Data page's colours."""
    limits = load(db)
    n = len(frame)
    out = {p: np.zeros(n, dtype=np.int8) for p in engine_schema.STAT_KEY.values()}
    if not len(limits) or not n or engine_schema.NAME not in frame:
        return out
    from chemviz_desktop.core.store.equipment import name_keys
    names = frame[engine_schema.NAME].astype(str).to_numpy(dtype=object)
    types = (frame[engine_schema.TYPE].astype(str).to_numpy(dtype=object) if engine_schema.TYPE in frame
             else np.full(n, "", dtype=object))
    registry = dict(db.execute("SELECT name_key, type FROM equipment").fetchall()) if n else {}
    keys = name_keys(names)
    types = np.array([registry.get(k, t) for k, t in zip(keys.tolist(), types.tolist(), strict=True)], dtype=object)
    for column, parameter in engine_schema.STAT_KEY.items():
        if column in frame:
            values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
            out[parameter] = classify_frame(names, types, values, parameter, limits)
    return out


def _tidy(limit: Limit) -> Limit:
    """The stored form: trimmed name (inner spaces collapsed), floats."""
    return Limit(limit.scope, " ".join(limit.name.split()), limit.parameter, _f(limit.lolo), _f(limit.lo),
                 _f(limit.hi), _f(limit.hihi), deadband=float(limit.deadband), delay_s=float(limit.delay_s))


def _reevaluate(db: sqlite3.Connection, changed: set[tuple[str, str, str]]) -> None:
    """Re-evaluate the alerts of the equipment a changed limit applies to (by name, or by type)."""
    from chemviz_desktop.core.store import alerts
    names = {k[1] for k in changed if k[0] == "equipment"}
    kinds = {k[1] for k in changed if k[0] == "type"}
    ids = {int(i) for i, key, typ in db.execute("SELECT id, name_key, type FROM equipment")
           if key in names or name_key(typ) in kinds or name_key(engine_schema.display_type(typ)) in kinds}
    if ids:
        alerts.reevaluate(db, ids)
