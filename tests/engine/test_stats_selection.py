"""Quartiles, medians, whiskers and extremes are found by selection (np.partition, masked min/max)
instead of sorting each type's values: they must be the very numbers a sort gives, bit for bit and
down to the sign of a zero (`-0.0` is kept in the JSON), in every shape of data."""
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import schema
from engine.stats import MAX_OUTLIER_ROWS, _figures_selected, _figures_sorted, _median_in_place, compute_statistics

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")   # inf - inf, on purpose
KEYS = ("avg", "min", "max", "std", "median", "q1", "q3", "whislo", "whishi")


def _lerp(s: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile of a sorted array."""
    pos = q * (len(s) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def _r(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 4)


def _reference(values: np.ndarray, rows: np.ndarray) -> dict:
    """One type's figures straight from np.sort: whiskers on the extreme sorted values inside the
    1.5×IQR fence (none inside, or a NaN fence: q1 and q3), outliers outside it in file order."""
    s = np.sort(values)
    q1, med, q3 = (_lerp(s, q) for q in (0.25, 0.5, 0.75))
    lo, hi = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    inside = s[(s >= lo) & (s <= hi)]
    whislo, whishi = (inside[0], inside[-1]) if len(inside) else (q1, q3)
    out = dict(zip(KEYS, map(_r, (values.mean(), s[0], s[-1], values.std(ddof=1) if len(values) > 1 else np.nan,
                                  med, q1, q3, whislo, whishi)), strict=True))
    mask = (values < lo) | (values > hi)
    return {**out, "outliers": {"count": int(mask.sum()), "rows": rows[mask][:MAX_OUTLIER_ROWS].tolist()}}


def _frame(types: list[str | None], values: np.ndarray) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({schema.NAME: [f"E-{i}" for i in range(n)], schema.TYPE: pd.Categorical(types),
                         schema.FLOWRATE: values, schema.PRESSURE: values[::-1].copy(),
                         schema.TEMPERATURE: values * -1.0})   # -1.0 turns each zero's sign over


def _check(frame: pd.DataFrame) -> None:
    """compute_statistics on the frame gives the reference figures of every type and parameter, and
    the overall median of a sort of each whole column (gathered type by type, as the engine does)."""
    stats = compute_statistics(frame)
    codes = frame[schema.TYPE].cat.codes.to_numpy()
    rows = np.arange(2, len(frame) + 2)
    for column in schema.NUMERIC_COLUMNS:
        key = schema.STAT_KEY[column]
        v = frame[column].to_numpy()
        for code, name in enumerate(frame[schema.TYPE].cat.categories):
            if not (codes == code).any():
                continue
            want = _reference(v[codes == code], rows[codes == code])
            got = stats["by_type"][name]
            got = {**{k: got[f"{k}_{key}"] for k in KEYS}, "outliers": got["outliers"][key]}
            assert json.dumps(got) == json.dumps(want), (name, column)   # JSON: -0.0 is not 0.0
        whole = np.sort(v[np.argsort(codes.astype(np.int16), kind="stable")])
        assert json.dumps(stats["overall"][f"median_{key}"]) == json.dumps(_r(_lerp(whole, 0.5))), column


TIES = [-0.0, 0.0, 1.0, 2.5, -3.0, 7.0, 7.0, 100.0]
VALUES = st.one_of(st.sampled_from(TIES), st.floats(allow_nan=False, width=64),
                   st.integers(-5, 5).map(float))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 70), VALUES), min_size=1, max_size=300),
       st.integers(1, 70))
def test_statistics_equal_a_sort_of_each_type(pairs, n_types):
    """Random data with ties, signed zeros and infinities, in up to 70 types (tiny ones included)."""
    types = [None if t == 70 else f"T{t % n_types:02d}" for t, _v in pairs]   # no type: overall only
    _check(_frame(types, np.array([v for _t, v in pairs])))


@pytest.mark.parametrize("values", [[5.0], [-0.0], [5.0, -0.0], [0.0, -0.0], [-0.0, 0.0, 0.0],
                                    [0.0, -0.0, -0.0], [3.0, -1.0, 3.0], [np.inf, 1.0], [-np.inf, np.inf, 0.0],
                                    [np.nan], [np.nan, 1.0], [1.0, np.nan, -0.0, 0.0]])
def test_tiny_groups(values):
    _check(_frame(["Pump"] * len(values), np.array(values)))


def test_fence_on_a_data_value_keeps_it_inside():
    """q1 = 10, q3 = 20: the fence is [-5, 35]; -5 and 35 are the whiskers, -5.5 and 35.5 outliers."""
    values = np.array([35.5, -5.0, 10, 10, 10, 15, 20, 20, 20, 35.0, -5.5])
    p = compute_statistics(_frame(["Pump"] * len(values), values))["by_type"]["Pump"]
    assert (p["q1_flowrate"], p["q3_flowrate"]) == (10, 20)
    assert (p["whislo_flowrate"], p["whishi_flowrate"]) == (-5, 35)
    assert p["outliers"]["flowrate"] == {"count": 2, "rows": [2, 12]}
    _check(_frame(["Pump"] * len(values), values))


@pytest.mark.parametrize("n_types", [1, 16, 65, 200])
def test_big_columns_with_ties_zeros_and_many_types(n_types):
    """Realistic sizes (the selection path, not the small-group corners): rounded readings with
    many ties, a few zeros of both signs, one type mostly zeros of both signs (its extremes and
    whiskers are zeros: a sort decides their signs), one all -0.0, a few NaN in one type."""
    rng = np.random.default_rng(n_types)
    n = 60_000
    values = rng.normal(100, 30, n).round(1)
    values[rng.choice(n, 40, replace=False)] = np.where(rng.random(40) < 0.5, -0.0, 0.0)
    types = np.array([f"T{k:03d}" for k in rng.integers(0, n_types, n)], dtype=object)
    zeros = rng.choice(n, 3000, replace=False)
    types[zeros[:2000]] = "Zeros"
    values[zeros[:2000]] = np.where(rng.random(2000) < 0.5, -0.0, 0.0)
    types[zeros[2000:2500]] = "Negative zeros"
    values[zeros[2000:2500]] = -0.0
    types[zeros[2500:]] = "With NaN"
    values[zeros[2500:2520]] = np.nan
    _check(_frame(list(types), values))


@pytest.mark.parametrize("seed", range(4))
def test_figures_that_are_zeros_of_both_signs_keep_the_sorts_sign(seed):
    """Most readings zero, of either sign: the extremes and whiskers are zeros, and which of them a
    sort puts where decides the sign in the JSON (a selection often picks the other one); the
    quartiles, interpolated, are 0.0."""
    rng = np.random.default_rng(seed)
    n = 5001
    values = np.where(rng.random(n) < 0.5, -0.0, 0.0)
    some = rng.random(n) < 0.2
    values[some] = rng.normal(0, 10, some.sum()).round(1)
    _check(_frame([f"T{k}" for k in rng.integers(0, 3, n)], values))


@pytest.mark.parametrize("seed", range(6))
def test_whiskers_that_are_zeros_of_both_signs_keep_the_sorts_sign(seed):
    """A whisker on a zero beside zeros of the other sign, the extremes beyond the fence: the sign
    of that zero is the one a sort puts first (low whisker) or last (high whisker) inside it."""
    rng = np.random.default_rng(seed)
    n = 3000
    values = rng.integers(1, 100, n).astype(float) * (1 if seed % 2 else -1)   # high whisker: negatives
    zeros = rng.random(n) < 0.1
    values[zeros] = np.where(rng.random(zeros.sum()) < 0.5, -0.0, 0.0)
    values[:5] = -1000.0 if seed % 2 else 1000.0   # outliers, so the min/max are not the zeros
    _check(_frame(["Pump"] * n, values))


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=200))
def test_selected_figures_are_the_sorted_ones_bit_for_bit(values):
    """Before rounding: the selection gives the sort's bits, or declines (only NaN or an extreme or
    whisker that is a zero beside zeros of the other sign may make it decline)."""
    v = np.array(values)
    selected, by_sort = _figures_selected(v), _figures_sorted(v)
    if selected is None:
        zeros = np.signbit(v[v == 0])
        assert zeros.any() and not zeros.all()
    else:
        assert np.array(selected).view(np.int64).tolist() == np.array(by_sort).view(np.int64).tolist()
    assert np.array(_median_in_place(v.copy())).view(np.int64) == np.array(_lerp(np.sort(v), 0.5)).view(np.int64)


def test_selection_is_used_for_ordinary_readings():
    """Readings without zeros or NaN never fall back on the sort (the point of selecting)."""
    rng = np.random.default_rng(0)
    for n in (1, 2, 3, 4, 5, 100, 10_001):
        assert _figures_selected(rng.normal(100, 30, n).round(2)) is not None


def test_a_median_never_reorders_a_column_while_its_overall_figures_read_it(monkeypatch):
    """The median selects in place on the gathered copy; the job that sums that copy (mean, std)
    must be done first, however the two workers are scheduled. Here the first parameter's overall
    figures are held back while the other worker runs ahead to that parameter's median."""
    import threading
    import time

    import pandas as pd

    from engine import stats
    from engine.workers import PARALLEL_MIN_ROWS
    rng = np.random.default_rng(2)
    n = PARALLEL_MIN_ROWS + 1000   # the worker threads, not the calling thread
    frame = pd.DataFrame({"Equipment Name": np.arange(n).astype(str),
                          "Type": pd.Categorical(rng.choice(["Pump", "Valve", "Reactor"], n)),
                          "Flowrate": rng.normal(100, 20, n), "Pressure": rng.normal(5, 1, n),
                          "Temperature": rng.normal(80, 10, n)})
    real = stats._overall_figures
    reordered: list[bool] = []
    first = threading.Event()

    def held_back(v: np.ndarray, key: str) -> dict:
        if not first.is_set():
            first.set()
            before = v.copy()
            time.sleep(0.5)
            reordered.append(not np.array_equal(v, before))
        return real(v, key)

    monkeypatch.setattr(stats, "_overall_figures", held_back)
    stats.compute_statistics(frame)
    assert reordered == [False]
