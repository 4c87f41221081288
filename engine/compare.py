"""Comparison of two datasets' statistics: per type and parameter, both values and the change."""
from __future__ import annotations

from typing import Any

from . import schema
from .stats import type_order

COMPARED = ["count"] + [f"avg_{k}" for k in schema.STAT_KEY.values()]


def _diff(a: float | None, b: float | None) -> dict[str, float | None]:
    d = None if a is None or b is None else round(b - a, 4)
    pct = None if d is None or not a else round(100.0 * d / abs(a), 2)
    return {"a": a, "b": b, "diff": d, "pct": pct}


def compare_statistics(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """`diff` is b − a; `pct` is relative to a. Types present in one dataset only are listed."""
    ta, tb = a.get("by_type", {}), b.get("by_type", {})
    types = type_order(set(ta) | set(tb))
    by_type: dict[str, Any] = {}
    for t in types:
        ea, eb = ta.get(t), tb.get(t)
        presence = "both" if ea and eb else ("only_a" if ea else "only_b")
        by_type[t] = {"presence": presence,
                      **{m: _diff((ea or {}).get(m), (eb or {}).get(m)) for m in COMPARED}}
    overall = {f"avg_{k}": _diff(a.get("overall", {}).get(f"avg_{k}"), b.get("overall", {}).get(f"avg_{k}"))
               for k in schema.STAT_KEY.values()}
    return {
        "total_equipment": _diff(a.get("total_equipment"), b.get("total_equipment")),
        "by_type": by_type,
        "overall": overall,
        "only_in_a": [t for t in types if by_type[t]["presence"] == "only_a"],
        "only_in_b": [t for t in types if by_type[t]["presence"] == "only_b"],
    }
