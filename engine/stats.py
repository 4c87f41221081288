"""Summary statistics in the seed's JSON shape (total_equipment, by_type, overall), plus extras
under their own keys. Computed over accepted rows only."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Collection

import numpy as np
import pandas as pd

from . import schema
from .frames import accepted_mask, accepted_rows
from .readings import running_mask
from .workers import pool_for

__all__ = ["accepted_rows", "compute_statistics", "filter_by_type", "iqr_fence", "type_order"]

MAX_OUTLIER_ROWS = 100  # per type and parameter; the count is always complete
DECIMALS = 4
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine-stats")


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


def _quantiles(sorted_values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """Linear-interpolated quantiles of an already sorted array (numpy's default method)."""
    n = len(sorted_values)
    out = []
    for q in qs:
        pos = q * (n - 1)
        lo = int(np.floor(pos))
        hi = min(lo + 1, n - 1)
        out.append(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo))
    return out


def _describe(values: np.ndarray, rows: np.ndarray, key: str, out: dict[str, Any]) -> np.ndarray:
    """Figures of one type's values into `out`; returns the values sorted."""
    s = np.sort(values)
    q1, med, q3 = _quantiles(s, (0.25, 0.5, 0.75))
    out[f"avg_{key}"] = _r(values.mean())
    out[f"min_{key}"] = _r(s[0])
    out[f"max_{key}"] = _r(s[-1])
    out[f"std_{key}"] = _r(values.std(ddof=1)) if len(values) > 1 else None
    out[f"median_{key}"] = _r(med)
    out[f"q1_{key}"] = _r(q1)
    out[f"q3_{key}"] = _r(q3)
    lo, hi = iqr_fence(q1, q3)
    mask = (values < lo) | (values > hi)
    # The whiskers: the first and last sorted values inside the fence, found by bisection.
    first, end = int(np.searchsorted(s, lo, "left")), int(np.searchsorted(s, hi, "right"))
    inside = end > first and not (np.isnan(lo) or np.isnan(hi))   # a NaN fence holds nothing
    out[f"whislo_{key}"] = _r(s[first]) if inside else _r(q1)
    out[f"whishi_{key}"] = _r(s[end - 1]) if inside else _r(q3)
    out.setdefault("outliers", {})[key] = {"count": int(mask.sum()),
                                           "rows": rows[mask][:MAX_OUTLIER_ROWS].tolist()}
    return s


MAX_RUNS = 64   # sorted runs searched for an order statistic; more types: one sort of the column


def _select(runs: list[np.ndarray], k: int) -> np.float64:
    """The k-th smallest (0-based) value of the union of sorted runs without NaN: the value at
    position k of their merged sort, found by bisection (each step halves the widest run's window
    around the answer) instead of sorting the whole column again."""
    lo = [0] * len(runs)
    hi = [len(r) for r in runs]
    while True:
        j = max(range(len(runs)), key=lambda i: hi[i] - lo[i])
        pivot = runs[j][(lo[j] + hi[j]) // 2]
        below = [int(np.searchsorted(r, pivot, "left")) for r in runs]
        upto = [int(np.searchsorted(r, pivot, "right")) for r in runs]
        if sum(below) <= k < sum(upto):
            return pivot
        if k < sum(below):
            hi = [min(h, b) for h, b in zip(hi, below, strict=True)]
        else:
            lo = [max(a, u) for a, u in zip(lo, upto, strict=True)]


def _type_codes(types: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Small integer codes per row and the type names, without hashing when already categorical."""
    if isinstance(types.dtype, pd.CategoricalDtype):
        return types.cat.codes.to_numpy(), [str(c) for c in types.cat.categories]
    codes, uniques = pd.factorize(types, sort=False)
    return codes, [str(u) for u in uniques]


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
    codes = codes if keep is None else codes[keep]
    n = len(codes)
    small = codes.astype(np.int16 if len(names) < 32000 else np.int64)
    order = np.argsort(small, kind="stable")  # radix sort on small ints
    bounds = np.searchsorted(small[order], np.arange(len(names) + 1))
    del small, codes
    pick = order if keep is None else np.flatnonzero(keep)[order]   # frame rows, grouped by type
    sorted_rows = (frame[schema.ROW].to_numpy()[pick] if schema.ROW in frame.columns
                   else np.arange(2, len(frame) + 2)[order])   # (as before: positions among the kept rows)
    del order
    present = [(name, bounds[code], bounds[code + 1]) for code, name in enumerate(names)
               if bounds[code + 1] > bounds[code]]

    def one_column(column: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Per-type and overall figures of one parameter; numpy releases the GIL, so the three
        parameters run side by side on a multi-core machine. One gathered copy of the column
        per parameter, sorted in place for the overall median once nothing else needs its order."""
        key = schema.STAT_KEY[column]
        v = np.asarray(frame[column].to_numpy()[pick], dtype=np.float64)
        overall: dict[str, Any] = {f"avg_{key}": _r(v.mean()) if n else None}
        select = False
        if n:
            low, high = v.min(), v.max()
            overall.update({f"min_{key}": _r(low), f"max_{key}": _r(high),
                            f"std_{key}": _r(v.std(ddof=1)) if n > 1 else None})
            # The median from the types' sorted runs: exact whenever equal values are the same
            # bits, i.e. no NaN (it makes min NaN) and no -0.0 beside 0.0; else one sort, as before.
            select = (len(present) < MAX_RUNS and not np.isnan(low)
                      and not (low <= 0 <= high and (np.signbit(v) & (v == 0)).any()))
        per_type = []
        for _name, lo, hi in present:
            part: dict[str, Any] = {}
            s = _describe(v[lo:hi], sorted_rows[lo:hi], key, part)
            if select:
                v[lo:hi] = s   # nothing needs this type's file order any more
            per_type.append(part)
        if n and select:
            first = int(bounds[0])   # rows without a type (code -1): in the figures, in no type
            v[:first].sort()
            runs = ([v[:first]] if first else []) + [v[lo:hi] for _name, lo, hi in present]
            pos = 0.5 * (n - 1)
            at = int(np.floor(pos))
            a, b = _select(runs, at), _select(runs, min(at + 1, n - 1))
            overall[f"median_{key}"] = _r(a + (b - a) * (pos - at))
        elif n:
            v.sort()   # what np.sort(v) gives: the same values in the same order, without a copy
            overall[f"median_{key}"] = _r(_quantiles(v, (0.5,))[0])
        return per_type, overall

    results = list(pool_for(len(frame), _POOL).map(one_column, schema.NUMERIC_COLUMNS))
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
