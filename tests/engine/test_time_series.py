"""Readings over time (issue #15): a Timestamp column makes a file a time series; the name by its
historian aliases, Type optional (registry, else Unassigned), Status per reading, duplicates are
the same equipment at the same time, statistics over running readings by default."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import engine
from engine import schema

from .helpers import issue_tuples, load_text, write_xlsx

TS = "EquipmentID,Timestamp,FlowRate,Pressure,Temperature,Status\n"


def codes(res: engine.LoadResult) -> dict[str, int]:
    return dict(res.report.issue_counts)


def test_aliases_make_a_time_series_and_type_is_optional(tmp_path):
    res = load_text(tmp_path, "Tag,Date/Time,Flow,Press,Temp,State\n"
                              "P-1,2026-01-10 10:00,1,2,3,Running\nP-1,2026-01-10 11:00,2,2,3,Online\n",
                    timezone="UTC")
    assert res.accepted and res.report.rows_accepted == 2
    assert list(res.frame.columns[:7]) == [schema.NAME, schema.TYPE, schema.FLOWRATE, schema.PRESSURE,
                                           schema.TEMPERATURE, schema.TIMESTAMP, schema.STATUS]
    assert res.frame[schema.TYPE].tolist() == ["Unassigned", "Unassigned"]
    assert (None, schema.TYPE, "type_unassigned") in issue_tuples(res, "warning")
    for header in ("Equipment", "Asset", "EquipmentID"):
        assert load_text(tmp_path, f"{header},TS,Flowrate,Pressure,Temperature\nA,1767261600,1,2,3\n").accepted


def test_snapshot_without_type_is_still_refused(tmp_path):
    res = load_text(tmp_path, "Equipment Name,Flowrate,Pressure,Temperature\nA,1,2,3\n")
    assert not res.accepted and res.report.file_errors[0].code == "missing_column"


def test_type_from_registry_before_unassigned_and_file_types_kept(tmp_path):
    text = ("Asset,Time,Type,Flowrate,Pressure,Temperature\n"
            "P-1,2026-01-10 10:00,,1,2,3\n Reactor  7,2026-01-10 10:00,,1,2,3\nX,2026-01-10 10:00,valve,1,2,3\n"
            "Q,2026-01-10 10:00,,1,2,3\n")
    res = load_text(tmp_path, text, timezone="UTC", known_types={"p-1": "Pump", "reactor 7": "Reactor"})
    assert res.accepted and res.report.rows_accepted == 4
    assert res.frame[schema.TYPE].astype(str).tolist() == ["Pump", "Reactor", "Valve", "Unassigned"]
    c = codes(res)
    assert c["type_from_registry"] == 1 and c["type_unassigned"] == 1 and "missing_value" not in c
    assert set(res.statistics["by_type"]) == {"Pump", "Reactor", "Valve", "Unassigned"}


def test_times_are_stored_in_utc_naive_ones_read_in_the_zone_given(tmp_path):
    text = TS + "A,2026-01-10 10:00,1,2,3,Active\nA,2026-01-10T10:00:00Z,1,2,3,Active\n"
    res = load_text(tmp_path, text, timezone="Europe/Berlin")
    ts = res.frame[schema.TIMESTAMP]
    assert str(ts.dtype) == "datetime64[ns, UTC]"
    assert ts.tolist() == [pd.Timestamp("2026-01-10 09:00", tz="UTC"), pd.Timestamp("2026-01-10 10:00", tz="UTC")]
    note = next(i for i in res.report.issues if i.code == "timestamps_read")
    assert note.severity == "info" and "ISO 8601" in note.message and "Europe/Berlin" in note.message
    default = load_text(tmp_path, text)
    assert "this machine's time zone" in next(i.message for i in default.report.issues if i.code == "timestamps_read")


def test_day_month_and_bad_and_ambiguous_times_are_row_errors(tmp_path):
    text = TS + ("A,25/03/2026 01:30,1,2,3,\nA,29/03/2026 02:30,1,2,3,\nA,31/02/2026 10:00,1,2,3,\n"
                 "A,,1,2,3,\nA,26/03/2026 10:00:30,1,2,3,\n")
    res = load_text(tmp_path, text, timezone="Europe/Berlin")
    r = res.report
    assert r.rows_accepted == 2 and r.excluded_reasons == {"ambiguous_local_time": 1, "bad_timestamp": 1,
                                                            "missing_value": 1}
    assert {(3, "ambiguous_local_time"), (4, "bad_timestamp"), (5, "missing_value")} <= {
        (i.row, i.code) for i in r.issues if i.column == schema.TIMESTAMP}
    bad = next(i for i in r.issues if i.code == "bad_timestamp")
    assert "31/02/2026 10:00" in bad.message and "day/month/year" in bad.message
    amb = next(i for i in r.issues if i.code == "ambiguous_local_time")
    assert "Europe/Berlin" in amb.message and "UTC offset" in amb.message
    assert res.frame[schema.TIMESTAMP].iloc[0] == pd.Timestamp("2026-03-25 00:30", tz="UTC")


def test_unknown_status_is_a_warning_and_kept_as_none(tmp_path):
    res = load_text(tmp_path, TS + "A,2026-01-10 10:00,1,2,3,Broken?\nA,2026-01-10 11:00,5,2,3,Stopped\n"
                                   "A,2026-01-10 12:00,7,2,3,Under Maintenance\nA,2026-01-10 13:00,9,2,3,\n",
                    timezone="UTC")
    assert res.report.rows_accepted == 4
    assert (2, schema.STATUS, "unknown_status") in issue_tuples(res, "warning")
    assert res.frame[schema.STATUS].tolist() == [None, "inactive", "maintenance", "active"]


def test_duplicate_reading_is_same_name_and_time_first_kept(tmp_path):
    text = TS + ("A,2026-01-10 10:00,1,2,3,Active\na ,2026-01-10T10:00:00+00:00,2,2,3,Active\n"
                 "A,2026-01-10 10:05,3,2,3,Active\nB,2026-01-10 10:00,4,2,3,Active\n")
    res = load_text(tmp_path, text, timezone="UTC")
    r = res.report
    assert r.rows_accepted == 3 and r.excluded_reasons == {"duplicate_reading": 1}
    issue = next(i for i in r.issues if i.code == "duplicate_reading")
    assert issue.row == 3 and "row 2" in issue.message and "2026-01-10 10:00:00 UTC" in issue.message
    assert res.frame[schema.FLOWRATE][~res.frame[schema.EXCLUDED]].tolist() == [1, 3, 4]
    snapshot = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2,3\nA,Pump,1,2,3\n")
    assert snapshot.report.excluded_reasons == {"duplicate_name": 1}


def test_statistics_count_readings_running_only_by_default(tmp_path):
    text = TS + ("A,2026-01-10 10:00,10,2,3,Active\nA,2026-01-10 10:05,0,0,20,Offline\n"
                 "B,2026-01-10 10:00,30,2,3,Running\nB,2026-01-10 10:05,1,2,3,Maintenance\n"
                 "C,2026-01-10 10:00,0,0,20,Stopped\nC,bad time,0,0,20,Stopped\n")
    res = load_text(tmp_path, text, timezone="UTC")
    s = res.statistics
    assert res.report.rows_accepted == 5 and s["rows_excluded"] == 1
    assert s["total_equipment"] == 3 and s["readings"] == 2 and s["readings_not_running"] == 3
    assert s["running_only"] is True and s["overall"]["avg_flowrate"] == 20
    assert s["by_type"]["Unassigned"]["count"] == 2 and s["by_type"]["Unassigned"]["equipment"] == 3
    assert s["first_reading"] == "2026-01-10T10:00:00+00:00" and s["last_reading"] == "2026-01-10T10:05:00+00:00"
    assert len(res.frame) == 6   # not-running readings stay in the frame
    every = load_text(tmp_path, text, timezone="UTC", running_only=False).statistics
    assert every["readings"] == 5 and every["running_only"] is False and every["readings_not_running"] == 3
    assert every["overall"]["avg_flowrate"] == pytest.approx(41 / 5)
    assert engine.filter_by_type(s, "unassigned")["total_equipment"] == 3


def test_snapshot_statistics_keep_the_seed_shape(tmp_path):
    s = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2,3\n").statistics
    assert set(s) == {"total_equipment", "by_type", "overall", "rows_total", "rows_excluded", "units"}


def test_workbook_dates_and_excel_serial_numbers(tmp_path):
    path = write_xlsx(tmp_path / "ts.xlsx", {"Readings": [
        ["Tag", "Timestamp", "Flowrate", "Pressure", "Temperature"],
        ["P-1", dt.datetime(2026, 1, 10, 10, 0), 1, 2, 3],
        ["P-1", 46032.5, 1, 2, 3],             # Excel day number: 2026-01-10 12:00
    ]})
    res = engine.load(path, timezone="UTC")
    assert res.accepted and res.report.rows_accepted == 2, res.report.summary()
    assert res.frame[schema.TIMESTAMP].tolist() == [pd.Timestamp("2026-01-10 10:00", tz="UTC"),
                                                    pd.Timestamp("2026-01-10 12:00", tz="UTC")]
    serials = write_xlsx(tmp_path / "serial.xlsx", {"S": [["Tag", "Time", "Flowrate", "Pressure", "Temperature"],
                                                          ["P-1", 46032.25, 1, 2, 3]]})
    one = engine.load(serials, timezone="UTC")
    assert one.frame[schema.TIMESTAMP].iloc[0] == pd.Timestamp("2026-01-10 06:00", tz="UTC")
    assert "Excel serial" in next(i.message for i in one.report.issues if i.code == "timestamps_read")


def test_bad_timezone_name_is_refused_up_front():
    with pytest.raises(ValueError, match="time zone"):
        engine.ImportOptions(timezone="Mars/Olympus")


def test_time_series_path_is_vectorised(tmp_path):
    """200,000 readings load in well under the time a per-row Python loop would take."""
    import time

    import numpy as np
    n = 200_000
    t0 = pd.Timestamp("2026-01-01")
    stamps = (t0 + pd.to_timedelta(np.arange(n) // 20, unit="min")).strftime("%Y-%m-%d %H:%M:%S")
    body = "\n".join(f"EQ-{i % 20},{s},{i % 97}.5,2,3,{'Active' if i % 7 else 'Offline'}"
                     for i, s in enumerate(stamps))
    path = tmp_path / "big.csv"
    path.write_text(TS + body + "\n")
    start = time.perf_counter()
    res = engine.load(path, timezone="UTC")
    took = time.perf_counter() - start
    assert res.report.rows_accepted == n and res.statistics["total_equipment"] == 20
    assert took < 10, took


def test_column_mapping_names_the_time_and_status_columns(tmp_path):
    text = "Unit,When,Q,P,T,Mode\nP-1,2026-01-10 10:00,1,2,3,Stopped\n"
    res = load_text(tmp_path, text, timezone="UTC",
                    mapping={"Name": "Unit", "Timestamp": "When", "Flowrate": "Q", "Pressure": "P",
                             "Temperature": "T", "Status": "Mode"})
    assert res.accepted, res.report.summary()
    assert res.frame[schema.STATUS].tolist() == ["inactive"] and res.statistics["readings_not_running"] == 1


def test_header_below_title_rows_is_found_for_a_time_series(tmp_path):
    res = load_text(tmp_path, "Plant 3 historian export\n\n" + TS + "A,2026-01-10 10:00,1,2,3,Active\n",
                    timezone="UTC")
    assert res.accepted and res.header_row == 3


def test_public_names_are_lazy():
    assert engine.parse_times is engine.timestamps.parse_times
    assert engine.normalise_status("Running")[0].tolist() == ["active"]


def test_snapshot_with_a_status_column_keeps_one_row_per_name_and_counts_running(tmp_path):
    res = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature,Status\n"
                              "P-1,Pump,10,2,3,Running\nP-2,Pump,0,0,20,Offline\nP-1,Pump,5,2,3,Running\n")
    assert schema.TIMESTAMP not in res.frame.columns and res.report.excluded_reasons == {"duplicate_name": 1}
    s = res.statistics
    assert s["total_equipment"] == 1 and s["readings_not_running"] == 1 and "readings" not in s
    assert load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature,Status\nP-1,Pump,10,2,3,Off\n",
                     running_only=False).statistics["total_equipment"] == 1


def test_loaded_frame_is_what_the_store_records(tmp_path):
    """The store's record() reads Timestamp as UTC datetimes and Status as the seed's values or None."""
    res = load_text(tmp_path, TS + "A,2026-01-10 10:00,1,2,3,Active\nA,2026-01-10 10:05,1,2,3,???\n",
                    timezone="UTC")
    ok = res.clean()
    assert str(ok[schema.TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert ok[schema.STATUS].to_numpy(dtype=object).tolist() == ["active", None]


def test_times_with_ascii_separators_around_them_read_as_before(tmp_path):
    """Arrow's UTF-8 trim also removes the ASCII separators 1C-1F: a time written between them
    is still a time (the no-trim shortcut for clean time columns must not skip them)."""
    path = tmp_path / "ts.csv"
    path.write_text("Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature\n"
                    "\x1f2024-03-01 10:00:00\x1c,P-1,Pump,1,2,3\n2024-03-01 11:00:00,P-1,Pump,1,2,3\n")
    result = engine.load(path, timezone="UTC")
    assert result.accepted and result.report.rows_accepted == 2
