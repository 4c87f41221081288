"""Excel workbooks (.xlsx, .xlsm) as a RawTable, so they go through the same validation as CSV.

openpyxl in read-only mode with `data_only=True`: formula cells give the value Excel last
calculated, dates come as dates (written as ISO dates in text columns). Row numbers are the
workbook's own, so a report's "row 14" is row 14 in Excel.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pyarrow as pa

from .encoding import ReadError
from .read import RawTable, _unique_headers

PREVIEW_ROWS = 30          # rows shown by the desktop's sheet picker, and searched for the header
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class SheetPreview:
    """One sheet: its first rows as text, and the row that looks like the header (1-based)."""
    name: str
    rows: list[list[str]] = field(default_factory=list)
    header_row: int | None = None     # None: no row maps the required columns


def is_workbook(data: bytes) -> bool:
    """An OOXML workbook: a ZIP holding xl/workbook.xml (a plain .zip is not one)."""
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        return "xl/workbook.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _open(data: bytes) -> Any:
    import openpyxl
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for damaged files
        raise ReadError("unreadable_workbook",
                        f"The Excel workbook could not be opened ({type(exc).__name__}: {str(exc)[:150]}). "
                        "Save it from Excel again, or as 'CSV UTF-8', and import that.") from None


def text_of(value: Any) -> str:
    """A cell as the text a CSV export of it would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def _sheet_rows(ws: Any, limit: int | None = None) -> Iterator[tuple[int, tuple[Any, ...]]]:
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if limit is not None and i > limit:
            return
        yield i, row


def find_header_row(rows: Sequence[Sequence[str]], is_header: Callable[[list[str]], bool]) -> int | None:
    """1-based index of the first row that `is_header` accepts (title rows above it are skipped)."""
    for i, row in enumerate(rows, start=1):
        cells = [c for c in row]
        if sum(1 for c in cells if c.strip()) >= 2 and is_header(cells):
            return i
    return None


def preview_sheets(data: bytes, is_header: Callable[[list[str]], bool]) -> list[SheetPreview]:
    """Every sheet with its first PREVIEW_ROWS rows and the guessed header row."""
    wb = _open(data)
    try:
        out = []
        for ws in wb.worksheets:
            rows = [[text_of(v) for v in row] for _, row in _sheet_rows(ws, PREVIEW_ROWS)]
            width = max((len(r) for r in rows), default=0)
            rows = [r + [""] * (width - len(r)) for r in rows]
            out.append(SheetPreview(ws.title, rows, find_header_row(rows, is_header)))
        return out
    finally:
        wb.close()


def pick_sheet(names: list[str], sheet: str | int | None) -> int:
    """Index of the sheet asked for: an exact name, else a 1-based number."""
    if sheet is None:
        return 0
    if isinstance(sheet, str):
        for i, n in enumerate(names):
            if n == sheet:
                return i
        for i, n in enumerate(names):
            if n.strip().casefold() == sheet.strip().casefold():
                return i
        if not sheet.strip().isdigit():
            raise ReadError("no_such_sheet", f"The workbook has no sheet '{sheet}'. Sheets: "
                                             f"{', '.join(repr(n) for n in names)}.")
        sheet = int(sheet)
    if not 1 <= sheet <= len(names):
        raise ReadError("no_such_sheet", f"The workbook has {len(names)} sheet(s); there is no sheet {sheet}. "
                                         f"Sheets: {', '.join(repr(n) for n in names)}.")
    return sheet - 1


def read_sheet(data: bytes, sheet_index: int, header_row: int) -> RawTable:
    """The sheet from `header_row` down as a RawTable (numeric columns as float64 when every
    cell is a number, else as text)."""
    wb = _open(data)
    try:
        ws = wb.worksheets[sheet_index]
        rows_iter = _sheet_rows(ws)
        header: Sequence[Any] | None = None
        for i, row in rows_iter:
            if i == header_row:
                header = row
                break
        if header is None:
            raise ReadError("no_header", f"Sheet '{ws.title}' has fewer than {header_row} rows; there is no header "
                                         f"on row {header_row}.")
        cells = [text_of(v) for v in header]
        while cells and not cells[-1].strip():
            cells.pop()
        width = len(cells)
        if width == 0:
            raise ReadError("no_header", f"Row {header_row} of sheet '{ws.title}' is empty; it cannot be the header.")
        columns: list[list[Any]] = [[] for _ in range(width)]
        numbers: list[int] = []
        ragged: list[tuple[int, int, int]] = []
        for i, row in rows_iter:
            if len(row) > width and any(v is not None and text_of(v).strip() for v in row[width:]):
                found = width + max(k for k, v in enumerate(row[width:], 1) if v is not None and text_of(v).strip())
                ragged.append((i, width, found))
                continue
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row[:width]):
                continue   # empty worksheet rows are spacing, like blank lines in a CSV
            numbers.append(i)
            for k in range(width):
                columns[k].append(row[k] if k < len(row) else None)
    finally:
        wb.close()
    arrays = {f"c{k}": _column(col) for k, col in enumerate(columns)}
    return RawTable(headers=_unique_headers(cells), table=pa.table(arrays) if arrays else pa.table({}),
                    row_numbers=np.array(numbers, dtype=np.int64), ragged=ragged,
                    encoding=f"Excel workbook, sheet '{ws.title}'", delimiter="", decimal_comma=False,
                    workbook=True)


def _column(values: list[Any]) -> pa.Array:
    """All numbers (or empty) -> float64; anything else -> text, as a CSV export would hold it."""
    if values and all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values):
        if any(v is not None for v in values):
            return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array([text_of(v) for v in values], pa.string())
