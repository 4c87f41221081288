"""Issue 17, seed "Audit Logging": every create/update/delete of datasets, equipment, users and
tokens is recorded with the user, the time, the client address and how they signed in; admins
read the log at GET audit/ (filters, pages) and in the Django admin; nobody else can."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient
from srv_helpers import API, PASSWORD, upload

from server.analytics.models import CSVDataset
from server.audit.log import audited, record
from server.audit.models import AuditEntry
from server.users.actor import acting_as

User = get_user_model()
EQUIPMENT = {"equipment_name": "Pump-5", "equipment_type": "Pump", "flowrate": 128.5, "pressure": 5.5,
             "temperature": 112.0, "status": "active", "notes": "New installation"}


def entries(**filters):
    return list(AuditEntry.objects.filter(**filters).order_by("id"))


def test_the_designs_models_are_audited():
    got = audited()
    for label in ("auth.user", "users.userprofile", "users.apitoken", "analytics.csvdataset",
                  "equipment.equipment"):
        assert set(got[label]) == {"create", "update", "delete"}, label
    assert set(got["equipment.parameterhistory"]) == {"create", "update"}   # deletes go in bulk
    assert "audit.auditentry" not in got


def test_dataset_upload_and_delete_are_recorded_with_user_time_and_address(client_for):
    t0 = timezone.now()
    r = upload(client_for("engineer"), REMOTE_ADDR="192.0.2.7")
    assert r.status_code == 200, r.content
    ds_id = r.json()["id"] if "id" in r.json() else CSVDataset.objects.get().pk
    [made] = entries(model="analytics.csvdataset", action="create")
    assert made.username == "eve" and made.user_id == User.objects.get(username="eve").pk
    assert made.via == "basic" and made.ip == "192.0.2.7" and made.object_id == str(ds_id)
    assert t0 <= made.at <= timezone.now() and "equipment.csv" in made.object_repr
    assert client_for("admin").delete(API + f"analytics/csv/datasets/{ds_id}/").status_code == 204
    [gone] = entries(model="analytics.csvdataset", action="delete")
    assert gone.username == "ada" and gone.object_id == str(ds_id) and gone.object_repr == made.object_repr


def test_equipment_create_update_delete_through_the_api(client_for):
    eng = client_for("engineer")
    r = eng.post(API + "equipment/", EQUIPMENT, format="json")
    assert r.status_code == 201, r.content
    eq_id = str(r.json()["id"])
    r = eng.patch(API + f"equipment/{eq_id}/", {"status": "maintenance", "notes": "Seal replaced"}, format="json")
    assert r.status_code == 200, r.content
    assert client_for("admin").delete(API + f"equipment/{eq_id}/").status_code == 204
    log = entries(model="equipment.equipment", object_id=eq_id)
    assert [(e.action, e.username) for e in log] == [("create", "eve"), ("update", "eve"), ("delete", "ada")]
    assert log[1].changes["status"] == ["active", "maintenance"]
    assert log[1].changes["notes"] == ["New installation", "Seal replaced"]
    assert "updated_at" not in log[1].changes                          # auto_now fields are noise


def test_a_save_without_changes_is_not_an_update(users):
    profile = users["vic"].profile
    with acting_as(users["ada"]):
        profile.save()
        assert not entries(action="update")
        profile.role = "engineer"
        profile.save()
    [e] = entries(action="update", model="users.userprofile")
    assert e.changes == {"role": ["viewer", "engineer"]} and e.username == "ada" and e.via == "cli"


def test_users_and_tokens(users, anon):
    r = anon.post(API + "auth/token/", {"username": "eve", "password": PASSWORD, "client_type": "web"},
                  format="json")
    key = r.json()["token"]
    [issued] = entries(model="users.apitoken", action="create")
    assert issued.username == "eve" and issued.via == "password" and issued.object_repr == "eve (web)"
    assert key not in str(issued.changes) and not entries(model="auth.user", action="update")  # last_login
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert c.post(API + "auth/logout/").status_code == 200
    [revoked] = entries(model="users.apitoken", action="delete")
    assert revoked.username == "eve" and revoked.via == "token"

    eve = users["eve"]
    with acting_as(users["ada"], via="admin"):
        eve.set_password("Another-pass-42")
        eve.save()
        newbie = User.objects.create_user("newbie", password=PASSWORD)
        newbie_pk = newbie.pk
        newbie.delete()
    [pw] = entries(model="auth.user", action="update")
    assert pw.changes == {"password": "(changed)"} and pw.object_repr == "eve" and pw.username == "ada"
    assert PASSWORD not in str(pw.changes) and "Another" not in str(pw.changes)
    assert [e.action for e in entries(model="auth.user", object_id=str(newbie_pk))] == ["create", "delete"]
    assert [e.action for e in entries(model="users.userprofile", object_repr__startswith="newbie")] == \
        ["create", "delete"]


def test_the_record_helper_for_bulk_writes(users):
    with acting_as(users["eve"], via="token", ip="198.51.100.4"):
        e = record("create", "equipment.Equipment", object_repr="3 equipment from upload #9",
                   changes={"ids": [1, 2, 3], "count": 3})
    assert (e.username, e.via, e.ip, e.model, e.changes["count"]) == ("eve", "token", "198.51.100.4",
                                                                        "equipment.equipment", 3)
    system = record("delete", users["vic"], user=None)
    assert system.user_id is None and system.username == "" and system.object_id == str(users["vic"].pk)
    with pytest.raises(ValueError):
        record("erase", users["vic"])


def test_a_rolled_back_change_leaves_no_entry(users):
    from django.db import transaction
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create_user("ghost", password=PASSWORD)
        raise RuntimeError
    assert not entries(object_repr="ghost")


# -- reading the log -------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["viewer", "engineer"])
def test_only_admins_read_the_log(client_for, who):
    r = client_for(who).get(API + "audit/")
    assert r.status_code == 403 and "admin" in r.json()["detail"]


def test_the_log_needs_authentication(users, anon):
    assert anon.get(API + "audit/").status_code == 401


def test_admin_reads_pages_and_filters(client_for, users):
    eng = client_for("engineer")
    for i in range(3):
        assert eng.post(API + "equipment/", {**EQUIPMENT, "equipment_name": f"Pump-{i}"},
                        format="json").status_code == 201
    upload(client_for("admin"))
    AuditEntry.objects.filter(username="ada").update(at=timezone.now() - timedelta(days=3))
    admin = client_for("admin")
    body = admin.get(API + "audit/?page_size=2").json()
    assert set(body) == {"count", "next", "previous", "results"} and len(body["results"]) == 2
    assert body["count"] == AuditEntry.objects.count() and body["next"]
    item = body["results"][0]
    assert set(item) == {"id", "at", "user", "user_id", "ip", "via", "action", "model", "object_id",
                         "object_repr", "changes"}
    assert item["user"] == "eve" and item["at"].endswith("Z")          # newest first
    by_eve = admin.get(API + "audit/?user=eve&model=equipment&action=create").json()
    assert by_eve["count"] == 3 and {r["object_repr"] for r in by_eve["results"]} == {"Pump-0", "Pump-1", "Pump-2"}
    by_id = admin.get(API + f"audit/?user={users['eve'].pk}&model=equipment.equipment").json()
    assert by_id["count"] == 3
    today = timezone.now().date().isoformat()
    recent = admin.get(API + f"audit/?since={today}").json()
    assert recent["count"] == AuditEntry.objects.exclude(username="ada").count() >= 3
    assert all(r["user"] != "ada" for r in recent["results"])       # ada's are three days old
    older = admin.get(API + f"audit/?until={(timezone.now() - timedelta(days=1)).isoformat()}").json()
    assert older["count"] >= 1 and all(r["user"] == "ada" for r in older["results"])
    bad = admin.get(API + "audit/?since=yesterday")
    assert bad.status_code == 400 and "since" in bad.json()["detail"]
    assert admin.get(API + "audit/?action=erase").status_code == 400


def test_django_admin_lists_the_log_read_only_and_records_admin_changes(users, client_for):
    upload(client_for("engineer"))
    ds = CSVDataset.objects.get()
    web = APIClient()
    web.force_login(users["ada"])
    assert web.get("/admin/audit/auditentry/").status_code == 200
    entry = AuditEntry.objects.first()
    assert web.get(f"/admin/audit/auditentry/{entry.pk}/change/").status_code == 200   # view only
    assert web.get("/admin/audit/auditentry/add/").status_code == 403
    assert web.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    r = web.post(f"/admin/analytics/csvdataset/{ds.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    [gone] = entries(model="analytics.csvdataset", action="delete")
    assert gone.username == "ada" and gone.via == "session"
    viewer = APIClient()
    viewer.force_login(users["vic"])
    assert viewer.get("/admin/audit/auditentry/").status_code == 302    # not staff: to the login page
