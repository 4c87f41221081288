"""Dataset list/detail/delete/export, statistics, comparison, metadata, health, schema, docs,
admin (seed §3.4, §3.5, appendix)."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from srv_helpers import API, CLEAN_CSV, PARTLY_BAD_CSV, upload

import engine
from server.analytics.models import CSVDataset

LIST_KEYS = {"id", "file_name", "uploaded_by", "uploaded_at", "row_count", "status", "processed_at",
             "client_id", "rows_accepted", "rows_excluded", "content_sha256"}   # last three: issue 11
DETAIL_KEYS = {"id", "file_name", "file_path", "uploaded_by", "uploaded_at", "row_count", "status",
               "error_log", "statistics", "processed_at", "report", "client_id",
               "rows_accepted", "rows_excluded", "content_sha256"}
OTHER_CSV = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
             b"Pump-9,Pump,100,5,100\nReactor-1,Reactor,10,20,300\n")


@pytest.fixture
def two(client_for):
    a = upload(client_for("engineer"), CLEAN_CSV, "a.csv").json()["id"]
    b = upload(client_for("engineer2"), OTHER_CSV, "b.csv").json()["id"]
    return a, b


# -- list -------------------------------------------------------------------------------------

def test_list_newest_five_seed_shape(client_for):
    eve, ed = client_for("engineer"), client_for("engineer2")
    ids = [upload(eve if i % 2 else ed, name=f"f{i}.csv").json()["id"] for i in range(7)]
    r = client_for("viewer").get(API + "analytics/csv/datasets/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"count", "results"} and body["count"] == 5
    assert [d["id"] for d in body["results"]] == ids[::-1][:5]
    item = body["results"][0]
    assert set(item) == LIST_KEYS
    assert set(item["uploaded_by"]) == {"id", "username"} and item["uploaded_by"]["username"] == "ed"
    assert item["status"] == "completed" and item["row_count"] == 4 and item["processed_at"]


def test_list_limit_and_mine(client_for, two):
    eve = client_for("engineer")
    assert eve.get(API + "analytics/csv/datasets/?limit=1").json()["count"] == 1
    mine = eve.get(API + "analytics/csv/datasets/?mine=1").json()
    assert [d["id"] for d in mine["results"]] == [two[0]]
    assert eve.get(API + "analytics/csv/datasets/?limit=zero").status_code == 400


def test_list_empty(client_for):
    assert client_for("viewer").get(API + "analytics/csv/datasets/").json() == {"count": 0, "results": []}


# -- detail / delete --------------------------------------------------------------------------

def test_detail_seed_shape(client_for):
    key = "3b241101-e2bb-4255-8caf-4136c566a962"
    sid = upload(client_for("engineer"), PARTLY_BAD_CSV, "plant.csv", fields={"client_id": key}).json()["id"]
    r = client_for("viewer").get(API + f"analytics/csv/datasets/{sid}/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == DETAIL_KEYS
    assert body["file_path"].startswith("/media/csv_uploads/") and body["file_path"].endswith("plant.csv")
    assert body["uploaded_by"]["username"] == "eve" and body["client_id"] == key
    assert {"total_equipment", "by_type", "overall"} <= set(body["statistics"])
    assert body["report"]["rows_excluded"] == 2 and "Row 3" in body["error_log"]


def test_detail_404(client_for):
    r = client_for("viewer").get(API + "analytics/csv/datasets/999/")
    assert r.status_code == 404 and r.json() == {"detail": "No CSVDataset matches the given query."}


def test_viewer_cannot_delete(client_for, two):
    r = client_for("viewer").delete(API + f"analytics/csv/datasets/{two[0]}/")
    assert r.status_code == 403 and CSVDataset.objects.count() == 2


def test_engineer_deletes_own_only(client_for, two, django_capture_on_commit_callbacks):
    eve = client_for("engineer")
    assert eve.delete(API + f"analytics/csv/datasets/{two[1]}/").status_code == 403
    path = Path(CSVDataset.objects.get(pk=two[0]).file.path)
    with django_capture_on_commit_callbacks(execute=True):
        assert eve.delete(API + f"analytics/csv/datasets/{two[0]}/").status_code == 204
    assert not CSVDataset.objects.filter(pk=two[0]).exists() and not path.exists()
    assert eve.delete(API + f"analytics/csv/datasets/{two[0]}/").status_code == 404


def test_admin_deletes_anything(client_for, two):
    admin = client_for("admin")
    for sid in two:
        assert admin.delete(API + f"analytics/csv/datasets/{sid}/").status_code == 204
    assert CSVDataset.objects.count() == 0


# -- export -----------------------------------------------------------------------------------

def test_export_accepted_rows_formula_safe(client_for):
    data = (b"Equipment Name,Type,Flowrate,Pressure,Temperature,Note\n"
            b"=HYPERLINK(\"http://x\"),Pump,120,5.2,110,a\n@SUM(A1),Valve,60,4.1,105,b\n"
            b"Bad-1,Pump,-1,5,5,c\n")
    sid = upload(client_for("engineer"), data, "danger.csv").json()["id"]
    r = client_for("viewer").get(API + f"analytics/csv/datasets/{sid}/export/")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="danger_clean.csv"' in r["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8"))))   # streamed
    assert rows[0] == list(engine.schema.REQUIRED_COLUMNS)
    assert len(rows) == 3                                       # the excluded row is left out
    assert rows[1][0].startswith("'=") and rows[2][0].startswith("'@")
    assert float(rows[1][2]) == 120.0


def test_export_missing_file_is_404_json(client_for):
    sid = upload(client_for("engineer")).json()["id"]
    Path(CSVDataset.objects.get(pk=sid).file.path).unlink()
    r = client_for("viewer").get(API + f"analytics/csv/datasets/{sid}/export/")
    assert r.status_code == 404 and "missing" in r.json()["detail"]


def test_export_unknown_dataset_404(client_for):
    assert client_for("viewer").get(API + "analytics/csv/datasets/77/export/").status_code == 404


# -- statistics -------------------------------------------------------------------------------

def test_statistics_latest_seed_shape(client_for, two):
    r = client_for("viewer").get(API + "analytics/statistics/")
    assert r.status_code == 200
    body = r.json()
    assert {"total_equipment", "by_type", "overall"} <= set(body)
    assert body["dataset_id"] == two[1] and body["total_equipment"] == 2
    pump = body["by_type"]["Pump"]
    for k in ("count", "avg_flowrate", "avg_pressure", "avg_temperature", "min_flowrate", "max_flowrate",
              "min_pressure", "max_pressure", "min_temperature", "max_temperature"):
        assert k in pump
    assert set(body["overall"]) >= {"avg_flowrate", "avg_pressure", "avg_temperature"}
    expected = engine.load(OTHER_CSV).statistics                # same engine, same numbers
    assert body["by_type"] == expected["by_type"] and body["overall"] == expected["overall"]


def test_statistics_filter_and_dataset_param(client_for, two):
    c = client_for("viewer")
    body = c.get(API + f"analytics/statistics/?dataset={two[0]}&equipment_type=pump").json()
    assert body["dataset_id"] == two[0] and list(body["by_type"]) == ["Pump"]
    assert body["total_equipment"] == 2 and body["overall"]["avg_flowrate"] == 126.0
    assert body == {**engine.filter_by_type(engine.load(CLEAN_CSV).statistics, "pump"), "dataset_id": two[0]}
    none = c.get(API + "analytics/statistics/?equipment_type=Turbine").json()
    assert none["total_equipment"] == 0 and none["by_type"] == {}


def test_statistics_errors(client_for, db):
    c = client_for("viewer")
    r = c.get(API + "analytics/statistics/")
    assert r.status_code == 404 and r.json() == {"detail": "No dataset has been uploaded yet."}
    assert c.get(API + "analytics/statistics/?dataset=abc").status_code == 400
    assert c.get(API + "analytics/statistics/?dataset=42").status_code == 404


# -- comparison -------------------------------------------------------------------------------

def test_dataset_comparison_uses_engine(client_for, two):
    # moved from analytics/comparison/ (which compares equipment now, seed §3.4)
    r = client_for("viewer").get(API + f"analytics/csv/datasets/compare/?a={two[0]}&b={two[1]}")
    assert r.status_code == 200
    body = r.json()
    expected = engine.compare_statistics(engine.load(CLEAN_CSV).statistics, engine.load(OTHER_CSV).statistics)
    assert {k: body[k] for k in expected} == expected
    assert body["datasets"] == {"a": {"id": two[0], "file_name": "a.csv"}, "b": {"id": two[1], "file_name": "b.csv"}}
    assert body["by_type"]["Reactor"]["presence"] == "only_b"


@pytest.mark.parametrize("query,code", [("", 400), ("?a=1", 400), ("?a=x&b=1", 400), ("?a=998&b=999", 404)])
def test_dataset_comparison_errors(client_for, db, query, code):
    r = client_for("viewer").get(API + "analytics/csv/datasets/compare/" + query)
    assert r.status_code == code and "detail" in r.json()


# -- metadata, health, schema, docs, admin ----------------------------------------------------

def test_equipment_types(client_for):
    r = client_for("viewer").get(API + "metadata/equipment-types/")
    assert r.status_code == 200
    assert r.json() == {"types": ["Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser", "Other"]}


def test_health_needs_no_auth(anon, db):
    from rest_framework.test import APIClient
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Basic bm9ib2R5Om5vcGU=")     # wrong creds are ignored here
    for c in (anon, bad):
        r = c.get(API + "health/")
        assert r.status_code == 200
        body = r.json()
        assert set(body) == {"status", "version", "time"}
        assert body["status"] == "ok" and body["version"] == engine.__version__ and body["time"].endswith("Z")


def test_openapi_schema_and_swagger_ui(anon, db):
    r = anon.get(API + "schema/?format=json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    for path in ("auth/login/", "auth/logout/", "auth/token/", "auth/user/me/", "analytics/csv/upload/",
                 "analytics/statistics/", "analytics/csv/datasets/", "analytics/csv/datasets/{id}/",
                 "analytics/csv/datasets/{id}/export/", "analytics/comparison/",
                 "analytics/csv/datasets/compare/", "analytics/trends/", "analytics/csv/export/",
                 "equipment/", "equipment/{id}/", "equipment/{id}/history/",
                 "metadata/equipment-types/", "metadata/status-choices/", "health/"):
        assert "/api/v1/" + path in schema["paths"], path
    docs = anon.get(API + "docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()


def test_unknown_url_is_json_404(anon, db, settings):
    settings.DEBUG = False
    r = anon.get("/api/v1/no-such-thing/")
    assert r.status_code == 404 and r.json() == {"detail": "Not found."}


def test_django_admin_enabled(client_for, users):
    from django.test import Client
    c = Client()
    c.force_login(users["ada"])
    assert c.get("/admin/").status_code == 200
    assert c.get("/admin/analytics/csvdataset/").status_code == 200
    assert c.get(f"/admin/auth/user/{users['eve'].pk}/change/").status_code == 200
    assert c.get("/admin/auth/user/add/").status_code == 200


def test_list_rejects_a_mine_flag_that_is_not_a_boolean(client_for, two):
    eve = client_for("engineer")
    assert eve.get(API + "analytics/csv/datasets/?mine=null").status_code == 400
    assert eve.get(API + "analytics/csv/datasets/?mine=false").status_code == 200


def test_schema_documents_errors_and_positive_ids(client_for):
    schema = client_for("engineer").get(API + "schema/?format=json").json()
    upload = schema["paths"]["/api/v1/analytics/csv/upload/"]["post"]["responses"]
    assert {"400", "401", "403", "413", "429"} <= set(upload)
    params = schema["paths"]["/api/v1/analytics/csv/datasets/compare/"]["get"]["parameters"]
    assert all(p["schema"].get("minimum") == 1 for p in params if p["name"] in ("a", "b"))
    assert set(schema["components"]["schemas"]["DatasetPage"]["properties"]) == {"count", "results"}


def test_empty_limit_is_400_not_the_default(client_for):
    # schemathesis: `?limit=` violates the integer schema, so the API must not accept it
    r = client_for("viewer").get(API + "analytics/csv/datasets/?limit=")
    assert r.status_code == 400 and "limit" in r.json()["detail"]
