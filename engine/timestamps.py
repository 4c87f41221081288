"""Reading times as plants write them, parsed once per column (never guessed per cell): ISO 8601
with or without a zone, `dd/mm/yyyy HH:MM[:SS]` (or `mm/dd/yyyy` only when the data proves it: a
second field above 12 somewhere and no first field above 12), and Unix seconds. Naive times are
local time of `tz` (the machine's unless a setting says otherwise); everything is returned in UTC.
A time that does not exist or is ambiguous in `tz` (daylight-saving change) is a row error, not a
guess. Vectorised through pandas; the caller turns `bad` into report issues."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

_ZONED = r"(?:Z|[+-]\d{2}:?\d{2})$"
_SLASHED = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
_UNIX_MIN, _UNIX_MAX = 1e8, 1e10        # 1973 .. 2286 in seconds


@dataclass
class ParsedTimes:
    utc: pd.DatetimeIndex          # NaT where bad
    bad: np.ndarray                # True where the cell could not be read as a time
    ambiguous: np.ndarray          # True where a local time did not exist or was ambiguous (DST)
    convention: str                # what was detected, for the report ("ISO 8601", "day/month/year", …)


def local_zone() -> str:
    """The machine's time zone as an IANA-ish name pandas accepts (fallback: a fixed offset)."""
    tz = datetime.now().astimezone().tzinfo
    key = getattr(tz, "key", None)
    if key:
        return str(key)
    offset = datetime.now().astimezone().utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return "UTC" if minutes == 0 else f"Etc/GMT{-minutes // 60:+d}" if minutes % 60 == 0 else "UTC"


def _localize(naive: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray]:
    """Naive times as UTC; DST gaps and overlaps come back NaT and flagged."""
    present = naive.notna().to_numpy()
    local = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    lost = present & local.isna().to_numpy()
    return local.dt.tz_convert("UTC"), lost


def _from_iso(text: pd.Series, tz: str) -> tuple[pd.Series, np.ndarray]:
    zoned = text.str.contains(_ZONED, regex=True, na=False).to_numpy()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    ambiguous = np.zeros(len(text), dtype=bool)
    if zoned.any():
        out[zoned] = pd.to_datetime(text[zoned], format="ISO8601", errors="coerce", utc=True).dt.as_unit("ns")
    naive = ~zoned
    if naive.any():
        parsed = pd.to_datetime(text[naive], format="ISO8601", errors="coerce").dt.as_unit("ns")
        utc, lost = _localize(parsed, tz)
        out[naive] = utc
        ambiguous[np.flatnonzero(naive)[lost]] = True
    return out, ambiguous


def _from_slashed(parts: pd.DataFrame, day_first: bool, tz: str) -> tuple[pd.Series, np.ndarray]:
    day, month = (parts[0], parts[1]) if day_first else (parts[1], parts[0])
    frame = pd.DataFrame({"year": parts[2], "month": month, "day": day,
                          "hour": parts[3].fillna(0), "minute": parts[4].fillna(0), "second": parts[5].fillna(0)})
    parsed = pd.to_datetime(frame.astype("float64"), errors="coerce").dt.as_unit("ns")
    return _localize(parsed, tz)


def parse_times(values: object, tz: str | None = None) -> ParsedTimes:
    """Parse a column of reading times (strings or numbers) to UTC, deciding the convention once
    from the whole column."""
    zone = tz or local_zone()
    raw = pd.Series(values, dtype="object")
    text = raw.astype("string").str.strip()
    empty = (text.isna() | (text == "")).to_numpy()
    n = len(text)
    numeric = pd.to_numeric(text, errors="coerce")
    if n and numeric[~empty].notna().all() and not empty.all():
        nums = numeric.to_numpy(dtype=float)
        if np.nanmin(nums[~empty]) >= _UNIX_MIN and np.nanmax(nums[~empty]) <= _UNIX_MAX:
            utc = pd.to_datetime(nums, unit="s", utc=True, errors="coerce")
            idx = pd.DatetimeIndex(utc).as_unit("ns")
            return ParsedTimes(idx, empty | idx.isna(), np.zeros(n, dtype=bool), "Unix seconds")
    parts = text.str.extract(_SLASHED).astype("float64")
    slashed = parts[0].notna().to_numpy()
    if slashed.sum() > 0 and slashed.sum() >= (~empty).sum() / 2:
        first_big = bool((parts[0] > 12).any())
        second_big = bool((parts[1] > 12).any())
        if first_big and second_big:
            day_first = True     # contradictory: read day/month; the impossible cells become errors
        else:
            day_first = not (second_big and not first_big)
        utc, lost = _from_slashed(parts, day_first, zone)
        convention = "day/month/year" if day_first else "month/day/year"
        if not first_big and not second_big:
            convention += " (no day above 12 in the file: read as day/month)"
    else:
        utc, lost = _from_iso(text.fillna(""), zone)
        convention = "ISO 8601"
    idx = pd.DatetimeIndex(utc).as_unit("ns")
    bad = empty | (idx.isna() & ~lost)
    return ParsedTimes(idx, bad, lost, convention)


def is_naive_text(sample: str) -> bool:
    """True when a time string carries no zone (used to state 'read as local time' in the report)."""
    return re.search(_ZONED, sample.strip()) is None


EXCEL_SERIAL_MIN, EXCEL_SERIAL_MAX = 20_000.0, 80_000.0    # 1954 .. 2119 as Excel day numbers
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _excel_serials(days: np.ndarray, zone: str) -> ParsedTimes:
    """Excel serial day numbers (a workbook cell formatted as a number) as local times of `zone`."""
    ok = ~np.isnan(days)
    naive = pd.Series(pd.NaT, index=range(len(days)), dtype="datetime64[ns]")
    naive[ok] = _EXCEL_EPOCH + pd.to_timedelta(np.round(days[ok] * 86_400_000), unit="ms")
    utc, lost = _localize(naive, zone)
    idx = pd.DatetimeIndex(utc).as_unit("ns")
    return ParsedTimes(idx, ~ok | (idx.isna() & ~lost), lost, "Excel serial date numbers")


def parse_cells(values: object, tz: str | None = None, workbook: bool = False) -> tuple[ParsedTimes, bool]:
    """`parse_times` for a whole column as the reader gave it, plus whether any time was naive
    (read as local time of the zone). In a workbook, numbers in Excel's date range are Excel
    serial dates (a cell formatted as a number); elsewhere numbers are Unix seconds."""
    zone = tz or local_zone()
    series = pd.Series(values, dtype="object") if not isinstance(values, pd.Series) else values
    if workbook:
        nums = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        serial = (nums >= EXCEL_SERIAL_MIN) & (nums <= EXCEL_SERIAL_MAX)
        text = series.astype("string").str.strip()
        empty = (text.isna() | (text == "")).to_numpy()
        if serial.any() and (serial | empty).all():
            return _excel_serials(np.where(serial, nums, np.nan), zone), True
        if serial.any():   # dates and day numbers mixed: the numbers as ISO text, then one parse
            iso = pd.Series(_excel_serials(np.where(serial, nums, np.nan), "UTC").utc.tz_localize(None)
                            .strftime("%Y-%m-%d %H:%M:%S"), dtype="object")
            series = series.astype("object").where(~serial, iso.to_numpy())
    parsed = parse_times(series, tz=zone)
    if parsed.convention == "Unix seconds":
        return parsed, False
    if parsed.convention == "ISO 8601":
        text = pd.Series(series, dtype="object").astype("string").str.strip().fillna("")
        naive = ~text.str.contains(_ZONED, regex=True) & (text != "")
        return parsed, bool(naive.any())
    return parsed, True
