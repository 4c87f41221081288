"""Trend buckets equal an independent computation; decimation keeps every spike."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from engine.trends import bucket, data_points, minmax_decimate


def readings(n: int = 3000, seed: int = 7) -> tuple[list[datetime], np.ndarray]:
    rng = np.random.default_rng(seed)
    start = datetime(2026, 1, 19, 22, 30, tzinfo=timezone.utc)        # a Monday evening
    times = [start + timedelta(minutes=int(m)) for m in np.sort(rng.integers(0, 60 * 24 * 10, n))]
    values = rng.normal(100, 5, n)
    values[::97] = np.nan                                              # gaps are left out
    return times, values


def by_hand(times: list[datetime], values: np.ndarray, key) -> dict[str, tuple[float, int]]:
    acc: dict[str, list[float]] = defaultdict(list)
    for t, v in zip(times, values, strict=True):
        if not np.isnan(v):
            acc[key(t).strftime("%Y-%m-%dT%H:%M:%SZ")].append(float(v))
    return {k: (sum(vs) / len(vs), len(vs)) for k, vs in sorted(acc.items())}


@pytest.mark.parametrize("interval,key", [
    ("hourly", lambda t: t.replace(minute=0, second=0, microsecond=0)),
    ("daily", lambda t: t.replace(hour=0, minute=0, second=0, microsecond=0)),
    ("weekly", lambda t: (t - timedelta(days=t.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)),
])
def test_buckets_equal_an_independent_computation(interval, key):
    times, values = readings()
    points = data_points(bucket(times, values, interval))
    expected = by_hand(times, values, key)
    assert [p["timestamp"] for p in points] == list(expected)
    for p in points:
        mean, count = expected[p["timestamp"]]
        assert p["count"] == count and p["value"] == pytest.approx(mean, rel=1e-12)


def test_raw_keeps_every_reading_and_naive_times_are_utc():
    b = bucket(pd.to_datetime(["2026-01-01 10:00", "2026-01-01 09:00"]), np.array([2.0, 1.0]), "raw")
    assert data_points(b) == [{"timestamp": "2026-01-01T09:00:00Z", "value": 1.0, "count": 1},
                              {"timestamp": "2026-01-01T10:00:00Z", "value": 2.0, "count": 1}]
    with pytest.raises(ValueError, match="interval must be one of"):
        bucket([], np.array([]), "monthly")


def test_minmax_decimation_keeps_spikes_and_bounds_the_size():
    n = 525_600                                                        # a year of one-minute readings
    x = np.arange(n, dtype=np.int64) * 60
    y = np.sin(np.arange(n) / 500.0)
    y[123_457] = 50.0
    y[400_001] = -40.0
    dx, dy = minmax_decimate(x, y, 1000)
    assert len(dx) <= 2000 and np.all(np.diff(dx) > 0)
    assert dy.max() == 50.0 and dy.min() == -40.0
    assert 123_457 * 60 in dx and 400_001 * 60 in dx
