"""Duplicate rows, found without comparing every name with every other: the equipment names of a
snapshot (a name may appear once) and the readings of a time series (one reading per equipment
and time). A hash of each key, sorted, finds the rows that may repeat (usually a few percent);
only those are compared as exact strings, so a hash collision can neither create nor hide a
duplicate. Dictionary codes come from one dictionary in first-seen order across the file, so
"the first row" is the first in the file."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import cells
from .read import combine
from .timestamps import ParsedTimes


def find_duplicates(name: pa.ChunkedArray, name_empty: np.ndarray,
                     rows: np.ndarray) -> tuple[np.ndarray | None, Callable[[int], int] | None]:
    """Rows whose (trimmed, case-folded) name appeared earlier, and a lookup of that earlier row.
    A 32-bit hash of each name, sorted, finds the names that may repeat (usually a few percent);
    only those are compared as exact strings, so a hash collision can neither create nor hide a
    duplicate."""
    n = len(name_empty)
    if not cells.usable(name):
        return _duplicates_exact(name, name_empty, rows, np.arange(n))
    ascii_only = cells.is_ascii(name)
    key = name if ascii_only else pc.utf8_lower(name)
    maybe = cells.colliding(cells.key_hashes(key, ascii_fold=ascii_only, half=True), ~name_empty)
    if not maybe.any():
        return None, None
    return _duplicates_exact(name, name_empty, rows, np.flatnonzero(maybe))


def _duplicates_exact(name: pa.ChunkedArray, name_empty: np.ndarray, rows: np.ndarray, among: np.ndarray
                      ) -> tuple[np.ndarray | None, Callable[[int], int] | None]:
    """Duplicates among the rows `among` (in file order; they hold every row whose name repeats),
    by the exact case-folded names."""
    n = len(name_empty)
    sub = cells.take(name, among)
    key = pc.ascii_lower(sub) if cells.is_ascii(sub) else pc.utf8_lower(sub)
    enc = pc.dictionary_encode(combine(key))  # dictionary order = first seen
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    empty = name_empty[among]
    codes[empty] = -1
    running = np.maximum.accumulate(np.concatenate(([-1], codes)))[:-1]
    first = codes > running
    dup_sub = ~first & ~empty
    if not dup_sub.any():
        return None, None
    dup = np.zeros(n, dtype=bool)
    dup[among[dup_sub]] = True
    first_pos = np.full(len(enc.dictionary), -1, dtype=np.int64)
    first_pos[codes[first]] = among[first]
    code_of = np.full(n, -1, dtype=np.int64)
    code_of[among] = codes
    return dup, lambda i: int(rows[first_pos[code_of[i]]])


def find_duplicate_readings(name: pa.ChunkedArray, name_empty: np.ndarray, times: ParsedTimes, rows: np.ndarray
                             ) -> tuple[np.ndarray | None, Any]:
    """Rows whose equipment (trimmed, case-folded name) already has a reading at the same time,
    and a lookup of the first such row. Rows without a usable time are left out (already errors).
    A 64-bit hash of (name, time), sorted, finds the readings that may repeat; only those are
    compared exactly."""
    n = len(name_empty)
    stamp = times.utc.asi8
    usable = ~name_empty & ~times.bad & ~times.ambiguous
    if cells.usable(name):
        ascii_only = cells.is_ascii(name)
        h = cells.key_hashes(name if ascii_only else pc.utf8_lower(name), ascii_fold=ascii_only)
        with np.errstate(over="ignore"):
            h ^= cells.mix(stamp.view(np.uint64).copy())
        maybe = cells.colliding(h, usable)
        del h
        if not maybe.any():
            return None, None
        idx = np.flatnonzero(maybe)
    else:
        idx = np.flatnonzero(usable)
    sub = cells.take(name, idx)
    key = pc.ascii_lower(sub) if cells.is_ascii(sub) else pc.utf8_lower(sub)
    codes = pc.dictionary_encode(combine(key)).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    local = np.lexsort((idx, stamp[idx], codes))   # by equipment, time, then file order
    order = idx[local]
    c, st = codes[local], stamp[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (c[1:] != c[:-1]) | (st[1:] != st[:-1])
    if new.all():
        return None, None
    start = np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))
    dup = np.zeros(n, dtype=bool)
    dup[order[~new]] = True
    first = np.full(n, -1, dtype=np.int64)
    first[order] = order[start]
    return dup, lambda i: int(rows[first[i]])
