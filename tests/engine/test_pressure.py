"""Issue 12, pressure: canonical bar gauge; gauge, absolute and vacuum units; a mode for plain
units; negative gauge (vacuum) accepted down to a perfect vacuum."""
import pytest

from engine import schema
from engine.units import ATMOSPHERE_BAR

from .helpers import issue_tuples, load_text


def _one(tmp_path, header: str, value: str, **kw):
    res = load_text(tmp_path, f"Equipment Name,Type,Flowrate,{header},Temperature\nX-1,Pump,1,{value},20\n", **kw)
    assert res.accepted, res.report.summary()
    return res, res.frame[schema.PRESSURE].iloc[0]


@pytest.mark.parametrize("header,value,bar_g", [
    ("Pressure", "2", 2.0), ("Pressure (bar)", "2", 2.0), ("Pressure (barg)", "2", 2.0),
    ("Pressure (bara)", "2", 2.0 - ATMOSPHERE_BAR), ("Pressure [bar(a)]", "2", 2.0 - ATMOSPHERE_BAR),
    ("Pressure (mbar)", "500", 0.5), ("Pressure (mbarg)", "500", 0.5),
    ("Pressure (kPa)", "500", 5.0), ("Pressure (kPa(g))", "500", 5.0), ("Pressure kPa(g)", "500", 5.0),
    ("Pressure (kPa abs)", "101.325", 0.0), ("Pressure (MPa)", "1.5", 15.0),
    ("Pressure (psi)", "14.5037738", 1.0), ("Pressure (psig)", "14.5037738", 1.0),
    ("Pressure (psia)", "14.6959488", 0.0), ("Pressure (atm)", "1", ATMOSPHERE_BAR),
    ("Pressure (kg/cm²)", "1", 0.980665), ("Pressure (kg/cm2g)", "1", 0.980665),
    ("Pressure (mmHg)", "760", ATMOSPHERE_BAR), ("Pressure (mmHg abs)", "0", -ATMOSPHERE_BAR),
    ("Pressure (mmHg vac)", "760", -ATMOSPHERE_BAR), ("Pressure (inHg vac)", "29.92", -1.01320),
    ("Pressure (inHg)", "1", 0.0338638866667), ("Pressure (Pa)", "100000", 1.0),
])
def test_pressure_units_convert_to_bar_gauge(tmp_path, header, value, bar_g):
    _, got = _one(tmp_path, header, value)
    assert got == pytest.approx(bar_g, abs=1e-4)


def test_absolute_units_say_they_subtracted_one_atmosphere(tmp_path):
    res, _ = _one(tmp_path, "Pressure (psia)", "30")
    (note,) = [i for i in res.report.issues if i.code == "unit_converted"]
    assert "psi (absolute)" in note.message and "1.01325" in note.message and "bar gauge" in note.message


@pytest.mark.parametrize("header,value,bar_g", [
    ("Pressure", "2", 2.0 - ATMOSPHERE_BAR), ("Pressure (bar)", "2", 2.0 - ATMOSPHERE_BAR),
    ("Pressure (kPa)", "101.325", 0.0), ("Pressure (psi)", "14.6959488", 0.0),
    ("Pressure (barg)", "2", 2.0), ("Pressure (psig)", "14.5037738", 1.0),   # gauge stays gauge
])
def test_absolute_mode_reads_plain_units_as_absolute(tmp_path, header, value, bar_g):
    res, got = _one(tmp_path, header, value, pressure_mode="absolute")
    assert got == pytest.approx(bar_g, abs=1e-6)
    if "g)" not in header:
        assert any("1.01325" in i.message for i in res.report.issues if i.code == "unit_converted")


def test_vacuum_is_accepted_and_below_perfect_vacuum_is_a_row_error(tmp_path):
    text = ("Equipment Name,Type,Flowrate,Pressure (barg),Temperature\n"
            "V-1,Vessel,1,-0.95,20\nV-2,Vessel,1,-1.01325,20\nV-3,Vessel,1,-1.2,20\n")
    res = load_text(tmp_path, text)
    assert res.accepted and res.report.rows_accepted == 2
    assert issue_tuples(res, "error") == {(4, schema.PRESSURE, "below_vacuum")}
    assert list(res.frame[~res.frame[schema.EXCLUDED]][schema.PRESSURE]) == [-0.95, -1.01325]


def test_absolute_reading_of_zero_is_a_perfect_vacuum_not_an_error(tmp_path):
    res, got = _one(tmp_path, "Pressure (bara)", "0")
    assert got == pytest.approx(-ATMOSPHERE_BAR)


def test_unknown_pressure_unit_lists_the_known_ones(tmp_path):
    res = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure (furlongs),Temperature\nA,Pump,1,2,3\n")
    (err,) = res.report.file_errors
    assert "psig" in err.message and "bara" in err.message and "mmHg vac" in err.message


def test_bad_pressure_mode_is_a_programming_error(tmp_path):
    with pytest.raises(ValueError):
        load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2,3\n",
                  pressure_mode="relative")
