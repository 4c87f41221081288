"""Turn the bytes of a CSV export into a table of strings: encoding, delimiter and decimal mark
are detected here, so validation only ever sees clean UTF-8 text cells.

Arrow's CSV reader does the parsing (multi-threaded, no Python per row); everything is read as
text and converted column by column later, so one bad cell cannot make a whole column unreadable.
"""
from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from dataclasses import dataclass, field
from typing import Callable, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from .workers import memory_pool

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
    workbook: bool = False             # read from an Excel workbook (numbers in a time column are day numbers)


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


def decode_to_utf8(data: bytes) -> tuple[bytes, str]:
    """Return UTF-8 bytes and the name of the encoding they were in."""
    utf8, encoding, _ = decode_text(data)
    return utf8, encoding


def decode_text(data: bytes) -> tuple[bytes, str, list[int]]:
    """UTF-8 bytes, the encoding's name, and the lines (1-based) that were repaired: a UTF-8 file
    with a few Windows-1252 lines keeps its UTF-8 and only those lines are re-read."""
    if data.startswith(b"\xef\xbb\xbf"):
        body = data[3:]
        if body.isascii() or _valid_utf8(body):
            return body, "UTF-8 with BOM", []
        fixed, lines = _repair_lines(body, force=True)  # the BOM promises UTF-8: repair the bad lines
        return fixed or body, "UTF-8 with BOM", lines
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8"), "UTF-16", []
        except UnicodeDecodeError:
            raise ReadError("unreadable_encoding",
                            "The file starts like UTF-16 text but is damaged (truncated or mixed encodings).") from None
    head = data[:SNIFF_BYTES]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(data)
        if utf16 is not None:
            return utf16, "UTF-16 (no BOM)", []
    kind = identify_binary(data)
    if kind is not None:
        raise ReadError("not_csv", kind)
    if b"\x00" in data:
        raise ReadError("not_text", "The file contains binary data (NUL bytes); it is not a CSV text file.")
    # Pure ASCII is valid UTF-8 and cheap to prove; otherwise decode once to be sure, because
    # Arrow cannot report a ragged row whose text is not valid UTF-8.
    if data.isascii() or _valid_utf8(data):
        return data, "UTF-8", []
    fixed, lines = _repair_lines(data)
    if fixed is None:
        utf8, enc = transcode_legacy(data)
        return utf8, enc, []
    return fixed, "UTF-8", lines


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


_ESCAPED = re.compile("[\udc80-\udcff]")              # bytes that were not UTF-8 (surrogateescape)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _repair_lines(data: bytes, force: bool = False) -> tuple[bytes | None, list[int]]:
    """Re-read as Windows-1252 only the lines that are not UTF-8 (valid UTF-8 on those lines is
    kept). Returns (None, []) when the file has no valid multi-byte UTF-8 at all: then it is a
    legacy file as a whole. Each UTF-8 check stops at the next bad byte, so the work is linear."""
    if not force and not _UTF8_MULTIBYTE.search(data):
        return None, []
    view = memoryview(data)
    parts: list[bytes] = []
    lines: list[int] = []
    pos = done = counted = 0
    line_no = 1
    while pos < len(data):
        try:
            codecs.utf_8_decode(view[pos:], "strict", True)
            break
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
        start = data.rfind(b"\n", 0, bad) + 1
        end = data.find(b"\n", bad)
        end = len(data) if end < 0 else end
        line_no += data.count(b"\n", counted, start)
        counted = start
        parts += [data[done:start], _legacy_line(data[start:end])]
        lines.append(line_no)
        done = pos = end
    parts.append(data[done:])
    return b"".join(parts), lines


def _legacy_line(raw: bytes) -> bytes:
    """One line: its valid UTF-8 kept, each other byte read as Windows-1252 (else Latin-1)."""
    def byte(m: re.Match) -> str:
        b = bytes([ord(m.group()) - 0xDC00])
        try:
            return b.decode("cp1252")
        except UnicodeDecodeError:
            return b.decode("latin-1")
    return _ESCAPED.sub(byte, raw.decode("utf-8", "surrogateescape")).encode("utf-8")


def _utf16_without_bom(data: bytes) -> bytes | None:
    """UTF-16 with no BOM: ASCII characters (delimiters, digits, newlines) leave NUL bytes on one
    side only; the text must then decode cleanly and read as text. Non-Latin names (Cyrillic, CJK)
    have no NULs themselves, so the NUL count alone is not a test."""
    head = data[:SNIFF_BYTES - (SNIFF_BYTES % 2)]
    even, odd = head[0::2].count(0), head[1::2].count(0)
    half = max(1, len(head) // 2)
    order = []
    if odd > 0.05 * half and even < 0.1 * odd:
        order.append("utf-16-le")
    if even > 0.05 * half and odd < 0.1 * even:
        order.append("utf-16-be")
    for enc in order:
        try:
            sample = head[: len(head) - (len(head) % 2)].decode(enc)
        except UnicodeDecodeError:
            continue
        printable = sum(1 for ch in sample if ch.isprintable() or ch in "\t\r\n")
        if ("\n" in sample or "\r" in sample) and printable >= 0.95 * max(1, len(sample)):
            try:
                return data.decode(enc).encode("utf-8")
            except UnicodeDecodeError:
                raise ReadError("unreadable_encoding", "The file looks like UTF-16 text but is damaged.") from None
    return None


# Signatures of files people pick by mistake: what to call them, and what to do instead.
_MAGIC: list[tuple[bytes, str, str]] = [
    (b"%PDF", "a PDF document", ""),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", ""),
    (b"\xff\xd8\xff", "a JPEG image", ""),
    (b"GIF87a", "a GIF image", ""), (b"GIF89a", "a GIF image", ""),
    (b"II*\x00", "a TIFF image", ""), (b"MM\x00*", "a TIFF image", ""),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old-style Office file (Excel 97-2003 .xls or Word .doc)",
     "Open it in Excel and save it as .xlsx or 'CSV UTF-8', then import that."),
    (b"\x1f\x8b", "a gzip-compressed file", "Decompress it first."),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "Extract the CSV file from it first."),
    (b"Rar!\x1a\x07", "a RAR archive", "Extract the CSV file from it first."),
    (b"SQLite format 3\x00", "an SQLite database", ""),
    (b"PAR1", "a Parquet file", ""),
    (b"\x7fELF", "a program (Linux executable)", ""),
    (b"{\\rtf", "a Rich Text (RTF) document", "Save the table from it as CSV."),
]


def identify_binary(data: bytes) -> str | None:
    """A sentence naming what a non-CSV file really is, or None when it may be text."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _describe_zip(data)
    for magic, what, advice in _MAGIC:
        if data.startswith(magic):
            return f"This is {what}, not a CSV file." + (f" {advice}" if advice else "")
    if data.startswith(b"BM") and len(data) > 26 and b"\x00" in data[:30]:
        return "This is a BMP image, not a CSV file."
    if data.startswith(b"MZ") and b"\x00" in data[:64]:
        return "This is a Windows program (.exe), not a CSV file."
    return None


def _describe_zip(data: bytes) -> str:
    """A ZIP is an Excel workbook only if it holds one; say what else it holds otherwise."""
    import io
    import zipfile
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "This is a damaged or incomplete ZIP archive, not a CSV file."
    if "xl/workbook.xml" in names:
        return ("This is an Excel workbook (.xlsx) but it could not be opened as one. Save it from Excel again, "
                "or as 'CSV UTF-8', and import that.")
    if any(n.startswith("word/") for n in names):
        return "This is a Word document (.docx), not a CSV file."
    if any(n.startswith("ppt/") for n in names):
        return "This is a PowerPoint presentation (.pptx), not a CSV file."
    if "content.xml" in names and "mimetype" in names:
        kind = zipfile.ZipFile(io.BytesIO(data)).read("mimetype")[:80].decode("ascii", "replace")
        if "spreadsheet" in kind:
            return ("This is an OpenDocument spreadsheet (.ods). Save it as .xlsx or CSV and import that.")
        return "This is an OpenDocument file, not a CSV file."
    files = [n for n in names if not n.endswith("/")]
    csvs = [n for n in files if n.lower().endswith((".csv", ".txt", ".tsv"))]
    shown = ", ".join(csvs[:3] or files[:3])
    more = f" and {len(files) - 3} more" if len(files) > 3 else ""
    return (f"This is a ZIP archive holding {len(files)} file(s) ({shown}{more}), not a CSV file. "
            "Extract the CSV file from it and import that.") if files else "This is an empty ZIP archive."


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


def _parse_text_or_floats(utf8: bytes, s: Sniffed, float_columns: frozenset[int],
                          dict_columns: frozenset[int]) -> tuple[pa.Table, list[tuple[int, int, int]]]:
    types = {i: _DICT for i in dict_columns}
    start = s.data_offset if utf8 is s.utf8 else _record_end(utf8, s.offset)[1]
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
    except (ReadError, _InvalidUtf8):
        pass
    return False


_DICT = pa.dictionary(pa.int32(), pa.string())


class _NotPlainNumbers(Exception):
    pass


class _InvalidUtf8(Exception):
    pass


_FIRST_TEXT = re.compile(rb"[^ \t\r\n]")
# The table and the parser's scratch blocks come from the C heap, not Arrow's default mimalloc
# pool: mimalloc keeps what the reader's threads freed in their own heaps (a 9.9 MB upload left
# ~25 MB more resident), the C heap gives it back at `release_memory`.
_POOL = pa.system_memory_pool()


def combine(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One array of a column's chunks (dictionaries unified), in the engine's pool for this table
    (`workers.memory_pool`): what `ChunkedArray.combine_chunks` gives, but that one ignores the
    pool it is handed."""
    if not isinstance(a, pa.ChunkedArray):
        return a
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
            convert_options=pacsv.ConvertOptions(column_types={n: (column_types or {}).get(i, pa.string())
                                                               for i, n in enumerate(names)},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
            memory_pool=_POOL,
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "UTF8" in msg or "UTF-8" in msg:
            raise _InvalidUtf8() from exc
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
