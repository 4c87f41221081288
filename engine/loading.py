"""One call from a file to (frame, report, statistics), with progress and cancel hooks so the
desktop can run it in a worker and the server can run it in a request."""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Mapping, cast

import pandas as pd

from . import schema
from .columns import ColumnMap, map_columns
from .encoding import ReadError, decode_text
from .frames import clean_rows
from .options import ImportOptions
from .progress import Progress, quiet
from .read import _EOL, DELIMITER_NAMES, RawTable, Sniffed, parse, release_memory, sniff
from .report import DEFAULT_MAX_ISSUES, Issue, Report
from .stats import compute_statistics
from .validate import validate
from .workbook import SheetPreview, is_workbook, pick_sheet, preview_sheets, read_sheet
from .workers import table_memory

HEADER_SEARCH_ROWS = 30   # title rows above a CSV header are looked through this far
_MapHeaders = Callable[[list[str]], ColumnMap]


@dataclass
class LoadResult:
    report: Report
    frame: pd.DataFrame | None = None        # every data row; excluded ones flagged
    statistics: dict[str, Any] | None = None
    headers: list[str] = field(default_factory=list)   # header cells as read (for a column-mapping dialog)
    header_row: int | None = None            # spreadsheet row of the header that was used
    sheet: str | None = None                 # workbook sheet read, None for CSV
    options: ImportOptions | None = None     # the reading choices that produced this result

    @property
    def accepted(self) -> bool:
        return self.report.valid

    def clean(self) -> pd.DataFrame:
        """Accepted rows only, without the bookkeeping columns (what exports and the server see)."""
        return clean_rows(self.frame)


def _human_size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def load(source: str | os.PathLike | bytes | BinaryIO, *, file_name: str | None = None,
         max_bytes: int | None = None, state: Progress | None = None,
         max_issues: int = DEFAULT_MAX_ISSUES, options: ImportOptions | None = None,
         pressure_mode: str | None = None, mapping: Mapping[str, str] | None = None,
         units: Mapping[str, str] | None = None, type_aliases: Mapping[str, str] | None = None,
         sheet: str | int | None = None, header_row: int | None = None, timezone: str | None = None,
         known_types: Mapping[str, str] | None = None, running_only: bool = True) -> LoadResult:
    """Read, validate and summarise a CSV export or an Excel workbook (.xlsx/.xlsm). Never raises
    for bad data: a rejected file comes back with `accepted == False` and file-level errors in the
    report. `state.check()` raises `engine.Cancelled` between steps once cancel was requested.

    Reading choices come as `options` or as keywords (keywords win): `pressure_mode` ("gauge" or
    "absolute") for plain pressure units, `mapping` (column -> header text), `units` (column ->
    unit text), `type_aliases` (spelling -> type), and for workbooks `sheet` (name or 1-based
    number); `header_row` (1-based) skips title rows in CSV files and workbooks alike.

    Readings over time (a Timestamp column): `timezone` (IANA name) is the zone of times written
    without one (default: this machine's); `known_types` (registry name key -> type) gives the
    type of equipment the file does not type (else `Unassigned`); `running_only` (default True)
    leaves readings whose Status is not active out of the statistics (never out of the frame)."""
    opts = _options(options, pressure_mode, mapping, units, type_aliases, sheet, header_row, timezone)
    watch = state or quiet()

    def checkpoint(fraction: float, message: str) -> None:
        watch.check()
        watch.progress(fraction, message)

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        file_name = file_name or path.name
    else:
        path = None
    report = Report(file_name=file_name or "", max_issues=max_issues)
    result = LoadResult(report, options=opts)

    def reject(code: str, message: str) -> LoadResult:
        report.add(Issue(None, None, code, message, "error"))
        return result

    checkpoint(0.0, "Reading file")
    try:
        if path is not None:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                return reject("file_too_large", f"The file is {_human_size(size)}; the limit is {_human_size(max_bytes)}.")
            data = path.read_bytes()
        elif isinstance(source, bytes):
            data = source
        else:
            data = cast(BinaryIO, source).read(max_bytes + 1 if max_bytes is not None else -1)
        if max_bytes is not None and len(data) > max_bytes:
            return reject("file_too_large", f"The file is larger than the limit of {_human_size(max_bytes)}.")
    except FileNotFoundError:
        return reject("file_not_found", f"The file '{file_name}' does not exist.")
    except IsADirectoryError:
        return reject("unreadable", f"'{file_name}' is a folder, not a file.")
    except PermissionError:
        return reject("unreadable", f"The file '{file_name}' cannot be opened: permission denied.")
    except OSError as exc:
        return reject("unreadable", f"The file '{file_name}' cannot be read: {exc.strerror or exc}.")

    def map_headers(headers: list[str]) -> ColumnMap:
        return map_columns(headers, pressure_mode=opts.pressure_mode, mapping=opts.mapping, units=opts.units)

    checkpoint(0.05, "Detecting format")
    try:
        if is_workbook(data):
            raw, cmap = _read_workbook(data, opts, map_headers, result)
        else:
            raw, cmap = _read_csv(data, opts, map_headers, result, checkpoint)
    except ReadError as exc:
        return reject(exc.code, exc.message)
    del data
    release_memory()   # the parser's scratch blocks: the allocator would keep them through validation
    if raw is None:
        return result   # the header's problems are in the report: no need to parse rows we cannot use

    checkpoint(0.5, "Validating rows")
    handed = [raw]
    del raw        # validate holds the only reference: it lets the text columns go once read
    with table_memory(handed[0].table.num_rows):
        frame = validate(handed.pop(), cmap, report, dict(opts.type_aliases), map_headers, timezone=opts.timezone,
                         known_types=known_types)
    release_memory()
    result.frame = frame
    if frame is None or not report.valid:
        return result

    checkpoint(0.85, "Computing statistics")
    result.statistics = compute_statistics(frame, rows_total=report.rows_total, running_only=running_only)
    checkpoint(1.0, "Done")
    return result


def _options(options: ImportOptions | None, pressure_mode: str | None, mapping: Mapping[str, str] | None,
             units: Mapping[str, str] | None, type_aliases: Mapping[str, str] | None, sheet: str | int | None,
             header_row: int | None, timezone: str | None = None) -> ImportOptions:
    base = options or ImportOptions()
    given: dict[str, Any] = {k: v for k, v in (("pressure_mode", pressure_mode), ("mapping", mapping), ("units", units),
                               ("type_aliases", type_aliases), ("sheet", sheet), ("header_row", header_row),
                               ("timezone", timezone))
             if v is not None}
    if not given:
        return base
    from dataclasses import replace
    return replace(base, **given)


def _add_all(result: LoadResult, issues: Iterable[Issue]) -> bool:
    """Add file-level findings; True when one of them is an error."""
    issues = list(issues)
    for issue in issues:
        result.report.add(issue)
    return any(i.severity == "error" for i in issues)


def _read_csv(data: bytes, opts: ImportOptions, map_headers: _MapHeaders, result: LoadResult,
              checkpoint: Callable[[float, str], None]) -> tuple[RawTable | None, ColumnMap]:
    decoded = decode_text(data)
    sniffed = sniff(decoded=decoded, header_row=opts.header_row)
    if opts.sheet is not None:
        result.report.add(Issue(None, None, "sheet_ignored", f"Sheet '{opts.sheet}' was asked for, but this file "
                                "is CSV text, not an Excel workbook; the choice was ignored.", "warning"))
    cmap = map_headers(sniffed.headers)
    if cmap.missing and opts.header_row is None:
        found = _header_below_titles(sniffed, map_headers)
        if found is not None:
            sniffed = sniff(decoded=decoded, header_row=found)
            cmap = map_headers(sniffed.headers)
            result.report.add(Issue(None, None, "header_below_titles",
                                    f"The header is on row {found}; the {found - 1} row(s) above it were skipped.",
                                    "info"))
    result.headers, result.header_row = list(sniffed.headers), sniffed.lead_lines + 1
    if sniffed.repaired_lines:
        lines = sniffed.repaired_lines
        listed = ", ".join(f"{n:,}" for n in lines[:20]) + (f" and {len(lines) - 20} more" if len(lines) > 20 else "")
        result.report.add(Issue(None, None, "encoding_repaired",
                                f"The file is UTF-8 except on line(s) {listed}, which were read as Windows-1252. "
                                "Please check the names and types on those lines.", "warning"))
    if _add_all(result, cmap.issues):
        return None, cmap
    checkpoint(0.1, "Parsing CSV")
    numeric = frozenset(cmap.canonical[c] for c in schema.NUMERIC_COLUMNS if c in cmap.canonical)
    # A time series' numbers are read after its times (whose parsing is its memory peak): read with
    # the table, their values would be held through it (10M readings: peak 2,226 -> 2,484 MB, no faster)
    raw = parse(sniffed, numeric, frozenset([cmap.canonical[schema.TYPE]]) if schema.TYPE in cmap.canonical
                else frozenset(), frozenset([cmap.canonical[schema.NAME]]), read_numbers=not cmap.time_series)
    if raw.encoding != "UTF-8" or raw.delimiter != ",":
        sep = DELIMITER_NAMES.get(raw.delimiter, repr(raw.delimiter))
        dec = ", decimal commas" if raw.decimal_comma else ""
        result.report.add(Issue(None, None, "format_detected",
                                f"Read as {raw.encoding}, {sep}-separated{dec}.", "info"))
    return raw, cmap


def _header_below_titles(s: Sniffed, map_headers: _MapHeaders) -> int | None:
    """Row (1-based) of the first line below the top that maps every required column, with any
    of the delimiters (the title rows above it say nothing about the delimiter)."""
    lines = _EOL.split(s.utf8[:256 * 1024], maxsplit=HEADER_SEARCH_ROWS)[:HEADER_SEARCH_ROWS]
    for i, line in enumerate(lines[1:], start=2):
        text = line.decode("utf-8", "replace")
        for delimiter in DELIMITER_NAMES:
            if delimiter not in text:
                continue
            cells = next(csv.reader([text], delimiter=delimiter), [])
            if len(cells) >= len(schema.REQUIRED_COLUMNS) and not map_headers(cells).missing:
                return i
    return None


def _read_workbook(data: bytes, opts: ImportOptions, map_headers: _MapHeaders, result: LoadResult
                   ) -> tuple[RawTable | None, ColumnMap]:
    def is_header(cells: list[str]) -> bool:
        return not map_headers(cells).missing

    previews = preview_sheets(data, is_header)
    names = [p.name for p in previews]
    if opts.sheet is not None:
        index = pick_sheet(names, opts.sheet)
    else:   # the first sheet that has a recognisable header, else the first sheet
        index = next((i for i, p in enumerate(previews) if p.header_row is not None), 0)
    preview = previews[index]
    header_row = opts.header_row or preview.header_row or 1
    raw = read_sheet(data, index, header_row)
    result.headers, result.header_row, result.sheet = list(raw.headers), header_row, preview.name
    where = f"sheet '{preview.name}'" + (f" (of {len(names)}: {', '.join(names)})" if len(names) > 1 else "")
    above = f"; the {header_row - 1} row(s) above it were skipped" if header_row > 1 else ""
    result.report.add(Issue(None, None, "format_detected",
                            f"Read as an Excel workbook, {where}, header on row {header_row}{above}. "
                            "Formula cells were read as their last calculated values.", "info"))
    cmap = map_headers(raw.headers)
    if _add_all(result, cmap.issues):
        return None, cmap
    return raw, cmap


def workbook_sheets(source: str | os.PathLike | bytes, *, mapping: Mapping[str, str] | None = None,
                    units: Mapping[str, str] | None = None) -> list[SheetPreview]:
    """Each sheet of a workbook with its first rows and the row that looks like the header, for
    the desktop's sheet and header-row picker. Raises ReadError when it is not a workbook."""
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not is_workbook(data):
        raise ReadError("not_a_workbook", "This file is not an Excel workbook (.xlsx or .xlsm).")

    def is_header(cells: list[str]) -> bool:
        return not map_columns(cells, mapping=mapping, units=units).missing
    return preview_sheets(data, is_header)
