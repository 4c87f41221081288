"""What the desktop's Equipment, Compare and History pages ask of the equipment registry, without
Qt: worker functions that open their own Store (one connection per thread), the registry listing,
edits in a transaction, name look-ups for pickers, the seed's equipment comparison and snapshot
reading times."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chemviz_desktop.core.store import Store
from chemviz_desktop.core.store import equipment as registry
from engine.limits import name_key
from engine.progress import Progress

PARAMETERS = registry.PARAMETERS
STATUSES = registry.STATUSES
EDITABLE = registry.EDITABLE
EquipmentError = registry.EquipmentError


def _stamp() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def listing(state: Progress | None, store_path: str | Path, search: str = "") -> pd.DataFrame:
    """Worker: the registry (`equipment.listing_frame`) for a search text."""
    store = Store(store_path)
    try:
        if state is not None:
            state.progress(0.1, "Reading the equipment registry")
        return registry.listing_frame(store.db, search)
    finally:
        store.close()


def sort_order(state: Progress | None, frame: pd.DataFrame, column: str, ascending: bool) -> np.ndarray:
    """Worker: row positions of `frame` sorted by one column (stable; empty values last)."""
    col = frame[column]
    if col.dtype == object:
        keys = col.fillna("").astype(str).str.casefold()
        order = np.asarray(keys.argsort(kind="stable"))
    else:
        values = col.to_numpy(dtype=float)
        if column in ("first_ns", "last_ns"):
            values = np.where(values < 0, np.nan, values)
        order = np.argsort(values, kind="stable")   # NaN last
        if not ascending:
            nan = np.isnan(values[order])
            return np.concatenate((order[~nan][::-1], order[nan])).astype(np.int64)
        return order.astype(np.int64)
    return (order if ascending else order[::-1]).astype(np.int64)


def save_edit(state: Progress | None, store_path: str | Path, name: str, changes: dict[str, Any]) -> str:
    """Worker: apply an edit in one transaction; EquipmentError says what is wrong."""
    store = Store(store_path)
    try:
        with store.transaction() as db:
            registry.update(db, name, _stamp(), **changes)
    finally:
        store.close()
    return name


def names(state: Progress | None, store_path: str | Path, search: str = "", limit: int = 200) -> list[str]:
    """Worker: equipment names containing `search` (case-insensitive), by name, at most `limit`."""
    store = Store(store_path)
    try:
        return find_names(store.db, search, limit)
    finally:
        store.close()


def find_names(db: sqlite3.Connection, search: str = "", limit: int = 200) -> list[str]:
    like = f"%{name_key(search)}%" if search.strip() else "%"
    rows = db.execute("SELECT name FROM equipment WHERE name_key LIKE ? ORDER BY name_key LIMIT ?",
                      (like, int(limit))).fetchall()
    return [str(r[0]) for r in rows]


def chosen(frame: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """The listing rows of the wanted names (matched like the registry: trimmed, case-folded), in
    the order asked."""
    keys = [name_key(n) for n in wanted]
    by_key = {name_key(str(n)): i for i, n in enumerate(frame["name"])}
    rows = [by_key[k] for k in dict.fromkeys(keys) if k in by_key]
    return frame.iloc[rows].reset_index(drop=True)


def compare_listing(state: Progress | None, store_path: str | Path, wanted: list[str]) -> pd.DataFrame:
    """Worker: the listing rows of the chosen equipment."""
    frame = listing(state, store_path, wanted[0] if len(wanted) == 1 else "")
    return chosen(frame, wanted)


def comparison(rows: pd.DataFrame) -> dict[str, Any]:
    """The seed's equipment comparison (GET analytics/comparison/): each equipment's latest values,
    then per parameter the highest and the lowest (equipment with no value are left out)."""
    equipment = [{"id": int(r.id), "equipment_name": r.name, "equipment_type": r.type,
                  **{p: _num(getattr(r, f"last_{p}")) for p in PARAMETERS}, "status": r.status,
                  "last_reading": _iso(int(r.last_ns)), "readings": int(r.readings)}
                 for r in rows.itertuples(index=False)]
    result: dict[str, Any] = {}
    for p in PARAMETERS:
        known = [e for e in equipment if e[p] is not None]
        if not known:
            result[p] = {"highest": None, "lowest": None}
            continue
        hi = max(known, key=lambda e: e[p])
        lo = min(known, key=lambda e: e[p])
        result[p] = {"highest": {"equipment_id": hi["id"], "equipment_name": hi["equipment_name"], "value": hi[p]},
                     "lowest": {"equipment_id": lo["id"], "equipment_name": lo["equipment_name"], "value": lo[p]}}
    return {"equipment": equipment, "comparison": result}


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def _iso(ns: int) -> str | None:
    return None if ns < 0 else pd.Timestamp(ns, tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def readings_mark(db: sqlite3.Connection) -> tuple:
    """Changes when datasets (and so readings) are added, deleted, downloaded or moved in time:
    cheap (the datasets table is small), so pages re-read readings only when this changes."""
    row = db.execute("SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(id * has_rows), 0),"
                     " COALESCE(group_concat(taken_at), '') FROM datasets").fetchone()
    return tuple(row)


def time_series_ids(db: sqlite3.Connection) -> set[int]:
    """Datasets whose readings carry their own times (their statistics count readings)."""
    rows = db.execute("SELECT id FROM datasets WHERE statistics_json IS NOT NULL"
                      " AND json_valid(statistics_json) AND json_type(statistics_json, '$.readings') IS NOT NULL")
    return {int(r[0]) for r in rows}


def set_reading_time(state: Progress | None, store_path: str | Path, dataset_id: int, when: datetime) -> datetime:
    """Worker: move a snapshot's readings to `when` (Store.set_taken_at; ValueError for a time
    series, in words)."""
    store = Store(store_path)
    try:
        if state is not None:
            state.progress(0.2, "Moving the readings")
        store.set_taken_at(dataset_id, when)
    finally:
        store.close()
    return when


def file_time(path: str | Path) -> datetime | None:
    """A file's modified time (UTC), the default reading time of a snapshot."""
    try:
        return datetime.fromtimestamp(Path(path).stat().st_mtime, tz=timezone.utc)
    except OSError:
        return None
