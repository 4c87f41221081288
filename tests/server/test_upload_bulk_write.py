"""An upload's equipment and readings are written in pieces (server/imports/bulk.py: COPY on
PostgreSQL, multi-row INSERT on SQLite): every accepted reading and equipment is stored exactly
once with the file's values, whichever backend (run with CHEMVIZ_TEST_DB=postgresql for
PostgreSQL), and an upload that fails after some pieces leaves nothing behind."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from srv_helpers import big_csv, upload

from server.analytics.models import CSVDataset
from server.equipment import services as eq_services
from server.equipment.models import Equipment, ParameterHistory
from server.imports import bulk

pytestmark = pytest.mark.django_db

# 8 equipment x 6 times (9 spellings), names with a comma, quotes, non-ASCII letters and two spellings of one
# name; values with 17 significant digits (a text round trip must give the same doubles back)
NAMES = ['Pump "A", left', "Pumpe-Ä1", "pump-b", "  Pump-B ", "Valve-1", "Valve-2", "Column-1", "HX-1", "Tank-9"]
TIMES = [f"2026-03-0{d}T0{h}:15:30.250000Z" for d in (1, 2) for h in (1, 2, 3)]


def _series() -> tuple[bytes, dict[tuple[str, str], tuple[float, float, float, str]]]:
    lines = ["Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature,Status"]
    want: dict[tuple[str, str], tuple[float, float, float, str]] = {}
    for t, stamp in enumerate(TIMES):
        for i, name in enumerate(NAMES):
            if name == "  Pump-B " and t % 2 == 0:
                continue                     # the other spelling of pump-b has this time
            if name == "pump-b" and t % 2 == 1:
                continue
            f, p, c = 100 + i / 3 + t, 5.123456789012345 + i, 20.000000000000004 * (t + 1)
            status = ("Running", "Offline", "Maintenance")[(i + t) % 3]
            quoted = '"' + name.replace('"', '""') + '"'
            lines.append(f"{stamp},{quoted},Pump,{f!r},{p!r},{c!r},{status}")
            key = " ".join(name.split()).casefold()
            want[(key, stamp)] = (f, p, c, {"Running": "active", "Offline": "inactive"}.get(status, "maintenance"))
    return ("\n".join(lines) + "\n").encode(), want


def _stamp(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_every_reading_and_equipment_is_stored_once_with_the_files_values(client_for, users, monkeypatch):
    monkeypatch.setattr(eq_services, "PIECE", 7)     # many pieces, some across one equipment's readings
    monkeypatch.setattr(eq_services, "KEY_PIECE", 3)  # the 8 equipment registered in 3 pieces
    data, want = _series()
    r = upload(client_for("engineer"), data, "series.csv")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["readings_recorded"] == len(want) == 48
    assert body["equipment_created"] == 8
    ds = CSVDataset.objects.get(pk=body["dataset_id"])
    got = {(e_key, _stamp(ts)): (f, p, c, s) for e_key, ts, f, p, c, s in ParameterHistory.objects.values_list(
        "equipment__name_key", "timestamp", "flowrate", "pressure", "temperature", "status")}
    assert ParameterHistory.objects.count() == len(got) == len(want)       # once each
    assert got == want                                                     # exact doubles, statuses
    assert set(ParameterHistory.objects.values_list("dataset_id", "recorded_by_id")) == {(ds.pk, users["eve"].pk)}
    names = dict(Equipment.objects.values_list("name_key", "equipment_name"))
    assert len(names) == 8 and names['pump "a", left'] == 'Pump "A", left' and names["pumpe-ä1"] == "Pumpe-Ä1"
    assert names["pump-b"] == "pump-b"                                     # the file's first spelling
    # an equipment's current values are those of its newest reading
    hx = Equipment.objects.get(name_key="hx-1")
    assert (hx.flowrate, hx.pressure, hx.temperature) == want[("hx-1", TIMES[-1])][:3]
    assert _stamp(hx.last_reading_at) == TIMES[-1]
    # the same file again: no reading or equipment twice, values unchanged
    monkeypatch.setattr(eq_services, "PIECE", 10)
    again = upload(client_for("engineer"), data, "series-again.csv")
    assert again.status_code == 200 and again.json()["equipment_created"] == 0
    assert ParameterHistory.objects.count() == len(want) and Equipment.objects.count() == 8
    assert set(ParameterHistory.objects.values_list("dataset_id", flat=True)) == {again.json()["dataset_id"]}


def test_a_large_snapshot_is_stored_once_in_several_pieces(client_for):
    rows = 2 * eq_services.PIECE + 345
    data = big_csv(rows)
    r = upload(client_for("engineer"), data, "big.csv", fields={"taken_at": "2026-02-01T06:00:00Z"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["equipment_created"], body["equipment_updated"], body["readings_recorded"]) == (rows, 0, rows)
    assert ParameterHistory.objects.count() == Equipment.objects.count() == rows
    assert ParameterHistory.objects.values("equipment_id").distinct().count() == rows
    for i in (0, eq_services.PIECE - 1, eq_services.PIECE, rows - 1):   # values at piece edges, as in the file
        name = f"EQ-{i:06d}"
        line = next(x for x in data.decode().splitlines() if x.startswith(name + ","))
        f, p, t = (float(v) for v in line.split(",")[2:])
        reading = ParameterHistory.objects.get(equipment__equipment_name=name)
        assert (reading.flowrate, reading.pressure, reading.temperature) == (f, p, t)
        assert reading.timestamp == datetime(2026, 2, 1, 6, tzinfo=UTC)
        assert Equipment.objects.get(equipment_name=name).flowrate == f


@pytest.mark.parametrize("table", ["readings", "equipment"])
def test_an_upload_failing_after_half_its_pieces_leaves_nothing(client_for, monkeypatch, table):
    monkeypatch.setattr(eq_services, "PIECE", 10)
    monkeypatch.setattr(eq_services, "KEY_PIECE", 10)
    target = (ParameterHistory if table == "readings" else Equipment)._meta.db_table
    real, calls = bulk.insert, []

    def failing(name, *args, **kwargs):
        if name == target:
            calls.append(name)
            if len(calls) > 3:                    # 4 of the 8 pieces of 80 rows were written
                raise ConnectionError("the database went away mid-upload")
        return real(name, *args, **kwargs)
    monkeypatch.setattr(bulk, "insert", failing)
    eve = client_for("engineer")
    before = upload(eve).json()["dataset_id"]            # an earlier upload stays as it was
    counts = (CSVDataset.objects.count(), Equipment.objects.count(), ParameterHistory.objects.count())
    calls.clear()
    r = upload(eve, big_csv(80), "big.csv")
    assert r.status_code == 500 and len(calls) == 4
    assert (CSVDataset.objects.count(), Equipment.objects.count(), ParameterHistory.objects.count()) == counts
    assert not Equipment.objects.filter(equipment_name__startswith="EQ-").exists()
    assert list(CSVDataset.objects.values_list("pk", flat=True)) == [before]
    stored = [p.name for p in (Path(settings.MEDIA_ROOT)).rglob("*big.csv")]
    assert stored == []                                  # the failed upload's file copy is gone too


def test_an_upload_spooled_to_a_temporary_file_is_stored_byte_for_byte(client_for, settings):
    """Large uploads arrive as a temporary file; the view lets its copy of the bytes go and the
    dataset's file is that upload (moved, not re-read into memory)."""
    import hashlib
    import uuid

    from srv_helpers import CLEAN_CSV, PARTLY_BAD_CSV
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1          # every upload spools to disk
    eve, cid = client_for("engineer"), str(uuid.uuid4())
    r = upload(eve, CLEAN_CSV, fields={"client_id": cid})
    assert r.status_code == 200, r.content
    ds = CSVDataset.objects.get(pk=r.json()["dataset_id"])
    with ds.file.open("rb") as fh:
        assert fh.read() == CLEAN_CSV
    assert ds.content_sha256 == hashlib.sha256(CLEAN_CSV).hexdigest() == r.json()["content_sha256"]
    assert oct(Path(ds.file.path).stat().st_mode & 0o777) == oct(settings.FILE_UPLOAD_PERMISSIONS)
    again = upload(eve, CLEAN_CSV, fields={"client_id": cid})
    assert again.status_code == 200 and again.json()["created"] is False
    assert upload(eve, PARTLY_BAD_CSV, fields={"client_id": cid}).status_code == 409


def test_postgresql_leaves_room_on_equipment_pages_for_in_place_updates():
    # every upload rewrites its equipment's current values; with free room on the page
    # PostgreSQL updates in place without index writes (migration equipment 0002)
    from django.db import connection
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only (fillfactor is a PostgreSQL table setting); CI runs it with CHEMVIZ_TEST_DB")
    with connection.cursor() as cur:
        cur.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [Equipment._meta.db_table])
        options = cur.fetchone()[0] or []
    assert "fillfactor=70" in options
