"""`limits import|export|list`, `alerts`, `ack`, `spc`, `events` (#16) through the real command line,
with small files the tests write; every number is worked out by hand in the comments."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ..conftest import ROOT

ALERT_KEYS = {"id", "equipment", "parameter", "level", "limit", "start", "end", "peak", "duration_s", "state",
              "acknowledged_by", "acknowledged_at", "comment"}
LIMITS = ("scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s\n"
          "type,Pump,pressure,,,5.5,5.8,,\n")
SNAPSHOT = ("Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            "P-1,Pump,10,5.6,80\nP-2,Pump,10,5.9,80\nP-3,Pump,10,5.4,80\nV-1,Valve,10,9.0,80\n")


def run(*args: object) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", TZ="UTC")
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def ok(*args: object) -> str:
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return out.stdout


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def alerts(*args: str) -> list[dict]:
    return json.loads(ok("alerts", "--json", *args))


def minutes(name: str, start_hour: int, start_minute: int, values: list[float], column: str = "Temperature") -> str:
    """A time series of one reading a minute; the other parameters are constant."""
    head = "Tag,Timestamp,Flowrate,Pressure,Temperature"
    rows = []
    for i, v in enumerate(values):
        total = start_hour * 60 + start_minute + i
        stamp = f"2026-03-01T{total // 60:02d}:{total % 60:02d}:00Z"
        cells = {"Flowrate": 1, "Pressure": 1, "Temperature": 1, column: v}
        rows.append(f"{name},{stamp},{cells['Flowrate']},{cells['Pressure']},{cells['Temperature']}")
    return "\n".join([head, *rows]) + "\n"


def test_pump_limits_give_hi_at_5_6_and_hihi_at_5_9_and_nothing_for_a_valve(tmp_path):
    assert "1 limits read, 1 added or changed" in ok("limits", "import", write(tmp_path, "limits.csv", LIMITS))
    ok("import", write(tmp_path, "plant.csv", SNAPSHOT), "--taken-at", "2026-03-01T09:00:00+01:00")
    got = sorted(alerts(), key=lambda a: a["equipment"])
    assert all(set(a) == ALERT_KEYS for a in got)
    assert [(a["equipment"], a["parameter"], a["level"], a["limit"], a["peak"]) for a in got] == \
        [("P-1", "pressure", "hi", 5.5, 5.6), ("P-2", "pressure", "hihi", 5.8, 5.9)]
    a = got[0]
    assert (a["start"], a["end"], a["duration_s"], a["state"]) == \
        ("2026-03-01T08:00:00Z", "2026-03-01T08:00:00Z", 0.0, "cleared-unacknowledged")
    assert (a["acknowledged_by"], a["acknowledged_at"], a["comment"]) == (None, None, "")
    assert alerts("--state", "active") == []


def test_an_equipments_own_limit_overrides_its_type(tmp_path):
    text = LIMITS + "equipment,p-2,pressure,,,7,,,\n"
    ok("limits", "import", write(tmp_path, "limits.csv", text))
    ok("import", write(tmp_path, "plant.csv", SNAPSHOT), "--taken-at", "2026-03-01T08:00:00Z")
    assert [(a["equipment"], a["level"]) for a in alerts()] == [("P-1", "hi")]


def test_reimport_makes_no_new_alert_and_an_acknowledgement_survives_restart(tmp_path):
    ok("limits", "import", write(tmp_path, "limits.csv", LIMITS))
    plant = write(tmp_path, "plant.csv", SNAPSHOT)
    ok("import", plant, "--taken-at", "2026-03-01T08:00:00Z")
    first = alerts()
    ok("import", plant, "--taken-at", "2026-03-01T08:00:00Z")
    assert alerts() == first
    hihi = next(a["id"] for a in first if a["level"] == "hihi")
    out = ok("ack", hihi, "--comment", "relief valve checked", "--user", "ana")
    assert f"acknowledged {hihi} as ana" in out
    # every CLI call opens and closes the store: this is a restart
    acked = next(a for a in alerts() if a["id"] == hihi)
    assert (acked["state"], acked["acknowledged_by"], acked["comment"]) == \
        ("cleared-acknowledged", "ana", "relief valve checked")
    assert acked["acknowledged_at"].endswith("Z")
    assert [a["id"] for a in alerts("--state", "unacked")] == [a["id"] for a in first if a["id"] != hihi]
    again = run("ack", hihi, "--comment", "again")
    assert again.returncode == 0 and "already acknowledged by ana" in again.stderr
    bad = run("ack", hihi, 4242, "--comment", "x")
    assert bad.returncode == 1 and "no alert with id 4242" in bad.stderr and "Traceback" not in bad.stderr


def test_ack_without_user_takes_the_os_user_name(tmp_path):
    ok("limits", "import", write(tmp_path, "limits.csv", LIMITS))
    ok("import", write(tmp_path, "plant.csv", SNAPSHOT), "--taken-at", "2026-03-01T08:00:00Z")
    ident = alerts()[0]["id"]
    env_user = os.environ.get("USER") or os.environ.get("LOGNAME")
    ok("ack", ident, "--comment", "seen")
    user = next(a for a in alerts() if a["id"] == ident)["acknowledged_by"]
    assert user and (env_user is None or user == env_user)


def test_an_alert_still_active_at_the_end_of_a_file_continues_in_the_next(tmp_path):
    ok("limits", "import", write(tmp_path, "limits.csv",
                                 "scope,name,parameter,hi\nequipment,R-1,temperature,150\n"))
    ok("import", write(tmp_path, "a.csv", minutes("R-1", 10, 0, [140, 155, 158])))
    assert ok("import", write(tmp_path, "b.csv", minutes("R-1", 9, 0, [140])))    # an earlier file: no change
    active = alerts("--state", "active")
    assert [(a["start"], a["end"], a["peak"], a["duration_s"]) for a in active] == \
        [("2026-03-01T10:01:00Z", None, 158.0, 60.0)]        # so far: 10:02 - 10:01
    ok("import", write(tmp_path, "c.csv", minutes("R-1", 10, 3, [161, 149])))
    got = alerts()
    assert [(a["id"], a["start"], a["end"], a["peak"], a["duration_s"]) for a in got] == \
        [(active[0]["id"], "2026-03-01T10:01:00Z", "2026-03-01T10:04:00Z", 161.0, 180.0)]


def test_limits_export_round_trips_and_list_shows_them(tmp_path):
    text = ("scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s\n"
            "equipment,P-101,temperature,0,10,150,170,0.5,60\n"
            "type,Pump,pressure,,,5.5,5.8,0.1,0\n")
    ok("limits", "import", write(tmp_path, "in.csv", text))
    out = tmp_path / "out.csv"
    assert "wrote 2 limits" in ok("limits", "export", out)
    assert out.read_text() == text
    assert ok("limits", "export", "-") == text
    listed = json.loads(ok("limits", "list", "--json"))
    assert [(x["scope"], x["name"], x["parameter"], x["lolo"], x["lo"], x["hi"], x["hihi"], x["deadband"],
             x["delay_s"]) for x in listed] == [("equipment", "P-101", "temperature", 0.0, 10.0, 150.0, 170.0, 0.5, 60.0),
                                               ("type", "Pump", "pressure", None, None, 5.5, 5.8, 0.1, 0.0)]
    assert all(x["updated_at"] for x in listed)
    assert "Pump" in ok("limits", "list")
    # --replace: the file's limits become the only ones
    ok("limits", "import", write(tmp_path, "one.csv", LIMITS), "--replace")
    assert [x["name"] for x in json.loads(ok("limits", "list", "--json"))] == ["Pump"]


@pytest.mark.parametrize("text, where", [
    ("scope,name,parameter,hi,hihi\ntype,Pump,pressure,5.5,5.8\ntype,Pump,pressure,6,5\n", "line 3: hi (6) is above hihi (5)"),
    ("scope,name,parameter,lo\ntype,Pump,pressure,abc\n", "line 2: lo is not a number: 'abc'"),
    ("scope,name,parameter,hi\nkind,Pump,pressure,5\n", "line 2: scope must be one of type, equipment"),
    ("scope,name,parameter,hi\ntype,Pump,pressure,5\ntype,PUMP,pressure,6\n", "line 3: type 'PUMP' pressure is already given on line 2"),
    ("scope,name,parmeter,hi\ntype,Pump,pressure,5\n", "line 1:"),
])
def test_a_bad_limits_file_is_one_line_naming_the_line_and_changes_nothing(tmp_path, text, where):
    ok("limits", "import", write(tmp_path, "good.csv", LIMITS))
    bad = run("limits", "import", write(tmp_path, "bad.csv", text))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.count("\n") == 1 and where in bad.stderr and "bad.csv" in bad.stderr
    assert [x["hi"] for x in json.loads(ok("limits", "list", "--json"))] == [5.5]


def test_events_above_150_for_at_least_5_minutes(tmp_path):
    # 09:50 .. 11:09 one reading a minute at 140; 155 from 10:00 to 10:24 (peak 162 at 10:10), back to 140 at
    # 10:25; a one-minute blip of 151 at 11:00
    values = [140.0] * 80
    for i in range(10, 35):
        values[i] = 155.0
    values[20], values[70] = 162.0, 151.0
    ok("import", write(tmp_path, "reactor.csv", minutes("R-7", 9, 50, values)))
    got = json.loads(ok("events", "R-7", "--parameter", "temperature", "--above", 150, "--min-duration", "5m",
                        "--json"))
    assert got == [{"start": "2026-03-01T10:00:00Z", "end": "2026-03-01T10:25:00Z", "duration_s": 1500.0,
                    "peak": 162.0}]
    every = json.loads(ok("events", "r-7", "--parameter", "temperature", "--above", 150, "--json"))
    assert [e["start"] for e in every] == ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"]
    below = json.loads(ok("events", "R-7", "--parameter", "temperature", "--below", 141, "--min-duration", "30m",
                          "--json"))
    assert [(e["start"], e["end"]) for e in below] == [("2026-03-01T10:25:00Z", "2026-03-01T11:00:00Z")]
    assert "10:00:00Z .. 2026-03-01T10:25:00Z  1500 s  peak 162" in \
        ok("events", "R-7", "--parameter", "temperature", "--above", 150, "--min-duration", "5m")
    assert run("events", "R-7", "--parameter", "temperature", "--above", 1, "--min-duration", "soon").returncode == 2
    assert run("events", "R-7", "--parameter", "temperature").returncode == 2      # --above or --below


def test_spc_flags_rule_4_at_point_18_only(tmp_path):
    # points 1-10 alternate 10, 9; 11-18 are 10.1; 19, 20 are 9, 10. Mean = (5*19 + 8*10.1 + 19) / 20 = 9.74;
    # moving ranges: nine of 1, 1.1 (9 -> 10.1), seven of 0, 1.1, 1 -> MR-bar = 12.2 / 19; sigma = MR-bar / 1.128.
    # 10.1 is within 1 sigma (0.569) of 9.74: rules 1-3 stay silent; 11..18 are the first 8 on one side.
    x = [10.0, 9.0] * 5 + [10.1] * 8 + [9.0, 10.0]
    ok("import", write(tmp_path, "s.csv", minutes("F-1", 0, 0, x, column="Flowrate")))
    ok("limits", "import", write(tmp_path, "l.csv", "scope,name,parameter,lo,hi\nequipment,F-1,flowrate,8,12\n"))
    rep = json.loads(ok("spc", "F-1", "--parameter", "flowrate", "--json"))
    assert set(rep) == {"center", "sigma", "ucl", "lcl", "mr_bar", "n", "cpk", "violations"}
    mr_bar = 12.2 / 19
    sigma = mr_bar / 1.128
    assert rep["n"] == 20 and rep["center"] == pytest.approx(9.74) and rep["mr_bar"] == pytest.approx(mr_bar)
    assert rep["sigma"] == pytest.approx(sigma) and rep["ucl"] == pytest.approx(9.74 + 3 * sigma)
    assert rep["lcl"] == pytest.approx(9.74 - 3 * sigma)
    assert rep["cpk"] == pytest.approx(min(12 - 9.74, 9.74 - 8) / (3 * sigma))
    assert rep["violations"] == [{"timestamp": "2026-03-01T00:17:00Z", "value": 10.1, "rule": 4}]
    window = json.loads(ok("spc", "F-1", "--parameter", "flowrate", "--start", "2026-03-01T00:10:00Z",
                           "--end", "2026-03-01T00:18:00Z", "--json"))
    assert window["n"] == 8 and window["violations"] == [] and window["sigma"] == 0.0
    text = ok("spc", "F-1", "--parameter", "flowrate")
    assert "rule 4  2026-03-01T00:17:00Z  10.1" in text and "n 20" in text
    missing = run("spc", "X-9", "--parameter", "flowrate")
    assert missing.returncode == 1 and "no equipment named 'X-9'" in missing.stderr
