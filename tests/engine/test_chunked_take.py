"""`cells.take` / `cells.take_rows`: the cells asked for, in the order asked, from columns in many
chunks (what the CSV reader gives) without Arrow's join of the whole column first."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from engine.cells import take, take_rows


def chunked_text() -> pa.ChunkedArray:
    sizes = [(0, 5), (5, 0), (5, 7), (12, 3)]           # an empty chunk in the middle, as the reader can give
    return pa.chunked_array([pa.array([f"s{i}" for i in range(a, a + k)], pa.string()) for a, k in sizes])


def chunked_types() -> pa.ChunkedArray:                # each chunk with its own dictionary
    return pa.chunked_array([pa.array(["Pump", "Valve", "Pump"]).dictionary_encode(),
                             pa.array(["Reactor", "Pump"]).dictionary_encode()])


@pytest.mark.parametrize("col", [chunked_text(), chunked_types(), chunked_text().chunk(2),
                                 pa.chunked_array([chunked_text().chunk(2)])])
def test_take_gives_what_arrow_gives(col):
    n = len(col)
    rng = np.random.default_rng(7)
    for at in (np.array([], np.int64), np.arange(n), rng.integers(0, n, 25), np.array([n - 1, 0, n - 1])):
        assert take(col, at).to_pylist() == col.take(pa.array(at, pa.int64())).to_pylist()


def test_take_refuses_rows_past_the_end_instead_of_dropping_them():
    with pytest.raises(IndexError):
        take(chunked_text(), np.array([3, 15]))
    with pytest.raises(IndexError):
        take(chunked_text(), np.array([-1]))


def test_take_rows_keeps_the_schema_and_the_order_asked():
    t = pa.table({"name": chunked_text(),
                  "n": pa.chunked_array([pa.array(range(5)), pa.array([], pa.int64()), pa.array(range(7)),
                                         pa.array(range(3))])})
    got = take_rows(t, np.array([14, 3, 0]))
    assert got.schema == t.schema
    assert got.to_pylist() == t.take(pa.array([14, 3, 0])).to_pylist()
