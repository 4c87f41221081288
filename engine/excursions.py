"""Excursions of one time series beyond a threshold: the shared core of alerts (per limit) and of
event search ("pressure above 8 bar for at least 5 min"). Semantics, written once:
- an excursion starts at the first reading beyond the threshold (strictly above for "above");
- it ends at the first reading back inside by more than the deadband (for "above": value below
  threshold − deadband); readings in the deadband keep the excursion going;
- its duration is end − start; one still beyond at the last reading has no end (active), and its
  duration so far is last reading − start;
- with an on-delay (`min_duration_s`), only excursions lasting at least that long count.
Vectorised: the hysteresis state is a forward fill of enter/exit marks, no per-reading Python."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Side = Literal["above", "below"]


@dataclass(frozen=True)
class Excursion:
    start: pd.Timestamp
    end: pd.Timestamp | None        # None: still beyond at the last reading (active)
    peak: float                     # the most extreme value reached (max above, min below)
    last: pd.Timestamp              # the last reading inside the excursion

    @property
    def active(self) -> bool:
        return self.end is None

    @property
    def duration_s(self) -> float:
        """end − start; for an active excursion, the last reading − start."""
        return ((self.end or self.last) - self.start).total_seconds()


def as_utc(times: object) -> pd.DatetimeIndex:
    """Any time column (naive = UTC, or aware) as a UTC DatetimeIndex in nanoseconds (pandas may
    pick microseconds for Python datetimes; bucket arithmetic needs one unit)."""
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns")


@dataclass(frozen=True)
class Spans:
    """Excursions as index arrays into a time-ordered series (no objects per excursion): the
    array form `excursions` and the alert evaluation share."""
    start: np.ndarray        # index of the first reading beyond
    stop: np.ndarray         # index of the first reading back inside (== len: still beyond)
    peak: np.ndarray         # max (above) / min (below) over the excursion

    def __len__(self) -> int:
        return len(self.start)


def spans(ns: np.ndarray, values: np.ndarray, threshold: float, side: Side = "above", deadband: float = 0.0,
          min_duration_s: float = 0.0) -> Spans:
    """The excursions of a series already in time order (`ns`: epoch ns, int64), vectorised."""
    t = np.asarray(ns, dtype=np.int64)
    v = np.asarray(values, dtype=float)
    n = len(v)
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return Spans(empty, empty, np.zeros(0))
    with np.errstate(invalid="ignore"):
        if side == "above":
            enter, leave = v > threshold, v < threshold - deadband
        else:
            enter, leave = v < threshold, v > threshold + deadband
    marks = np.where(enter, 1.0, np.where(leave, 0.0, np.nan))   # NaN readings keep the state
    state = pd.Series(marks).ffill().fillna(0.0).to_numpy() == 1.0
    edges = np.diff(np.concatenate(([False], state, [False])).astype(np.int8))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)   # stop: first index after
    if not len(starts):
        return Spans(starts, stops, np.zeros(0))
    # The peak over [start, next start): readings between an excursion's stop and the next start
    # are not beyond the threshold (else they would have entered), so they never beat its peak.
    filled = np.where(np.isnan(v), -np.inf if side == "above" else np.inf, v)
    peak = (np.maximum if side == "above" else np.minimum).reduceat(filled, starts)
    ends = np.where(stops < n, t[np.minimum(stops, n - 1)], t[stops - 1])
    keep = (ends - t[starts]) >= min_duration_s * 1e9
    return Spans(starts[keep], stops[keep], peak[keep])


def excursions(times: object, values: np.ndarray, threshold: float, side: Side = "above",
               deadband: float = 0.0, min_duration_s: float = 0.0) -> list[Excursion]:
    """The excursions of a series sorted by time (sorted here if it is not)."""
    t = as_utc(times)
    v = np.asarray(values, dtype=float)
    if len(t) != len(v):
        raise ValueError("times and values differ in length")
    ns = t.asi8
    if len(ns) and not t.is_monotonic_increasing:
        order = np.argsort(ns, kind="stable")
        ns, v = ns[order], v[order]
    found = spans(ns, v, threshold, side, deadband, min_duration_s)
    n = len(v)
    return [Excursion(pd.Timestamp(int(ns[a]), tz="UTC"), pd.Timestamp(int(ns[b]), tz="UTC") if b < n else None,
                      float(p), pd.Timestamp(int(ns[b - 1]), tz="UTC"))
            for a, b, p in zip(found.start.tolist(), found.stop.tolist(), found.peak.tolist(), strict=True)]


def parse_duration(text: str) -> float:
    """`90`, `90s`, `5m`, `2h`, `1d` (also `5 min`) as seconds; a clear error otherwise."""
    s = str(text).strip().lower().replace(" ", "")
    units = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}
    for suffix in sorted(units, key=len, reverse=True):
        if s.endswith(suffix):
            number, scale = s[: -len(suffix)], units[suffix]
            break
    else:
        number, scale = s, 1
    try:
        value = float(number) * scale
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 5m, 2h, 1d)") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 5m, 2h, 1d)")
    return value


def iso_z(ts: object) -> str | None:
    """UTC ISO 8601 with `Z` (the seed's time format), or None; naive times are taken as UTC."""
    if ts is None:
        return None
    t = pd.Timestamp(ts)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")
