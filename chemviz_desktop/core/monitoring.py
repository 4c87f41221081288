"""The slow steps behind the desktop's limits, alerts, control chart and event search (#16), as
plain functions `fn(state, store_path, ...)` for workers (each opens its own Store: connections
are not shared across threads). Qt-free; numbers come from the store and the engine
(`store.limits`, `store.alerts`, `engine.spc`, `engine.excursions`)."""
from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from chemviz_desktop.core.store import Store
from chemviz_desktop.core.store import alerts as store_alerts
from chemviz_desktop.core.store import equipment as store_equipment
from chemviz_desktop.core.store import limits as store_limits
from engine import schema
from engine.excursions import Excursion, as_utc, excursions, iso_z
from engine.limits import PARAMETER_COLUMN, PARAMETERS, Limit, LimitError, limit_from_cells, name_key
from engine.progress import Progress
from engine.spc import imr

__all__ = ["AlertListing", "ChartData", "EventResult", "LevelsResult", "acknowledge", "control_chart",
           "data_levels", "equipment_type", "find_events", "limits_from_rows", "load_alerts", "load_limits",
           "os_user", "parameter_label", "save_limits"]

PLOT_POINTS = 4000       # a chart paints at most about this many points (min/max per bucket)


def _check(state: Progress | None) -> None:
    if state is not None:
        state.check()


def _now_iso() -> str:
    return pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def os_user() -> str:
    """The operating-system user name (the default "acknowledged by"), or "" when there is none."""
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return ""


def parameter_label(parameter: str) -> str:
    """"Pressure (bar)" for "pressure"."""
    column = PARAMETER_COLUMN.get(parameter, parameter.title())
    unit = schema.UNITS.get(column)
    return f"{column} ({unit})" if unit else column


# -- alerts ---------------------------------------------------------------------------------------
@dataclass
class AlertListing:
    frame: pd.DataFrame         # alerts.listing_frame, filtered
    unacknowledged: int         # in the whole store (the status bar's count), not only the filter's


def load_alerts(state: Progress | None, store_path: str | Path, state_filter: str = "all", *,
                equipment: str = "", level: str | None = None, parameter: str | None = None,
                start_ns: int | None = None, end_ns: int | None = None) -> AlertListing:
    """Alerts by ISA state filter (`alerts.STATE_FILTERS`), level, parameter, time window (alerts
    overlapping [start_ns, end_ns)) and an equipment search (case-insensitive part of the name)."""
    store = Store(store_path)
    try:
        frame = store_alerts.listing_frame(store.db, state_filter, level=level or None, parameter=parameter or None,
                                           start_ns=start_ns, end_ns=end_ns)
        _check(state)
        count = store_alerts.count_unacknowledged(store.db)
    finally:
        store.close()
    text = " ".join(equipment.split()).casefold()
    if text and len(frame):
        keep = frame["equipment"].astype(str).str.casefold().str.contains(text, regex=False).to_numpy()
        frame = frame[keep].reset_index(drop=True)
    return AlertListing(frame, count)


def acknowledge(state: Progress | None, store_path: str | Path, ids: Iterable[int], user: str,
                comment: str) -> list[int]:
    """Acknowledge alerts in one transaction (AlertError names unknown ids; nothing is changed
    then). Returns the ids acknowledged now (already acknowledged ones keep their first one)."""
    user = user.strip()
    if not user:
        raise store_alerts.AlertError("the user name is empty")
    store = Store(store_path)
    try:
        with store.transaction() as db:
            return store_alerts.acknowledge(db, list(ids), user, comment, store.now())
    finally:
        store.close()


# -- limits ---------------------------------------------------------------------------------------
def load_limits(store_path: str | Path) -> list[Limit]:
    store = Store(store_path)
    try:
        return store_limits.listing(store.db)
    finally:
        store.close()


def equipment_type(store_path: str | Path, name: str) -> tuple[str, str] | None:
    """An equipment's (display name, type) in the registry (None when the store does not know it)."""
    store = Store(store_path)
    try:
        row = store.db.execute("SELECT name, type FROM equipment WHERE name_key=?", (name_key(name),)).fetchone()
    finally:
        store.close()
    return None if row is None else (str(row[0]), str(row[1]))


def save_limits(state: Progress | None, store_path: str | Path, limits: Sequence[Limit]) -> int:
    """The given limits become the only ones (alerts re-evaluated in the same transaction);
    returns how many were added, changed or removed. LimitError names a bad one."""
    store = Store(store_path)
    try:
        with store.transaction() as db:
            return store_limits.put(db, limits, _now_iso(), replace=True)
    finally:
        store.close()


def limits_from_rows(rows: Sequence[dict[str, str]]) -> list[Limit]:
    """Limits from table rows of text (keys: the CSV columns); the first problem raises
    LimitError in words naming the row ("row 2: lo (6) is above hi (5)")."""
    out: list[Limit] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i, row in enumerate(rows, start=1):
        where = f"row {i}"
        limit = limit_from_cells(row, where, decimal_comma=True, name_in_problems=True)
        if limit.key() in seen:
            raise LimitError(f"{where}: {limit.scope} {limit.name!r} {limit.parameter} is already on row "
                             f"{seen[limit.key()]}")
        seen[limit.key()] = i
        out.append(limit)
    return out


# -- Data page cell colours -----------------------------------------------------------------------
@dataclass
class LevelsResult:
    levels: dict[str, np.ndarray]     # parameter -> int8 code per frame row (0, ±1 amber, ±2 red)
    limited: bool                     # some limit is stored (the legend is worth showing)
    beyond: int                       # cells beyond a limit

    def for_column(self) -> dict[str, np.ndarray]:
        """The codes keyed by the frame's column name (Flowrate, Pressure, Temperature)."""
        return {PARAMETER_COLUMN[p]: codes for p, codes in self.levels.items() if p in PARAMETER_COLUMN}


def data_levels(state: Progress | None, store_path: str | Path, frame: pd.DataFrame) -> LevelsResult:
    """Limit state of every Flowrate/Pressure/Temperature cell of a dataset frame, once per
    dataset or limits change (`limits.cell_levels`)."""
    store = Store(store_path)
    try:
        limited = store.db.execute("SELECT EXISTS (SELECT 1 FROM limits)").fetchone()[0] == 1
        levels = store_limits.cell_levels(store.db, frame) if limited else {}
    finally:
        store.close()
    _check(state)
    beyond = int(sum(int(np.count_nonzero(v)) for v in levels.values()))
    return LevelsResult(levels, bool(limited), beyond)


# -- history of one equipment ---------------------------------------------------------------------
def _history(store_path: str | Path, name: str, start_ns: int | None, end_ns: int | None,
             running_only: bool) -> tuple[pd.DataFrame, str, list[Limit]]:
    """(history, display name, the limits that apply to it) of one equipment."""
    store = Store(store_path)
    try:
        ident, display = store_equipment.equipment_id(store.db, name)
        kind = str(store.db.execute("SELECT type FROM equipment WHERE id=?", (ident,)).fetchone()[0])
        h = store_equipment.history(store.db, name, start_ns, end_ns, running_only=running_only)
        limit_set = store_limits.load(store.db)
    finally:
        store.close()
    found = [x for p in PARAMETERS if (x := limit_set.for_equipment(display, kind, p)) is not None]
    return h, display, found


def _series(h: pd.DataFrame, parameter: str, start_ns: int | None, end_ns: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Time-ordered (ns, value) with readings lacking a value dropped, clipped to the window."""
    if parameter not in PARAMETERS:
        raise ValueError(f"parameter must be one of {', '.join(PARAMETERS)}, not {parameter!r}")
    if not len(h):
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    t = as_utc(h["timestamp"]).asi8
    x = h[parameter].to_numpy(dtype=float)
    order = np.argsort(t, kind="stable")
    t, x = t[order], x[order]
    keep = np.isfinite(x)
    if start_ns is not None:
        keep &= t >= int(start_ns)
    if end_ns is not None:
        keep &= t < int(end_ns)
    return t[keep], x[keep]


def decimate(t: np.ndarray, x: np.ndarray, points: int = PLOT_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most about `points` points that keep every bucket's min and max (the line looks the same)."""
    n = len(x)
    if n <= points:
        return t, x
    buckets = max(1, points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    idx: list[int] = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b <= a:
            continue
        seg = x[a:b]
        lo, hi = a + int(np.argmin(seg)), a + int(np.argmax(seg))
        idx.extend(sorted({lo, hi}))
    keep = np.asarray(idx, dtype=np.int64)
    return t[keep], x[keep]


# -- control chart --------------------------------------------------------------------------------
RULES: dict[int, str] = {1: "one point beyond 3σ", 2: "2 of 3 beyond 2σ on one side",
                         3: "4 of 5 beyond 1σ on one side", 4: "8 in a row on one side of the centre"}


@dataclass
class ChartData:
    equipment: str
    parameter: str
    t: np.ndarray                    # ns, time order (readings with a value, in the window)
    x: np.ndarray
    center: float | None
    sigma: float | None
    ucl: float | None
    lcl: float | None
    mr_bar: float | None
    n: int
    cpk: float | None
    lo: float | None = None          # the limits Cpk used (None when not set)
    hi: float | None = None
    violations: list[tuple[int, int]] = field(default_factory=list)   # (index into t/x, rule)
    plot_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    plot_x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    plot_mr_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # moving ranges, decimated
    plot_mr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    start_ns: int | None = None
    end_ns: int | None = None

    @property
    def mr_ucl(self) -> float | None:
        """Upper limit of the moving-range chart: D4 · MR̄ (D4 = 3.267 for ranges of two)."""
        return None if self.mr_bar is None else 3.267 * self.mr_bar

    def report(self) -> dict[str, Any]:
        """The CLI's `spc --json` shape."""
        return {"center": self.center, "sigma": self.sigma, "ucl": self.ucl, "lcl": self.lcl, "mr_bar": self.mr_bar,
                "n": self.n, "cpk": self.cpk,
                "violations": [{"timestamp": iso_z(pd.Timestamp(int(self.t[i]), tz="UTC")),
                                "value": float(self.x[i]), "rule": rule} for i, rule in self.violations]}


def control_chart(state: Progress | None, store_path: str | Path, name: str, parameter: str,
                  start_ns: int | None = None, end_ns: int | None = None, running_only: bool = True) -> ChartData:
    """The I-MR chart (engine.spc) of one equipment's parameter over a window; Cpk against the
    equipment's lo/hi limit when one applies."""
    h, display, found = _history(store_path, name, start_ns, end_ns, running_only)
    _check(state)
    t, x = _series(h, parameter, start_ns, end_ns)
    limit = next((x_ for x_ in found if x_.parameter == parameter), None)
    lo, hi = (limit.lo, limit.hi) if limit is not None else (None, None)
    chart = imr(x, lo, hi)
    pt, px = decimate(t, x)
    mt, mr = decimate(t[1:], np.abs(np.diff(x)))
    return ChartData(display, parameter, t, x, chart.center, chart.sigma, chart.ucl, chart.lcl, chart.mr_bar, chart.n,
                     chart.cpk, lo, hi, list(chart.violations), pt, px, mt, mr, start_ns, end_ns)


# -- event search ---------------------------------------------------------------------------------
@dataclass
class EventResult:
    equipment: str
    parameter: str
    side: str                        # above | below
    threshold: float
    min_duration_s: float
    events: list[Excursion]
    readings: int                    # readings searched

    @property
    def condition(self) -> str:
        return f"{self.parameter} {self.side} {self.threshold:g} for at least {self.min_duration_s:g} s"


def find_events(state: Progress | None, store_path: str | Path, name: str, parameter: str, side: str,
                threshold: float, min_duration_s: float = 0.0, start_ns: int | None = None,
                end_ns: int | None = None, running_only: bool = True) -> EventResult:
    """"Parameter above/below X for at least D": the excursions (same start/end semantics as
    alerts, engine.excursions) of one equipment's history in a window."""
    if side not in ("above", "below"):
        raise ValueError(f"side must be above or below, not {side!r}")
    h, display, _found = _history(store_path, name, start_ns, end_ns, running_only)
    _check(state)
    t, x = _series(h, parameter, start_ns, end_ns)
    found = excursions(pd.to_datetime(t, utc=True), x, float(threshold), side,  # type: ignore[arg-type]
                       min_duration_s=float(min_duration_s)) if len(t) else []
    return EventResult(display, parameter, side, float(threshold), float(min_duration_s), found, len(t))
