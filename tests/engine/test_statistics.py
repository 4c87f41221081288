"""Statistics in the seed's shape, computed over accepted rows; comparison; formula safety."""
import json

import numpy as np
import pandas as pd
import pytest

import engine

from .helpers import HEADER, load_text

SEED_ROWS = [  # the seed's example: Pump 4 rows, Compressor 2 rows
    ("Pump-1", "Pump", 120, 5.2, 110), ("Pump-2", "Pump", 132, 5.9, 119),
    ("Pump-3", "Pump", 125, 5.4, 115), ("Pump-4", "Pump", 130, 5.5, 118),
    ("Compressor-1", "Compressor", 95, 8.0, 95), ("Compressor-2", "Compressor", 100, 8.4, 98),
]


def _csv(rows):
    return HEADER + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n"


def test_statistics_have_the_seed_shape(tmp_path):
    s = load_text(tmp_path, _csv(SEED_ROWS)).statistics
    assert {"total_equipment", "by_type", "overall"} <= set(s)
    assert s["total_equipment"] == 6
    pump = s["by_type"]["Pump"]
    for key in ("count", "avg_flowrate", "avg_pressure", "avg_temperature", "min_flowrate", "max_flowrate",
                "min_pressure", "max_pressure", "min_temperature", "max_temperature"):
        assert key in pump
    assert pump["count"] == 4 and pump["avg_flowrate"] == 126.75 and pump["min_flowrate"] == 120
    assert set(s["overall"]) >= {"avg_flowrate", "avg_pressure", "avg_temperature"}
    assert s["overall"]["avg_flowrate"] == pytest.approx(np.mean([r[2] for r in SEED_ROWS]), abs=1e-4)
    json.dumps(s)  # plain JSON


def test_extras_std_median_quartiles_and_outliers(tmp_path):
    rows = [(f"P-{i}", "Pump", v, 1, 20) for i, v in enumerate([10, 11, 12, 13, 14, 100])]
    p = load_text(tmp_path, _csv(rows)).statistics["by_type"]["Pump"]
    vals = np.array([10, 11, 12, 13, 14, 100.0])
    assert p["std_flowrate"] == pytest.approx(vals.std(ddof=1), abs=1e-4)
    assert p["median_flowrate"] == pytest.approx(np.median(vals))
    assert p["q1_flowrate"] == pytest.approx(np.percentile(vals, 25))
    assert p["outliers"]["flowrate"] == {"count": 1, "rows": [7]}  # spreadsheet row of the 100


def test_filter_by_type(tmp_path):
    s = load_text(tmp_path, _csv(SEED_ROWS)).statistics
    f = engine.filter_by_type(s, "pump")
    assert list(f["by_type"]) == ["Pump"] and f["total_equipment"] == 4
    assert f["overall"]["avg_flowrate"] == 126.75
    assert engine.filter_by_type(s, "Valve")["total_equipment"] == 0


def test_compare_marks_types_present_in_one_dataset(tmp_path):
    a = load_text(tmp_path, _csv(SEED_ROWS)).statistics
    b = load_text(tmp_path, _csv(SEED_ROWS[:4] + [("V-1", "Valve", 50, 3, 30)])).statistics
    c = engine.compare_statistics(a, b)
    assert c["only_in_a"] == ["Compressor"] and c["only_in_b"] == ["Valve"]
    assert c["by_type"]["Pump"]["presence"] == "both"
    assert c["by_type"]["Pump"]["avg_flowrate"]["diff"] == 0
    assert c["by_type"]["Valve"]["avg_flowrate"] == {"a": None, "b": 50.0, "diff": None, "pct": None}
    assert c["total_equipment"]["diff"] == -1


def test_formula_cells_are_neutralised():
    df = pd.DataFrame({"Equipment Name": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "P-1"],
                       "Flowrate": [1.0, -2.0, 3.0, 4.0, 5.0]})
    out = engine.neutralise_frame(df)
    assert list(out["Equipment Name"]) == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "P-1"]
    assert list(out["Flowrate"]) == [1.0, -2.0, 3.0, 4.0, 5.0]  # numbers untouched
    assert engine.neutralise("=1+1") == "'=1+1" and engine.neutralise(3) == 3
