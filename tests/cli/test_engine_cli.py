"""`main.py validate|stats|compare`: exit codes, JSON shapes, one clear line on failure."""
import json
import subprocess
import sys

import pytest

from ..conftest import CORPUS, ROOT

GOOD = CORPUS / "mimo-to__Chemical-Equipment-Parameter-Visualizer.csv"
BAD = CORPUS / "mimo-to__Chemical-Equipment-Parameter-Visualizer__invalid_missing_columns.csv"
OTHER = CORPUS / "iZiaur__ChemViz.csv"


def run(*args):
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_validate_json_accepted():
    out = run("validate", GOOD, "--json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert {"valid", "rows_total", "rows_accepted", "issues", "notes"} <= set(d)
    assert d["valid"] is True and d["rows_accepted"] == 15


def test_validate_rejected_file_exits_1_and_names_the_missing_columns():
    out = run("validate", BAD)
    assert out.returncode == 1
    assert "Missing required columns: Pressure, Temperature" in out.stdout
    d = json.loads(run("validate", BAD, "--json").stdout)
    assert d["valid"] is False and d["issues"][0]["code"] == "missing_column"


def test_stats_json_is_seed_shaped():
    out = run("stats", GOOD, "--json")
    assert out.returncode == 0
    s = json.loads(out.stdout)
    assert s["total_equipment"] == 15 and s["by_type"]["Pump"]["count"] == 4
    assert set(s["overall"]) >= {"avg_flowrate", "avg_pressure", "avg_temperature"}


def test_stats_table_and_rejection_on_stderr():
    out = run("stats", GOOD)
    assert out.returncode == 0 and "Pump" in out.stdout and "L/min" in out.stdout
    out = run("stats", BAD)
    assert out.returncode == 1 and "Missing required column" in out.stderr and out.stdout == ""


def test_compare_json_and_table():
    out = run("compare", GOOD, OTHER, "--json")
    assert out.returncode == 0
    c = json.loads(out.stdout)
    assert "Condenser" in c["only_in_a"] and "Column" in c["only_in_b"]
    out = run("compare", GOOD, OTHER)
    assert "only in B" in out.stdout


@pytest.mark.parametrize("args", [("validate", "/nonexistent/file.csv"), ("stats", "/")])
def test_failures_are_one_line_never_a_traceback(args):
    out = run(*args)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr + out.stdout


def test_unknown_command_is_a_usage_error():
    out = run("frobnicate")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_pressure_absolute_flag(tmp_path):
    p = tmp_path / "abs.csv"
    p.write_text("Equipment Name,Type,Flowrate,Pressure (bar),Temperature\nA,Pump,1,3.01325,20\n")
    gauge = json.loads(run("stats", p, "--json").stdout)
    absolute = json.loads(run("stats", p, "--json", "--pressure", "absolute").stdout)
    assert gauge["overall"]["avg_pressure"] == pytest.approx(3.01325, abs=1e-3)
    assert absolute["overall"]["avg_pressure"] == pytest.approx(2.0, abs=1e-3)


def test_map_unit_and_type_alias_flags(tmp_path):
    p = tmp_path / "odd.csv"
    p.write_text("Tag,Kind,Q (m3/h),P,T\nP-1,Centrifugal,6,2,20\n")
    assert run("validate", p).returncode == 1
    out = run("stats", p, "--json", "--map", "Name=Tag,Type=Kind,Flowrate=Q (m3/h),Pressure=P,Temperature=T",
              "--unit", "Pressure=psig", "--type-alias", "Centrifugal=Pump")
    assert out.returncode == 0, out.stdout + out.stderr
    s = json.loads(out.stdout)
    assert s["by_type"]["Pump"]["avg_flowrate"] == pytest.approx(100.0, abs=1e-3)
    assert s["by_type"]["Pump"]["avg_pressure"] == pytest.approx(2 * 0.0689475729, abs=1e-3)
    bad = run("validate", p, "--map", "Name")
    assert bad.returncode == 2 and "--map" in bad.stderr and "Traceback" not in bad.stderr


def test_sheet_and_header_row_flags(tmp_path):
    from ..engine.helpers import write_xlsx
    cols = ["Equipment Name", "Type", "Flowrate", "Pressure", "Temperature"]
    p = write_xlsx(tmp_path / "wb.xlsx", {"Cover": [["Plant 4"]],
                                          "Data": [["Readings"], cols, ["A", "Pump", 1, 2, 3], ["B", "Pump", "x", 2, 3]]})
    out = run("validate", p, "--json", "--sheet", "Data", "--header-row", "2")
    d = json.loads(out.stdout)
    assert out.returncode == 0 and d["rows_accepted"] == 1
    assert [i["row"] for i in d["issues"] if i["code"] == "not_a_number"] == [4]   # the workbook's row
    out = run("validate", p, "--sheet", "2", "--header-row", "1")
    assert out.returncode == 1 and "Missing required columns" in out.stdout
    out = run("validate", p, "--sheet", "Nope")
    assert out.returncode == 1 and "no sheet 'Nope'" in out.stdout


TIME_SERIES = CORPUS / "ashwinms705-crypto__Chemical-Equipment-Parameter-Visualizer.csv"


def test_validate_and_stats_json_on_a_time_series():
    d = json.loads(run("validate", TIME_SERIES, "--json", "--timezone", "UTC").stdout)
    assert d["valid"] is True and d["time_series"] is True and (d["rows_accepted"], d["rows_excluded"]) == (10, 0)
    out = run("stats", TIME_SERIES, "--json", "--timezone", "Asia/Kolkata")
    assert out.returncode == 0, out.stderr
    s = json.loads(out.stdout)
    assert s["total_equipment"] == 5 and s["readings"] == 7 and s["readings_not_running"] == 3
    assert s["first_reading"] == "2023-10-01T02:30:00+00:00"
    every = json.loads(run("stats", TIME_SERIES, "--json", "--all-status").stdout)
    assert every["readings"] == 10 and every["running_only"] is False
    text = run("stats", TIME_SERIES, "--timezone", "UTC").stdout
    assert "5 equipment, 7 readings" in text and "--all-status" in text


def test_bad_timezone_is_a_usage_error():
    out = run("validate", TIME_SERIES, "--timezone", "Mars/Olympus")
    assert out.returncode == 2 and "--timezone" in out.stderr
