"""Turn the bytes of a CSV export into a table of strings: encoding, delimiter and decimal mark
are detected here, so validation only ever sees clean UTF-8 text cells.

Arrow's CSV reader does the parsing (multi-threaded, no Python per row); everything is read as
text and converted column by column later, so one bad cell cannot make a whole column unreadable.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from . import plain_csv
from .encoding import SNIFF_BYTES, ReadError, decode_text
from .workers import memory_pool

DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DECIMAL_COMMA_CELL = re.compile(r"^\s*-?\d+,\d+\s*$")


@dataclass
class RawTable:
    headers: list[str]                 # header cells as written (BOM and outer spaces removed)
    table: pa.Table                    # one string column per header, named c0, c1, ...
    row_numbers: np.ndarray            # spreadsheet row of each table row (header = 1)
    ragged: list[tuple[int, int, int]] = field(default_factory=list)  # (row, expected, found)
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal_comma: bool = False
    workbook: bool = False             # read from an Excel workbook (numbers in a time column are day numbers)
    # column -> (values, mask) of its plain number cells, read with the table (`plain_csv`): what
    # `cells.plain_numbers` gives for the column, for the rows of `table` as it is
    numbers: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    # columns whose cells are ASCII and trimmed already: what validation's trim would give
    trimmed: frozenset[int] = frozenset()


def release_memory() -> None:
    """Return freed pages to the system (Arrow's allocator, and on Linux the C heap's arenas,
    where numpy's temporaries of several worker threads land), so that one step's scratch memory
    (parser blocks, text columns already read, hashes) does not add to the next step's peak."""
    try:
        pa.default_memory_pool().release_unused()
    except AttributeError:   # an old pyarrow without release_unused
        pass
    if _TRIM is not None:
        _TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes
        import ctypes.util
        return cast(Callable[[int], int], ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim)
    except (OSError, AttributeError):   # not glibc (musl has no malloc_trim)
        return None


_TRIM = _malloc_trim()


def _sample_lines(text: str, limit: int = 50) -> list[str]:
    return [ln for ln in text.splitlines()[:limit] if ln.strip()]


def sniff_delimiter(sample: str) -> str:
    """csv.Sniffer first; when it guesses nothing sensible, pick the delimiter that gives the
    header the most fields and the data rows the same count."""
    lines = _sample_lines(sample)
    if not lines:
        return ","
    try:
        d = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
        if _consistency(lines, d)[0] > 1:
            return d
    except csv.Error:
        pass
    return max(DELIMITERS, key=lambda d: _consistency(lines, d))


def _consistency(lines: list[str], delimiter: str) -> tuple[int, float]:
    rows = list(csv.reader(lines[:20], delimiter=delimiter))
    if not rows:
        return 0, 0.0
    width = len(rows[0])
    same = sum(1 for r in rows[1:] if len(r) == width) / max(1, len(rows) - 1)
    return (width if width > 1 else 0), same


def _detect_decimal_comma(lines: list[str], delimiter: str) -> bool:
    if delimiter == ",":
        return False
    rows = list(csv.reader(lines[1:30], delimiter=delimiter))
    return any(_DECIMAL_COMMA_CELL.match(cell) for r in rows for cell in r)


def _unique_headers(cells: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, c in enumerate(cells):
        c = c.strip().lstrip("\ufeff").strip() or f"Column {i + 1}"
        if c in seen:
            seen[c] += 1
            c = f"{c} ({seen[c]})"
        else:
            seen[c] = 1
        out.append(c)
    return out


@dataclass
class Sniffed:
    """What the head of the file says about it, before the full parse."""
    utf8: bytes
    offset: int            # first byte of the header line
    lead_lines: int        # lines above the header (blank lines, or title rows skipped by header_row)
    headers: list[str]
    delimiter: str
    decimal_comma: bool
    encoding: str
    data_offset: int = -1  # first byte after the header record (a quoted header cell may hold line breaks)
    repaired_lines: list[int] = field(default_factory=list)  # lines re-read as Windows-1252
    lines: list[str] = field(default_factory=list)           # first lines of the file, for header search


def sniff(data: bytes | None = None, header_row: int | None = None, *, decoded: tuple | None = None) -> Sniffed:
    """Detect encoding, delimiter, decimal mark and the header; raise ReadError if hopeless.
    `header_row` (1-based spreadsheet row) skips title rows above the header."""
    if decoded is None:
        if not data:
            raise ReadError("empty_file", "The file is empty.")
        decoded = decode_text(data)
    utf8, encoding, repaired = decoded
    if header_row is not None and header_row > 1:
        offset = 0
        for _ in range(header_row - 1):
            m = _EOL.search(utf8, offset)
            if m is None:
                raise ReadError("no_header", f"The file has fewer than {header_row} rows; there is no header on "
                                             f"row {header_row}.")
            offset = m.end()
    else:
        # Blank lines above the header: skip them, but keep spreadsheet row numbers true.
        first = _FIRST_TEXT.search(utf8)
        if first is None:
            raise ReadError("empty_file", "The file is empty (only blank lines).")
        offset = first.start()
    header_end, data_offset = _record_end(utf8, offset)
    header_text = utf8[offset:header_end].decode("utf-8", errors="replace")
    if not header_text.strip():
        raise ReadError("empty_file", "The header row is empty.")
    head = utf8[data_offset:data_offset + SNIFF_BYTES]
    if len(utf8) - data_offset > SNIFF_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n")]
    # The header as one line (a quoted cell's line breaks become spaces) for the delimiter sniff.
    flat = header_text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    lines = [flat] + _sample_lines(head.decode("utf-8", errors="replace"))
    delimiter = sniff_delimiter("\n".join(lines))
    header_cells = next(csv.reader(io.StringIO(header_text.rstrip("\r")), delimiter=delimiter), [])
    return Sniffed(utf8, offset, len(_EOL.findall(utf8, 0, offset)), _unique_headers(header_cells), delimiter,
                   _detect_decimal_comma(lines, delimiter), encoding, data_offset, repaired, lines)


_EOL = re.compile(rb"\r\n|\n|\r")


def _record_end(buf: bytes, start: int, limit: int = 8 << 20) -> tuple[int, int]:
    """(end, next start) of the record starting at `start`: the first line break outside quotes."""
    first = _EOL.search(buf, start)
    if first is None:
        return len(buf), len(buf)
    m: re.Match | None = first
    while m is not None and m.start() - start < limit:
        if buf.count(b'"', start, m.start()) % 2 == 0:
            return m.start(), m.end()
        m = _EOL.search(buf, m.end())
    return first.start(), first.end()  # an unbalanced quote: the line is the record, as before


def parse(s: Sniffed, float_columns: frozenset[int] = frozenset(),
          dict_columns: frozenset[int] = frozenset(), trim_columns: frozenset[int] = frozenset(),
          read_numbers: bool = True) -> RawTable:
    """Parse every row. Columns in `dict_columns` (few distinct values, e.g. Type) come back
    dictionary-encoded.

    Plain CSV (no quotes) is read by `plain_csv`: with `read_numbers`, `float_columns` come with
    their plain cells already read as numbers (`RawTable.numbers`); `trim_columns` (the names)
    come trimmed of ASCII whitespace. Otherwise Arrow's reader: columns in `float_columns` are
    first tried as numbers straight from the parser (the fast path for clean files); if any cell
    is not a plain number the file is parsed again with those columns as text, and validation
    then names the bad cells."""
    plain = _read_plain(s, float_columns if read_numbers else frozenset(), dict_columns, trim_columns)
    ragged: list[tuple[int, int, int]]
    if plain is not None:
        table, ragged, numbers, trimmed = plain.table, [], plain.numbers, plain.ascii_trimmed
        rows = plain.row_numbers
    else:
        (table, ragged), numbers = _parse_text_or_floats(s.utf8, s, float_columns, dict_columns), {}
        trimmed = frozenset()
        rows = np.arange(2, table.num_rows + len(ragged) + 2, dtype=np.int64)
    if ragged:
        rows = np.setdiff1d(rows, np.array([r for r, _, _ in ragged], dtype=np.int64), assume_unique=True)
    if s.lead_lines:   # (no pass over every row to add nothing)
        rows += s.lead_lines
    ragged = [(r + s.lead_lines, e, a) for r, e, a in ragged]
    return RawTable(headers=list(s.headers), table=table, row_numbers=rows, ragged=ragged,
                    encoding=s.encoding, delimiter=s.delimiter, decimal_comma=s.decimal_comma, numbers=numbers,
                    trimmed=trimmed)


def _read_plain(s: Sniffed, float_columns: frozenset[int], dict_columns: frozenset[int],
                trim_columns: frozenset[int]) -> plain_csv.PlainRead | None:
    roles = [plain_csv.DICT if i in dict_columns else
             plain_csv.NUMBER if i in float_columns and not s.decimal_comma else
             plain_csv.TRIMMED if i in trim_columns else plain_csv.TEXT for i in range(len(s.headers))]
    return plain_csv.read_plain(s.utf8, s.data_offset, roles, s.delimiter)


def read_table(data: bytes) -> RawTable:
    """Parse CSV bytes into a RawTable of text columns, or raise ReadError."""
    return parse(sniff(data))


def _parse_text_or_floats(utf8: bytes, s: Sniffed, float_columns: frozenset[int],
                          dict_columns: frozenset[int]) -> tuple[pa.Table, list[tuple[int, int, int]]]:
    types = {i: _DICT for i in dict_columns}
    start = s.data_offset
    if start >= len(utf8):  # a header and nothing else
        names = [f"c{i}" for i in range(len(s.headers))]
        return pa.table({n: pa.array([], pa.string()) for n in names}), []
    floats = types | {i: pa.float64() for i in float_columns}
    if float_columns and not s.decimal_comma and not _head_has_text_numbers(utf8, start, s, floats):
        try:
            return _parse(utf8, start, s.headers, s.delimiter, column_types=floats)
        except _NotPlainNumbers:
            pass
    return _parse(utf8, start, s.headers, s.delimiter, column_types=types)


def _head_has_text_numbers(utf8: bytes, start: int, s: Sniffed, floats: dict[int, pa.DataType]) -> bool:
    """The first lines (SNIFF_BYTES) already hold a cell of a numeric column that is not a plain
    number: a parse of the whole file as numbers would fail too, so it is not tried (a dirty
    file is then parsed once). Only unquoted heads are tried, cut at a line end; anything else
    the head parse says leaves the decision to the whole file, as before."""
    if len(utf8) - start <= 2 * SNIFF_BYTES:
        return False
    head_end = start + SNIFF_BYTES
    cut = max(utf8.rfind(b"\n", start, head_end), utf8.rfind(b"\r", start, head_end)) + 1
    if cut <= start or utf8.find(b'"', start, cut) >= 0:
        return False
    try:
        _parse(utf8, start, s.headers, s.delimiter, column_types=floats, end=cut)
    except _NotPlainNumbers:
        return True
    except ReadError:
        pass
    return False


_DICT = pa.dictionary(pa.int32(), pa.string())


class _NotPlainNumbers(Exception):
    pass


_FIRST_TEXT = re.compile(rb"[^ \t\r\n]")
# The table and the parser's scratch blocks come from the C heap, not Arrow's default mimalloc
# pool: mimalloc keeps what the reader's threads freed in their own heaps (a 9.9 MB upload left
# ~25 MB more resident), the C heap gives it back at `release_memory`.
_POOL = pa.system_memory_pool()


def combine(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array of a column's chunks (dictionaries unified), in the engine's pool for this table
    (`workers.memory_pool`): what `ChunkedArray.combine_chunks` gives, but that one ignores the
    pool it is handed. A column of one chunk is that chunk (no copy)."""
    if not isinstance(a, pa.ChunkedArray):
        return a
    if a.num_chunks == 1:
        return a.chunk(0)
    return pa.concat_arrays(a.chunks, memory_pool=memory_pool()) if a.num_chunks else a.combine_chunks()


def _parse(utf8: bytes, offset: int, headers: list[str], delimiter: str,
           use_threads: bool = True, block_size: int = 1 << 20,
           column_types: dict[int, pa.DataType] | None = None,
           end: int | None = None) -> tuple[pa.Table, list[tuple[int, int, int]]]:
    names = [f"c{i}" for i in range(len(headers))]
    ragged: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    quoted = b'"' in utf8
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(utf8)[offset:end]),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=0, use_threads=use_threads,
                                           block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted,
                                             ignore_empty_lines=False, invalid_row_handler=on_invalid),
            # check_utf8=False: `decode_text` already made the bytes valid UTF-8 (each way out of
            # it is checked or re-encoded), so Arrow's second check only cost time (1M rows: 15 ms)
            convert_options=pacsv.ConvertOptions(column_types={n: (column_types or {}).get(i, pa.string())
                                                               for i, n in enumerate(names)},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False, check_utf8=False),
            memory_pool=_POOL,
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if column_types and "conversion error" in msg.lower():
            raise _NotPlainNumbers() from exc
        if ("straddling" in msg or "block" in msg.lower()) and block_size < len(utf8) + 1:
            return _parse(utf8, offset, headers, delimiter, use_threads=False, block_size=len(utf8) + 1,
                          column_types=column_types, end=end)
        raise ReadError("unreadable", f"The file could not be read as CSV ({_first_line(msg)}).") from None
    if any(r[0] is None for r in ragged) and use_threads:
        return _parse(utf8, offset, headers, delimiter, use_threads=False, block_size=block_size,
                      column_types=column_types, end=end)
    # +1: the header row came before the buffer (a None row number made us re-parse above)
    return table, [(int(r) + 1, e, a) for r, e, a in ragged if r is not None]


def _first_line(msg: str) -> str:
    return msg.strip().splitlines()[0][:200] if msg.strip() else "unknown parser error"
