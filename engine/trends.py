"""Trends of one equipment's parameter: readings bucketed raw/hourly/daily/weekly (mean, count,
min, max; buckets start on the hour, at 00:00 UTC, and on Mondays 00:00 UTC), in the seed's shape
`{"timestamp", "value", "count"}`, plus min/max decimation so a year of one-minute readings draws
as ~2 points per pixel column without losing a spike."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .excursions import as_utc, iso_z

INTERVALS: tuple[str, ...] = ("raw", "hourly", "daily", "weekly")
_NS = {"hourly": 3_600 * 10**9, "daily": 86_400 * 10**9, "weekly": 7 * 86_400 * 10**9}
_MONDAY_SHIFT = 3 * 86_400 * 10**9   # 1970-01-01 was a Thursday: shift so weeks start on Monday

RUNNING = "active"   # the reading status that counts as running (seed status choices)


def bucket(times: object, values: np.ndarray, interval: str = "daily") -> pd.DataFrame:
    """Columns timestamp (UTC), value (mean), count, min, max; readings without a value are left
    out of every bucket. `raw` keeps each reading (count 1)."""
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")
    t = as_utc(times)
    v = np.asarray(values, dtype=float)
    keep = np.isfinite(v)
    t, v = t[keep], v[keep]
    if interval == "raw":
        order = np.argsort(t.asi8, kind="stable")
        return pd.DataFrame({"timestamp": t[order], "value": v[order], "count": np.ones(len(v), dtype=np.int64),
                             "min": v[order], "max": v[order]})
    ns = t.asi8
    step = _NS[interval]
    shift = _MONDAY_SHIFT if interval == "weekly" else 0
    start = (ns + shift) // step * step - shift
    frame = pd.DataFrame({"start": start, "v": v})
    g = frame.groupby("start", sort=True)["v"]
    out = g.agg(["mean", "count", "min", "max"]).reset_index()
    return pd.DataFrame({"timestamp": pd.to_datetime(out["start"].to_numpy(), utc=True),
                         "value": out["mean"].to_numpy(), "count": out["count"].to_numpy(dtype=np.int64),
                         "min": out["min"].to_numpy(), "max": out["max"].to_numpy()})


def data_points(buckets: pd.DataFrame) -> list[dict[str, object]]:
    """The seed's `data_points` list: bucket start in UTC ISO 8601 with `Z`, mean, count."""
    return [{"timestamp": iso_z(ts), "value": float(val), "count": int(cnt)}
            for ts, val, cnt in zip(buckets["timestamp"], buckets["value"], buckets["count"], strict=True)]


def minmax_decimate(x: np.ndarray, y: np.ndarray, columns: int) -> tuple[np.ndarray, np.ndarray]:
    """At most 2 points per pixel column (its min and max, in time order), so a line drawn from
    them looks like the full series: spikes survive, drawing cost depends on the width only.
    `x` must be sorted (int64 or float)."""
    x = np.asarray(x)
    y = np.asarray(y, dtype=float)
    n = len(x)
    if n <= 2 * columns or columns < 1:
        return x, y
    xf = x.astype(np.float64)
    edges = np.linspace(xf[0], xf[-1], columns + 1)
    col = np.clip(np.searchsorted(edges, xf, side="right") - 1, 0, columns - 1)
    bounds = np.flatnonzero(np.diff(col)) + 1
    starts = np.concatenate(([0], bounds))
    ends = np.concatenate((bounds, [n]))
    yy = np.where(np.isfinite(y), y, np.nan)
    safe_hi = np.where(np.isnan(yy), -np.inf, yy)
    safe_lo = np.where(np.isnan(yy), np.inf, yy)
    i_max = np.array([s + int(np.argmax(safe_hi[s:e])) for s, e in zip(starts, ends, strict=True)])
    i_min = np.array([s + int(np.argmin(safe_lo[s:e])) for s, e in zip(starts, ends, strict=True)])
    idx = np.unique(np.concatenate((i_min, i_max)))
    return x[idx], y[idx]
