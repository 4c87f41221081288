"""Limits and alerts in the local store (#16): evaluated in the import's transaction, one alert per
identity, acknowledgements kept across re-evaluation and restarts, carry-over between files,
deletion and limit changes. Every number here is worked out by hand in the comments."""
from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

import engine
from chemviz_desktop.core.store import Store, alerts, limits, schema
from engine.limits import Limit

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
NOW = "2026-03-01T00:00:00+00:00"
PUMP = Limit("type", "Pump", "pressure", hi=5.5, hihi=5.8)
SNAPSHOT = ("Equipment Name,Type,Flowrate,Pressure,Temperature\n"
            "P-1,Pump,10,5.6,80\nP-2,Pump,10,5.9,80\nP-3,Pump,10,5.4,80\nV-1,Valve,10,9.0,80\n")


def load(text: str, name: str = "f.csv") -> engine.LoadResult:
    res = engine.load(text.encode(), file_name=name)
    assert res.accepted, res.report.summary()
    return res


def series(name: str, start: str, values: list[float], status: list[str] | None = None) -> str:
    """One reading a minute from `start` (UTC)."""
    t0 = pd.Timestamp(start, tz="UTC")
    head = "Tag,Timestamp,Flowrate,Pressure,Temperature" + (",Status" if status else "")
    rows = [f"{name},{(t0 + pd.Timedelta(minutes=i)).strftime('%Y-%m-%dT%H:%M:%SZ')},1,{v},80"
            + (f",{status[i]}" if status else "") for i, v in enumerate(values)]
    return "\n".join([head, *rows]) + "\n"


def put(store: Store, *items: Limit, replace: bool = False) -> int:
    with store.transaction() as db:
        return limits.put(db, items, NOW, replace=replace)


def found(store: Store, state: str = "all") -> list[tuple]:
    return sorted((a.equipment, a.parameter, a.level, a.limit, a.peak, a.start.strftime("%H:%M"),
                   a.end.strftime("%H:%M") if a.end is not None else None)
                  for a in alerts.listing(store.db, state))


@pytest.fixture
def store():
    s = Store()
    yield s
    s.close()


def test_pump_hi_and_hihi_in_a_snapshot_and_nothing_for_another_type(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    # 5.6 > hi 5.5 (amber), 5.9 > hihi 5.8 (red), 5.4 inside, the Valve's 9.0 has no limit
    assert found(store) == [("P-1", "pressure", "hi", 5.5, 5.6, "08:00", "08:00"),
                            ("P-2", "pressure", "hihi", 5.8, 5.9, "08:00", "08:00")]
    a = alerts.listing(store.db, equipment="p-2")[0]
    assert a.state == "cleared-unacknowledged" and a.duration_s == 0 and a.dataset_id == store.list()[0].id
    assert alerts.count_unacknowledged(store.db) == 2


def test_limits_set_after_the_import_are_evaluated_on_the_stored_readings(store):
    store.add(load(SNAPSHOT), taken_at=T0)
    assert found(store) == []
    assert put(store, PUMP) == 1
    assert [a[:3] for a in found(store)] == [("P-1", "pressure", "hi"), ("P-2", "pressure", "hihi")]


def test_an_equipments_own_limit_overrides_its_type(store):
    put(store, PUMP, Limit("equipment", " p-2 ", "pressure", hi=7.0))
    store.add(load(SNAPSHOT), taken_at=T0)
    assert [a[:3] for a in found(store)] == [("P-1", "pressure", "hi")]      # P-2's 5.9 is below its own 7.0


def test_the_type_comes_from_the_registry(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    # a time series without a Type column: P-1 is a Pump by the registry
    store.add(load(series("P-1", "2026-03-01 09:00", [5.0, 5.7, 5.0])))
    assert ("P-1", "pressure", "hi", 5.5, 5.7, "09:01", "09:02") in found(store)


def test_reimporting_the_same_data_makes_no_new_alert(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    text = series("P-9", "2026-03-01 10:00", [5.0, 5.6, 5.6, 5.0, 5.9, 5.0])
    store.add(load(text))            # P-9 is Unassigned: no alert yet
    put(store, Limit("equipment", "P-9", "pressure", hi=5.5, hihi=5.8))
    before = {a.id: a for a in alerts.listing(store.db)}
    assert len(before) == 4
    store.add(load(SNAPSHOT), taken_at=T0)
    store.add(load(text))
    after = {a.id: a for a in alerts.listing(store.db)}
    assert after.keys() == before.keys()
    assert [(a.start, a.end, a.peak) for a in after.values()] == [(a.start, a.end, a.peak) for a in before.values()]


def test_acknowledgement_survives_closing_and_reopening_the_store(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    hihi = alerts.listing(store.db, level="hihi")[0]
    at = datetime(2026, 3, 1, 9, 30, 15, tzinfo=timezone(timedelta(hours=2)))
    with store.transaction() as db:
        assert alerts.acknowledge(db, [hihi.id], "ana", "vented", at) == [hihi.id]
        assert alerts.acknowledge(db, [hihi.id], "bob", "again", at) == []      # the first one stays
    store.close()
    again = Store()
    try:
        a = alerts.listing(again.db, ids=[hihi.id])[0]
        assert (a.acknowledged_by, a.acknowledged_at, a.comment) == ("ana", "2026-03-01T07:30:15Z", "vented")
        assert a.state == "cleared-acknowledged"
        assert [x.id for x in alerts.listing(again.db, "unacked")] != [hihi.id]
        assert alerts.count_unacknowledged(again.db) == 1
        with pytest.raises(alerts.AlertError, match="no alert with id 999"), again.transaction() as db:
            alerts.acknowledge(db, [hihi.id, 999], "ana", "x", at)
    finally:
        again.close()


def test_an_excursion_continued_in_the_next_file_stays_one_alert(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)          # P-1 is a Pump
    # file 1: 10:00..10:04, above hi from 10:02 to the end (still active)
    store.add(load(series("P-1", "2026-03-01 10:00", [5.0, 5.1, 5.6, 5.7, 5.65])))
    first = alerts.listing(store.db, "active")
    assert [(a.level, a.start.strftime("%H:%M"), a.end, a.peak, a.duration_s) for a in first] == \
        [("hi", "10:02", None, 5.7, 120.0)]            # so far: last reading 10:04 - 10:02
    with store.transaction() as db:
        alerts.acknowledge(db, [first[0].id], "ana", "watching", T0)
    # file 2: 10:05..10:08 continues above (peak 5.75), back inside at 10:07
    store.add(load(series("P-1", "2026-03-01 10:05", [5.6, 5.75, 5.2, 5.1])))
    a = alerts.listing(store.db, equipment="P-1", parameter="pressure", start_ns=pd.Timestamp("2026-03-01 09:00",
                                                                                            tz="UTC").value)
    assert [(x.id, x.level, x.start.strftime("%H:%M"), x.end.strftime("%H:%M"), x.peak, x.duration_s, x.state)
            for x in a] == [(first[0].id, "hi", "10:02", "10:07", 5.75, 300.0, "cleared-acknowledged")]


def test_an_excursion_that_gets_worse_in_the_next_file_becomes_a_new_alert_of_that_level(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    store.add(load(series("P-1", "2026-03-01 10:00", [5.0, 5.6, 5.7])))
    old = alerts.listing(store.db, "active")[0]
    with store.transaction() as db:
        alerts.acknowledge(db, [old.id], "ana", "ok", T0)
    store.add(load(series("P-1", "2026-03-01 10:03", [5.9, 5.0])))   # reaches hihi, back at 10:04
    got = {(a.level, a.start.strftime("%H:%M")): a for a in alerts.listing(store.db, equipment="P-1")
           if a.start.hour == 10}
    assert set(got) == {("hi", "10:01"), ("hihi", "10:01")}
    # the acknowledged hi alert stays as the record, closed at its last reading (10:02)
    assert got[("hi", "10:01")].id == old.id and got[("hi", "10:01")].end.strftime("%H:%M") == "10:02"
    assert got[("hihi", "10:01")].state == "cleared-unacknowledged" and got[("hihi", "10:01")].peak == 5.9
    assert got[("hihi", "10:01")].end.strftime("%H:%M") == "10:04"


def test_a_limit_change_reevaluates_and_keeps_acknowledgements_of_surviving_alerts(store):
    put(store, PUMP)
    store.add(load(SNAPSHOT), taken_at=T0)
    hi, hihi = (alerts.listing(store.db, level=lv)[0] for lv in ("hi", "hihi"))
    with store.transaction() as db:
        alerts.acknowledge(db, [hihi.id], "ana", "seen", T0)
    put(store, Limit("type", "Pump", "pressure", hi=5.55, hihi=5.85))    # 5.6 still hi, 5.9 still hihi
    kept = {a.id: a for a in alerts.listing(store.db)}
    assert set(kept) == {hi.id, hihi.id} and kept[hihi.id].acknowledged_by == "ana"
    assert (kept[hi.id].limit, kept[hihi.id].limit) == (5.55, 5.85)
    put(store, Limit("type", "Pump", "pressure", hi=6.0), replace=True)   # neither is beyond any more
    left = alerts.listing(store.db)
    assert [(a.id, a.acknowledged_by) for a in left] == [(hihi.id, "ana")]  # only the acknowledged record stays
    assert limits.listing(store.db) == [Limit("type", "Pump", "pressure", hi=6.0)]


def test_deleting_a_dataset_deletes_its_unacknowledged_alerts_and_keeps_acknowledged_ones(store):
    put(store, PUMP)
    ds = store.add(load(SNAPSHOT), taken_at=T0)
    hihi = alerts.listing(store.db, level="hihi")[0]
    with store.transaction() as db:
        alerts.acknowledge(db, [hihi.id], "ana", "seen", T0)
    store.delete(ds)
    assert [a.id for a in alerts.listing(store.db)] == [hihi.id]


def test_deleting_one_of_two_copies_keeps_the_alerts_of_the_other(store):
    put(store, PUMP)
    a = store.add(load(SNAPSHOT), taken_at=T0)
    b = store.add(load(SNAPSHOT), taken_at=T0)
    ids = sorted(x.id for x in alerts.listing(store.db))
    store.delete(b)
    assert sorted(x.id for x in alerts.listing(store.db)) == ids
    assert {x.dataset_id for x in alerts.listing(store.db)} == {a}
    s1 = store.add(load(series("P-1", "2026-03-01 10:00", [5.0, 5.6, 5.0])))
    s2 = store.add(load(series("P-1", "2026-03-01 10:00", [5.0, 5.6, 5.0])))
    store.delete(s1)
    assert [x.dataset_id for x in alerts.listing(store.db) if x.start.hour == 10] == [s2]
    store.delete(s2)
    assert [x for x in alerts.listing(store.db) if x.start.hour == 10] == []


def test_a_new_reading_time_moves_the_snapshot_alerts(store):
    put(store, PUMP)
    ds = store.add(load(SNAPSHOT), taken_at=T0)
    store.set_taken_at(ds, T0 + timedelta(hours=3))
    assert [(a[0], a[5], a[6]) for a in found(store)] == [("P-1", "11:00", "11:00"), ("P-2", "11:00", "11:00")]


def test_readings_taken_while_not_running_raise_no_alert(store):
    put(store, Limit("type", "Unassigned", "pressure", lo=1.0))
    store.add(load(series("P-5", "2026-03-01 10:00", [2.0, 0.0, 0.0, 2.0], ["Running", "Offline", "Offline", "Running"])))
    assert found(store) == []
    store.add(load(series("P-5", "2026-03-01 11:00", [2.0, 0.5, 2.0], ["Running", "Running", "Running"])))
    assert found(store) == [("P-5", "pressure", "lo", 1.0, 0.5, "11:01", "11:02")]


def test_deadband_and_on_delay_come_from_the_stored_limit(store):
    put(store, Limit("type", "Unassigned", "temperature", hi=150, deadband=2, delay_s=120))
    temps = [140, 151, 149, 151, 140, 160, 140, 140]     # 149 is within the deadband: one excursion 10:01..10:04
    t0 = pd.Timestamp("2026-03-01 10:00", tz="UTC")
    text = "Tag,Timestamp,Flowrate,Pressure,Temperature\n" + "".join(
        f"R-1,{(t0 + pd.Timedelta(minutes=i)).isoformat()},1,1,{v}\n" for i, v in enumerate(temps))
    store.add(load(text))
    # 10:01..10:04 lasts 180 s >= 120 s: an alert; 10:05..10:06 lasts 60 s: dropped by the on-delay
    assert found(store) == [("R-1", "temperature", "hi", 150.0, 151.0, "10:01", "10:04")]


def test_cell_levels_colour_a_dataset_by_the_limits(store):
    put(store, PUMP, Limit("equipment", "V-1", "flowrate", lo=20))
    res = load(SNAPSHOT)
    store.add(res, taken_at=T0)
    levels = limits.cell_levels(store.db, res.frame)
    assert levels["pressure"].tolist() == [1, 2, 0, 0] and levels["flowrate"].tolist() == [0, 0, 0, -1]
    assert levels["temperature"].tolist() == [0, 0, 0, 0]


def test_limits_put_refuses_a_bad_limit_and_counts_changes(store):
    with pytest.raises(limits.LimitError, match="hi .* is above hihi"), store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=6, hihi=5)], NOW)
    assert put(store, PUMP) == 1 and put(store, PUMP) == 0
    assert put(store, Limit("type", "pump", "pressure", hi=5.5, hihi=5.8)) == 1      # the name's spelling
    frame = limits.listing_frame(store.db)
    assert frame[["scope", "name", "parameter", "hi", "hihi"]].values.tolist() == \
        [["type", "pump", "pressure", 5.5, 5.8]] and np.isnan(frame["lo"][0])
    with store.transaction() as db:
        assert limits.delete(db, "type", "PUMP", "pressure") and not limits.delete(db, "type", "Pump", "pressure")


def test_a_version_3_store_is_upgraded_with_the_kind_of_its_readings(tmp_path, monkeypatch):
    path = tmp_path / "v3.sqlite3"
    with monkeypatch.context() as m:
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:3])
        m.setattr(schema, "SCHEMA_VERSION", 3)
        m.setattr(alerts, "touched", lambda db, ds: alerts.Scope())
        m.setattr(alerts, "recorded", lambda *a: None)
        old = Store(path)
        old.add(load(SNAPSHOT), taken_at=T0)
        old.add(load(series("P-1", "2026-03-01 10:00", [5.0, 5.6, 5.0])))
        old.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 3
    db.close()
    store = Store(path)
    try:
        rows = store.db.execute("SELECT dataset_id, time_series, taken_ns FROM reading_sets ORDER BY dataset_id")
        assert [tuple(r) for r in rows] == [(1, 0, pd.Timestamp(T0).value),
                                            (2, 1, pd.Timestamp("2026-03-01 10:00", tz="UTC").value)]
        put(store, PUMP)
        assert found(store) == [("P-1", "pressure", "hi", 5.5, 5.6, "08:00", "08:00"),
                                ("P-1", "pressure", "hi", 5.5, 5.6, "10:01", "10:02"),
                                ("P-2", "pressure", "hihi", 5.8, 5.9, "08:00", "08:00")]
    finally:
        store.close()


def test_alerts_are_written_in_the_imports_transaction(store, monkeypatch):
    put(store, PUMP)

    def broken(db, scope):
        raise RuntimeError("evaluation failed")
    monkeypatch.setattr(alerts, "_evaluate", broken)
    with pytest.raises(RuntimeError):
        store.add(load(SNAPSHOT), taken_at=T0)
    assert store.list() == [] and store.db.execute("SELECT COUNT(*) FROM readings").fetchone()[0] == 0
    assert store.db.execute("SELECT COUNT(*) FROM reading_sets").fetchone()[0] == 0


def test_rows_downloaded_from_the_server_are_evaluated_too(store):
    put(store, PUMP)
    ds = store.add_server_only(uuid="u-1", file_name="plant.csv", imported_at="2026-03-01T08:00:00+00:00",
                               rows_total=4, rows_accepted=4, server_id=3, server_owner="bob")
    assert found(store) == []
    store.attach_rows(ds, load(SNAPSHOT).frame)
    assert [(a[0], a[2], a[5]) for a in found(store)] == [("P-1", "hi", "08:00"), ("P-2", "hihi", "08:00")]
