"""Alerts from limits, as pure functions of readings + limits. One alert is one excursion beyond
a limit (see `excursions` for start/end/deadband/on-delay); its level is the worst reached
(hi → hihi, lo → lolo). States follow ISA-18.2 (active/cleared × unacknowledged/acknowledged).
Identity (equipment, parameter, level, start) lets a store drop alerts it already has on re-import."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .excursions import as_utc, iso_z, spans
from .limits import LEVEL_OF_CODE, LEVELS, Limit, LimitSet, classify_thresholds, thresholds

STATES: tuple[str, ...] = ("active-unacknowledged", "active-acknowledged",
                           "cleared-unacknowledged", "cleared-acknowledged")


@dataclass(frozen=True)
class Alert:
    equipment: str
    parameter: str
    level: str                     # lolo | lo | hi | hihi: the worst reached
    limit: float                   # the value of that level's limit
    start: pd.Timestamp
    end: pd.Timestamp | None       # None while active
    peak: float
    last: pd.Timestamp | None = None   # the last reading beyond the limit (so far, while active)

    @property
    def duration_s(self) -> float | None:
        return None if self.end is None else (self.end - self.start).total_seconds()

    def identity(self) -> tuple[str, str, str, str]:
        return self.equipment, self.parameter, self.level, iso_z(self.start) or ""

    def to_dict(self) -> dict[str, object]:
        return {"equipment": self.equipment, "parameter": self.parameter, "level": self.level,
                "limit": self.limit, "start": iso_z(self.start), "end": iso_z(self.end),
                "peak": self.peak, "duration_s": self.duration_s}


def state(active: bool, acknowledged: bool) -> str:
    """The ISA-18.2 state name."""
    return f"{'active' if active else 'cleared'}-{'acknowledged' if acknowledged else 'unacknowledged'}"


# (level, limit value, index of the first reading beyond, index of the first back inside, peak)
_Side = tuple[str, float, int, int, float]


def _side(limit: Limit, ns: np.ndarray, values: np.ndarray, side: str) -> list[_Side]:
    """One side of the band (above hi/hihi or below lo/lolo) of a time-ordered series: the
    excursions beyond the soft limit (or the hard one when only it is set), each at the worst
    level its peak reached."""
    if side == "above":
        soft, hard, names = limit.hi, limit.hihi, ("hi", "hihi")
    else:
        soft, hard, names = limit.lo, limit.lolo, ("lo", "lolo")
    entry = soft if soft is not None else hard
    if entry is None:
        return []
    found = spans(ns, values, entry, "above" if side == "above" else "below",
                  deadband=limit.deadband, min_duration_s=limit.delay_s)
    if not len(found):
        return []
    if hard is None:
        worse = np.zeros(len(found), dtype=bool)
    else:
        worse = found.peak > hard if side == "above" else found.peak < hard
    if soft is None:
        worse[:] = True
    return [(names[1] if w else names[0], float(hard if w else soft), a, b, p)  # type: ignore[arg-type]
            for w, a, b, p in zip(worse.tolist(), found.start.tolist(), found.stop.tolist(), found.peak.tolist(),
                                  strict=True)]


def _both_sides(limit: Limit, ns: np.ndarray, values: np.ndarray) -> list[_Side]:
    """Both sides, by start then level."""
    return sorted(_side(limit, ns, values, "above") + _side(limit, ns, values, "below"), key=lambda r: (r[2], r[0]))


def series_alerts(equipment: str, parameter: str, limit: Limit | None, times: object,
                  values: np.ndarray) -> list[Alert]:
    """Alerts of one equipment's parameter over time (both sides of the band), by start time."""
    if limit is None:
        return []
    t = as_utc(times)
    ns, v = t.asi8, np.asarray(values, dtype=float)
    if len(ns) != len(v):
        raise ValueError("times and values differ in length")
    if len(ns) and not t.is_monotonic_increasing:
        order = np.argsort(ns, kind="stable")
        ns, v = ns[order], v[order]
    n = len(v)

    def ts(i: int) -> pd.Timestamp:
        return pd.Timestamp(int(ns[i]), tz="UTC")
    return [Alert(equipment, parameter, level, value, ts(a), ts(b) if b < n else None, peak, ts(b - 1))
            for level, value, a, b, peak in _both_sides(limit, ns, v)]


def snapshot_alerts(names: np.ndarray, types: np.ndarray, values: dict[str, np.ndarray],
                    taken_at: pd.Timestamp, limits: LimitSet) -> list[Alert]:
    """A snapshot has one reading per equipment: a value beyond a limit is an alert that starts
    and ends at the dataset's reading time."""
    at = pd.Timestamp(taken_at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    registry = {i: (str(n), str(t)) for i, (n, t) in enumerate(zip(names, types, strict=True))}
    rows = point_rows(np.arange(len(registry)), np.full(len(registry), at.value, dtype=np.int64), values,
                      registry, limits)
    return [Alert(registry[r[0]][0], r[1], r[2], r[3], at, at, r[7], at) for r in rows]


# One evaluation core for the desktop store and the server: readings of many equipment + limits ->
# the alert rows they should have. Times are integers in the caller's unit (ns in the desktop
# store, µs on the server) so neither side converts rows to objects and back.
# (equipment id, parameter, level, limit, start, end | None, last, peak, row of the start reading)
AlertRow = tuple[int, str, str, float, int, "int | None", int, float, int]


def _registry_arrays(eq: np.ndarray, registry: dict[int, tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    uniq, inverse = np.unique(eq, return_inverse=True)
    names = np.array([registry[int(i)][0] for i in uniq.tolist()], dtype=object)
    types = np.array([registry[int(i)][1] for i in uniq.tolist()], dtype=object)
    at = np.asarray(inverse).ravel()
    return names[at], types[at]


def series_rows(eq: np.ndarray, t: np.ndarray, values: dict[str, np.ndarray],
                registry: dict[int, tuple[str, str]], limits: LimitSet, unit_ns: int = 1) -> list[AlertRow]:
    """Time-series alerts of many equipment at once. `eq` (ids) and `t` (epoch in units of
    `unit_ns` nanoseconds) must be sorted by (eq, t), one reading per (eq, t); `values` holds the
    parameter columns. Each equipment's parameter follows the rules of `series_alerts` (same
    code), with its own limit, else its type's."""
    eq = np.asarray(eq, dtype=np.int64)
    t = np.asarray(t, dtype=np.int64)
    out: list[AlertRow] = []
    if not len(eq):
        return out
    cuts = np.concatenate(([0], np.flatnonzero(np.diff(eq)) + 1, [len(eq)]))
    for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        eid = int(eq[a])
        name, typ = registry[eid]
        found = [(p, x) for p in values if (x := limits.for_equipment(name, typ, p)) is not None]
        if not found:
            continue
        ts = t[a:b]
        ns = ts * unit_ns
        n = b - a
        for p, limit in found:
            for level, value, i, j, peak in _both_sides(limit, ns, np.asarray(values[p][a:b], dtype=float)):
                out.append((eid, p, level, value, int(ts[i]), int(ts[j]) if j < n else None, int(ts[j - 1]),
                            peak, a + i))
    return out


def point_rows(eq: np.ndarray, t: np.ndarray, values: dict[str, np.ndarray],
               registry: dict[int, tuple[str, str]], limits: LimitSet) -> list[AlertRow]:
    """Snapshot alerts: each reading beyond a limit is an alert starting and ending at its time
    (`t`, any unit). Vectorised: limits resolve per distinct type (and named equipment)."""
    eq = np.asarray(eq, dtype=np.int64)
    out: list[AlertRow] = []
    if not len(eq):
        return out
    names, types = _registry_arrays(eq, registry)
    for p, column in values.items():
        v = np.asarray(column, dtype=float)
        bounds = thresholds(names, types, p, limits)
        codes = classify_thresholds(v, bounds)
        for i in np.flatnonzero(codes).tolist():
            level = LEVEL_OF_CODE[int(codes[i])]
            at = int(t[i])
            out.append((int(eq[i]), p, level, float(bounds[i, LEVELS.index(level)]), at, at, at, float(v[i]), i))
    return out
