"""Reading times: one convention per column, naive = local of the given zone, stored in UTC,
DST gaps/overlaps are errors, never guesses."""
from __future__ import annotations

import pandas as pd

from engine.timestamps import parse_times


def utc(*texts: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(t, tz="UTC") for t in texts]


def test_iso_with_and_without_zone():
    p = parse_times(["2026-01-10T10:00:00Z", "2026-01-10 10:00", "2026-01-10T10:00+02:00", "soon", ""],
                    tz="Europe/Berlin")
    assert list(p.utc[:3]) == utc("2026-01-10 10:00", "2026-01-10 09:00", "2026-01-10 08:00")
    assert p.bad.tolist() == [False, False, False, True, True] and p.convention == "ISO 8601"


def test_day_first_by_default_month_first_only_when_proven():
    day = parse_times(["03/04/2026 10:00", "25/04/2026 10:05"], tz="UTC")
    assert list(day.utc) == utc("2026-04-03 10:00", "2026-04-25 10:05") and day.convention == "day/month/year"
    month = parse_times(["04/03/2026 10:00", "04/25/2026 10:05:30"], tz="UTC")
    assert list(month.utc) == utc("2026-04-03 10:00", "2026-04-25 10:05:30") and month.convention == "month/day/year"
    unclear = parse_times(["03/04/2026"], tz="UTC")
    assert "no day above 12" in unclear.convention


def test_unix_seconds():
    p = parse_times(["1767261600", "1767265200"], tz="Asia/Tokyo")
    assert list(p.utc) == utc("2026-01-01 10:00", "2026-01-01 11:00") and p.convention == "Unix seconds"


def test_dst_gap_and_overlap_are_errors_not_guesses():
    p = parse_times(["2026-03-29 02:30", "2026-10-25 02:30", "2026-03-29 03:30"], tz="Europe/Berlin")
    assert p.ambiguous.tolist() == [True, True, False] and not p.bad.any()
    assert p.utc[2] == pd.Timestamp("2026-03-29 01:30", tz="UTC")


def test_impossible_dates_are_bad_cells():
    p = parse_times(["31/02/2026 10:00", "15/02/2026 10:00"], tz="UTC")
    assert p.bad.tolist() == [True, False] and pd.isna(p.utc[0])


def test_status_spellings_map_to_the_seed_choices_and_unknown_is_flagged():
    from engine.readings import ACTIVE, INACTIVE, MAINTENANCE, normalise_status, running_mask
    status, unknown = normalise_status(["Running", "ONLINE", "Under Maintenance", "Offline", "stopped", "", "broken?"])
    assert status.tolist()[:6] == [ACTIVE, ACTIVE, MAINTENANCE, INACTIVE, INACTIVE, ACTIVE]
    assert unknown.tolist() == [False] * 6 + [True]
    assert status[6] is None and running_mask(status).tolist() == [True, True, False, False, False, True, False]


def test_years_nanoseconds_cannot_hold_are_bad_cells_not_crashes():
    p = parse_times(["-0", "0000-01-01T00:00Z", "9999-12-31 10:00", "2026-01-01 10:00"], tz="Europe/Berlin")
    assert p.bad.tolist() == [True, True, True, False]
    assert p.utc[3] == pd.Timestamp("2026-01-01 09:00", tz="UTC")


def test_clean_and_messy_iso_columns_agree():
    """Arrow parses a clean zone-less column; one bad cell sends it through pandas: same times."""
    clean = parse_times(["2026-01-10 10:00:00", "2026-01-10T11:30"], tz="UTC")
    messy = parse_times(["2026-01-10 10:00:00", "2026-01-10T11:30", "later"], tz="UTC")
    assert list(clean.utc) == list(messy.utc[:2]) == utc("2026-01-10 10:00", "2026-01-10 11:30")
    assert messy.bad.tolist() == [False, False, True]
