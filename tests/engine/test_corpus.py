"""Every real-world file in the corpus either loads or is refused with a specific message; accepted
files' statistics match values computed independently here with the csv module."""
import csv
import io
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

import engine
from engine import schema

from ..conftest import CORPUS

FILES = sorted(CORPUS.glob("*.csv"))
TIME_SERIES = "ashwinms705-crypto__Chemical-Equipment-Parameter-Visualizer.csv"  # EquipmentID,Timestamp,...,Status
REFUSED = {
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
    next(reader)   # the header
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
    if path.name == TIME_SERIES:
        return   # test_time_series_file_in_corpus
    assert schema.TIMESTAMP not in res.frame.columns   # every other file is a snapshot, read as before
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


def test_time_series_file_in_corpus_loads_every_reading():
    """`EquipmentID,Timestamp,FlowRate,Pressure,Temperature,Status`: 5 equipment, 10 readings, none
    excluded; no Type column, so Unassigned (a warning); running only by default: the 2 Maintenance
    and 1 Offline readings stay in the frame but not in the figures."""
    res = engine.load(CORPUS / TIME_SERIES, timezone="UTC")
    r = res.report
    assert res.accepted and (r.rows_total, r.rows_accepted, r.rows_excluded) == (10, 10, 0)
    codes = {i.code: i.severity for i in r.issues}
    assert codes == {"timestamps_read": "info", "type_unassigned": "warning"}
    f = res.frame
    assert str(f[schema.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert f[schema.TIMESTAMP].iloc[0] == pd.Timestamp("2023-10-01 08:00", tz="UTC")
    assert f[schema.STATUS].tolist().count("active") == 7 and set(f[schema.STATUS]) == {"active", "maintenance",
                                                                                       "inactive"}
    s = res.statistics
    assert s["total_equipment"] == 5 and s["readings"] == 7 and s["readings_not_running"] == 3
    assert s["running_only"] is True and s["rows_excluded"] == 0
    assert list(s["by_type"]) == ["Unassigned"] and s["by_type"]["Unassigned"]["equipment"] == 5
    running = [120.5, 118.2, 121.0, 119.5, 110.1, 122.1, 117.8]
    assert s["overall"]["avg_flowrate"] == pytest.approx(sum(running) / 7, abs=1e-4)
    every = engine.load(CORPUS / TIME_SERIES, timezone="UTC", running_only=False).statistics
    assert every["readings"] == 10 and every["overall"]["min_flowrate"] == 0.0 and "readings_not_running" in every
    india = engine.load(CORPUS / TIME_SERIES, timezone="Asia/Kolkata")
    assert india.statistics["first_reading"] == "2023-10-01T02:30:00+00:00"


def test_repeated_names_without_times_stay_a_snapshot():
    """Dataset_Test_3_ has no time column: its 180 rows are 10 names, each given 5 to 7 different
    types, not readings of the same equipment. Snapshot rule: the first row of each name is kept."""
    res = engine.load(CORPUS / "Aakash-Lalwani__chemical-equipment-visualizer__Dataset_Test_3_.csv")
    r = res.report
    assert (r.rows_total, r.rows_accepted) == (180, 10) and r.excluded_reasons == {"duplicate_name": 170}
    assert schema.TIMESTAMP not in res.frame.columns and res.statistics["total_equipment"] == 10
