"""Summary statistics in the seed's JSON shape (total_equipment, by_type, overall), plus extras
under their own keys. Computed over accepted rows only."""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Collection

import numpy as np
import pandas as pd

from . import schema
from .cells import count_codes
from .frames import accepted_mask, accepted_rows
from .native import kernels
from .readings import running_mask
from .workers import pool_for

__all__ = ["accepted_rows", "compute_statistics", "filter_by_type", "iqr_fence", "type_order"]

MAX_OUTLIER_ROWS = 100  # per type and parameter; the count is always complete
DECIMALS = 4
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine-stats")
_HALVES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-group")   # (not _POOL: never queued behind its jobs)


def _r(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), DECIMALS)


def type_order(types: Collection[str]) -> list[str]:
    """Canonical types in their standard order, then the others alphabetically."""
    canon = [t for t in schema.CANONICAL_TYPES if t in types]
    return canon + sorted(t for t in types if t not in schema.CANONICAL_TYPES)


def iqr_fence(q1: float, q3: float) -> tuple[float, float]:
    """Tukey's 1.5×IQR fence: values outside it are outliers; the box plot's whiskers end on the
    most extreme values inside it (`whislo_*`/`whishi_*` in the statistics)."""
    iqr = q3 - q1
    return q1 - 1.5 * iqr, q3 + 1.5 * iqr


QUARTILES = (0.25, 0.5, 0.75)


def _positions(n: int, qs: tuple[float, ...]) -> list[int]:
    """The sorted positions `_quantiles` reads for `qs` in n values: floor(q*(n-1)) and the next."""
    lows = [int(np.floor(q * (n - 1))) for q in qs]
    return sorted({k for lo in lows for k in (lo, min(lo + 1, n - 1))})


def _quantiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Linear-interpolated quantiles (numpy's default method) of an array that is sorted, or at
    least holds its sorted values at `_positions(len(values), qs)` (see `_partitioned`)."""
    n = len(values)
    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        out.append(values[lo] + (values[hi] - values[lo]) * (pos - lo))
    return out


def _partitioned(values: np.ndarray, positions: list[int], copy: bool = True) -> np.ndarray:
    """NaN-free `values` (a copy, or reordered when not `copy`) with, at each of the sorted
    distinct `positions`, the value a sort puts there, no greater values before it and no smaller
    after: O(n) selection (introselect) instead of an O(n log n) sort. A position at either end of the part left to place is found by
    argmin/argmax, which numpy does in one vectorized pass, where `partition` is several times slower."""
    p = values.copy() if copy else values

    def place(part: np.ndarray, ks: list[int]) -> None:
        if not ks:
            return
        i = len(ks) // 2
        k = ks[i]
        if k in (0, len(part) - 1):
            j = int(part.argmin() if k == 0 else part.argmax())
            part[k], part[j] = part[j], part[k]
        else:
            part.partition(k)
        place(part[:k], ks[:i])
        place(part[k + 1:], [x - k - 1 for x in ks[i + 1:]])

    place(p, positions)
    return p


def _mixed_zeros(values: np.ndarray) -> bool:
    """Whether `values` holds both -0.0 and 0.0: equal to every comparison, so a sort and a selection
    may put a different one of them at the same position, and `_r` keeps the sign (-0.0 in JSON)."""
    negative = np.signbit(values[values == 0])
    return bool(negative.any() and not negative.all())


Figures = tuple[Any, Any, Any, Any, Any, Any, Any]   # min, max, q1, median, q3, whisker low, whisker high


def _figures_sorted(values: np.ndarray) -> Figures:
    """The figures from a full sort: exact for any values (NaN sorted last, signed zeros in
    np.sort's order); what `_figures_selected` falls back on."""
    s = np.sort(values)
    q1, med, q3 = _quantiles(s, QUARTILES)
    lo, hi = iqr_fence(q1, q3)
    # The whiskers: the first and last sorted values inside the fence, found by bisection.
    first, end = int(np.searchsorted(s, lo, "left")), int(np.searchsorted(s, hi, "right"))
    inside = end > first and not (np.isnan(lo) or np.isnan(hi))   # a NaN fence holds nothing
    return s[0], s[-1], q1, med, q3, s[first] if inside else q1, s[end - 1] if inside else q3


def _figures_selected(values: np.ndarray) -> Figures | None:
    """The figures `_figures_sorted` gives, bit for bit, in O(n): the quartiles' order statistics
    by selection, the whiskers (smallest value >= the low fence, largest <= the high fence) by
    masked min/max. None where they could differ: with NaN, or where the min, max or a whisker is
    a zero beside zeros of the other sign (which of them lands where is up to the algorithm; an
    interpolated quantile of zeros is 0.0 whatever their signs, as -0.0 + 0.0 is 0.0)."""
    low = values.min()
    if np.isnan(low):
        return None
    high, n = values.max(), len(values)
    positions = _positions(n, QUARTILES)
    p = _partitioned(values, positions)
    q1, med, q3 = _quantiles(p, QUARTILES)
    lo, hi = iqr_fence(q1, q3)
    whislo, whishi = q1, q3   # a NaN fence holds nothing
    if not (np.isnan(lo) or np.isnan(hi)):
        # The smallest value >= lo is among the a+1 smallest when the a-th is >= lo (else search
        # them all); likewise the largest value <= hi among those from the b-th up.
        a, b = positions[0], positions[-1]
        head = p[:a + 1] if p[a] >= lo else p
        tail = p[b:] if p[b] <= hi else p
        least = np.min(head, where=head >= lo, initial=np.inf)
        most = np.max(tail, where=tail <= hi, initial=-np.inf)
        if least <= most:   # else no value lies inside the fence
            whislo, whishi = least, most
    if any(x == 0 for x in (low, high, whislo, whishi)) and _mixed_zeros(values):
        return None
    return low, high, q1, med, q3, whislo, whishi


def _describe(values: np.ndarray, rows: np.ndarray, key: str, out: dict[str, Any]) -> None:
    """Figures of one type's values into `out`."""
    low, high, q1, med, q3, whislo, whishi = _figures_selected(values) or _figures_sorted(values)
    out[f"avg_{key}"] = _r(values.mean())
    out[f"min_{key}"] = _r(low)
    out[f"max_{key}"] = _r(high)
    out[f"std_{key}"] = _r(values.std(ddof=1)) if len(values) > 1 else None
    out[f"median_{key}"] = _r(med)
    out[f"q1_{key}"] = _r(q1)
    out[f"q3_{key}"] = _r(q3)
    out[f"whislo_{key}"] = _r(whislo)
    out[f"whishi_{key}"] = _r(whishi)
    lo, hi = iqr_fence(q1, q3)
    mask = (values < lo) | (values > hi)
    count = int(np.count_nonzero(mask))
    out.setdefault("outliers", {})[key] = {
        "count": count, "rows": rows[np.flatnonzero(mask)[:MAX_OUTLIER_ROWS]].tolist() if count else []}


def _median_in_place(v: np.ndarray) -> float:
    """The median of a gathered column as a sort of it gives it, reordering v: by selection, or
    with NaN by a sort. Signed zeros cannot change it (see `_figures_selected`)."""
    if np.isnan(v.min()):
        v.sort()
        return _quantiles(v, (0.5,))[0]
    return _quantiles(_partitioned(v, _positions(len(v), (0.5,)), copy=False), (0.5,))[0]


def _type_codes(types: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Small integer codes per row and the type names, without hashing when already categorical."""
    if isinstance(types.dtype, pd.CategoricalDtype):
        return types.cat.codes.to_numpy(), [str(c) for c in types.cat.categories]
    codes, uniques = pd.factorize(types, sort=False)
    return codes, [str(u) for u in uniques]


def _grouper(codes: np.ndarray, counts: np.ndarray, n: int, halves: bool = False
             ) -> Callable[[np.ndarray], np.ndarray]:
    """x -> the first n items of x grouped by `codes` (+1: a row without a type is -1, left-out
    rows have the last code), each group in file order: x[pick] for pick the stable argsort of
    the codes. With the kernels, one pass per array that puts each item in place (5M rows: no
    40 MB index array, no sort); else the argsort and a gather. `halves`: each half of the rows
    is placed by its own thread (the second half's items of a group go after the first half's),
    as the first arrays are grouped while the workers have nothing to do yet."""
    native = kernels()
    if native is None or codes.dtype != np.int16:
        pick = np.argsort(codes, kind="stable")[:n]   # (a radix sort)
        return lambda x: x[pick]
    ffi, lib = native.ffi, native.lib
    starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
    left_out = len(counts) - 1
    half = len(codes) // 2 if halves else len(codes)
    second = starts + count_codes(codes[:half], len(counts), shift=1) if half < len(codes) else starts

    def place(lo: int, hi: int, first: np.ndarray, x: np.ndarray, out: np.ndarray) -> None:
        lib.group_items(ffi.from_buffer("int16_t[]", codes[lo:hi]), hi - lo, ffi.from_buffer("int64_t[]", first.copy()),
                        left_out, ffi.from_buffer("uint64_t[]", x[lo:hi]), ffi.from_buffer("uint64_t[]", out))

    def grouped(x: np.ndarray) -> np.ndarray:
        if x.dtype.itemsize != 8 or len(x) != len(codes):
            raise ValueError("grouped: 8-byte items, one per row")
        x = np.ascontiguousarray(x)
        out = np.empty(n, dtype=x.dtype)
        if half < len(codes):
            job = _HALVES.submit(place, half, len(codes), second, x, out)
            place(0, half, starts, x, out)
            job.result()
        else:
            place(0, len(codes), starts, x, out)
        return out
    return grouped


def _overall_figures(v: np.ndarray, key: str) -> dict[str, Any]:
    """Overall figures but the median of one parameter's gathered values (every kept row, with a
    type or not)."""
    out: dict[str, Any] = {f"avg_{key}": _r(v.mean()) if len(v) else None}
    if len(v):
        out.update({f"min_{key}": _r(v.min()), f"max_{key}": _r(v.max()),
                    f"std_{key}": _r(v.std(ddof=1)) if len(v) > 1 else None})
    return out


def _median_after(v: np.ndarray, key: str, readers: list[Future[Any]]) -> dict[str, Any]:
    """The overall median, reordering v, once the jobs that read v (its overall figures and its
    types: a sum over a column being reordered could change in its last bits) are done. They
    were queued before this job, first in, first out: running or done, never waiting on it."""
    for job in readers:
        job.result()
    return {f"median_{key}": _r(_median_in_place(v))} if len(v) else {}


def _type_figures(v: np.ndarray, rows: np.ndarray, key: str, spans: list[tuple[str, int, int]]
                  ) -> list[dict[str, Any]]:
    """Figures of one parameter for the types whose rows are `v[lo:hi]` for (name, lo, hi) in spans."""
    parts: list[dict[str, Any]] = []
    for _name, lo, hi in spans:
        parts.append({})
        _describe(v[lo:hi], rows[lo:hi], key, parts[-1])
    return parts


def _pieces(spans: list[tuple[str, int, int]], parts: int) -> list[list[tuple[str, int, int]]]:
    """`spans` cut into up to `parts` runs of about equal rows (a type is never cut)."""
    total = sum(hi - lo for _name, lo, hi in spans)
    pieces: list[list[tuple[str, int, int]]] = [[]]
    done = 0
    for span in spans:
        if pieces[-1] and done >= total * len(pieces) / parts:
            pieces.append([])
        pieces[-1].append(span)
        done += span[2] - span[1]
    return pieces


def compute_statistics(frame: pd.DataFrame, rows_total: int | None = None, running_only: bool = True
                       ) -> dict[str, Any]:
    """Statistics of the accepted rows of a loaded frame (or of any frame with the schema columns).

    With a Status column and `running_only` (the default), readings whose status is not active
    are left out of the figures (an Offline row reading 0.0 is not a flow of zero) and counted in
    `readings_not_running`. For readings over time (a Timestamp column), `total_equipment` is the
    number of distinct equipment among the accepted readings, each type's `count` is the number of
    readings its figures describe and `equipment` its distinct equipment."""
    accepted: np.ndarray = accepted_mask(frame)
    keep: np.ndarray | None = accepted
    has_status = schema.STATUS in frame.columns
    not_running = 0
    if has_status:   # counted either way; left out of the figures only when running_only
        running = running_mask(frame[schema.STATUS].to_numpy(dtype=object))
        not_running = int((accepted & ~running).sum())
        if running_only:
            keep = accepted & running
    if keep is not None and keep.all():
        keep = None  # nothing excluded: skip copying every column through a mask

    codes, names = _type_codes(frame[schema.TYPE])
    small = codes.astype(np.int16 if len(names) < 32000 else np.int64)
    del codes
    if keep is not None:   # rows left out: a code after every type's, so grouped last and cut off
        small = np.where(keep, small, small.dtype.type(len(names)))
    counts = count_codes(small, len(names) + 2, shift=1)   # rows without a type (-1) first
    bounds = np.cumsum(counts)[:len(names) + 1]   # where each type's rows start once grouped
    n = int(bounds[-1])
    pool = pool_for(len(frame), _POOL)
    grouped = _grouper(small, counts, n, halves=pool is _POOL)   # kept frame rows grouped by type, in file order
    del small
    present = [(name, bounds[code], bounds[code + 1]) for code, name in enumerate(names)
               if bounds[code + 1] > bounds[code]]

    # On the worker threads (numpy releases the GIL), per parameter: its overall figures, its types
    # in two pieces of about equal rows, and, queued after the next parameter's jobs, its median,
    # which reorders the gathered copy in place once the types are done with it. This thread
    # gathers meanwhile, never more than two copies (all three at once, and a copy for each
    # median: 5M rows peaked 70 MB higher).
    if schema.ROW in frame.columns:
        sorted_rows = grouped(frame[schema.ROW].to_numpy())
    else:   # (as before: 2 + positions among the kept rows)
        sorted_rows = grouped(np.arange(len(frame))) + 2 if keep is None else grouped(np.cumsum(keep)) + 1
    pieces = _pieces(present, parts=2)
    overalls: list[Future[dict[str, Any]]] = []
    types: list[list[Future[list[dict[str, Any]]]]] = []
    medians: list[Future[dict[str, Any]]] = []
    waiting: list[tuple[np.ndarray, str, list[Future[Any]]]] = []
    for i, column in enumerate(schema.NUMERIC_COLUMNS):
        if i >= 2:
            medians[i - 2].result()   # that copy is gone before the next is made
        key = schema.STAT_KEY[column]
        v = grouped(np.asarray(frame[column].to_numpy(), dtype=np.float64))   # a copy: ours to reorder
        overalls.append(pool.submit(_overall_figures, v, key))
        types.append([pool.submit(_type_figures, v, sorted_rows, key, piece) for piece in pieces])
        if waiting:
            medians.append(pool.submit(_median_after, *waiting.pop()))
        waiting.append((v, key, [overalls[-1], *types[-1]]))   # every job that reads v
        del v
    medians.append(pool.submit(_median_after, *waiting.pop()))
    results = [([part for job in t for part in job.result()], o.result() | m.result())
               for t, o, m in zip(types, overalls, medians, strict=True)]
    by_type: dict[str, Any] = {}
    for i, (name, lo, hi) in enumerate(present):
        entry: dict[str, Any] = {"count": int(hi - lo)}
        outliers: dict[str, Any] = {}
        for per_type, _overall in results:
            part = dict(per_type[i])
            outliers.update(part.pop("outliers"))
            entry.update(part)
        entry["outliers"] = outliers
        by_type[name] = entry
    overall: dict[str, Any] = {}
    for _per_type, col_overall in results:
        overall.update(col_overall)
    total = rows_total if rows_total is not None else len(frame)
    out: dict[str, Any] = {
        "total_equipment": n,
        "by_type": {t: by_type[t] for t in type_order(by_type)},
        "overall": overall,
        "rows_total": int(total),
        "rows_excluded": int(total - int(accepted.sum())),
        "units": {schema.STAT_KEY[c]: u for c, u in schema.UNITS.items()},
    }
    if has_status:
        out["running_only"] = bool(running_only)
        out["readings_not_running"] = not_running
    if schema.TIMESTAMP in frame.columns:
        _time_series_counts(frame, accepted, out)
        out["readings"] = n
    return out


def _time_series_counts(frame: pd.DataFrame, accepted: np.ndarray, out: dict[str, Any]) -> None:
    """Distinct equipment (trimmed, case-folded names) among the accepted readings, overall and
    per type, and the time span of those readings. Arrow hashes the names; no per-row Python."""
    import pyarrow as pa
    import pyarrow.compute as pc
    column = frame[schema.NAME]
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        names = pa.array(column.array).filter(pa.array(accepted))   # the frame's own text, not Python strings
        names = names.combine_chunks() if isinstance(names, pa.ChunkedArray) else names
    else:
        names = pa.array(column.to_numpy(dtype=object)[accepted], pa.string(), from_pandas=True)
    key = pc.utf8_lower(pc.utf8_trim_whitespace(names.fill_null("")))
    enc = pc.dictionary_encode(key)
    name_code = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    out["total_equipment"] = len(enc.dictionary)    # every entry of the dictionary occurs
    type_code, type_names = _type_codes(frame[schema.TYPE])
    type_code = type_code[accepted].astype(np.int64)
    width = len(type_names) + 1
    if len(enc.dictionary) * width <= 1 << 26 and (not len(type_code) or type_code.min() >= 0):   # distinct (equipment, type) pairs by a bitmap, not a sort
        seen = np.zeros(len(enc.dictionary) * width, dtype=bool)
        seen[name_code * width + type_code] = True
        pairs = np.flatnonzero(seen)
    else:
        pairs = np.unique(name_code * width + type_code)
    per_type = np.bincount(pairs % width, minlength=width)
    position = {t: i for i, t in enumerate(type_names)}
    for t, entry in out["by_type"].items():
        entry["equipment"] = int(per_type[position[t]]) if t in position else 0
    ts = frame[schema.TIMESTAMP][accepted]
    first, last = (ts.min(), ts.max()) if len(ts) else (pd.NaT, pd.NaT)
    out["first_reading"] = first.isoformat() if pd.notna(first) else None
    out["last_reading"] = last.isoformat() if pd.notna(last) else None


def filter_by_type(stats: dict[str, Any], equipment_type: str) -> dict[str, Any]:
    """The statistics restricted to one type (matched like a CSV spelling: `heat exchanger` works)."""
    wanted = schema.display_type(equipment_type)
    matches = {t: v for t, v in stats.get("by_type", {}).items()
               if t == wanted or schema.type_key(t) == schema.type_key(equipment_type)}
    overall = {}
    for v in matches.values():
        overall = {f"avg_{k}": v.get(f"avg_{k}") for k in schema.STAT_KEY.values()}
    # a time series counts distinct equipment per type ("equipment"); a snapshot, rows ("count")
    return {**stats, "total_equipment": sum(v.get("equipment", v["count"]) for v in matches.values()),
            "by_type": matches, "overall": overall or {f"avg_{k}": None for k in schema.STAT_KEY.values()}}
