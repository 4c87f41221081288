"""POST analytics/csv/upload/: shapes, idempotency, validation errors, size limit, roles,
file-name sanitising, stored fields and retention (seed §2.2, §3.4, §6.1)."""
from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from srv_helpers import API, PARTLY_BAD_CSV, upload

from server.analytics.models import CSVDataset

UPLOAD_KEYS = {"dataset_id", "file_name", "status", "message", "row_count", "statistics", "created_at"}


def test_upload_created_with_seed_shape(client_for):
    r = upload(client_for("engineer"))
    assert r.status_code == 200      # seed: "200 OK - Synchronous Processing"
    body = r.json()
    assert body["created"] is True
    assert UPLOAD_KEYS | {"id", "client_id", "report"} <= set(body)
    assert body["id"] == body["dataset_id"] and body["status"] == "completed"
    assert body["message"] == "CSV processed successfully."
    assert body["row_count"] == 4 and body["file_name"] == "equipment.csv"
    assert body["client_id"] is None and body["uploaded_by"]["username"] == "eve"
    stats = body["statistics"]
    # seed upload example (flat averages) and the seed statistics shape side by side
    assert {"flowrate_avg", "pressure_avg", "temperature_avg"} <= set(stats)
    assert {"total_equipment", "by_type", "overall"} <= set(stats)
    assert stats["total_equipment"] == 4
    assert stats["by_type"]["Pump"]["count"] == 2 and stats["by_type"]["Pump"]["avg_flowrate"] == 126.0
    assert stats["by_type"]["Pump"]["min_flowrate"] == 120.0 and stats["by_type"]["Pump"]["max_flowrate"] == 132.0
    assert stats["flowrate_avg"] == stats["overall"]["avg_flowrate"]
    assert body["report"]["valid"] is True and body["report"]["rows_accepted"] == 4
    assert body["created_at"].endswith("Z")


def test_upload_stores_file_report_and_processing_fields(client_for):
    body = upload(client_for("engineer"), PARTLY_BAD_CSV, "plant.csv").json()
    ds = CSVDataset.objects.get(pk=body["id"])
    assert Path(ds.file.path).read_bytes() == PARTLY_BAD_CSV
    assert Path(ds.file.path).is_relative_to(Path(dj_settings.MEDIA_ROOT) / "csv_uploads")
    assert ds.processed_at is not None and ds.status == "completed"
    assert ds.report["rows_excluded"] == 2 and ds.statistics["total_equipment"] == 2
    assert "Row 3" in ds.error_log and "Row 4" in ds.error_log


def test_excluded_rows_are_200_with_report(client_for):
    r = upload(client_for("engineer"), PARTLY_BAD_CSV)
    assert r.status_code == 200
    body = r.json()
    assert body["report"]["rows_excluded"] == 2 and body["report"]["rows_accepted"] == 2
    assert body["statistics"]["total_equipment"] == 2
    codes = {i["code"] for i in body["report"]["issues"]}
    assert {"negative_value", "not_a_number"} <= codes
    assert body["message"].startswith("CSV processed with excluded rows")


@pytest.mark.parametrize("how", ["field", "header"])
def test_repeat_with_same_client_id_returns_existing(client_for, how):
    c = client_for("engineer")
    key = str(uuid.uuid4())
    kw = {"fields": {"client_id": key}} if how == "field" else {"HTTP_IDEMPOTENCY_KEY": key}
    first = upload(c, **kw)
    again = upload(c, **kw)
    assert first.status_code == again.status_code == 200
    assert (first.json()["created"], again.json()["created"]) == (True, False)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["client_id"] == key and set(again.json()) == set(first.json())
    assert CSVDataset.objects.count() == 1


def test_non_uuid_idempotency_key_maps_to_a_stable_id(client_for):
    c = client_for("engineer")
    a = upload(c, HTTP_IDEMPOTENCY_KEY="retry-42")
    b = upload(c, HTTP_IDEMPOTENCY_KEY="retry-42")
    assert (a.status_code, b.status_code) == (200, 200) and a.json()["id"] == b.json()["id"]
    assert (a.json()["created"], b.json()["created"]) == (True, False)


def test_same_client_id_from_another_user_is_a_new_dataset(client_for):
    key = str(uuid.uuid4())
    a = upload(client_for("engineer"), fields={"client_id": key})
    b = upload(client_for("engineer2"), fields={"client_id": key})
    assert a.status_code == b.status_code == 200 and a.json()["id"] != b.json()["id"]
    assert a.json()["created"] and b.json()["created"]


def test_malformed_client_id_is_400(client_for):
    r = upload(client_for("engineer"), fields={"client_id": "not-a-uuid"})
    assert r.status_code == 400 and r.json() == {"detail": "client_id must be a UUID."}


REJECTS = {
    "missing_column": b"Equipment Name,Type,Flowrate,Pressure\nP1,Pump,1,2\n",
    "empty_file": b"",
    "no_valid_rows": b"Equipment Name,Type,Flowrate,Pressure,Temperature\nP1,Pump,-1,x,1\n",
    "header_only": b"Equipment Name,Type,Flowrate,Pressure,Temperature\n",
}


@pytest.mark.parametrize("case", sorted(REJECTS))
def test_rejected_file_is_400_with_detail_and_issues(client_for, case):
    r = upload(client_for("engineer"), REJECTS[case])
    assert r.status_code == 400
    body = r.json()
    assert set(body) == {"detail", "issues"}
    assert body["detail"].startswith("Rejected:")
    assert body["issues"] and {"row", "column", "code", "message", "severity"} == set(body["issues"][0])
    assert CSVDataset.objects.count() == 0


def _xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    return buf.getvalue()


NOT_CSV = {
    "report.xlsx": _xlsx_bytes(),
    "report.pdf": b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n\x00\x01\x02\xff\xfe" * 20,
    "blob.bin": bytes(range(256)) * 40,
    "photo.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 500,
}


@pytest.mark.parametrize("name", sorted(NOT_CSV))
def test_not_a_csv_is_400_json(client_for, name):
    r = upload(client_for("engineer"), NOT_CSV[name], name)
    assert r.status_code == 400
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["detail"] and r.json()["issues"][0]["severity"] == "error"


def test_missing_file_field_is_400(client_for):
    r = client_for("engineer").post(API + "analytics/csv/upload/", {"other": "x"}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()["detail"]


def test_json_body_is_415_json(client_for):
    r = client_for("engineer").post(API + "analytics/csv/upload/", {"file": "x"}, format="json")
    assert r.status_code == 415 and "detail" in r.json()


def test_over_10_mb_is_413_json(client_for):
    assert dj_settings.CHEMVIZ_MAX_UPLOAD_BYTES == 10 * 1024 * 1024
    row = b"Pump-000001,Pump,120.5,5.25,110.0\n"
    data = b"Equipment Name,Type,Flowrate,Pressure,Temperature\n" + row * (10 * 1024 * 1024 // len(row) + 10)
    r = upload(client_for("engineer"), data, "huge.csv")
    assert r.status_code == 413
    assert r.json()["detail"].startswith("The file is larger than the limit of 10 MB")
    assert r.json()["issues"][0]["code"] == "file_too_large"


def test_body_far_over_the_limit_is_refused_before_parsing(client_for, settings):
    settings.CHEMVIZ_MAX_UPLOAD_BYTES = 1000
    data = b"Equipment Name,Type,Flowrate,Pressure,Temperature\n" + b"P,Pump,1,1,1\n" * 200_000
    r = upload(client_for("engineer"), data)
    assert r.status_code == 413 and r.json()["issues"][0]["code"] == "file_too_large"


def test_viewer_cannot_upload(client_for):
    r = upload(client_for("viewer"))
    assert r.status_code == 403 and "viewer" in r.json()["detail"]


def test_admin_can_upload(client_for):
    assert upload(client_for("admin")).status_code == 200


@pytest.mark.parametrize("evil", ["../../etc/passwd.csv", "..\\..\\win.csv", "/abs/path/x.csv",
                                  "a\x00b\x1f.csv", "a%0D%0Ab.csv", "....csv", "..\\..csv"])
def test_file_name_is_sanitised(client_for, evil):
    r = upload(client_for("engineer"), name=evil)
    assert r.status_code == 200
    name = r.json()["file_name"]
    assert "/" not in name and "\\" not in name and ".." not in name and "\x00" not in name
    ds = CSVDataset.objects.get(pk=r.json()["id"])
    media = Path(dj_settings.MEDIA_ROOT).resolve()
    assert Path(ds.file.path).resolve().is_relative_to(media / "csv_uploads")


def test_line_break_inside_a_part_header_is_a_400_not_a_stored_name(client_for):
    # a raw CR LF in the file name ends the part's header line: the body is not valid multipart
    # (requests/urllib3 and browsers send it escaped as %0D%0A, which the case above stores)
    r = upload(client_for("engineer"), name="a\r\nb.csv")
    assert r.status_code == 400 and "multipart" in r.json()["detail"]
    assert not CSVDataset.objects.exists()


def test_retention_keeps_newest_five_per_user_and_deletes_files(client_for, django_capture_on_commit_callbacks):
    eve, ed = client_for("engineer"), client_for("engineer2")
    other = upload(ed).json()["id"]
    ids, paths = [], []
    for i in range(7):
        with django_capture_on_commit_callbacks(execute=True):
            body = upload(eve, name=f"run{i}.csv").json()
        ids.append(body["id"])
        paths.append(Path(CSVDataset.objects.get(pk=body["id"]).file.path))
    kept = set(CSVDataset.objects.filter(uploaded_by__username="eve").values_list("id", flat=True))
    assert kept == set(ids[2:])
    assert not paths[0].exists() and not paths[1].exists() and all(p.exists() for p in paths[2:])
    assert CSVDataset.objects.filter(pk=other).exists()          # other users untouched


def test_retention_count_is_a_setting(client_for, settings):
    settings.CHEMVIZ_KEEP_PER_USER = 2
    c = client_for("engineer")
    for _ in range(4):
        upload(c)
    assert CSVDataset.objects.count() == 2


def test_no_stack_trace_on_unexpected_error(client_for, monkeypatch, settings):
    settings.DEBUG = False
    import server.analytics.views_upload as views

    def boom(*a, **k):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(views.engine, "load", boom)
    r = upload(client_for("engineer"))
    assert r.status_code == 500 and r.json() == {"detail": "Internal server error."}
    assert b"Traceback" not in r.content and b"secret internals" not in r.content
