"""How to read a file, beyond what the file says itself: pressure reference for plain units, a
column mapping, unit overrides, the user's own type spellings, and for workbooks the sheet and
header row. One object so the desktop, CLI and server pass the same choices the same way."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Mapping

from . import schema
from .units import PRESSURE_MODES


@dataclass(frozen=True)
class ImportOptions:
    pressure_mode: str = "gauge"                    # what plain bar/psi/kPa (and no unit) mean
    mapping: Mapping[str, str] = field(default_factory=dict)       # column -> header text
    units: Mapping[str, str] = field(default_factory=dict)         # column -> unit text (overrides header)
    type_aliases: Mapping[str, str] = field(default_factory=dict)  # spelling -> equipment type
    sheet: str | int | None = None                  # workbook sheet: name or 1-based number
    header_row: int | None = None                   # 1-based row of the header (title rows above it)
    timezone: str | None = None                     # zone of naive reading times (None: this machine's)

    def __post_init__(self) -> None:
        if self.pressure_mode not in PRESSURE_MODES:
            raise ValueError(f"pressure_mode must be one of {PRESSURE_MODES}, not {self.pressure_mode!r}")
        if self.header_row is not None and self.header_row < 1:
            raise ValueError("header_row is 1-based: the first row is 1")
        if self.timezone is not None and not valid_timezone(self.timezone):
            raise ValueError(f"timezone {self.timezone!r} is not a time zone name (e.g. 'Europe/Berlin', 'UTC')")


def valid_timezone(name: str) -> bool:
    """An IANA zone name (or UTC / a fixed Etc/GMT offset) this machine knows."""
    import zoneinfo
    if not name or not name.strip():
        return False
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


def header_signature(headers: list[str]) -> str:
    """A short key for a header row (case, spacing and order-sensitive), under which a column
    mapping the user chose for it is remembered."""
    norm = "\x1f".join(schema.header_key(h) + "|" + " ".join(h.split()).casefold() for h in headers)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()[:16]


def parse_mapping(text: str) -> dict[str, str]:
    """`Name=Tag,Flowrate=Q (m3/h)` -> {"Name": "Tag", "Flowrate": "Q (m3/h)"}. A comma splits only
    where the next part has its own `=`, so header texts may hold commas."""
    out: dict[str, str] = {}
    parts: list[str] = []
    for piece in text.split(","):
        if "=" in piece or not parts:
            parts.append(piece)
        else:
            parts[-1] += "," + piece
    for part in parts:
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"'{part.strip()}' is not COLUMN=HEADER")
        out[key.strip()] = value.strip()
    return out
