"""Cheap checks on an upload's first line before the engine parses it, so a hostile header
(millions of commas, thousands of columns) is refused in milliseconds with a precise message
instead of costing hundreds of MB of memory in the parser.

Limits (settings): CHEMVIZ_MAX_HEADER_BYTES (default 64 KiB) and CHEMVIZ_MAX_COLUMNS (default 256;
ChemViz analyses five columns, extra ones are only carried along)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings

DELIMITERS = b",;\t|"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def _kib(n: int) -> str:
    return f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"


def header_line(data: bytes, limit: int) -> bytes | None:
    """The bytes of the first line (any encoding whose newline contains 0x0A: UTF-8, Windows-1252,
    UTF-16), or None when no line break appears within `limit` bytes of a longer file."""
    end = data.find(b"\n", 0, limit + 1)
    if end == -1:
        return None if len(data) > limit else data
    return data[:end]


def column_count(line: bytes) -> int:
    """Columns the header would have with its most frequent delimiter (quoted delimiters count too:
    an over-estimate, which is the safe side for a limit)."""
    return 1 + max(line.count(d) for d in (bytes([c]) for c in DELIMITERS))


def head(upload: BinaryIO) -> bytes:
    """The bytes `check` looks at (read from the start; the file is left at its start)."""
    upload.seek(0)
    data = upload.read(settings.CHEMVIZ_MAX_HEADER_BYTES + 1)
    upload.seek(0)
    return data


def check(data: bytes) -> Refusal | None:
    """A Refusal when the header is too long or too wide, else None (the engine decides the rest).
    `data`: the whole file or its first CHEMVIZ_MAX_HEADER_BYTES + 1 bytes (`head`)."""
    max_header = settings.CHEMVIZ_MAX_HEADER_BYTES
    max_columns = settings.CHEMVIZ_MAX_COLUMNS
    line = header_line(data, max_header)
    if line is None:
        return Refusal("header_too_long",
                       f"The first line (the header) is longer than {_kib(max_header)}; a ChemViz header "
                       "names a handful of columns. Check that the file is a CSV with one header line.")
    columns = column_count(line)
    if columns > max_columns:
        return Refusal("too_many_columns",
                       f"The header has {columns:,} columns; at most {max_columns} are accepted (ChemViz "
                       "analyses Equipment Name, Type, Flowrate, Pressure and Temperature).")
    return None
