"""The overall median is found in the per-type sorted values instead of a second sort of the whole
column: it must be the value a sort of every accepted value gives, in every shape of data."""
import numpy as np
import pandas as pd
import pytest

from engine import schema
from engine.stats import _quantiles, compute_statistics


def _frame(values: np.ndarray, types: list[str | None]) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({schema.NAME: [f"E-{i}" for i in range(n)],
                         schema.TYPE: pd.Categorical(types),
                         schema.FLOWRATE: values, schema.PRESSURE: values[::-1].copy(),
                         schema.TEMPERATURE: np.round(values * 3.7, 1)})


def _sorted_median(frame: pd.DataFrame, column: str) -> float | None:
    """What a sort of the column (grouped by type, as the statistics gather it) gives."""
    codes = frame[schema.TYPE].cat.codes.to_numpy().astype(np.int16)
    v = frame[column].to_numpy()[np.argsort(codes, kind="stable")]
    m = float(_quantiles(np.sort(v), (0.5,))[0])
    return None if not np.isfinite(m) else round(m, 4)


CASES = {
    "ties": lambda rng, n: rng.integers(0, 5, n).astype(float),
    "spread": lambda rng, n: rng.normal(100, 30, n).round(2),
    "infinite": lambda rng, n: np.where(rng.random(n) < 0.3, np.inf, rng.integers(0, 9, n).astype(float)),
    "signed zeros": lambda rng, n: np.where(rng.random(n) < 0.5, -0.0, 0.0) * rng.integers(0, 2, n),
    "nan": lambda rng, n: np.where(rng.random(n) < 0.4, np.nan, rng.integers(0, 9, n).astype(float)),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("n_types", [1, 2, 7, 67])
def test_overall_median_is_the_sorted_columns(case, n_types):
    rng = np.random.default_rng(n_types)
    for n in (1, 2, 3, 10, 101, 1000):
        values = CASES[case](rng, n)
        types = [f"T{int(k)}" for k in rng.integers(0, n_types, n)]
        types = [None if rng.random() < 0.05 else t for t in types]   # rows without a type count overall
        frame = _frame(values, types)
        overall = compute_statistics(frame)["overall"]
        for column in schema.NUMERIC_COLUMNS:
            key = schema.STAT_KEY[column]
            assert overall[f"median_{key}"] == _sorted_median(frame, column), (case, n, column)
