"""Conformance with the seed (000_*.txt §3): the upload answers 200 with the seed's body, a
repeat of a client_id 200 with "created": false, another file under the same client_id 409;
analytics/comparison/ compares equipment in the seed's shape (datasets moved to
analytics/csv/datasets/compare/); analytics/csv/export/; statistics/ honours `status`;
metadata/status-choices/."""
from __future__ import annotations

import csv
import io
import uuid

import pandas as pd
import pytest
from srv_helpers import API, CLEAN_CSV, upload

import engine
from server.analytics.models import CSVDataset
from server.equipment.models import Equipment, ParameterHistory

pytestmark = pytest.mark.django_db

# seed §3.4 upload example's keys (200 OK - Synchronous Processing)
SEED_UPLOAD_KEYS = {"dataset_id", "file_name", "status", "message", "row_count", "statistics", "created_at"}
SEED_COMPARISON_ITEM = {"id", "equipment_name", "equipment_type", "flowrate", "pressure", "temperature", "status"}
OTHER_BYTES = CLEAN_CSV.replace(b"Valve-1,Valve,60", b"Valve-1,Valve,61")


# -- upload: 200, repeat 200 created false, other bytes 409 -----------------------------------

def test_upload_answers_200_with_the_seed_body(client_for):
    r = upload(client_for("engineer"), fields={"client_id": str(uuid.uuid4())})
    assert r.status_code == 200, r.content
    body = r.json()
    assert SEED_UPLOAD_KEYS <= set(body)
    assert body["status"] == "completed" and body["message"] == "CSV processed successfully."
    assert {"flowrate_avg", "pressure_avg", "temperature_avg"} <= set(body["statistics"])
    assert body["created"] is True and body["readings_recorded"] == 4 and body["equipment_created"] == 4


@pytest.mark.parametrize("how", ["field", "header"])
def test_repeat_same_bytes_is_200_created_false(client_for, how):
    c = client_for("engineer")
    key = str(uuid.uuid4())
    kw = {"fields": {"client_id": key}} if how == "field" else {"HTTP_IDEMPOTENCY_KEY": key}
    first, again = upload(c, **kw), upload(c, **kw)
    assert (first.status_code, again.status_code) == (200, 200)
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert again.json()["dataset_id"] == first.json()["dataset_id"]
    assert again.json()["readings_recorded"] == 4
    assert CSVDataset.objects.count() == 1 and ParameterHistory.objects.count() == 4


@pytest.mark.parametrize("how", ["field", "header"])
def test_repeat_of_a_client_id_with_other_bytes_is_409(client_for, how):
    c = client_for("engineer")
    key = str(uuid.uuid4())
    kw = {"fields": {"client_id": key}} if how == "field" else {"HTTP_IDEMPOTENCY_KEY": key}
    first = upload(c, **kw)
    clash = upload(c, OTHER_BYTES, "other.csv", **kw)
    assert clash.status_code == 409
    body = clash.json()
    assert "client_id" in body["detail"] and "different file" in body["detail"]
    assert body["dataset_id"] == first.json()["dataset_id"]
    assert CSVDataset.objects.count() == 1
    assert Equipment.objects.get(equipment_name="Valve-1").flowrate == 60.0     # nothing of it stored


def test_another_user_may_use_the_same_client_id(client_for):
    key = str(uuid.uuid4())
    a = upload(client_for("engineer"), fields={"client_id": key})
    b = upload(client_for("engineer2"), OTHER_BYTES, fields={"client_id": key})
    assert (a.status_code, b.status_code) == (200, 200) and b.json()["created"] is True


def test_bad_taken_at_is_400(client_for):
    r = upload(client_for("engineer"), fields={"taken_at": "yesterday"})
    assert r.status_code == 400 and "taken_at" in r.json()["detail"]


# -- analytics/comparison/: equipment, the seed's shape ----------------------------------------

def test_equipment_comparison_has_the_seed_shape(client_for):
    upload(client_for("engineer"))
    ids = {e.equipment_name: e.pk for e in Equipment.objects.all()}
    pump, comp = ids["Pump-1"], ids["Compressor-1"]
    r = client_for("viewer").get(API + f"analytics/comparison/?equipment_ids={pump},{comp}")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"equipment", "comparison"}
    assert [e["id"] for e in body["equipment"]] == [pump, comp]
    assert all(set(e) == SEED_COMPARISON_ITEM for e in body["equipment"])
    # seed example: Pump-1 120/5.2/110 against Compressor-1 95/8.4/95
    assert body["comparison"] == {
        "flowrate": {"highest": {"equipment_id": pump, "value": 120.0},
                     "lowest": {"equipment_id": comp, "value": 95.0}},
        "pressure": {"highest": {"equipment_id": comp, "value": 8.4},
                     "lowest": {"equipment_id": pump, "value": 5.2}},
        "temperature": {"highest": {"equipment_id": pump, "value": 110.0},
                        "lowest": {"equipment_id": comp, "value": 95.0}}}


def test_equipment_comparison_of_three_and_errors(client_for):
    upload(client_for("engineer"))
    ids = [e.pk for e in Equipment.objects.order_by("id")]
    c = client_for("viewer")
    body = c.get(API + "analytics/comparison/?equipment_ids=" + ",".join(map(str, ids))).json()
    assert body["comparison"]["flowrate"]["highest"]["value"] == 132.0
    assert body["comparison"]["flowrate"]["lowest"]["value"] == 60.0
    for query, code in [("", 400), ("?equipment_ids=1", 400), ("?equipment_ids=a,b", 400),
                        (f"?equipment_ids={ids[0]},99999", 404)]:
        r = c.get(API + "analytics/comparison/" + query)
        assert r.status_code == code and "detail" in r.json(), query
    moved = c.get(API + "analytics/comparison/?a=1&b=2")
    assert moved.status_code == 400 and "analytics/csv/datasets/compare/" in moved.json()["detail"]


# -- metadata/status-choices/ ------------------------------------------------------------------

def test_status_choices_are_the_seeds(client_for):
    r = client_for("viewer").get(API + "metadata/status-choices/")
    assert r.status_code == 200
    assert r.json() == {"statuses": [{"value": "active", "label": "Active"},
                                     {"value": "maintenance", "label": "Under Maintenance"},
                                     {"value": "inactive", "label": "Inactive"}]}


# -- analytics/statistics/?status= -------------------------------------------------------------

def test_statistics_honour_status(client_for):
    upload(client_for("engineer"))
    pump2 = Equipment.objects.get(equipment_name="Pump-2")
    assert client_for("admin").patch(API + f"equipment/{pump2.pk}/", {"status": "maintenance"},
                                     format="json").status_code == 200
    c = client_for("viewer")
    active = c.get(API + "analytics/statistics/?status=active").json()
    frame = pd.DataFrame([{"Equipment Name": n, "Type": t, "Flowrate": f, "Pressure": p, "Temperature": x}
                          for n, t, f, p, x in [("Pump-1", "Pump", 120, 5.2, 110),
                                                ("Compressor-1", "Compressor", 95, 8.4, 95),
                                                ("Valve-1", "Valve", 60, 4.1, 105)]])
    expected = engine.compute_statistics(frame)
    assert {k: active[k] for k in ("total_equipment", "by_type", "overall")} == \
        {k: expected[k] for k in ("total_equipment", "by_type", "overall")}
    assert active["status"] == "active" and active["source"] == "equipment"
    maint = c.get(API + "analytics/statistics/?status=maintenance").json()
    assert maint["total_equipment"] == 1 and maint["by_type"]["Pump"]["avg_flowrate"] == 132.0
    pumps = c.get(API + "analytics/statistics/?status=active&equipment_type=Pump").json()
    assert list(pumps["by_type"]) == ["Pump"] and pumps["by_type"]["Pump"]["count"] == 1
    assert c.get(API + "analytics/statistics/?status=inactive").json()["total_equipment"] == 0
    assert c.get(API + "analytics/statistics/?status=broken").status_code == 400
    assert c.get(API + "analytics/statistics/?status=active&dataset=1").status_code == 400
    latest = c.get(API + "analytics/statistics/").json()          # without status: the latest dataset
    assert latest["total_equipment"] == 4 and "dataset_id" in latest


# -- analytics/csv/export/ ---------------------------------------------------------------------

def _rows(resp) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8"))))


def test_export_of_the_registry_with_filters(client_for):
    upload(client_for("engineer"), CLEAN_CSV + b"=cmd|' /C calc'!A0,Pump,1,1,1\n")
    c = client_for("viewer")
    r = c.get(API + "analytics/csv/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert r["Content-Disposition"].startswith('attachment; filename="equipment_export_')
    rows = _rows(r)
    assert [x["Equipment Name"] for x in rows][:1] == ["'=cmd|' /C calc'!A0"]    # formula-safe
    assert {x["Equipment Name"] for x in rows} >= {"Pump-1", "Pump-2", "Compressor-1", "Valve-1"}
    pump1 = next(x for x in rows if x["Equipment Name"] == "Pump-1")
    assert (pump1["Type"], float(pump1["Flowrate"]), pump1["Status"]) == ("Pump", 120.0, "active")
    pumps = _rows(c.get(API + "analytics/csv/export/?equipment_type=pump"))
    assert sorted(x["Equipment Name"] for x in pumps) == ["'=cmd|' /C calc'!A0", "Pump-1", "Pump-2"]
    assert _rows(c.get(API + "analytics/csv/export/?status=inactive")) == []
    assert c.get(API + "analytics/csv/export/?status=nope").status_code == 400
    assert c.get(API + "analytics/csv/export/?include_history=maybe").status_code == 400


def test_export_with_history_reads_back_as_the_same_time_series(client_for):
    ts = (b"Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature,Status\n"
          b"2026-01-20T01:00:00Z,Pump-1,Pump,120,5.2,110,Running\n"
          b"2026-01-20T02:00:00Z,Pump-1,Pump,122,5.3,111,Offline\n"
          b"2026-01-20T01:30:00Z,Valve-1,Valve,60,4.1,105,\n")
    upload(client_for("engineer"), ts, "series.csv")
    r = client_for("viewer").get(API + "analytics/csv/export/?include_history=true")
    data = b"".join(r.streaming_content)
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [(x["Timestamp"], x["Equipment Name"], x["Status"]) for x in rows] == [
        ("2026-01-20T01:00:00Z", "Pump-1", "active"), ("2026-01-20T02:00:00Z", "Pump-1", "inactive"),
        ("2026-01-20T01:30:00Z", "Valve-1", "active")]
    back = engine.load(data, file_name="export.csv")
    assert back.accepted and back.report.rows_accepted == 3 and "Timestamp" in back.frame
