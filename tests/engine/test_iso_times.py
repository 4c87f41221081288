"""The fixed-shape ISO reader reads a time exactly as pandas' ISO 8601 parser does, or leaves it to it."""
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.iso_times import fixed_iso_ns
from engine.timestamps import parse_times

_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")


def _pandas_ns(cell: str) -> int | None:
    try:
        t = pd.to_datetime(pd.Series([cell], dtype=object), format="ISO8601", errors="coerce")[0]
    except ValueError:
        return None
    if pd.isna(t) or t.tzinfo is not None or not 1677 < t.year < 2262:
        return None
    return int(t.as_unit("ns").value)


def test_cells_read_from_bytes_match_pandas():
    rng = np.random.default_rng(7)
    cells = ["2024-02-29 12:00:00", "2023-02-29 12:00:00", "2024-01-01T23:59:59", "2024-01-01T24:00:00",
             "1700-01-01 00:00:00", "1699-12-31 23:59:59", "2200-12-31 23:59:59", "2024-01-01 00:00:60",
             "2024-01-01t00:00:00", "2024/01/01 00:00:00", "2024-01-01 00:00", "2024-01-01 00:00:00.5",
             "2024-1-01 00:00:00 ", "", "n/a", "2024-13-45 99:00:00", "2024-04-31 10:00:00"]
    for _ in range(3000):
        y, mo, d = int(rng.integers(1690, 2210)), int(rng.integers(0, 14)), int(rng.integers(0, 33))
        h, mi, s = int(rng.integers(0, 26)), int(rng.integers(0, 62)), int(rng.integers(0, 62))
        cells.append(f"{y:04d}-{mo:02d}-{d:02d}{rng.choice([' ', 'T'])}{h:02d}:{mi:02d}:{s:02d}")
    ns, ok = fixed_iso_ns(pa.chunked_array([pa.array(cells[:1000]), pa.array(cells[1000:])]))
    for cell, value, read in zip(cells, ns, ok, strict=True):
        want = _pandas_ns(cell)
        if read:
            assert want == value, cell
        else:   # left to pandas: only cells of another shape, a bad date or outside 1700-2200
            assert want is None or not _SHAPE.match(cell) or not 1700 <= int(cell[:4]) <= 2200, cell
    assert ok[:3].tolist() == [True, False, True] and not ok[3]


def test_mixed_column_reads_like_pandas_alone():
    cells = ["2024-03-31 01:30:00", "2024-03-31T02:30:00", "2024-03-31 03:30:00.250", "yesterday", "",
             "2024-02-30 00:00:00", "2024-06-01 12:00"] * 50
    got = parse_times(pd.Series(cells), "Europe/Berlin")
    parsed = pd.to_datetime(pd.Series(cells, dtype=object), format="ISO8601", errors="coerce")
    local = parsed.dt.tz_localize("Europe/Berlin", ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    assert got.ambiguous.sum() == 50 and got.bad.sum() == 150
    np.testing.assert_array_equal(np.asarray(got.utc.asi8), pd.DatetimeIndex(local).as_unit("ns").asi8)
