"""Two-way sync of shared records on the server (#19, docs/sync_shared_records.md): pushes merged
per field, the later arrival winning a field both changed with the loser told, exactly once by
op_id, delete vs edit both ways, the first acknowledgement standing, roles, the pull feed and a
pushed limit re-evaluating alerts."""
from __future__ import annotations

import uuid

import pytest
from srv_helpers import API, upload

from server.sharing.models import Change

pytestmark = pytest.mark.django_db

PUSH, CHANGES, CONFLICTS = API + "sync/push/", API + "sync/changes/", API + "sync/conflicts/"
SNAPSHOT = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            b"P-101,Pump,120,5.2,110\nP-102,Pump,132,5.9,119\nV-1,Valve,60,6.1,105\n")


def op(kind: str, key: str, base_version: int = 0, base: dict | None = None, delete: bool = False,
       op_id: str | None = None, **fields) -> dict:
    out = {"op_id": op_id or str(uuid.uuid4()), "kind": kind, "key": key, "base_version": base_version,
           "base": base or {}}
    if delete:
        out["delete"] = True
    else:
        out["set"] = fields
    return out


def push(client, *ops: dict) -> list[dict]:
    r = client.post(PUSH, {"ops": list(ops)}, format="json")
    assert r.status_code == 200, r.content
    return r.json()["results"]


def pull(client, since: int = 0, limit: int | None = None) -> dict:
    r = client.get(CHANGES + f"?since={since}" + (f"&limit={limit}" if limit else ""))
    assert r.status_code == 200, r.content
    return r.json()


def _equipment(client) -> dict:
    """P-101 uploaded by eve (so eve may edit it; ada the admin may too); its synced state."""
    assert upload(client, SNAPSHOT, fields={"taken_at": "2026-01-29T08:00:00Z"}).status_code == 200
    [first] = push(client, op("equipment", "p-101", notes=""))   # nothing changes: the current state
    assert first["outcome"] == "applied" and first["fields"]["type"] == "Pump"
    return first


def test_different_fields_edited_on_two_machines_both_survive(client_for):
    eve, ada = client_for("engineer"), client_for("admin")
    state = _equipment(eve)
    base, v = state["fields"], state["version"]
    [a] = push(eve, op("equipment", "p-101", v, base, notes="seal replaced"))
    [b] = push(ada, op("equipment", "p-101", v, base, status="maintenance"))
    assert a["outcome"] == "applied" and b["outcome"] == "applied" and b["conflicts"] == []
    assert b["fields"]["notes"] == "seal replaced" and b["fields"]["status"] == "maintenance"
    detail = ada.get(API + "equipment/?search=P-101").json()["results"][0]
    assert detail["notes"] == "seal replaced" and detail["status"] == "maintenance"
    assert eve.get(CONFLICTS).json()["results"] == []


def test_same_field_later_arrival_wins_and_the_loser_is_told(client_for):
    eve, ada = client_for("engineer"), client_for("admin")
    state = _equipment(eve)
    base, v = state["fields"], state["version"]
    [first] = push(eve, op("equipment", "p-101", v, base, notes="eve: bearing noisy"))
    [later] = push(ada, op("equipment", "p-101", v, base, notes="ada: checked, fine"))
    assert first["outcome"] == "applied"
    assert later["outcome"] == "merged" and later["fields"]["notes"] == "ada: checked, fine"
    [c] = later["conflicts"]
    assert (c["field"], c["lost_value"], c["lost_by"], c["won_by"]) == \
        ("notes", "eve: bearing noisy", "eve", "ada")
    mine = eve.get(CONFLICTS + "?unseen=1").json()["results"]
    assert [m["id"] for m in mine] == [c["id"]]
    assert mine[0]["message"].startswith("your notes on P-101 ('eve: bearing noisy') was replaced by ada's edit")
    assert ada.get(CONFLICTS).json()["results"] == []           # the winner lost nothing
    assert eve.post(CONFLICTS + f"{c['id']}/seen/").status_code == 200
    assert eve.get(CONFLICTS + "?unseen=1").json()["results"] == []
    assert ada.post(CONFLICTS + f"{c['id']}/seen/").status_code == 404   # not ada's


def test_a_repeated_op_is_applied_once_and_answered_the_same(client_for):
    eve = client_for("engineer")
    state = _equipment(eve)
    again = op("equipment", "p-101", state["version"], state["fields"], notes="once")
    [a] = push(eve, again)
    n = Change.objects.count()
    [b] = push(eve, again)                          # the client was killed before it saw `a`
    assert b["outcome"] == "duplicate" and b["version"] == a["version"] and b["fields"] == a["fields"]
    assert Change.objects.count() == n


def test_edit_of_a_deleted_limit_and_delete_of_an_edited_one_are_refused_in_words(client_for):
    eve, ada = client_for("engineer"), client_for("admin")
    key = "type|pump|pressure"
    [made] = push(eve, op("limit", key, name="Pump", hi=5.5, hihi=5.8))
    assert made["outcome"] == "applied" and made["fields"]["hi"] == 5.5
    v, base = made["version"], made["fields"]
    [gone] = push(ada, op("limit", key, v, base, delete=True))
    assert gone["outcome"] == "applied" and gone["exists"] is False
    [stale] = push(eve, op("limit", key, v, base, hi=5.6))      # edited offline, deleted meanwhile
    assert stale["outcome"] == "deleted_on_server" and "nothing applied" in stale["detail"]
    assert ada.get(API + "alerts/rules/").json()["count"] == 0     # nothing came back to life
    [again] = push(eve, op("limit", key, gone["version"], {}, name="Pump", hi=5.6))   # decided: re-create
    assert again["outcome"] == "applied" and again["fields"]["hi"] == 5.6
    [edit] = push(eve, op("limit", key, again["version"], again["fields"], hi=5.4))
    [late_delete] = push(ada, op("limit", key, again["version"], again["fields"], delete=True))
    assert edit["outcome"] == "applied"
    assert late_delete["outcome"] == "edited_on_server" and late_delete["fields"]["hi"] == 5.4


def test_a_pushed_limit_raises_alerts_and_the_first_acknowledgement_stands(client_for):
    eve, ada = client_for("engineer"), client_for("admin")
    _equipment(eve)
    push(eve, op("limit", "type|pump|pressure", name="Pump", hi=5.5))
    [alert] = eve.get(API + "alerts/").json()["results"]
    assert alert["equipment"] == "P-102" and alert["level"] == "hi"
    start_us = 1769673600 * 1_000_000          # 2026-01-29T08:00:00Z
    key = f"p-102|pressure|hi|{start_us}"
    [first] = push(eve, op("ack", key, acknowledged_at="2026-01-29T09:00:00Z", comment="valve opened"))
    [second] = push(ada, op("ack", key, acknowledged_at="2026-01-29T09:05:00Z", comment="seen too"))
    assert first["outcome"] == "applied" and second["outcome"] == "merged" and second["conflicts"] == []
    [alert] = eve.get(API + "alerts/").json()["results"]
    assert alert["acknowledged_by"] == "eve" and alert["acknowledged_at"].startswith("2026-01-29T09:00:00")
    assert alert["comment"].startswith("valve opened\nada ") and alert["comment"].endswith(": seen too")
    [missing] = push(eve, op("ack", f"p-101|pressure|hi|{start_us}", comment="x"))
    assert missing["outcome"] == "missing"      # no such alert (yet): tried again later, not final


def test_roles_hold_on_push_and_bad_ops_are_refused_one_by_one(client_for):
    eve, ed, vic = client_for("engineer"), client_for("engineer2"), client_for("viewer")
    _equipment(eve)
    [viewer] = push(vic, op("limit", "type|pump|pressure", name="Pump", hi=5.5))
    assert viewer["outcome"] == "refused" and "viewer" in viewer["detail"]
    [other] = push(ed, op("equipment", "p-101", notes="not mine"))
    assert other["outcome"] == "refused" and "created this equipment" in other["detail"]
    results = push(eve, op("limit", "type|pump|pressure", name="Pump", lo=6, hi=5),
                   {"op_id": "nope", "kind": "equipment", "key": "p-101", "set": {"notes": "x"}},
                   op("equipment", "p-101", colour="red"),
                   op("equipment", "p-101", status="broken"),
                   op("equipment", "p-101", notes="fine"))
    assert [r["outcome"] for r in results] == ["refused"] * 4 + ["applied"]
    assert "lo (6) is above hi (5)" in results[0]["detail"] and "UUID" in results[1]["detail"]
    assert "no shared field colour" in results[2]["detail"] and "status must be one of" in results[3]["detail"]


def test_pull_pages_through_changes_since_a_cursor(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    for i in range(5):
        push(eve, op("limit", f"equipment|p-{i}|flowrate", name=f"P-{i}", hi=100 + i))
    page = pull(vic, 0, limit=3)
    assert [c["key"] for c in page["changes"]] == [f"equipment|p-{i}|flowrate" for i in range(3)]
    assert page["more"] is True and page["changes"][0]["fields"]["hi"] == 100
    rest = pull(vic, page["cursor"])
    assert [c["key"] for c in rest["changes"]] == [f"equipment|p-{i}|flowrate" for i in (3, 4)]
    assert rest["more"] is False and pull(vic, rest["cursor"])["changes"] == []
    assert all(c["user"] == "eve" and c["op"] == "upsert" and c["version"] == 1 for c in page["changes"])


def test_edits_through_the_rest_api_reach_the_pull_feed_and_values_only_do_not(client_for):
    eve, vic = client_for("engineer"), client_for("viewer")
    assert upload(eve, SNAPSHOT, fields={"taken_at": "2026-01-29T08:00:00Z"}).status_code == 200
    eq = eve.get(API + "equipment/?search=P-101").json()["results"][0]
    assert eve.patch(API + f"equipment/{eq['id']}/", {"notes": "from the web"}, format="json").status_code == 200
    assert eve.patch(API + f"equipment/{eq['id']}/", {"flowrate": 130}, format="json").status_code == 200
    rule = eve.post(API + "alerts/rules/", {"scope": "type", "name": "Pump", "parameter": "pressure", "hi": 5.5},
                    format="json").json()
    [alert] = eve.get(API + "alerts/").json()["results"]
    assert eve.post(API + f"alerts/{alert['id']}/acknowledge/", {"comment": "web ack"}, format="json").status_code == 200
    assert eve.delete(API + f"alerts/rules/{rule['id']}/").status_code == 204
    feed = [(c["kind"], c["key"], c["op"], c["version"]) for c in pull(vic)["changes"]]
    start_us = 1769673600 * 1_000_000
    assert feed == [("equipment", "p-101", "upsert", 1), ("limit", "type|pump|pressure", "upsert", 1),
                    ("ack", f"p-102|pressure|hi|{start_us}", "upsert", 1),
                    ("limit", "type|pump|pressure", "delete", 2)]
    assert pull(vic)["changes"][0]["fields"]["notes"] == "from the web"


def test_a_dataset_delete_queued_offline_deletes_it_by_client_id_unless_renamed_meanwhile(client_for):
    eve, ed, ada = client_for("engineer"), client_for("engineer2"), client_for("admin")
    cid = str(uuid.uuid4())
    made = upload(eve, SNAPSHOT, fields={"client_id": cid})
    assert made.status_code == 200, made.content
    sid = made.json()["id"]
    [other] = push(ed, op("dataset", cid, 0, {"name": "equipment.csv"}, delete=True))
    assert other["outcome"] == "refused" and "uploaded this dataset can delete it" in other["detail"]
    assert eve.get(API + f"analytics/csv/datasets/{sid}/").status_code == 200
    [renamed] = push(ada, op("dataset", cid, 0, {"name": "equipment.csv"}, name="Unit A"))
    [stale] = push(eve, op("dataset", cid, 0, {"name": "equipment.csv"}, delete=True))
    assert stale["outcome"] == "edited_on_server" and stale["fields"]["name"] == "Unit A"
    assert eve.get(API + f"analytics/csv/datasets/{sid}/").status_code == 200          # nothing deleted
    [gone] = push(eve, op("dataset", cid, renamed["version"], renamed["fields"], delete=True))   # decided
    assert gone["outcome"] == "applied" and gone["exists"] is False
    assert eve.get(API + f"analytics/csv/datasets/{sid}/").status_code == 404
    assert eve.get(API + "equipment/?search=P-101").json()["count"] == 1   # the registry stays
    [again] = push(eve, op("dataset", cid, gone["version"], {}, delete=True))
    assert again["outcome"] == "applied"                                     # already gone: done
