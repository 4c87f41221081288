"""From the bytes of a text export to UTF-8: BOMs, UTF-16 with or without a BOM, Windows-1252
and other legacy encodings, lines that are UTF-8 but for a few bytes (repaired line by line and
named), and files that are not text at all (workbooks, archives, PDFs, images: refused by name).
A file that cannot be read is a ReadError with a code and a message, never a traceback."""
from __future__ import annotations

import codecs
import re

from .native import kernels

SNIFF_BYTES = 64 * 1024     # the head of a file that detection looks at


class ReadError(Exception):
    """A file-level reason the file cannot be read at all (becomes one report issue)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def decode_to_utf8(data: bytes) -> tuple[bytes, str]:
    """Return UTF-8 bytes and the name of the encoding they were in."""
    utf8, encoding, _ = decode_text(data)
    return utf8, encoding


def decode_text(data: bytes) -> tuple[bytes, str, list[int]]:
    """UTF-8 bytes, the encoding's name, and the lines (1-based) that were repaired: a UTF-8 file
    with a few Windows-1252 lines keeps its UTF-8 and only those lines are re-read. The bytes
    returned are always valid UTF-8 (the CSV parser relies on it and does not check again)."""
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
    has_nul, ascii_only = _nul_and_ascii(data)
    if has_nul:
        raise ReadError("not_text", "The file contains binary data (NUL bytes); it is not a CSV text file.")
    # Pure ASCII is valid UTF-8 and cheap to prove; otherwise decode once to be sure, because
    # Arrow cannot report a ragged row whose text is not valid UTF-8.
    if ascii_only or _valid_utf8(data):
        return data, "UTF-8", []
    fixed, lines = _repair_lines(data)
    if fixed is None:
        utf8, enc = transcode_legacy(data)
        return utf8, enc, []
    return fixed, "UTF-8", lines


def _nul_and_ascii(data: bytes) -> tuple[bool, bool]:
    """Whether `data` holds a NUL byte, and whether it is all ASCII: one pass with the kernels."""
    native = kernels()
    if native is None or not data:
        return b"\x00" in data, data.isascii()
    flags = int(native.lib.text_flags(native.ffi.from_buffer(data), len(data)))
    return bool(flags & 1), not flags & 2


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
