"""How numbers and times read in tables, cards and reports: one place, so the screen and the PDF
never disagree."""
from __future__ import annotations

from datetime import datetime
from typing import Any


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}"


def outlier_total(entry: dict[str, Any]) -> int:
    return sum(v.get("count", 0) for v in entry.get("outliers", {}).values())


def local_time(iso: str) -> str:
    """Store times are UTC ISO; show them in the user's time zone, to the minute."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return iso
