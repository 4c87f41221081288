"""Query parameters shared by the equipment, history, trends and export endpoints."""
from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from django.utils.dateparse import parse_date, parse_datetime

from server.api.query import MAX_ID, bad, given

from .models import STATUSES

__all__ = ["bad", "given", "when", "window", "status_param", "flag", "positive_int"]

_BOOLEAN = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
_OFFSET_SPACE = re.compile(r" (\d\d:?\d\d)$")     # "+02:00" sent unencoded arrives as " 02:00"


def when(request, name: str, *, end: bool = False) -> datetime | None:
    """An ISO 8601 date or date-time query parameter in UTC (a time without a zone is UTC). A
    date alone starts at 00:00 UTC; as `end_date` it includes that whole day. Ranges are
    start <= t < end."""
    raw = given(request, name)
    if raw is None:
        return None
    raw = _OFFSET_SPACE.sub(r"+\1", raw)
    try:
        if len(raw) == 10:
            d = parse_date(raw)
            if d is not None:
                t = datetime.combine(d, time.min, tzinfo=UTC)
                return t + timedelta(days=1) if end else t
        t = parse_datetime(raw)
    except ValueError:
        t = None
    if t is None:
        raise bad(name, f"must be an ISO 8601 date or date-time such as 2026-01-29 or "
                        f"2026-01-29T08:00:00Z, not {raw[:40]!r}.")
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def window(request) -> tuple[datetime | None, datetime | None]:
    start, end = when(request, "start_date"), when(request, "end_date", end=True)
    if start is not None and end is not None and end <= start:
        raise bad("end_date", "must be after start_date.")
    return start, end


def status_param(request) -> str | None:
    raw = given(request, "status")
    if raw is None:
        return None
    if raw not in STATUSES:
        raise bad("status", f"must be one of {', '.join(STATUSES)}.")
    return raw


def flag(request, name: str, default: bool = False) -> bool:
    raw = given(request, name)
    if raw is None:
        return default
    value = _BOOLEAN.get(raw.lower())
    if value is None:
        raise bad(name, "must be true or false.")
    return value


def positive_int(raw: str | None, name: str, meaning: str = "an equipment id") -> int:
    try:
        value = int((raw or "").strip())
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise bad(name, f"must be a whole number from 1 to {MAX_ID} ({meaning}).")
    return value
