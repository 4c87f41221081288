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
    for stmt in eq.SQL_V3.split(";"):
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
