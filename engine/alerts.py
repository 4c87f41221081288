"""Alerts from limits, as pure functions of readings + limits. One alert is one excursion beyond
a limit (see `excursions` for start/end/deadband/on-delay); its level is the worst reached
(hi → hihi, lo → lolo). States follow ISA-18.2 (active/cleared × unacknowledged/acknowledged).
Identity (equipment, parameter, level, start) lets a store drop alerts it already has on re-import."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .excursions import Excursion, excursions, iso_z
from .limits import LEVEL_OF_CODE, LEVELS, OK, Limit, LimitSet, classify, classify_thresholds, thresholds

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


def _side_alerts(equipment: str, parameter: str, limit: Limit, times: object, values: np.ndarray,
                 side: str) -> list[Alert]:
    if side == "above":
        soft, hard, names = limit.hi, limit.hihi, ("hi", "hihi")
    else:
        soft, hard, names = limit.lo, limit.lolo, ("lo", "lolo")
    entry = soft if soft is not None else hard
    if entry is None:
        return []
    found: list[Excursion] = excursions(times, values, entry, "above" if side == "above" else "below",
                                        deadband=limit.deadband, min_duration_s=limit.delay_s)
    out = []
    for e in found:
        worse = hard is not None and (e.peak > hard if side == "above" else e.peak < hard)
        level = names[1] if worse or soft is None else names[0]
        value = hard if level == names[1] else soft
        out.append(Alert(equipment, parameter, level, float(value), e.start, e.end, e.peak,  # type: ignore[arg-type]
                         e.last))
    return out


def series_alerts(equipment: str, parameter: str, limit: Limit | None, times: object,
                  values: np.ndarray) -> list[Alert]:
    """Alerts of one equipment's parameter over time (both sides of the band), by start time."""
    if limit is None:
        return []
    alerts = (_side_alerts(equipment, parameter, limit, times, values, "above")
              + _side_alerts(equipment, parameter, limit, times, values, "below"))
    return sorted(alerts, key=lambda a: (a.start, a.level))


def snapshot_alerts(names: np.ndarray, types: np.ndarray, values: dict[str, np.ndarray],
                    taken_at: pd.Timestamp, limits: LimitSet) -> list[Alert]:
    """A snapshot has one reading per equipment: a value beyond a limit is an alert that starts
    and ends at the dataset's reading time."""
    at = pd.Timestamp(taken_at)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    out = []
    for parameter, column in values.items():
        for i, (name, typ) in enumerate(zip(names, types, strict=True)):
            limit = limits.for_equipment(str(name), str(typ), parameter)
            if limit is None:
                continue
            code = int(classify(np.asarray([column[i]]), limit)[0])
            if code == OK:
                continue
            level = LEVEL_OF_CODE[code]
            out.append(Alert(str(name), parameter, level, float(getattr(limit, level)), at, at, float(column[i]), at))
    return out


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
    parameter columns. Each equipment's parameter is one `series_alerts` call (its own limit, else
    its type's)."""
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
        times = pd.DatetimeIndex((ts * unit_ns).view("datetime64[ns]")).tz_localize("UTC")
        for p, limit in found:
            for alert in series_alerts(name, p, limit, times, np.asarray(values[p][a:b], dtype=float)):
                start = int(alert.start.value) // unit_ns
                last = alert.last if alert.last is not None else alert.start
                out.append((eid, p, alert.level, float(alert.limit), start,
                            None if alert.end is None else int(alert.end.value) // unit_ns,
                            int(last.value) // unit_ns, float(alert.peak),
                            a + int(np.searchsorted(ts, start))))
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
