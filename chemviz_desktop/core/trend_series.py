"""Trends of equipment parameters, prepared without Qt (the Trends page runs this in a worker; the
CLI and tests call it directly): the store's history of each chosen equipment -> the readings in
a time window -> buckets (raw/hourly/daily/weekly: mean, count, min, max) -> at most two points per
pixel column (min/max decimation, spikes survive) for drawing, plus a whole-range overview and the
points as CSV. The screen only maps the few decimated points to pixels.

Windows "last hour/day/week" end at the latest reading of the selection (historian files are
often old: a window ending now would be empty).

Operating limits (#16) come along as `LimitLine`s: for each shown parameter, the effective limit
of each shown equipment (its own, else its type's; `engine.limits.LimitSet`). Several equipment
on one axis: one line per distinct (level, value); equipment sharing a value share the line, and a
line that holds for only some of the shown equipment names them in its label ("HI 5.5 · P-1"), so
each drawn line says whose limit it is. The y range includes every line, so all are visible."""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from chemviz_desktop.core.formatting import elide, fmt_value
from chemviz_desktop.core.store import Store
from chemviz_desktop.core.store import equipment as registry
from chemviz_desktop.core.store import limits as store_limits
from engine import schema
from engine.limits import LEVELS, LimitSet
from engine.progress import Progress
from engine.trends import INTERVALS, bucket, minmax_decimate

PARAMETERS: tuple[str, ...] = ("flowrate", "pressure", "temperature")
LABELS = {"flowrate": schema.FLOWRATE, "pressure": schema.PRESSURE, "temperature": schema.TEMPERATURE}
UNITS = {p: schema.UNITS[c] for p, c in LABELS.items()}
HOUR_NS = 3_600 * 10**9
WINDOWS: dict[str, int | None] = {"hour": HOUR_NS, "day": 24 * HOUR_NS, "week": 7 * 24 * HOUR_NS, "all": None}
WINDOW_LABELS = {"hour": "Last hour", "day": "Last day", "week": "Last week", "all": "All"}
INTERVAL_LABELS = {"raw": "Raw", "hourly": "Hourly", "daily": "Daily", "weekly": "Weekly"}
OVERVIEW_COLUMNS = 600
STEP_NS = {"hourly": HOUR_NS, "daily": 24 * HOUR_NS, "weekly": 7 * 24 * HOUR_NS}
CSV_COLUMNS = ("equipment", "parameter", "unit", "interval", "timestamp", "value", "count", "min", "max")

Window = str | tuple[int, int]     # a WINDOWS key, or (start_ns, end_ns) chosen on the overview


@dataclass(frozen=True)
class TrendRequest:
    names: tuple[str, ...]
    parameters: tuple[str, ...] = ("flowrate",)
    window: Window = "all"
    interval: str = "raw"
    running_only: bool = True
    columns: int = 1200           # pixel columns of the plot: decimation target

    def __post_init__(self) -> None:
        if self.interval not in INTERVALS:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {self.interval!r}")
        bad = [p for p in self.parameters if p not in PARAMETERS]
        if bad:
            raise ValueError(f"unknown parameter {bad[0]!r}; choose from {', '.join(PARAMETERS)}")
        if isinstance(self.window, str) and self.window not in WINDOWS:
            raise ValueError(f"window must be one of {', '.join(WINDOWS)} or a (start, end) pair")


@dataclass
class History:
    """One equipment's readings as plain arrays (epoch ns, float values)."""
    name: str
    ts: np.ndarray
    values: dict[str, np.ndarray]
    kind: str = ""                # the registry's type (its limits apply when it has none of its own)

    @classmethod
    def from_frame(cls, name: str, frame: pd.DataFrame, kind: str = "") -> "History":
        ts = pd.DatetimeIndex(frame["timestamp"]).as_unit("ns").asi8
        return cls(name, ts, {p: frame[p].to_numpy(dtype=float) for p in PARAMETERS}, kind)


@dataclass(frozen=True)
class LimitLine:
    """One horizontal limit line: a level's value for one parameter, and whose limit it is."""
    parameter: str
    level: str                      # lolo | lo | hi | hihi
    value: float
    equipment: tuple[str, ...]      # the shown equipment this value applies to
    everyone: bool                  # it applies to every shown equipment

    @property
    def unit(self) -> str:
        return UNITS[self.parameter]

    @property
    def red(self) -> bool:
        """lolo/hihi are drawn red, lo/hi amber."""
        return self.level in ("lolo", "hihi")

    @property
    def label(self) -> str:
        """"HI 5.5", or "HI 5.5 · P-1, P-2" (+N more) when other shown equipment have another."""
        text = f"{self.level.upper()} {fmt_value(self.value)}"
        if not self.everyone:
            names = ", ".join(elide(n, 24) for n in self.equipment[:2])
            more = len(self.equipment) - 2
            text += f" · {names}" + (f" +{more}" if more > 0 else "")
        return text


def limit_lines(histories: list[History], parameters: tuple[str, ...], limits: LimitSet) -> list[LimitLine]:
    """The limit lines of these equipment and parameters (see the module's docstring)."""
    out: list[LimitLine] = []
    if not len(limits):
        return out
    for p in parameters:
        groups: dict[tuple[str, float], list[str]] = {}
        for h in histories:
            limit = limits.for_equipment(h.name, h.kind, p)
            for level in LEVELS:
                value = None if limit is None else getattr(limit, level)
                if value is not None:
                    groups.setdefault((level, float(value)), []).append(h.name)
        for (level, value), names in groups.items():
            out.append(LimitLine(p, level, value, tuple(names), len(names) == len(histories)))
    return sorted(out, key=lambda x: (x.parameter, LEVELS.index(x.level), x.value))


@dataclass
class Loaded:
    """Histories read from the store for one selection; reused while only the window, interval,
    parameters or width change (the page drops it after an import, delete or edit)."""
    store_path: str
    names: tuple[str, ...]
    running_only: bool
    histories: list[History]
    missing: list[str] = field(default_factory=list)
    overviews: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    limits: LimitSet = field(default_factory=LimitSet)

    def overview(self, h: History, parameter: str) -> tuple[np.ndarray, np.ndarray]:
        """The whole history of one parameter decimated for the overview strip (kept)."""
        key = (h.name, parameter)
        if key not in self.overviews:
            v = h.values[parameter]
            keep = np.isfinite(v)
            ox, oy = minmax_decimate(h.ts[keep], v[keep], OVERVIEW_COLUMNS)
            self.overviews[key] = (np.asarray(ox, dtype=np.int64), np.asarray(oy, dtype=float))
        return self.overviews[key]

    def matches(self, store_path: str, req: TrendRequest) -> bool:
        return (self.store_path, self.names, self.running_only) == (store_path, req.names, req.running_only)

    @property
    def extent(self) -> tuple[int, int] | None:
        firsts = [int(h.ts[0]) for h in self.histories if len(h.ts)]
        lasts = [int(h.ts[-1]) for h in self.histories if len(h.ts)]
        return (min(firsts), max(lasts)) if firsts else None


@dataclass
class Series:
    """One line: every bucket in the window (t, value, count, min, max) and what is drawn."""
    equipment: str
    parameter: str
    t: np.ndarray            # int64 ns, bucket starts (raw: reading times)
    value: np.ndarray
    count: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    x: np.ndarray            # decimated times for the line
    y: np.ndarray
    band_x: np.ndarray       # decimated min-max band (empty for raw)
    band_lo: np.ndarray
    band_hi: np.ndarray

    @property
    def unit(self) -> str:
        return UNITS[self.parameter]

    @property
    def label(self) -> str:
        return f"{elide(self.equipment, 60)} · {LABELS[self.parameter]} ({self.unit})"

    @property
    def points(self) -> int:
        """Buckets (raw: readings) in the window."""
        return len(self.t)

    @property
    def drawn(self) -> int:
        """Points the line is drawn with (after decimation)."""
        return len(self.x)

    def at(self, ns: int) -> tuple[int, float, int] | None:
        """The bucket nearest to `ns`: (time, value, count), None when empty."""
        if not len(self.t):
            return None
        i = int(np.searchsorted(self.t, ns))
        if i >= len(self.t) or (i > 0 and ns - self.t[i - 1] <= self.t[i] - ns):
            i -= 1
        return int(self.t[i]), float(self.value[i]), int(self.count[i])


@dataclass
class TrendData:
    request: TrendRequest
    series: list[Series]
    start_ns: int                 # the time range shown [start, end): the window, widened to whole buckets
    end_ns: int
    extent: tuple[int, int] | None   # first and last reading of the selection (overview range)
    overview: list[tuple[np.ndarray, np.ndarray]]   # per series, whole range, decimated
    readings: int                 # readings in the window (all series' equipment, once each)
    loaded: Loaded
    missing: list[str] = field(default_factory=list)
    limits: list[LimitLine] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        """One y axis per unit, in the order the series first use them."""
        return list(dict.fromkeys(s.unit for s in self.series))

    @property
    def empty(self) -> bool:
        return not any(s.points for s in self.series)


def load(state: Progress | None, store_path: str | Path, names: tuple[str, ...], running_only: bool) -> Loaded:
    """Read each equipment's whole history (one Store per call: a worker's own connection).
    An unknown name is reported in `missing`, not raised."""
    store = Store(store_path)
    histories: list[History] = []
    missing: list[str] = []
    try:
        for k, name in enumerate(names):
            if state is not None:
                state.check()
                state.progress(k / max(1, len(names)) * 0.7, f"Reading the history of {name}")
            try:
                ident, shown = registry.equipment_id(store.db, name)
                frame = registry.history(store.db, name, None, None, running_only)
            except registry.EquipmentError:
                missing.append(name)
                continue
            row = store.db.execute("SELECT type FROM equipment WHERE id=?", (ident,)).fetchone()
            histories.append(History.from_frame(shown, frame, "" if row is None else str(row[0])))
        limits = store_limits.load(store.db)
    finally:
        store.close()
    return Loaded(str(store_path), tuple(names), running_only, histories, missing, limits=limits)


MIN_ALL_SPAN = 3_600 * 10**9    # ns: "all" shows at least an hour


def window_bounds(window: Window, extent: tuple[int, int] | None) -> tuple[int, int]:
    """[start, end) in epoch ns: "all" is the whole extent, last hour/day/week end just after the
    latest reading; a (start, end) pair is taken as given."""
    if not isinstance(window, str):
        return int(window[0]), int(window[1])
    if extent is None:
        return 0, 1
    last = extent[1] + 1
    span = WINDOWS[window]
    if span is None and last - extent[0] < MIN_ALL_SPAN:
        # one snapshot (or a few minutes): centre it in an hour instead of a 1 ns window where
        # the only point sits on the left edge
        mid = (extent[0] + extent[1]) // 2
        return mid - MIN_ALL_SPAN // 2, mid + MIN_ALL_SPAN // 2
    return (extent[0] if span is None else last - span), last


def _band(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The min-max band per pixel column: lowest min and highest max of the buckets in it."""
    n = len(x)
    if n <= 2 * columns or columns < 1:
        return x, lo, hi
    edges = np.linspace(float(x[0]), float(x[-1]), columns + 1)
    col = np.clip(np.searchsorted(edges, x.astype(np.float64), side="right") - 1, 0, columns - 1)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(col)) + 1))
    return x[starts], np.minimum.reduceat(lo, starts), np.maximum.reduceat(hi, starts)


def utc_index(ns: np.ndarray) -> pd.DatetimeIndex:
    """Epoch ns as a UTC DatetimeIndex without parsing (pd.to_datetime on int64 takes pandas'
    object path: ~400 ms for a year of minutes, holding the GIL and so stalling the window)."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("datetime64[ns]")).tz_localize("UTC")


def _series(h: History, parameter: str, start: int, end: int, interval: str, columns: int) -> Series:
    a, b = np.searchsorted(h.ts, start, "left"), np.searchsorted(h.ts, end, "left")
    ts, values = h.ts[a:b], h.values[parameter][a:b]
    if interval == "raw":                 # already in time order: no sort, no frame
        keep = np.isfinite(values)
        t, v = ts[keep], values[keep]
        count = np.ones(len(t), dtype=np.int64)
        lo = hi = v
    else:
        buckets = bucket(utc_index(ts), values, interval)
        t = pd.DatetimeIndex(buckets["timestamp"]).as_unit("ns").asi8
        v = buckets["value"].to_numpy(dtype=float)
        count = buckets["count"].to_numpy(dtype=np.int64)
        lo, hi = buckets["min"].to_numpy(dtype=float), buckets["max"].to_numpy(dtype=float)
    x, y = minmax_decimate(t, v, columns)
    empty = np.zeros(0)
    bx, blo, bhi = (_band(t, lo, hi, columns) if interval != "raw" else (np.zeros(0, dtype=np.int64), empty, empty))
    return Series(h.name, parameter, t, v, count, lo, hi, np.asarray(x, dtype=np.int64), np.asarray(y, dtype=float),
                  bx, blo, bhi)


def build(loaded: Loaded, req: TrendRequest, state: Progress | None = None) -> TrendData:
    """Buckets and decimated lines for `req` from histories already read."""
    extent = loaded.extent
    start, end = window_bounds(req.window, extent)
    series: list[Series] = []
    overview: list[tuple[np.ndarray, np.ndarray]] = []
    readings = 0
    for h in loaded.histories:
        readings += int(np.searchsorted(h.ts, end, "left") - np.searchsorted(h.ts, start, "left"))
        for p in req.parameters:
            if state is not None:
                state.check()
            series.append(_series(h, p, start, end, req.interval, req.columns))
            overview.append(loaded.overview(h, p))
    shown_start, shown_end = start, end
    if req.interval in STEP_NS:       # a bucket drawn at its start: show every bucket whole
        firsts = [int(s.t[0]) for s in series if s.points]
        lasts = [int(s.t[-1]) + STEP_NS[req.interval] for s in series if s.points]
        if firsts:
            shown_start, shown_end = min(start, *firsts), max(end, *lasts)
    lines = limit_lines(loaded.histories, req.parameters, loaded.limits)
    return TrendData(req, series, shown_start, shown_end, extent, overview, readings, loaded, list(loaded.missing),
                     lines)


def prepare(state: Progress | None, store_path: str | Path, req: TrendRequest, loaded: Loaded | None = None) -> TrendData:
    """Worker: histories (reused from `loaded` when the selection is the same) -> TrendData."""
    if loaded is None or not loaded.matches(str(store_path), req):
        loaded = load(state, store_path, req.names, req.running_only)
    if state is not None:
        state.progress(0.8, "Preparing the trend")
    return build(loaded, req, state)


def _iso(ns: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(ns.astype("datetime64[ns]"), unit="s"), "Z")


def points_frame(data: TrendData) -> pd.DataFrame:
    """Every point of every line in the window (all buckets, not the decimated ones), long format:
    equipment, parameter, unit, interval, timestamp (UTC ISO with Z), value (mean), count, min, max."""
    parts = [pd.DataFrame({"equipment": s.equipment, "parameter": s.parameter, "unit": s.unit,
                           "interval": data.request.interval, "timestamp": _iso(s.t), "value": s.value,
                           "count": s.count, "min": s.lo, "max": s.hi}) for s in data.series]
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(CSV_COLUMNS))


def points_csv(data: TrendData) -> str:
    buf = io.StringIO()
    points_frame(data).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def write_points_csv(state: Progress | None, data: TrendData, path: str | Path) -> str:
    """Worker: the points as CSV at `path` (written to a temporary file, then moved in place)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".part")
    frame = points_frame(data)
    if state is not None:
        state.check()
    frame.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(target)
    return str(target)


def describe(data: TrendData) -> str:
    """One line under the chart: what is shown."""
    if not data.series:
        return "No equipment with readings selected." if not data.missing else \
            f"Not in the local store: {', '.join(data.missing)}."
    shown = sum(s.points for s in data.series)
    unit = ("reading" if shown == 1 else "readings") if data.request.interval == "raw" else \
        f"{data.request.interval} bucket{'s' if shown != 1 else ''}"
    text = f"{shown:,} {unit} in {len(data.series)} line{'s' if len(data.series) != 1 else ''}"
    if data.request.running_only:
        text += " · running only"
    if data.missing:
        text += f" · not in the local store: {', '.join(data.missing)}"
    return text


def as_dict(data: TrendData) -> dict[str, Any]:
    """Summary for scripts: per line the number of points and the drawn (decimated) points."""
    return {"start_ns": data.start_ns, "end_ns": data.end_ns, "interval": data.request.interval,
            "series": [{"equipment": s.equipment, "parameter": s.parameter, "points": s.points,
                        "drawn": s.drawn} for s in data.series]}
