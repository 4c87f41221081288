"""Equipment registry and readings in the store: created on import, edited, history in time order,
snapshots at their reading time line up as history (#15)."""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from chemviz_desktop.core.store import equipment as eq
from engine import schema

NOW = "2026-03-01T00:00:00+00:00"


@pytest.fixture()
def db():
    con = sqlite3.connect(":memory:", isolation_level=None)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("CREATE TABLE datasets (id INTEGER PRIMARY KEY)")
    from chemviz_desktop.core.store import shared
    for stmt in (eq.SQL_V3 + ";" + shared.SQL_V6).split(";"):
        if stmt.strip():
            con.execute(stmt)
    yield con
    con.close()


def snapshot(values: dict[str, tuple[str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame({schema.NAME: list(values), schema.TYPE: [v[0] for v in values.values()],
                         schema.FLOWRATE: [v[1] for v in values.values()],
                         schema.PRESSURE: [v[2] for v in values.values()],
                         schema.TEMPERATURE: [v[3] for v in values.values()],
                         schema.EXCLUDED: [False] * len(values)})


def ns(text: str) -> int:
    return pd.Timestamp(text, tz="UTC").value


def test_three_snapshots_make_a_three_point_history(db):
    for i, day in enumerate(["2026-03-01", "2026-03-02", "2026-03-03"], start=1):
        db.execute("INSERT INTO datasets (id) VALUES (?)", (i,))
        eq.record(db, i, snapshot({"P-101": ("Pump", 100.0 + i, 5.0, 80.0), " p-101 ": ("Pump", 0, 0, 0)}),
                  ns(day), NOW)
    listing = eq.listing(db)
    assert [(e.name, e.type, e.readings, e.first, e.last) for e in listing] == \
        [("P-101", "Pump", 3, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z")]
    assert listing[0].last_values["flowrate"] == 103.0      # the name's second spelling is the same equipment
    h = eq.history(db, "p-101")
    assert h["flowrate"].tolist() == [101.0, 102.0, 103.0]
    assert h["timestamp"].tolist() == [pd.Timestamp(d, tz="UTC") for d in ("2026-03-01", "2026-03-02", "2026-03-03")]


def test_deleting_a_dataset_deletes_its_readings(db):
    db.execute("INSERT INTO datasets (id) VALUES (1), (2)")
    eq.record(db, 1, snapshot({"V-1": ("Valve", 1, 2, 3)}), ns("2026-03-01"), NOW)
    eq.record(db, 2, snapshot({"V-1": ("Valve", 4, 5, 6)}), ns("2026-03-02"), NOW)
    db.execute("DELETE FROM datasets WHERE id=1")
    eq.forget(db, 1)                      # what Store.delete does in the same transaction
    assert eq.history(db, "V-1")["flowrate"].tolist() == [4.0]


def test_edit_checks_fields(db):
    db.execute("INSERT INTO datasets (id) VALUES (1)")
    eq.record(db, 1, snapshot({"C-1": ("Compressor", 1, 2, 3)}), ns("2026-03-01"), NOW)
    eq.update(db, "c-1", NOW, status="maintenance", installation_date="2019-05-01", notes="bearing noise")
    e = eq.listing(db)[0]
    assert (e.status, e.installation_date, e.notes) == ("maintenance", "2019-05-01", "bearing noise")
    with pytest.raises(eq.EquipmentError, match="status must be one of"):
        eq.update(db, "C-1", NOW, status="broken")
    with pytest.raises(eq.EquipmentError, match="must be a date"):
        eq.update(db, "C-1", NOW, last_maintenance_date="31/02/2026")
    with pytest.raises(eq.EquipmentError, match="no equipment named"):
        eq.update(db, "nope", NOW, notes="x")


def test_time_series_rows_use_their_own_times_and_running_only(db):
    db.execute("INSERT INTO datasets (id) VALUES (1)")
    f = snapshot({"P-1": ("Pump", 10, 1, 1)})
    f = pd.concat([f] * 3, ignore_index=True)
    f[schema.FLOWRATE] = [10.0, 0.0, 12.0]
    f["Timestamp"] = pd.to_datetime(["2026-03-01 10:00", "2026-03-01 11:00", "2026-03-01 12:00"], utc=True)
    f["Status"] = ["active", "inactive", "active"]
    assert eq.record(db, 1, f, ns("2026-01-01"), NOW) == 3
    assert eq.history(db, "P-1")["flowrate"].tolist() == [10.0, 12.0]              # Offline 0.0 left out
    assert eq.history(db, "P-1", running_only=False)["flowrate"].tolist() == [10.0, 0.0, 12.0]
    assert eq.history(db, "P-1", start_ns=ns("2026-03-01 10:30"))["flowrate"].tolist() == [12.0]


def test_the_same_time_in_two_datasets_counts_once_the_newest(db):
    db.execute("INSERT INTO datasets (id) VALUES (1), (2)")
    eq.record(db, 1, snapshot({"P-1": ("Pump", 1, 1, 1)}), ns("2026-03-01"), NOW)
    eq.record(db, 2, snapshot({"P-1": ("Pump", 2, 1, 1)}), ns("2026-03-01"), NOW)   # the same file re-imported
    eq.record(db, 2, snapshot({"P-1": ("Pump", 2, 1, 1)}), ns("2026-03-01"), NOW)   # recorded twice: replaced
    h = eq.history(db, "P-1")
    assert h["flowrate"].tolist() == [2.0] and eq.listing(db)[0].readings == 2   # stored per dataset, shown once


# -- through the Store: one transaction with the dataset, delete, retention, reading time, upgrade

def _at(day: int):
    from datetime import datetime, timezone
    return datetime(2026, 3, day, 8, 0, tzinfo=timezone.utc)


def test_store_delete_removes_the_readings_but_the_history_limit_keeps_them(store):
    from chemviz_desktop.core.store import SYNCED

    from .conftest import load
    store.set_keep(1)
    first = store.add(load("P"), sync_state=SYNCED, server_id=1, taken_at=_at(1))
    second = store.add(load("P"), sync_state=SYNCED, server_id=2, taken_at=_at(2))
    assert store.info(first) is None                       # trimmed by the limit (the server has it)
    assert len(eq.history(store.db, "P-0")) == 2           # ...but the plant's history is kept
    store.delete(second)                                   # deleted by the user: its readings go too
    assert eq.history(store.db, "P-0")["timestamp"].tolist() == [pd.Timestamp("2026-03-01 08:00", tz="UTC")]


def test_correcting_the_reading_time_moves_a_snapshots_readings(store):
    from .conftest import load
    ds = store.add(load("P"), taken_at=_at(1))
    store.set_taken_at(ds, _at(5))
    assert store.info(ds).taken_at == "2026-03-05T08:00:00+00:00"
    assert eq.history(store.db, "P-1")["timestamp"].tolist() == [pd.Timestamp("2026-03-05 08:00", tz="UTC")]
    assert eq.listing(store.db)[1].readings == 1


def test_a_big_snapshot_goes_into_one_dataset_chunk_and_reads_back(db, monkeypatch):
    monkeypatch.setattr(eq, "PLAIN_MAX", 10)
    db.execute("INSERT INTO datasets (id) VALUES (1), (2)")
    plant = {f"T-{i}": ("Tank", float(i), 1.0, 2.0) for i in range(40)}
    assert eq.record(db, 1, snapshot(plant), ns("2026-03-01"), NOW) == 40
    eq.record(db, 2, snapshot({"T-7": ("Tank", 70.0, 1, 2)}), ns("2026-03-02"), NOW)
    assert db.execute("SELECT count(*) FROM dataset_chunks").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM readings").fetchone()[0] == 1
    assert eq.history(db, "t-7")["flowrate"].tolist() == [7.0, 70.0]
    listing = {e.name: e for e in eq.listing(db)}
    assert listing["T-7"].readings == 2 and listing["T-7"].last_values["flowrate"] == 70.0
    assert listing["T-39"].last == "2026-03-01T00:00:00Z" and len(listing) == 40
    eq.forget(db, 1)
    assert eq.history(db, "T-39").empty


def test_the_previous_releases_store_gets_its_datasets_as_history(tmp_path):
    import shutil
    from pathlib import Path

    from chemviz_desktop.core.store import Store
    path = tmp_path / "old.sqlite3"
    shutil.copy(Path(__file__).resolve().parents[1] / "data" / "stores" / "release_v1.sqlite3", path)
    store = Store(path, settings_file=tmp_path / "none.ini")
    try:
        reg = eq.listing(store.db)
        stored = sum(i.rows_accepted for i in store.list() if i.has_rows)
        assert reg and sum(e.readings for e in reg) == stored
        assert all(i.taken_at == i.imported_at for i in store.list())
    finally:
        store.close()
