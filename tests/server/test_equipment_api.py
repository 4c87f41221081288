"""Seed §3.2 equipment, §3.3 parameter history and §3.4 trends: shapes compared with the seed's
examples, roles (viewer reads, engineer writes own, admin all), uploads creating equipment and
readings with the desktop registry's rules, and trends equal to an independent computation."""
from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from srv_helpers import API, CLEAN_CSV, upload

from server.analytics.models import CSVDataset
from server.equipment.models import Equipment, ParameterHistory

pytestmark = pytest.mark.django_db

# seed §3.2 list example item keys; detail / POST / PUT add created_by
SEED_LIST_ITEM = {"id", "equipment_name", "equipment_type", "flowrate", "pressure", "temperature", "status",
                  "installation_date", "last_maintenance_date", "notes", "created_at", "updated_at"}
SEED_DETAIL = SEED_LIST_ITEM | {"created_by"}
SEED_READING = {"id", "equipment", "flowrate", "pressure", "temperature", "timestamp", "recorded_by"}
SEED_POST = {"equipment_name": "Pump-5", "equipment_type": "Pump", "flowrate": 128.50, "pressure": 5.50,
             "temperature": 112.00, "status": "active", "installation_date": "2026-01-20",
             "notes": "New installation"}
SEED_PUT = {"equipment_name": "Pump-1", "equipment_type": "Pump", "flowrate": 125.00, "pressure": 5.30,
            "temperature": 115.00, "status": "maintenance", "installation_date": "2024-06-15",
            "last_maintenance_date": "2026-01-28", "notes": "Under scheduled maintenance"}
SERIES = (b"Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature,Status\n"
          b"2026-01-20T01:10:00Z,Pump-1,Pump,100,5.0,100,Running\n"
          b"2026-01-20T01:50:00Z,Pump-1,Pump,110,5.2,104,Running\n"
          b"2026-01-20T02:30:00Z,pump-1 ,Pump,999,9.9,999,Offline\n"
          b"2026-01-20T02:45:00Z,Pump-1,Pump,120,5.4,108,Running\n"
          b"2026-01-21T09:00:00Z,Pump-1,Pump,130,5.6,112,???\n"     # unknown status: not running
          b"2026-01-26T09:00:00Z,Pump-1,Pump,140,5.8,116,Running\n"
          b"2026-01-26T09:00:00Z,Pump-1,Pump,1,1,1,Running\n"        # same time again: the first row counts
          b"2026-01-20T01:00:00Z,Valve-9,Valve,50,4.0,90,Stopped\n")


def _make(client, **over):
    r = client.post(API + "equipment/", {**SEED_POST, **over}, format="json")
    assert r.status_code == 201, r.content
    return r.json()


# -- list, filters, pagination -----------------------------------------------------------------

def test_list_has_the_seed_shape_filters_and_pages(client_for):
    upload(client_for("engineer"))
    c = client_for("viewer")
    r = c.get(API + "equipment/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 4 and body["next"] is None and body["previous"] is None
    assert all(set(item) == SEED_LIST_ITEM for item in body["results"])
    first = body["results"][0]
    assert (first["equipment_name"], first["equipment_type"], first["flowrate"], first["pressure"],
            first["temperature"], first["status"]) == ("Pump-1", "Pump", 120.0, 5.2, 110.0, "active")
    assert first["created_at"].endswith("Z") and first["installation_date"] is None
    page1 = c.get(API + "equipment/?page_size=3").json()
    assert page1["count"] == 4 and len(page1["results"]) == 3 and "page=2" in page1["next"]
    page2 = c.get(page1["next"]).json()
    assert [x["equipment_name"] for x in page2["results"]] == ["Valve-1"] and page2["previous"]
    names = lambda q: [x["equipment_name"] for x in c.get(API + "equipment/" + q).json()["results"]]  # noqa: E731
    assert names("?equipment_type=Pump") == ["Pump-1", "Pump-2"]
    assert names("?equipment_type=pumps") == ["Pump-1", "Pump-2"]         # spellings as in files
    assert names("?search=  PUMP-2 ") == ["Pump-2"]
    assert names("?search=ress") == ["Compressor-1"]
    assert names("?status=maintenance") == []
    assert c.get(API + "equipment/?status=broken").status_code == 400
    assert c.get(API + "equipment/?page=9").status_code == 404


# -- detail, POST, PUT, PATCH, DELETE ------------------------------------------------------------

def test_post_put_patch_delete_with_the_seed_examples(client_for, users):
    eve, ada = client_for("engineer"), client_for("admin")
    body = _make(eve)
    assert set(body) == SEED_DETAIL
    assert {k: body[k] for k in SEED_POST} == SEED_POST
    assert body["last_maintenance_date"] is None
    assert body["created_by"] == {"id": users["eve"].pk, "username": "eve"}
    detail = client_for("viewer").get(API + f"equipment/{body['id']}/")
    assert detail.status_code == 200 and detail.json() == body
    # a value typed in is a reading at that moment
    (reading,) = ParameterHistory.objects.filter(equipment_id=body["id"])
    assert (reading.flowrate, reading.recorded_by_id) == (128.5, users["eve"].pk)

    put = eve.put(API + f"equipment/{body['id']}/", {**SEED_PUT, "equipment_name": "Pump-5"}, format="json")
    assert put.status_code == 200, put.content
    assert {k: put.json()[k] for k in SEED_PUT if k != "equipment_name"} == \
        {k: v for k, v in SEED_PUT.items() if k != "equipment_name"}
    patch = eve.patch(API + f"equipment/{body['id']}/", {"temperature": 117.00, "notes": "Temperature adjusted"},
                      format="json")
    assert patch.status_code == 200
    assert (patch.json()["temperature"], patch.json()["notes"], patch.json()["pressure"]) == \
        (117.0, "Temperature adjusted", 5.3)
    assert ParameterHistory.objects.filter(equipment_id=body["id"]).count() == 3
    assert eve.put(API + f"equipment/{body['id']}/", {"notes": "x"}, format="json").status_code == 400

    assert eve.delete(API + f"equipment/{body['id']}/").status_code == 403     # seed: only admin
    assert ada.delete(API + f"equipment/{body['id']}/").status_code == 204
    assert ada.get(API + f"equipment/{body['id']}/").status_code == 404
    assert not ParameterHistory.objects.filter(equipment_id=body["id"]).exists()


def test_roles_viewer_reads_engineer_writes_own_admin_all(client_for):
    mine = _make(client_for("engineer"))
    url = API + f"equipment/{mine['id']}/"
    vic, ed, ada = client_for("viewer"), client_for("engineer2"), client_for("admin")
    assert vic.get(url).status_code == 200 and vic.get(API + "equipment/").status_code == 200
    assert vic.post(API + "equipment/", {**SEED_POST, "equipment_name": "V"}, format="json").status_code == 403
    assert vic.patch(url, {"notes": "x"}, format="json").status_code == 403
    assert vic.delete(url).status_code == 403
    assert ed.patch(url, {"notes": "not mine"}, format="json").status_code == 403
    assert ed.put(url, SEED_PUT, format="json").status_code == 403
    assert ed.post(API + "equipment/", {**SEED_POST, "equipment_name": "Ed-1"}, format="json").status_code == 201
    assert ada.patch(url, {"notes": "admin"}, format="json").status_code == 200
    assert vic.post(API + f"equipment/{mine['id']}/history/", {"flowrate": 1}, format="json").status_code == 403
    assert ed.post(API + f"equipment/{mine['id']}/history/", {"flowrate": 1}, format="json").status_code == 201


def test_names_are_unique_trimmed_case_insensitive_and_values_follow_the_engine(client_for):
    eve = client_for("engineer")
    _make(eve)
    r = eve.post(API + "equipment/", {**SEED_POST, "equipment_name": "  pump-5 "}, format="json")
    assert r.status_code == 400 and "already exists" in str(r.json())
    tidy = _make(eve, equipment_name="  Pump   6 ", equipment_type="centrifugal pump")
    assert (tidy["equipment_name"], tidy["equipment_type"]) == ("Pump 6", "Pump")
    for field, value in [("flowrate", -1), ("pressure", -2.0), ("temperature", -300), ("status", "broken"),
                         ("equipment_name", "  "), ("installation_date", "soon")]:
        r = eve.post(API + "equipment/", {**SEED_POST, "equipment_name": "Bad", field: value}, format="json")
        assert r.status_code == 400 and field in r.json(), field
    vacuum = _make(eve, equipment_name="Vac", pressure=-0.9, temperature=-40)      # vacuum, cold: fine
    assert (vacuum["pressure"], vacuum["temperature"]) == (-0.9, -40.0)


# -- uploads create and update equipment and readings ---------------------------------------------

def test_snapshot_upload_records_readings_at_the_upload_time_or_taken_at(client_for, users):
    eve = client_for("engineer")
    body = upload(eve).json()
    assert (body["equipment_created"], body["readings_recorded"]) == (4, 4)
    pump = Equipment.objects.get(equipment_name="Pump-1")
    assert pump.created_by_id == users["eve"].pk and pump.equipment_type == "Pump"
    (r,) = pump.readings.all()
    assert r.dataset_id == body["id"] and r.recorded_by_id == users["eve"].pk and r.status == "active"
    assert abs((r.timestamp - CSVDataset.objects.get(pk=body["id"]).uploaded_at).total_seconds()) < 1
    # the same names again (other case and spacing), a snapshot taken earlier, no type change
    again = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
             b" PUMP-1 ,Compressor,121,5.1,109\n")
    upload(eve, again, fields={"taken_at": "2026-01-01T06:00:00Z"})
    pump.refresh_from_db()
    assert Equipment.objects.count() == 4 and pump.equipment_name == "Pump-1"
    assert pump.equipment_type == "Compressor"            # the file names a type: it is taken
    assert pump.flowrate == 120.0                         # the older reading does not replace the newest
    assert [x.timestamp for x in pump.readings.order_by("timestamp")][0] == datetime(2026, 1, 1, 6, tzinfo=UTC)


def test_time_series_upload_one_reading_per_time_type_kept_status_from_latest(client_for):
    eve = client_for("engineer")
    _make(eve, equipment_name="Valve-9", equipment_type="Valve", flowrate=None, pressure=None,
          temperature=None)
    body = upload(eve, SERIES.replace(b",Valve,", b",,"), "series.csv").json()   # Valve-9 has no type here
    assert body["created"] and body["readings_recorded"] == 7 and body["equipment_created"] == 1
    pump = Equipment.objects.get(name_key="pump-1")
    valve = Equipment.objects.get(equipment_name="Valve-9")
    assert valve.equipment_type == "Valve"                          # kept: the file names none
    assert valve.status == "active"                                 # known equipment keep their status
    readings = list(pump.readings.order_by("timestamp").values_list("timestamp", "flowrate", "status"))
    assert len(readings) == 6
    assert readings[-1] == (datetime(2026, 1, 26, 9, tzinfo=UTC), 140.0, "active")    # the first row of that time
    assert readings[2][2] == "inactive" and readings[3][2] == "active" and readings[4][2] is None
    pump.refresh_from_db()
    assert (pump.flowrate, pump.last_reading_at) == (140.0, datetime(2026, 1, 26, 9, tzinfo=UTC))


def test_new_equipment_starts_with_its_latest_readings_status(client_for):
    upload(client_for("engineer"), SERIES, "series.csv")
    assert Equipment.objects.get(equipment_name="Valve-9").status == "inactive"     # Stopped
    assert Equipment.objects.get(name_key="pump-1").status == "active"


def test_deleting_a_dataset_removes_its_readings_retention_keeps_them(client_for, settings):
    eve = client_for("engineer")
    first = upload(eve, SERIES, "series.csv").json()
    second = upload(eve).json()
    pump = Equipment.objects.get(name_key="pump-1")
    assert pump.readings.count() == 7 and pump.flowrate == 120.0       # the snapshot (now) is newest
    assert eve.delete(API + f"analytics/csv/datasets/{second['id']}/").status_code == 204
    pump.refresh_from_db()
    assert pump.readings.count() == 6 and pump.flowrate == 140.0       # back to the series' newest
    settings.CHEMVIZ_KEEP_PER_USER = 1
    upload(eve, CLEAN_CSV.replace(b"Valve-1", b"Valve-2"))              # prunes the series dataset
    assert not CSVDataset.objects.filter(pk=first["id"]).exists()
    assert pump.readings.count() == 7 and pump.readings.filter(dataset__isnull=True).count() == 6


# -- history -----------------------------------------------------------------------------------

def test_history_get_has_the_seed_shape_range_and_pages(client_for, users):
    upload(client_for("engineer"), SERIES, "series.csv")
    pump = Equipment.objects.get(name_key="pump-1")
    c = client_for("viewer")
    body = c.get(API + f"equipment/{pump.pk}/history/").json()
    assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 6
    item = body["results"][0]
    assert set(item) == SEED_READING | {"status"}
    assert item["equipment"] == pump.pk and item["timestamp"] == "2026-01-20T01:10:00Z"
    assert (item["flowrate"], item["pressure"], item["temperature"]) == (100.0, 5.0, 100.0)
    assert item["recorded_by"] == {"id": users["eve"].pk, "username": "eve"}
    day = c.get(API + f"equipment/{pump.pk}/history/?start_date=2026-01-20&end_date=2026-01-20").json()
    assert day["count"] == 4                                        # a date as end_date includes its day
    hours = c.get(API + f"equipment/{pump.pk}/history/?start_date=2026-01-20T01:50:00Z"
                        "&end_date=2026-01-20T02:45:00Z").json()
    assert [x["timestamp"] for x in hours["results"]] == ["2026-01-20T01:50:00Z", "2026-01-20T02:30:00Z"]
    local = c.get(API + f"equipment/{pump.pk}/history/?start_date=2026-01-20T03:50:00%2B02:00").json()
    assert local["count"] == 5
    paged = c.get(API + f"equipment/{pump.pk}/history/?page_size=4").json()
    assert len(paged["results"]) == 4 and "page=2" in paged["next"]
    assert c.get(API + f"equipment/{pump.pk}/history/?start_date=nope").status_code == 400
    assert c.get(API + f"equipment/{pump.pk}/history/?start_date=2026-02-01&end_date=2026-01-01").status_code == 400
    assert c.get(API + "equipment/99999/history/").status_code == 404


def test_history_post_seed_example_updates_current_values_and_refuses_a_second_reading_at_a_time(
        client_for, users):
    eq = _make(client_for("engineer"))
    ed = client_for("engineer2")
    url = API + f"equipment/{eq['id']}/history/"
    r = ed.post(url, {"flowrate": 123.50, "pressure": 5.28, "temperature": 113.00}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == SEED_READING | {"status"}
    assert (body["equipment"], body["flowrate"], body["pressure"], body["temperature"]) == (eq["id"], 123.5, 5.28, 113.0)
    assert body["recorded_by"] == {"id": users["ed"].pk, "username": "ed"} and body["timestamp"].endswith("Z")
    assert Equipment.objects.get(pk=eq["id"]).flowrate == 123.5            # the newest reading
    old = ed.post(url, {"flowrate": 1, "timestamp": "2020-01-01T00:00:00Z", "status": "maintenance"}, format="json")
    assert old.status_code == 201 and old.json()["status"] == "maintenance"
    assert Equipment.objects.get(pk=eq["id"]).flowrate == 123.5            # an older one does not replace it
    again = ed.post(url, {"flowrate": 2, "timestamp": "2020-01-01T00:00:00Z"}, format="json")
    assert again.status_code == 409 and "one reading per equipment per time" in again.json()["detail"]
    assert ed.post(url, {}, format="json").status_code == 400
    assert ed.post(url, {"flowrate": -5}, format="json").status_code == 400
    assert ed.post(API + "equipment/99999/history/", {"flowrate": 1}, format="json").status_code == 404


# -- trends ------------------------------------------------------------------------------------

def _independent(readings, interval: str):
    """Bucket means by hand: hour / UTC day / Monday 00:00 UTC starts; running readings only."""
    groups = defaultdict(list)
    for t, v in readings:
        if interval == "hourly":
            start = t.replace(minute=0, second=0, microsecond=0)
        elif interval == "daily":
            start = t.replace(hour=0, minute=0, second=0, microsecond=0)
        else:
            day = t.replace(hour=0, minute=0, second=0, microsecond=0)
            start = day - timedelta(days=day.weekday())
        groups[start].append(v)
    return [{"timestamp": s.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": sum(v) / len(v), "count": len(v)}
            for s, v in sorted(groups.items())]


RUNNING = [(datetime(2026, 1, 20, 1, 10, tzinfo=UTC), 100.0), (datetime(2026, 1, 20, 1, 50, tzinfo=UTC), 110.0),
           (datetime(2026, 1, 20, 2, 45, tzinfo=UTC), 120.0), (datetime(2026, 1, 26, 9, tzinfo=UTC), 140.0)]


@pytest.mark.parametrize("interval", ["hourly", "daily", "weekly"])
def test_trends_equal_an_independent_computation(client_for, interval):
    upload(client_for("engineer"), SERIES, "series.csv")
    pump = Equipment.objects.get(name_key="pump-1")
    r = client_for("viewer").get(API + f"analytics/trends/?equipment_id={pump.pk}&parameter=flowrate"
                                       f"&interval={interval}")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"equipment_id", "equipment_name", "parameter", "interval", "data_points"}
    assert (body["equipment_id"], body["equipment_name"], body["parameter"], body["interval"]) == \
        (pump.pk, "Pump-1", "flowrate", interval)
    expected = _independent(RUNNING, interval)      # Offline (999) and unknown-status readings left out
    assert [p["timestamp"] for p in body["data_points"]] == [p["timestamp"] for p in expected]
    assert [p["count"] for p in body["data_points"]] == [p["count"] for p in expected]
    assert [p["value"] for p in body["data_points"]] == pytest.approx([p["value"] for p in expected], abs=1e-9)


def test_trends_default_daily_window_all_status_and_errors(client_for):
    upload(client_for("engineer"), SERIES, "series.csv")
    pump = Equipment.objects.get(name_key="pump-1")
    c = client_for("viewer")
    base = API + f"analytics/trends/?equipment_id={pump.pk}&parameter=temperature"
    daily = c.get(base).json()
    assert daily["interval"] == "daily" and [p["count"] for p in daily["data_points"]] == [3, 1]
    window = c.get(base + "&start_date=2026-01-20T01:30:00Z&end_date=2026-01-21").json()
    assert window["data_points"] == [{"timestamp": "2026-01-20T00:00:00Z", "value": 106.0, "count": 2}]
    every = c.get(base + "&all_status=true&interval=daily").json()
    assert [p["count"] for p in every["data_points"]] == [4, 1, 1]
    assert c.get(base + "&start_date=2027-01-01").json()["data_points"] == []
    for query, code in [("?parameter=flowrate", 400), (f"?equipment_id={pump.pk}", 400),
                        (f"?equipment_id={pump.pk}&parameter=speed", 400),
                        (f"?equipment_id={pump.pk}&parameter=flowrate&interval=monthly", 400),
                        (f"?equipment_id={pump.pk}&parameter=flowrate&start_date=x", 400),
                        ("?equipment_id=99999&parameter=flowrate", 404)]:
        r = c.get(API + "analytics/trends/" + query)
        assert r.status_code == code and "detail" in r.json(), query


def test_trends_agree_with_the_engine_pipeline_the_desktop_uses(client_for):
    """The desktop CLI's `trend --json` is engine.trends.bucket + data_points over its readings;
    the same readings through the API give the same points."""
    import numpy as np
    import pandas as pd

    from engine.trends import bucket, data_points
    upload(client_for("engineer"), SERIES, "series.csv")
    pump = Equipment.objects.get(name_key="pump-1")
    times = pd.to_datetime([t for t, _ in RUNNING], utc=True)
    values = np.array([v for _, v in RUNNING])
    for interval in ("hourly", "daily", "weekly"):
        body = client_for("viewer").get(API + f"analytics/trends/?equipment_id={pump.pk}&parameter=flowrate"
                                              f"&interval={interval}").json()
        assert body["data_points"] == data_points(bucket(times, values, interval))


def test_trends_read_the_window_to_the_microsecond_and_leave_out_readings_without_the_value(client_for):
    """The window is read as epoch microseconds straight from the database (no datetime per
    reading): boundaries hold to the microsecond, a reading without this parameter is no point."""
    eve, vic = client_for("engineer"), client_for("viewer")
    eq = eve.post(API + "equipment/", {"equipment_name": "Pump-W", "equipment_type": "Pump"}, format="json").json()
    for body in ({"pressure": 1.0, "timestamp": "2026-03-02T08:00:00.250000Z"},
                 {"pressure": 2.0, "timestamp": "2026-03-02T08:00:00.750000Z"},
                 {"flowrate": 3.0, "timestamp": "2026-03-02T08:00:01Z"},                 # no pressure
                 {"pressure": 50.0, "timestamp": "2026-03-02T09:00:00Z", "status": "maintenance"},
                 {"pressure": 4.0, "timestamp": "2026-03-03T10:00:00Z"}):
        r = eve.post(API + f"equipment/{eq['id']}/history/", body, format="json")
        assert r.status_code == 201, r.content
    base = API + f"analytics/trends/?equipment_id={eq['id']}&parameter=pressure"
    raw = vic.get(base + "&interval=raw").json()["data_points"]
    assert raw == [{"timestamp": "2026-03-02T08:00:00Z", "value": 1.0, "count": 1},
                   {"timestamp": "2026-03-02T08:00:00Z", "value": 2.0, "count": 1},
                   {"timestamp": "2026-03-03T10:00:00Z", "value": 4.0, "count": 1}]
    window = vic.get(base + "&interval=raw&start_date=2026-03-02T08:00:00.750000Z"
                            "&end_date=2026-03-03T10:00:00Z").json()["data_points"]
    assert window == [{"timestamp": "2026-03-02T08:00:00Z", "value": 2.0, "count": 1}]
    hourly = vic.get(base + "&interval=hourly&all_status=true").json()["data_points"]
    assert hourly == [{"timestamp": "2026-03-02T08:00:00Z", "value": 1.5, "count": 2},
                      {"timestamp": "2026-03-02T09:00:00Z", "value": 50.0, "count": 1},
                      {"timestamp": "2026-03-03T10:00:00Z", "value": 4.0, "count": 1}]


def test_trends_read_in_pieces_give_the_same_points(client_for, monkeypatch):
    """The window is read in pages (PostgreSQL) / fetches (SQLite) of many readings; pieces of 2
    must join into the same trend as one piece."""
    from server.equipment import views_analytics
    upload(client_for("engineer"), SERIES, "series.csv")
    pump = Equipment.objects.get(name_key="pump-1")
    c = client_for("viewer")
    queries = [f"analytics/trends/?equipment_id={pump.pk}&parameter=flowrate&interval={i}{extra}"
               for i in ("raw", "hourly") for extra in ("", "&all_status=true", "&start_date=2026-01-20T01:30:00Z")]
    whole = [c.get(API + q).json()["data_points"] for q in queries]
    monkeypatch.setattr(views_analytics, "PAGE", 2)
    monkeypatch.setattr(views_analytics, "FETCH", 2)
    assert [c.get(API + q).json()["data_points"] for q in queries] == whole
    assert len(whole[0]) == len(RUNNING)
