"""`import --taken-at`, `equipment`, `equipment set` and `trend` (#15): snapshots line up as history,
time series keep their own times, trends equal an independent computation, running only."""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from ..conftest import CORPUS, ROOT

SERIES = CORPUS / "ashwinms705-crypto__Chemical-Equipment-Parameter-Visualizer.csv"


def run(*args: object) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring", TZ="UTC")
    return subprocess.run([sys.executable, "main.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def ok(*args: object) -> str:
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return out.stdout


def test_three_snapshots_taken_at_three_times_make_a_three_point_trend(tmp_path):
    for day, flow in ((1, 101.5), (2, 102.25), (3, 99.0)):
        f = tmp_path / f"plant{day}.csv"
        f.write_text(f"Equipment Name,Type,Flowrate,Pressure,Temperature\nP-101,Pump,{flow},5,80\n"
                     f"V-7,Valve,12,{day},30\n")
        assert f"readings taken at 2026-03-0{day}T06:00:00+00:00" in \
            ok("import", f, "--taken-at", f"2026-03-0{day}T07:00:00+01:00")
    trend = json.loads(ok("trend", "p-101", "--parameter", "flowrate", "--interval", "raw", "--json"))
    assert set(trend) == {"equipment_id", "equipment_name", "parameter", "interval", "data_points"}
    assert trend["equipment_name"] == "P-101" and trend["interval"] == "raw"
    assert trend["data_points"] == [{"timestamp": f"2026-03-0{d}T06:00:00Z", "value": v, "count": 1}
                                    for d, v in ((1, 101.5), (2, 102.25), (3, 99.0))]
    reg = {e["name"]: e for e in json.loads(ok("equipment", "--json"))}
    assert set(reg) == {"P-101", "V-7"}
    assert reg["V-7"]["readings"] == 3 and reg["V-7"]["last_values"]["pressure"] == 3.0
    assert reg["P-101"]["first_timestamp"] == "2026-03-01T06:00:00Z"
    assert reg["P-101"]["last_timestamp"] == "2026-03-03T06:00:00Z"


def test_snapshot_without_taken_at_uses_the_files_modified_time(tmp_path):
    f = tmp_path / "snap.csv"
    f.write_text("Equipment Name,Type,Flowrate,Pressure,Temperature\nP-1,Pump,1,2,3\n")
    when = datetime(2025, 7, 4, 12, 30, tzinfo=timezone.utc).timestamp()
    os.utime(f, (when, when))
    ok("import", f)
    assert json.loads(ok("equipment", "--json"))[0]["last_timestamp"] == "2025-07-04T12:30:00Z"


def test_corpus_time_series_becomes_five_equipment_with_their_readings():
    out = ok("import", SERIES)
    assert "10 of 10 rows accepted, 0 excluded" in out
    reg = {e["name"]: e for e in json.loads(ok("equipment", "--json"))}
    assert sorted(reg) == ["EQ-001", "EQ-002", "EQ-003", "EQ-004", "EQ-005"]
    assert sum(e["readings"] for e in reg.values()) == 10
    assert reg["EQ-001"]["first_timestamp"] == "2023-10-01T08:00:00Z"
    assert reg["EQ-004"]["status"] == "inactive" and reg["EQ-003"]["status"] == "maintenance"
    assert all(e["type"] == "Unassigned" for e in reg.values())
    # running only (default) leaves out the Offline reading of 0.0; --all-status keeps it
    assert json.loads(ok("trend", "EQ-004", "--parameter", "flowrate", "--json"))["data_points"] == []
    points = json.loads(ok("trend", "EQ-004", "--parameter", "flowrate", "--all-status", "--json"))["data_points"]
    assert points == [{"timestamp": "2023-10-01T00:00:00Z", "value": 0.0, "count": 1}]


def _series_file(path, rng: random.Random) -> list[tuple[str, datetime, float, str]]:
    """Three days of irregular readings of two pumps, shuffled, some while stopped."""
    rows = []
    t0 = datetime(2026, 2, 27, 22, 0, tzinfo=timezone.utc)
    for name in ("P-1", "P-2"):
        t = t0
        for _ in range(400):
            t += timedelta(minutes=rng.randint(1, 17))
            status = "Offline" if rng.random() < 0.1 else "Running"
            rows.append((name, t, round(rng.uniform(50, 150), 3), status))
    rng.shuffle(rows)
    lines = ["Tag,Timestamp,Flowrate,Pressure,Temperature,Status"]
    lines += [f"{n},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{v},5,80,{s}" for n, t, v, s in rows]
    path.write_text("\n".join(lines) + "\n")
    return rows


def _expected(rows, name: str, step: str) -> list[dict]:
    sums: dict[datetime, list[float]] = defaultdict(list)
    for n, t, v, s in rows:
        if n != name or s != "Running":
            continue
        start = t.replace(minute=0, second=0) if step == "hourly" else t.replace(hour=0, minute=0, second=0)
        sums[start].append(v)
    return [(k.strftime("%Y-%m-%dT%H:%M:%SZ"), sum(v) / len(v), len(v)) for k, v in sorted(sums.items())]


def test_hourly_and_daily_trends_equal_an_independent_computation(tmp_path):
    f = tmp_path / "historian.csv"
    rows = _series_file(f, random.Random(5))
    ok("import", f)
    for step in ("hourly", "daily"):
        got = json.loads(ok("trend", "P-2", "--parameter", "flowrate", "--interval", step, "--json"))["data_points"]
        want = _expected(rows, "P-2", step)
        assert [(p["timestamp"], p["count"]) for p in got] == [(t, c) for t, _v, c in want]
        assert all(abs(p["value"] - v) < 1e-9 for p, (_t, v, _c) in zip(got, want, strict=True))
    window = json.loads(ok("trend", "P-2", "--parameter", "flowrate", "--interval", "daily",
                           "--start", "2026-02-28T00:00:00Z", "--end", "2026-03-01T00:00:00Z", "--json"))
    assert [p["timestamp"] for p in window["data_points"]] == ["2026-02-28T00:00:00Z"]


def test_equipment_set_edits_and_refuses_bad_values_in_one_line(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text("Equipment Name,Type,Flowrate,Pressure,Temperature\nC-9,Compressor,1,2,3\n")
    ok("import", f, "--taken-at", "2026-01-01T00:00:00Z")
    ok("equipment", "set", "c-9", "--status", "maintenance", "--installed", "2018-04-30", "--notes", "bearing noise")
    e = json.loads(ok("equipment", "--json"))[0]
    assert (e["status"], e["installation_date"], e["notes"]) == ("maintenance", "2018-04-30", "bearing noise")
    bad = run("equipment", "set", "C-9", "--maintained", "31/02/2026")
    assert bad.returncode == 1 and "must be a date" in bad.stderr and "Traceback" not in bad.stderr
    missing = run("equipment", "set", "X-1", "--notes", "x")
    assert missing.returncode == 1 and "no equipment named 'X-1'" in missing.stderr
    assert run("trend", "C-9", "--parameter", "flowrate", "--start", "soon").returncode == 2
