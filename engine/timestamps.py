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
import pyarrow as pa
import pyarrow.compute as pc

from .cells import has_edge_space, is_ascii, take, usable
from .iso_times import fixed_iso_ns
from .read import combine

_ZONED = r"(?:Z|[+-]\d{2}:?\d{2})$"
_SLASHED = r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$"
_SLASHED_NAMED = (r"^\s*(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4})"
                  r"(?:[ T](?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?)?\s*$")
_UNIX_MIN, _UNIX_MAX = 1e8, 1e10        # 1973 .. 2286 in seconds


@dataclass
class ParsedTimes:
    utc: pd.DatetimeIndex          # NaT where bad
    bad: np.ndarray                # True where the cell could not be read as a time
    ambiguous: np.ndarray          # True where a local time did not exist or was ambiguous (DST)
    convention: str                # what was detected, for the report ("ISO 8601", "day/month/year", …)
    naive: bool = False            # some times carried no zone and were read as local time of the zone


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


def _as_text(values: object) -> pa.Array:
    """The cells as one trimmed Arrow string array ("" for empty): the regex work below runs in
    Arrow's C++ kernels, never a Python call per cell."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)) and pa.types.is_string(values.type):
        # the reader's own column: no round trip through one Python string per cell (1M: 60 ms)
        return _trimmed(combine(values))
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        values = values.to_pandas()
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype="object")
    arr: pa.Array | pa.ChunkedArray | None = None
    if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
        try:
            arr = pa.array(series, type=pa.string(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = None
    if arr is None:
        arr = pa.array(series.astype("string"), type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return _trimmed(arr)


def _trimmed(arr: pa.Array) -> pa.Array:
    """Cells without surrounding whitespace, "" for none; an ASCII column with nothing to trim is
    returned as it is (no copy)."""
    arr = arr.fill_null("") if arr.null_count else arr
    if usable(arr) and is_ascii(arr) and not has_edge_space(arr, utf8_trim=True):
        return arr
    return pc.utf8_trim_whitespace(arr)


def _mask(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(a.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _matches(text: pa.Array, pattern: str, fixed: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Cells matching `pattern`, which no fixed-shape ISO cell (mask `fixed[1]`) can: only the
    other cells are looked at."""
    if fixed is None or not fixed[1].any():
        return _mask(pc.match_substring_regex(text, pattern))
    out = np.zeros(len(text), dtype=bool)
    rest = np.flatnonzero(~fixed[1])
    if len(rest):
        out[rest] = _mask(pc.match_substring_regex(take(text, rest), pattern))
    return out


def _to_ns(parsed: pd.Series) -> pd.Series:
    """Nanosecond resolution; a time pandas parsed but nanoseconds cannot hold (year 0, 9999)
    becomes NaT, so it is reported as a bad cell rather than raising."""
    try:
        return parsed.dt.as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        lo = pd.Timestamp.min.tz_localize("UTC") if parsed.dt.tz is not None else pd.Timestamp.min
        hi = pd.Timestamp.max.tz_localize("UTC") if parsed.dt.tz is not None else pd.Timestamp.max
        return parsed.where(parsed.notna() & (parsed > lo) & (parsed < hi)).dt.as_unit("ns")


def _naive_iso(text: pa.Array, fixed: tuple[np.ndarray, np.ndarray] | None = None) -> pd.Series:
    """Zone-less ISO 8601 cells as naive datetimes. `fixed` (values, mask) are the cells already
    read from their bytes (`YYYY-MM-DD HH:MM:SS`): when they are all, that is the answer (what
    Arrow's parser gives them); else Arrow's parser when it takes every cell (a clean export),
    else the fixed cells as read and only the others through pandas' ISO 8601 parser, which
    marks the bad cells NaT."""
    if fixed is not None and fixed[1].all():
        return pd.Series(fixed[0].view("M8[ns]"))
    try:
        if fixed is None:
            arr = pc.cast(text, pa.timestamp("ns"))
            return pd.Series(arr.to_numpy(zero_copy_only=False)).astype("datetime64[ns]")
        # Arrow reads the fixed cells as they were read: asking it for the others alone gives
        # what a cast of the whole column gives, without parsing it all again (1M readings: 35 ms)
        rest = np.flatnonzero(~fixed[1])
        part = pc.cast(take(text, rest), pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        out = fixed[0].view("M8[ns]").copy()
        out[rest] = part.astype("datetime64[ns]")
        return pd.Series(out)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    if fixed is None and usable(text):
        fixed = fixed_iso_ns(text)
    if fixed is not None:
        ns, ok = fixed
        rest = np.flatnonzero(~ok)
        try:
            part = _pandas_iso(take(text, rest)) if len(rest) else None
        except (ValueError, TypeError):   # (mixed zones): the whole column is read as before
            return _pandas_iso(text)
        if part is None or part.dtype == np.dtype("M8[ns]"):   # else: zoned cells too, read as before
            out = ns.view("M8[ns]").copy()
            if part is not None:
                out[rest] = part.to_numpy()
            return pd.Series(out)
    return _pandas_iso(text)


def _pandas_iso(text: pa.Array) -> pd.Series:
    """pandas' ISO 8601 reading of the cells (one Python string each), NaT where not a time."""
    cells = text.to_numpy(zero_copy_only=False)
    return _to_ns(pd.to_datetime(pd.Series(cells), format="ISO8601", errors="coerce"))


def _from_iso(text: pa.Array, tz: str, fixed: tuple[np.ndarray, np.ndarray] | None = None
              ) -> tuple[pd.DatetimeIndex, np.ndarray, bool]:
    n = len(text)
    zoned = _matches(text, _ZONED, fixed)
    naive = ~zoned & ~_mask(pc.equal(text, ""))
    stamps = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)   # NaT
    ambiguous = np.zeros(n, dtype=bool)
    if zoned.any():
        cells = text.filter(pa.array(zoned)).to_numpy(zero_copy_only=False)
        z = _to_ns(pd.to_datetime(pd.Series(cells), format="ISO8601", errors="coerce", utc=True))
        stamps[zoned] = pd.DatetimeIndex(z).asi8
    if naive.any():
        if naive.all():
            parsed = _naive_iso(text, fixed)
        else:
            parsed = _naive_iso(text.filter(pa.array(naive)),
                                None if fixed is None else (fixed[0][naive], fixed[1][naive]))
        utc, lost = _localize(parsed, tz)
        stamps[naive] = pd.DatetimeIndex(utc).as_unit("ns").asi8
        ambiguous[np.flatnonzero(naive)[lost]] = True
    return pd.DatetimeIndex(stamps.view("M8[ns]")).tz_localize("UTC"), ambiguous, bool(naive.any())


def _slashed_parts(text: pa.Array) -> pd.DataFrame:
    """Columns 0..5 (first, second, year, hour, minute, second) as floats, NaN where absent."""
    found = pc.extract_regex(text, _SLASHED_NAMED)
    cols = {}
    for k, name in enumerate(("a", "b", "y", "h", "m", "s")):
        field = pc.struct_field(found, name)
        field = pc.if_else(pc.equal(field, ""), pa.scalar(None, pa.string()), field)
        cols[k] = pc.cast(field, pa.float64()).to_numpy(zero_copy_only=False)
    return pd.DataFrame(cols)


def _from_slashed(parts: pd.DataFrame, day_first: bool, tz: str) -> tuple[pd.Series, np.ndarray]:
    day, month = (parts[0], parts[1]) if day_first else (parts[1], parts[0])
    frame = pd.DataFrame({"year": parts[2], "month": month, "day": day,
                          "hour": parts[3].fillna(0), "minute": parts[4].fillna(0), "second": parts[5].fillna(0)})
    parsed = pd.to_datetime(frame.astype("float64"), errors="coerce").dt.as_unit("ns")
    return _localize(parsed, tz)


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def parse_times(values: object, tz: str | None = None) -> ParsedTimes:
    """Parse a column of reading times (strings or numbers) to UTC, deciding the convention once
    from the whole column."""
    zone = tz or local_zone()
    text = _as_text(values)
    n = len(text)
    empty = _mask(pc.equal(text, ""))
    filled = np.flatnonzero(~empty)
    sample = take(text, filled[:200]).to_pylist() if len(filled) else []
    if sample and all(_NUMBER.match(v) for v in sample):   # cheap test before converting every cell
        nums = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)), errors="coerce").to_numpy(dtype=float)
        if not np.isnan(nums[~empty]).any():
            if np.nanmin(nums[~empty]) >= _UNIX_MIN and np.nanmax(nums[~empty]) <= _UNIX_MAX:
                utc = pd.to_datetime(nums, unit="s", utc=True, errors="coerce")
                idx = pd.DatetimeIndex(utc).as_unit("ns")
                return ParsedTimes(idx, empty | idx.isna(), np.zeros(n, dtype=bool), "Unix seconds")
    # The commonest shape, `YYYY-MM-DD HH:MM:SS`, read from the bytes once: such cells are neither
    # zoned nor slashed, so the regular expressions only look at the others.
    fixed = fixed_iso_ns(text) if usable(text) else None
    slashed = _matches(text, _SLASHED, fixed)
    naive = True
    if slashed.sum() > 0 and slashed.sum() >= (~empty).sum() / 2:
        parts = _slashed_parts(text)
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
        utc, lost, naive = _from_iso(text, zone, fixed)
        convention = "ISO 8601"
    idx = pd.DatetimeIndex(utc).as_unit("ns")
    bad = empty | (idx.isna() & ~lost)
    return ParsedTimes(idx, bad, lost, convention, naive)


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
    if workbook:
        series = (values.to_pandas() if isinstance(values, (pa.Array, pa.ChunkedArray))
                  else values if isinstance(values, pd.Series) else pd.Series(values, dtype="object"))
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
        values = series
    parsed = parse_times(values, tz=zone)
    return parsed, parsed.naive if parsed.convention != "Unix seconds" else False
