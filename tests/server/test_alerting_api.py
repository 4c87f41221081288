"""Alerts on the server (#17): rules CRUD (team-shared limits, the desktop's columns), alerts
evaluated by the engine when an upload commits its readings and when a rule changes, the alert
history with its filters and acknowledgement, and roles (viewer reads; engineer and admin write)."""
from __future__ import annotations

import pandas as pd
import pytest
from srv_helpers import API, upload

from engine.alerts import series_alerts
from engine.limits import Limit
from server.alerting.models import Alert, AlertRule

pytestmark = pytest.mark.django_db

RULES, ALERTS = API + "alerts/rules/", API + "alerts/"
PUMP_RULE = {"scope": "type", "name": "Pump", "parameter": "pressure", "hi": 5.5, "hihi": 5.8}
RULE_KEYS = {"id", "scope", "name", "parameter", "lolo", "lo", "hi", "hihi", "deadband", "delay_s", "created_by",
             "updated_by", "created_at", "updated_at"}
ALERT_KEYS = {"id", "equipment_id", "equipment", "equipment_type", "parameter", "level", "limit", "start", "end",
              "last", "peak", "duration_s", "state", "acknowledged_by", "acknowledged_at", "comment"}
SNAPSHOT = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            b"Pump-1,Pump,120,5.6,110\nPump-2,Pump,132,5.9,119\n"
            b"Compressor-1,Compressor,95,8.4,95\nValve-1,Valve,60,6.1,105\n")
TAKEN = "2026-01-29T08:00:00Z"


def _rule(client, **over):
    r = client.post(RULES, {**PUMP_RULE, **over}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


def _alerts(client, query: str = "") -> list[dict]:
    r = client.get(ALERTS + query)
    assert r.status_code == 200, r.content
    return r.json()["results"]


def _snapshot(client, data: bytes = SNAPSHOT, taken: str = TAKEN):
    r = upload(client, data, fields={"taken_at": taken})
    assert r.status_code == 200, r.content
    return r.json()


def test_snapshot_upload_gives_hi_and_hihi_point_alerts_and_none_for_a_valve(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    rule = _rule(eve)
    assert set(rule) == RULE_KEYS and rule["created_by"] == "eve" and rule["lolo"] is None
    assert rule["deadband"] == 0.0 and rule["delay_s"] == 0.0
    _snapshot(eve)
    body = vic.get(ALERTS).json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 2
    assert all(set(a) == ALERT_KEYS for a in body["results"])
    got = {a["equipment"]: a for a in body["results"]}
    assert set(got) == {"Pump-1", "Pump-2"}                      # no rule for Valve-1 (6.1) or the compressor
    one, two = got["Pump-1"], got["Pump-2"]
    assert (one["level"], one["limit"], one["peak"]) == ("hi", 5.5, 5.6)
    assert (two["level"], two["limit"], two["peak"]) == ("hihi", 5.8, 5.9)
    for a in (one, two):   # a snapshot reading is a point alert at the reading time
        assert a["start"] == a["end"] == a["last"] == TAKEN and a["duration_s"] == 0.0
        assert a["state"] == "cleared-unacknowledged" and a["parameter"] == "pressure"
        assert a["equipment_type"] == "Pump" and (a["acknowledged_by"], a["acknowledged_at"], a["comment"]) == \
            (None, None, "")
    # the same readings again: same alerts, no second one
    _snapshot(eve)
    again = _alerts(vic)
    assert sorted(a["id"] for a in again) == sorted(a["id"] for a in body["results"])
    assert Alert.objects.count() == 2
    # another snapshot time is another reading: its own alert
    _snapshot(eve, b"Equipment Name,Type,Flowrate,Pressure,Temperature\nPump-1,Pump,120,5.7,110\n",
              "2026-01-29T09:00:00Z")
    assert len(_alerts(vic, "?equipment_id=%d" % one["equipment_id"])) == 2


def test_filters_and_pagination(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    _rule(eve)
    _rule(eve, parameter="temperature", hi=115, hihi=None)
    _snapshot(eve)
    assert len(_alerts(vic)) == 3                               # Pump-2 temperature 119 > 115
    assert [a["equipment"] for a in _alerts(vic, "?level=hihi")] == ["Pump-2"]
    assert [a["level"] for a in _alerts(vic, "?parameter=temperature")] == ["hi"]
    assert len(_alerts(vic, "?state=unacked")) == 3 and _alerts(vic, "?state=active") == []
    assert len(_alerts(vic, "?state=cleared-unacknowledged")) == 3
    assert len(_alerts(vic, "?start_date=2026-01-29&end_date=2026-01-29")) == 3
    assert _alerts(vic, "?start_date=2026-01-30") == [] and _alerts(vic, "?end_date=2026-01-28") == []
    page = vic.get(ALERTS + "?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and "page=2" in page["next"]
    for bad in ("?state=open", "?level=high", "?parameter=speed", "?equipment_id=x", "?start_date=soon"):
        assert vic.get(ALERTS + bad).status_code == 400, bad


def test_acknowledge_persists_and_the_first_one_stands(client_for, anon):
    eve, ada, vic = client_for("engineer"), client_for("admin"), client_for("viewer")
    _rule(eve)
    _snapshot(eve)
    target = _alerts(vic, "?level=hi")[0]
    url = f"{ALERTS}{target['id']}/acknowledge/"
    assert vic.post(url, {"comment": "seen"}, format="json").status_code == 403
    assert anon.post(url, {"comment": "seen"}, format="json").status_code == 401
    r = eve.post(url, {"comment": "valve throttled"}, format="json")
    assert r.status_code == 200 and set(r.json()) == ALERT_KEYS
    acked = r.json()
    assert acked["state"] == "cleared-acknowledged" and acked["acknowledged_by"] == "eve"
    assert acked["comment"] == "valve throttled" and acked["acknowledged_at"].endswith("Z")
    second = ada.post(url, {"comment": "mine"}, format="json")
    assert second.status_code == 409 and "already acknowledged" in second.json()["detail"]
    assert second.json()["alert"] == acked
    assert _alerts(vic, "?state=cleared-acknowledged") == [acked]
    assert [a["level"] for a in _alerts(vic, "?state=unacked")] == ["hihi"]
    # re-evaluation (the same upload again, a rule change) keeps the acknowledgement
    _snapshot(eve)
    pk = AlertRule.objects.get().pk
    assert eve.patch(f"{RULES}{pk}/", {"hihi": 6.0}, format="json").status_code == 200
    assert _alerts(vic, "?state=cleared-acknowledged") == [acked]
    assert eve.post(f"{ALERTS}999999/acknowledge/", {}, format="json").status_code == 404


def test_rule_changes_reevaluate_and_unacknowledged_alerts_no_longer_found_go(client_for):
    eve, ed, vic = client_for("engineer"), client_for("engineer2"), client_for("viewer")
    rule = _rule(eve)
    _snapshot(eve)
    # hihi raised above 5.9: Pump-2 becomes hi, its hihi alert (unacknowledged) goes
    r = ed.patch(f"{RULES}{rule['id']}/", {"hihi": 6.0}, format="json")      # team-shared: another engineer
    assert r.status_code == 200 and r.json()["updated_by"] == "ed" and r.json()["created_by"] == "eve"
    assert sorted((a["equipment"], a["level"]) for a in _alerts(vic)) == [("Pump-1", "hi"), ("Pump-2", "hi")]
    one = _alerts(vic, "?level=hi")[-1]
    assert eve.post(f"{ALERTS}{one['id']}/acknowledge/", {"comment": "ok"}, format="json").status_code == 200
    # an equipment's own rule overrides its type's
    _rule(eve, scope="equipment", name=" pump-2 ", hi=7.0, hihi=None)
    assert {a["equipment"] for a in _alerts(vic)} == {"Pump-1"}
    # the type rule deleted: the unacknowledged alert goes, the acknowledged one stays
    assert ed.delete(f"{RULES}{rule['id']}/").status_code == 204
    left = _alerts(vic)
    assert [(a["id"], a["state"]) for a in left] == [(one["id"], "cleared-acknowledged")]


def test_deleting_the_dataset_deletes_its_unacknowledged_alerts(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    _rule(eve)
    ds = upload(eve, SNAPSHOT).json()              # no taken_at: the upload's time, with its microseconds
    assert [a["start"] == a["end"] for a in _alerts(vic)] == [True, True]
    assert eve.delete(f"{API}analytics/csv/datasets/{ds['id']}/").status_code == 204
    assert _alerts(vic) == []


def test_time_series_alerts_are_the_engines_over_all_running_readings(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    _rule(eve, deadband=0.1)
    first = (b"Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature,Status\n"
             b"2026-01-20T01:00:00Z,Pump-1,Pump,100,5.0,100,Running\n"
             b"2026-01-20T02:00:00Z,Pump-1,Pump,100,5.6,100,Running\n"
             b"2026-01-20T02:30:00Z,Pump-1,Pump,100,9.9,100,Offline\n"    # not running: does not count
             b"2026-01-20T03:00:00Z,Pump-1,Pump,100,5.7,100,Running\n")
    upload(eve, first, "a.csv")
    (a,) = _alerts(vic)
    assert (a["level"], a["start"], a["end"], a["peak"], a["state"]) == \
        ("hi", "2026-01-20T02:00:00Z", None, 5.7, "active-unacknowledged")
    # the next file continues the same excursion, then returns inside the band: one alert, closed
    second = (b"Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature,Status\n"
              b"2026-01-20T04:00:00Z,Pump-1,Pump,100,5.65,100,Running\n"
              b"2026-01-20T05:00:00Z,Pump-1,Pump,100,5.2,100,Running\n")
    upload(eve, second, "b.csv")
    (b,) = _alerts(vic)
    times = pd.to_datetime(["2026-01-20T01:00:00Z", "2026-01-20T02:00:00Z", "2026-01-20T03:00:00Z",
                            "2026-01-20T04:00:00Z", "2026-01-20T05:00:00Z"], utc=True)
    (want,) = series_alerts("Pump-1", "pressure", Limit("type", "Pump", "pressure", hi=5.5, hihi=5.8, deadband=0.1),
                            times, [5.0, 5.6, 5.7, 5.65, 5.2])
    assert b["id"] == a["id"] and {k: b[k] for k in ("level", "limit", "start", "end", "peak", "duration_s")} == \
        {k: want.to_dict()[k] for k in ("level", "limit", "start", "end", "peak", "duration_s")}
    assert b["state"] == "cleared-unacknowledged"


def test_rule_roles_validation_and_shapes(client_for, anon):
    eve, ada, vic = client_for("engineer"), client_for("admin"), client_for("viewer")
    assert anon.get(RULES).status_code == 401
    assert vic.post(RULES, PUMP_RULE, format="json").status_code == 403
    rule = _rule(eve)
    url = f"{RULES}{rule['id']}/"
    listing = vic.get(RULES).json()
    assert set(listing) == {"count", "next", "previous", "results"} and listing["results"] == [rule]
    assert vic.get(url).json() == rule
    assert vic.patch(url, {"hi": 5.0}, format="json").status_code == 403
    assert vic.put(url, PUMP_RULE, format="json").status_code == 403
    assert vic.delete(url).status_code == 403
    # the desktop's checks (engine.limits.Limit.problems) and one rule per scope, name and parameter
    for bad in ({"hi": 6.0, "hihi": 5.8}, {"hi": None, "hihi": None}, {"parameter": "speed"},
                {"scope": "site"}, {"name": "  "}, {"deadband": -1}, {"name": " PUMP "}):
        assert eve.post(RULES, {**PUMP_RULE, **bad}, format="json").status_code == 400, bad
    put = ada.put(url, {**PUMP_RULE, "lo": 1.0, "lolo": 0.5, "delay_s": 60}, format="json")
    assert put.status_code == 200 and (put.json()["lo"], put.json()["delay_s"]) == (1.0, 60.0)
    assert ada.delete(url).status_code == 204 and vic.get(url).status_code == 404
