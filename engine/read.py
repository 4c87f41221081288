"""Turn the bytes of a CSV export into a table of strings: encoding, delimiter and decimal mark
are detected here, so validation only ever sees clean UTF-8 text cells.

Arrow's CSV reader does the parsing (multi-threaded, no Python per row); everything is read as
text and converted column by column later, so one bad cell cannot make a whole column unreadable.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DECIMAL_COMMA_CELL = re.compile(r"^\s*-?\d+,\d+\s*$")


class ReadError(Exception):
    """A file-level reason the file cannot be read at all (becomes one report issue)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class RawTable:
    headers: list[str]                 # header cells as written (BOM and outer spaces removed)
    table: pa.Table                    # one string column per header, named c0, c1, ...
    row_numbers: np.ndarray            # spreadsheet row of each table row (header = 1)
    ragged: list[tuple[int, int, int]] = field(default_factory=list)  # (row, expected, found)
    encoding: str = "utf-8"
    delimiter: str = ","
    decimal_comma: bool = False


def decode_to_utf8(data: bytes) -> tuple[bytes, str]:
    """Return UTF-8 bytes and the name of the encoding they were in."""
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        if body.isascii():
            return body, "UTF-8 with BOM"
        try:
            body.decode("utf-8")
            return body, "UTF-8 with BOM"
        except UnicodeDecodeError:  # the BOM promises UTF-8; keep that promise, mark the damage
            return (body.decode("utf-8", errors="replace").encode("utf-8"),
                    "UTF-8 with BOM (invalid bytes replaced by �)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), "UTF-16"
        except UnicodeDecodeError:
            raise ReadError("unreadable_encoding",
                            "The file starts like UTF-16 text but is damaged (truncated or mixed encodings).")
    if data.startswith(b"PK\x03\x04"):
        raise ReadError("not_csv", "This looks like an Excel workbook (.xlsx), not a CSV file. "
                                   "Save it from Excel as 'CSV UTF-8' and import that.")
    if data.startswith(b"%PDF"):
        raise ReadError("not_csv", "This is a PDF document, not a CSV file.")
    head = data[:SNIFF_BYTES]
    if b"\x00" in head:
        odd_nuls = head[1::2].count(0)
        even_nuls = head[0::2].count(0)
        half = max(1, len(head) // 2)
        if odd_nuls > 0.7 * half and even_nuls < 0.05 * half:
            enc = "utf-16-le"
        elif even_nuls > 0.7 * half and odd_nuls < 0.05 * half:
            enc = "utf-16-be"
        else:
            raise ReadError("not_text", "The file contains binary data (NUL bytes); it is not a CSV text file.")
        try:
            return data.decode(enc).encode("utf-8"), "UTF-16 (no BOM)"
        except UnicodeDecodeError:
            raise ReadError("unreadable_encoding", "The file looks like UTF-16 text but is damaged.")
    if b"\x00" in data:
        raise ReadError("not_text", "The file contains binary data (NUL bytes); it is not a CSV text file.")
    # Pure ASCII is valid UTF-8 and cheap to prove; otherwise decode once to be sure, because
    # Arrow cannot report a ragged row whose text is not valid UTF-8.
    if data.isascii():
        return data, "UTF-8"
    try:
        data.decode("utf-8")
        return data, "UTF-8"
    except UnicodeDecodeError:
        return transcode_legacy(data)


def transcode_legacy(data: bytes) -> tuple[bytes, str]:
    """Windows-1252 (what Excel writes in Western Europe), else Latin-1 which never fails."""
    try:
        return data.decode("cp1252").encode("utf-8"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1").encode("utf-8"), "Latin-1"


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
    """What the first 64 KB say about the file, before the full parse."""
    utf8: bytes
    offset: int            # first byte of the header line
    lead_lines: int        # blank lines above the header
    headers: list[str]
    delimiter: str
    decimal_comma: bool
    encoding: str


def sniff(data: bytes) -> Sniffed:
    """Detect encoding, delimiter, decimal mark and the header; raise ReadError if hopeless."""
    if not data:
        raise ReadError("empty_file", "The file is empty.")
    utf8, encoding = decode_to_utf8(data)
    # Blank lines above the header: skip them, but keep spreadsheet row numbers true.
    first = _FIRST_TEXT.search(utf8)
    if first is None:
        raise ReadError("empty_file", "The file is empty (only blank lines).")
    offset = first.start()
    head = utf8[offset:offset + SNIFF_BYTES]
    if len(utf8) - offset > SNIFF_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n")]
    sample = head.decode("utf-8", errors="replace")
    lines = _sample_lines(sample)
    if not lines:
        raise ReadError("empty_file", "The file contains only blank lines.")
    delimiter = sniff_delimiter(sample)
    header_cells = next(csv.reader([lines[0]], delimiter=delimiter))
    return Sniffed(utf8, offset, utf8[:offset].count(b"\n"), _unique_headers(header_cells), delimiter,
                   _detect_decimal_comma(lines, delimiter), encoding)


def parse(s: Sniffed, float_columns: frozenset[int] = frozenset(),
          dict_columns: frozenset[int] = frozenset()) -> RawTable:
    """Parse every row. Columns in `float_columns` are first tried as numbers straight from the
    parser (the fast path for clean files); if any cell is not a plain number the file is parsed
    again with those columns as text, and validation then names the bad cells. Columns in
    `dict_columns` (few distinct values, e.g. Type) come back dictionary-encoded."""
    utf8, encoding = s.utf8, s.encoding
    try:
        table, ragged = _parse_text_or_floats(utf8, s, float_columns, dict_columns)
    except _InvalidUtf8:
        utf8, encoding = transcode_legacy(utf8)
        table, ragged = _parse_text_or_floats(utf8, s, float_columns, dict_columns)
    n_records = table.num_rows + len(ragged)
    rows = np.arange(2, n_records + 2, dtype=np.int64)
    if ragged:
        rows = np.setdiff1d(rows, np.array([r for r, _, _ in ragged], dtype=np.int64), assume_unique=True)
    rows += s.lead_lines
    ragged = [(r + s.lead_lines, e, a) for r, e, a in ragged]
    return RawTable(headers=list(s.headers), table=table, row_numbers=rows, ragged=ragged,
                    encoding=encoding, delimiter=s.delimiter, decimal_comma=s.decimal_comma)


def read_table(data: bytes) -> RawTable:
    """Parse CSV bytes into a RawTable of text columns, or raise ReadError."""
    return parse(sniff(data))


def _parse_text_or_floats(utf8: bytes, s: Sniffed, float_columns: frozenset[int], dict_columns: frozenset[int]):
    types = {i: _DICT for i in dict_columns}
    if float_columns and not s.decimal_comma:
        try:
            return _parse(utf8, s.offset, s.headers, s.delimiter,
                          column_types=types | {i: pa.float64() for i in float_columns})
        except _NotPlainNumbers:
            pass
    return _parse(utf8, s.offset, s.headers, s.delimiter, column_types=types)


_DICT = pa.dictionary(pa.int32(), pa.string())


class _NotPlainNumbers(Exception):
    pass


class _InvalidUtf8(Exception):
    pass


_FIRST_TEXT = re.compile(rb"[^ \t\r\n]")


def _parse(utf8: bytes, offset: int, headers: list[str], delimiter: str,
           use_threads: bool = True, block_size: int = 1 << 20,
           column_types: dict[int, pa.DataType] | None = None) -> tuple[pa.Table, list[tuple[int, int, int]]]:
    names = [f"c{i}" for i in range(len(headers))]
    ragged: list[tuple[int | None, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        ragged.append((row.number, row.expected_columns, row.actual_columns))
        return "skip"

    quoted = b'"' in utf8
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(utf8)[offset:]),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=use_threads,
                                           block_size=block_size),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=quoted,
                                             ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: (column_types or {}).get(i, pa.string())
                                                               for i, n in enumerate(names)},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "UTF-8" in msg:
            raise _InvalidUtf8() from exc
        if column_types and "conversion error" in msg.lower():
            raise _NotPlainNumbers() from exc
        if ("straddling" in msg or "block" in msg.lower()) and block_size < len(utf8) + 1:
            return _parse(utf8, offset, headers, delimiter, use_threads=False, block_size=len(utf8) + 1,
                          column_types=column_types)
        raise ReadError("unreadable", f"The file could not be read as CSV ({_first_line(msg)}).")
    if any(r[0] is None for r in ragged) and use_threads:
        return _parse(utf8, offset, headers, delimiter, use_threads=False, block_size=block_size,
                      column_types=column_types)
    return table, [(int(r), e, a) for r, e, a in ragged]


def _first_line(msg: str) -> str:
    return msg.strip().splitlines()[0][:200] if msg.strip() else "unknown parser error"
