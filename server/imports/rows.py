"""What an accepted upload writes, as arrays: taken from the engine's frame once, so the frame
(and every Python object per row) can go before the database work starts. Names stay Arrow
strings (keys through engine.limits.names_and_keys_arrow, no Python string per name); the rest
is numpy integers and floats, plus the few distinct types and statuses.

The registry's rules decided here (equipment/services.py writes them): one reading per equipment
per time, the first row of the file for it; each equipment's first row gives its name spelling
and type, its newest row its status and current values."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine import schema
from engine.frames import accepted_mask
from engine.limits import names_and_keys_arrow
from engine.readings import ACTIVE, STATUS, TIMESTAMP, UNASSIGNED_TYPE

COLUMNS = {"flowrate": schema.FLOWRATE, "pressure": schema.PRESSURE, "temperature": schema.TEMPERATURE}
TYPE_LENGTH = 50      # Equipment.equipment_type max_length
NAME_PIECE = 50_000   # names tidied per Arrow call


@dataclass
class UploadRows:
    keys: pa.Array             # distinct name keys, in order of first appearance (K)
    shown: pa.Array            # each key's name as first spelled in the file, tidied (K)
    kinds: list[str]           # the distinct types, as stored ("" and blanks -> Unassigned)
    kind: np.ndarray           # per key: index into `kinds` of its first row's type (K)
    key: np.ndarray            # per row: index of its key (N)
    us: np.ndarray | None      # per row: epoch microseconds; None for a snapshot (one time for all)
    statuses: list[str | None]  # the distinct statuses (None: a spelling the engine did not know)
    status: np.ndarray         # per row: index into `statuses` (no Status column: all active)
    values: dict[str, np.ndarray]   # parameter -> float per row (NaN: missing)
    rows: np.ndarray           # the rows stored as readings, sorted by key then time
    newest: np.ndarray         # per key: its newest row

    @property
    def equipment(self) -> int:
        return len(self.keys)

    def times(self, idx: np.ndarray, snapshot_us: int) -> np.ndarray:
        return np.full(len(idx), snapshot_us, dtype=np.int64) if self.us is None else self.us[idx]


def _strings(col: pd.Series) -> pa.Array:
    arr = pa.array(col, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def _names_and_keys(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    """engine.limits.names_and_keys_arrow in pieces: its regex kernels' scratch memory stays
    that of one piece."""
    parts = []
    for lo in range(0, len(names), NAME_PIECE):
        parts.append(names_and_keys_arrow(names.slice(lo, NAME_PIECE)))
        _release()
    if not parts:
        return names, names
    out = (pa.concat_arrays([p[0] for p in parts]), pa.concat_arrays([p[1] for p in parts]))
    del parts
    _release()
    return out


def _release() -> None:
    """Hand the Arrow pool's freed pages back: the kernels' scratch of one step is not kept
    while the next step allocates its own."""
    pa.default_memory_pool().release_unused()


def _factorize(keys: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the index of its key among the distinct keys in order of first appearance, and
    each distinct key's first row. By a stable sort, not a hash table: Arrow's dictionary_encode
    of 290k distinct names took ~48 MB for a 3.5 MB column, this ~15 MB."""
    n = len(keys)
    order = np.asarray(pc.sort_indices(keys.fill_null("")), dtype=np.int64)   # stable: ties keep row order
    ordered = keys.fill_null("").take(pa.array(order))
    starts = np.ones(n, dtype=bool)          # where a new key begins in sorted order
    if n > 1:
        starts[1:] = np.asarray(pc.not_equal(ordered.slice(1), ordered.slice(0, n - 1)), dtype=bool)
    del ordered
    _release()
    run = np.cumsum(starts) - 1
    firsts = order[starts]                   # first row of each key, keys in sorted order
    by_row = np.argsort(firsts, kind="stable")
    rank = np.empty(len(firsts), dtype=np.int64)
    rank[by_row] = np.arange(len(firsts), dtype=np.int64)
    key = np.empty(n, dtype=np.int64)
    key[order] = rank[run]
    return key, firsts[by_row]


def _kinds(col: pd.Series | None, first: np.ndarray) -> tuple[list[str], np.ndarray]:
    if col is None:
        return [UNASSIGNED_TYPE], np.zeros(len(first), dtype=np.int64)
    codes, uniques = pd.factorize(col.take(first), use_na_sentinel=False)
    return [(str(t).strip() or UNASSIGNED_TYPE)[:TYPE_LENGTH] for t in uniques], np.asarray(codes, dtype=np.int64)


def _statuses(col: pd.Series | None, n: int) -> tuple[list[str | None], np.ndarray]:
    if col is None:
        return [ACTIVE], np.zeros(n, dtype=np.int64)
    codes, uniques = pd.factorize(col, use_na_sentinel=False)
    return ([None if pd.isna(s) else str(s) for s in uniques], np.asarray(codes, dtype=np.int64))


def _readings(key: np.ndarray, us: np.ndarray | None, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows kept as readings (one per equipment per time: the file's first row for it),
    sorted by key then time, and each key's newest row."""
    by_time = us if us is not None else np.zeros(n, dtype=np.int64)
    order = np.lexsort((np.arange(n), by_time, key))
    k_s, t_s = key[order], by_time[order]
    keep = np.concatenate(([True], (k_s[1:] != k_s[:-1]) | (t_s[1:] != t_s[:-1]))) if n else np.zeros(0, bool)
    rows = order[keep]
    del order, k_s, t_s, keep
    rk = key[rows]
    last = np.concatenate((rk[1:] != rk[:-1], [True])) if len(rk) else np.zeros(0, bool)
    newest = np.empty(k, dtype=np.int64)
    newest[rk[last]] = rows[last]
    return rows, newest


def upload_rows(frame: pd.DataFrame) -> UploadRows:
    """The accepted rows of an engine frame, planned for storage. Consumes the frame: columns
    are taken out of it as they are planned (the caller lets it go afterwards)."""
    mask = np.asarray(accepted_mask(frame), dtype=bool) if schema.EXCLUDED in frame.columns else None
    if mask is not None and mask.all():
        mask = None
    n = len(frame) if mask is None else int(mask.sum())

    def column(name: str) -> pd.Series | None:   # one column's accepted rows (a copy only if some are excluded)
        if name not in frame.columns:
            return None
        return frame[name] if mask is None else frame[name][mask]

    names = _strings(column(schema.NAME))
    del frame[schema.NAME]     # its Python strings (most of the frame's memory) go before the planning
    shown_rows, key_rows = _names_and_keys(names)
    del names
    key, first = _factorize(key_rows)
    distinct = len(first) == n      # every row names its own equipment (a typical snapshot): first = 0..n-1
    if distinct:
        keys, shown = key_rows, shown_rows
    else:
        keys, shown = key_rows.take(pa.array(first)), shown_rows.take(pa.array(first))
    del shown_rows, key_rows
    _release()

    us = None
    if (times := column(TIMESTAMP)) is not None:
        us = pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8 // 1000
        del times
    if distinct and us is None:     # one reading per equipment already, in key order
        rows = newest = np.arange(n, dtype=np.int64)
    else:
        rows, newest = _readings(key, us, n, len(keys))

    kinds, kind = _kinds(column(schema.TYPE), first)
    statuses, status = _statuses(column(STATUS), n)
    values = {}
    for p, c in COLUMNS.items():
        v = column(c)
        values[p] = np.full(n, np.nan) if v is None else pd.to_numeric(v, errors="coerce").to_numpy(dtype=float)
    return UploadRows(keys=keys, shown=shown, kinds=kinds, kind=kind, key=key, us=us, statuses=statuses,
                      status=status, values=values, rows=rows, newest=newest)
