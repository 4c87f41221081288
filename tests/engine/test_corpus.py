"""Every real-world file in the corpus either loads or is refused with a specific message; accepted
files' statistics match values computed independently here with the csv module."""
import csv
import io
from collections import defaultdict
from pathlib import Path

import pytest

import engine
from engine import schema

from ..conftest import CORPUS

FILES = sorted(CORPUS.glob("*.csv"))
REFUSED = {
    "ashwinms705-crypto__Chemical-Equipment-Parameter-Visualizer.csv": "missing_column",
    "catherinjenira__Fossee-Internship.csv": "missing_column",
    "catherinjenira__Fossee-Internship__sample_sensor_data.csv": "missing_column",
    "mimo-to__Chemical-Equipment-Parameter-Visualizer__invalid_bad_data.csv": "no_valid_rows",
    "mimo-to__Chemical-Equipment-Parameter-Visualizer__invalid_empty.csv": "no_data_rows",
    "mimo-to__Chemical-Equipment-Parameter-Visualizer__invalid_missing_columns.csv": "missing_column",
}


def test_corpus_is_present():
    assert len(FILES) >= 78


def _independent_stats(path: Path) -> dict[str, dict[str, float]]:
    """Plain-Python reading of a simple comma file: first occurrence of each name wins."""
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text.lstrip("\r\n"), newline=None))
    header = next(reader)
    seen, groups = set(), defaultdict(list)
    for row in reader:
        if not any(c.strip() for c in row):
            continue
        name = row[0].strip().lower()
        if name in seen:
            continue
        seen.add(name)
        try:
            vals = [float(row[i]) for i in (2, 3, 4)]
        except ValueError:
            continue
        groups[schema.display_type(row[1])].append(vals)
    return {t: {"count": len(v), "avg_flowrate": sum(x[0] for x in v) / len(v),
                "max_temperature": max(x[2] for x in v)} for t, v in groups.items()}


@pytest.mark.parametrize("path", FILES, ids=[p.name[:50] for p in FILES])
def test_corpus_file(path):
    res = engine.load(path)
    if path.name in REFUSED:
        assert not res.accepted
        errors = res.report.file_errors
        assert errors and errors[0].code == REFUSED[path.name]
        assert len(errors[0].message) > 20
        if errors[0].code == "missing_column":
            assert "Headers found" in errors[0].message
        return
    assert res.accepted, res.report.summary()
    want = _independent_stats(path)
    got = res.statistics["by_type"]
    assert set(got) == set(want)
    for t, w in want.items():
        assert got[t]["count"] == w["count"]
        assert got[t]["avg_flowrate"] == pytest.approx(w["avg_flowrate"], abs=1e-3)
        assert got[t]["max_temperature"] == pytest.approx(w["max_temperature"], abs=1e-3)
    assert res.frame[~res.frame[schema.EXCLUDED]][schema.FLOWRATE].notna().all()


def test_kelvin_file_in_corpus_is_flagged():
    res = engine.load(CORPUS / "Md-Amaan49__chemical-equipment-visualizer.csv")
    assert res.accepted and "temperature_maybe_kelvin" in {i.code for i in res.report.issues}
