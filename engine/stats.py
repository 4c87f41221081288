"""Summary statistics in the seed's JSON shape (total_equipment, by_type, overall), plus extras
under their own keys. Computed over accepted rows only."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import schema

MAX_OUTLIER_ROWS = 100  # per type and parameter; the count is always complete
DECIMALS = 4


def _r(x: float) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), DECIMALS)


def type_order(types) -> list[str]:
    """Canonical types in their standard order, then the others alphabetically."""
    canon = [t for t in schema.CANONICAL_TYPES if t in types]
    return canon + sorted(t for t in types if t not in schema.CANONICAL_TYPES)


def accepted_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if schema.EXCLUDED in frame.columns:
        return frame[~frame[schema.EXCLUDED].to_numpy(dtype=bool)]
    return frame


def _describe(values: np.ndarray, rows: np.ndarray, key: str, out: dict[str, Any]) -> None:
    q1, med, q3 = np.percentile(values, [25, 50, 75])
    out[f"avg_{key}"] = _r(values.mean())
    out[f"min_{key}"] = _r(values.min())
    out[f"max_{key}"] = _r(values.max())
    out[f"std_{key}"] = _r(values.std(ddof=1)) if len(values) > 1 else None
    out[f"median_{key}"] = _r(med)
    out[f"q1_{key}"] = _r(q1)
    out[f"q3_{key}"] = _r(q3)
    iqr = q3 - q1
    mask = (values < q1 - 1.5 * iqr) | (values > q3 + 1.5 * iqr)
    out.setdefault("outliers", {})[key] = {"count": int(mask.sum()),
                                           "rows": rows[mask][:MAX_OUTLIER_ROWS].tolist()}


def compute_statistics(frame: pd.DataFrame, rows_total: int | None = None) -> dict[str, Any]:
    """Statistics of the accepted rows of a loaded frame (or of any frame with the schema columns)."""
    ok = accepted_rows(frame)
    n = len(ok)
    rows = (ok[schema.ROW].to_numpy() if schema.ROW in ok.columns else np.arange(2, n + 2))
    codes, uniques = pd.factorize(ok[schema.TYPE], sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    values = {c: ok[c].to_numpy(dtype=np.float64)[order] for c in schema.NUMERIC_COLUMNS}
    sorted_rows = rows[order]
    by_type: dict[str, Any] = {}
    for code, name in enumerate(uniques):
        lo, hi = bounds[code], bounds[code + 1]
        entry: dict[str, Any] = {"count": int(hi - lo)}
        for column in schema.NUMERIC_COLUMNS:
            _describe(values[column][lo:hi], sorted_rows[lo:hi], schema.STAT_KEY[column], entry)
        by_type[str(name)] = entry
    overall: dict[str, Any] = {}
    for column in schema.NUMERIC_COLUMNS:
        key = schema.STAT_KEY[column]
        v = values[column]
        overall[f"avg_{key}"] = _r(v.mean()) if n else None
        if n:
            overall[f"min_{key}"] = _r(v.min())
            overall[f"max_{key}"] = _r(v.max())
            overall[f"std_{key}"] = _r(v.std(ddof=1)) if n > 1 else None
            overall[f"median_{key}"] = _r(np.median(v))
    total = rows_total if rows_total is not None else len(frame)
    return {
        "total_equipment": n,
        "by_type": {t: by_type[t] for t in type_order(by_type)},
        "overall": overall,
        "rows_total": int(total),
        "rows_excluded": int(total - n),
        "units": {schema.STAT_KEY[c]: u for c, u in schema.UNITS.items()},
    }


def filter_by_type(stats: dict[str, Any], equipment_type: str) -> dict[str, Any]:
    """The statistics restricted to one type (matched like a CSV spelling: `heat exchanger` works)."""
    wanted = schema.display_type(equipment_type)
    matches = {t: v for t, v in stats.get("by_type", {}).items()
               if t == wanted or schema.type_key(t) == schema.type_key(equipment_type)}
    overall = {}
    for t, v in matches.items():
        overall = {f"avg_{k}": v.get(f"avg_{k}") for k in schema.STAT_KEY.values()}
    return {**stats, "total_equipment": sum(v["count"] for v in matches.values()),
            "by_type": matches, "overall": overall or {f"avg_{k}": None for k in schema.STAT_KEY.values()}}
