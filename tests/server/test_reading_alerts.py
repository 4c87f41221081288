"""Alerts follow readings that arrive one at a time, not only uploads (#17): a reading POSTed to
equipment/{id}/history/, values changed through equipment PUT/PATCH (which record a reading), and a
change of name or type (which decides the rules that apply) derive the equipment's alerts again
in the same transaction, so alerts/ shows them as soon as the request answers."""
from __future__ import annotations

import pytest
from srv_helpers import API

pytestmark = pytest.mark.django_db

RULES, ALERTS, EQUIPMENT = API + "alerts/rules/", API + "alerts/", API + "equipment/"
PUMP_HI = {"scope": "type", "name": "Pump", "parameter": "pressure", "hi": 5.5}


def _post(client, url: str, body: dict, code: int = 201) -> dict:
    r = client.post(url, body, format="json")
    assert r.status_code == code, r.content
    return r.json()


def _alerts(client) -> list[dict]:
    r = client.get(ALERTS)
    assert r.status_code == 200, r.content
    return r.json()["results"]


def _reading(client, eq_id: int, pressure: float, at: str) -> dict:
    return _post(client, f"{EQUIPMENT}{eq_id}/history/", {"pressure": pressure, "timestamp": at})


def test_a_reading_above_hi_posted_to_history_is_an_alert_and_a_reading_below_ends_it(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    _post(eve, RULES, PUMP_HI)
    pump = _post(eve, EQUIPMENT, {"equipment_name": "Pump-7", "equipment_type": "Pump"})
    _reading(eve, pump["id"], 5.2, "2026-02-01T08:00:00Z")
    assert _alerts(vic) == []

    _reading(eve, pump["id"], 5.9, "2026-02-01T09:00:00Z")
    [alert] = _alerts(vic)
    assert (alert["equipment"], alert["parameter"], alert["level"]) == ("Pump-7", "pressure", "hi")
    assert (alert["limit"], alert["peak"], alert["start"]) == (5.5, 5.9, "2026-02-01T09:00:00Z")
    assert alert["end"] is None and alert["state"] == "active-unacknowledged"

    _reading(eve, pump["id"], 5.0, "2026-02-01T10:00:00Z")
    [ended] = _alerts(vic)
    assert ended["id"] == alert["id"] and ended["end"] is not None
    assert ended["state"] == "cleared-unacknowledged"


def test_a_refused_reading_leaves_no_alert(client_for):
    eve = client_for("engineer")
    _post(eve, RULES, PUMP_HI)
    pump = _post(eve, EQUIPMENT, {"equipment_name": "Pump-8", "equipment_type": "Pump"})
    _reading(eve, pump["id"], 5.0, "2026-02-01T09:00:00Z")
    # the same time again is a 409: nothing of it is kept, alerts included
    _post(eve, f"{EQUIPMENT}{pump['id']}/history/", {"pressure": 7.0, "timestamp": "2026-02-01T09:00:00Z"}, 409)
    assert _alerts(eve) == []


def test_changing_an_equipments_pressure_through_patch_raises_the_alert(client_for):
    eve = client_for("engineer")
    _post(eve, RULES, PUMP_HI)
    pump = _post(eve, EQUIPMENT, {"equipment_name": "Pump-9", "equipment_type": "Pump", "pressure": 5.0})
    assert _alerts(eve) == []
    r = eve.patch(f"{EQUIPMENT}{pump['id']}/", {"pressure": 6.1}, format="json")
    assert r.status_code == 200, r.content
    [alert] = _alerts(eve)
    assert (alert["equipment"], alert["level"], alert["peak"]) == ("Pump-9", "hi", 6.1)


def test_retyping_an_equipment_applies_the_new_types_rule_to_its_readings(client_for):
    eve = client_for("engineer")
    _post(eve, RULES, PUMP_HI)
    eq = _post(eve, EQUIPMENT, {"equipment_name": "P-101", "equipment_type": "Valve"})
    _reading(eve, eq["id"], 5.9, "2026-02-01T09:00:00Z")
    assert _alerts(eve) == []                       # no rule for valves
    r = eve.patch(f"{EQUIPMENT}{eq['id']}/", {"equipment_type": "Pump"}, format="json")
    assert r.status_code == 200, r.content
    [alert] = _alerts(eve)
    assert (alert["equipment"], alert["equipment_type"], alert["level"]) == ("P-101", "Pump", "hi")
    r = eve.patch(f"{EQUIPMENT}{eq['id']}/", {"equipment_type": "Valve"}, format="json")
    assert r.status_code == 200, r.content
    assert _alerts(eve) == []                       # unacknowledged and no longer found: gone
