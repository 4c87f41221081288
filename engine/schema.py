"""Single source of truth for the CSV schema: columns, header aliases, units and equipment types.

Desktop, server and CLI all import from here so that a header or type accepted in one place is
accepted everywhere.
"""
from __future__ import annotations

import re

# Canonical column names, as the seed's CSV header writes them.
NAME = "Equipment Name"
TYPE = "Type"
FLOWRATE = "Flowrate"
PRESSURE = "Pressure"
TEMPERATURE = "Temperature"

REQUIRED_COLUMNS: tuple[str, ...] = (NAME, TYPE, FLOWRATE, PRESSURE, TEMPERATURE)

# Readings over time (issue #15): a Timestamp column makes the file a time series, in which Type
# is optional (the registry's type, else UNASSIGNED_TYPE); Status is optional in any file.
TIMESTAMP = "Timestamp"
STATUS = "Status"
UNASSIGNED_TYPE = "Unassigned"
OPTIONAL_COLUMNS: tuple[str, ...] = (TIMESTAMP, STATUS)
# header_key() forms (lower case, letters and digits only) that mean these columns
TIMESTAMP_ALIASES: tuple[str, ...] = ("timestamp", "time", "date", "datetime", "recordedat", "sampletime", "ts",
                                      "readingtime", "timestamputc")
STATUS_ALIASES: tuple[str, ...] = ("status", "state", "equipmentstatus", "runstatus")
NAME_ALIASES_TIME_SERIES: tuple[str, ...] = ("equipmentid", "tag", "equipment", "asset", "tagname", "assetid")
NUMERIC_COLUMNS: tuple[str, ...] = (FLOWRATE, PRESSURE, TEMPERATURE)

# Key used for each numeric column in the statistics JSON (avg_flowrate, ...).
STAT_KEY: dict[str, str] = {FLOWRATE: "flowrate", PRESSURE: "pressure", TEMPERATURE: "temperature"}

# Units the product works in; everything read is converted to these.
UNITS: dict[str, str] = {FLOWRATE: "L/min", PRESSURE: "bar", TEMPERATURE: "°C"}

# Bookkeeping columns the engine adds to every loaded frame.
ROW = "_row"            # spreadsheet row number (header = 1)
EXCLUDED = "_excluded"  # True when the row is left out of the statistics
REASON = "_reason"      # code of the first error that excluded the row, "" otherwise
META_COLUMNS: tuple[str, ...] = (ROW, EXCLUDED, REASON)

# Header aliases, compared after header_key() normalisation.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    NAME: ("equipmentname", "equipment", "name", "equipmenttag", "tag", "equipname", "equipmentid", "asset",
           "tagname", "assetid"),
    TYPE: ("type", "equipmenttype", "category", "kind"),
    FLOWRATE: ("flowrate", "flow", "flowratelmin"),
    PRESSURE: ("pressure", "press"),
    TEMPERATURE: ("temperature", "temp"),
    TIMESTAMP: TIMESTAMP_ALIASES,
    STATUS: STATUS_ALIASES,
}
assert set(NAME_ALIASES_TIME_SERIES) <= set(HEADER_ALIASES[NAME])


def required_columns(time_series: bool) -> tuple[str, ...]:
    """The columns a file must have: Type is optional when a Timestamp column is present."""
    return tuple(c for c in REQUIRED_COLUMNS if not (time_series and c == TYPE))

CANONICAL_TYPES: tuple[str, ...] = (
    "Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser", "Other",
)

# Spellings (type_key() form) that mean a canonical type.
TYPE_SYNONYMS: dict[str, str] = {
    "pump": "Pump", "pumps": "Pump",
    "compressor": "Compressor", "compressors": "Compressor",
    "valve": "Valve", "valves": "Valve",
    "heatexchanger": "HeatExchanger", "heatexchangers": "HeatExchanger", "hx": "HeatExchanger",
    "exchanger": "HeatExchanger", "shellandtube": "HeatExchanger", "shelltube": "HeatExchanger",
    "shellandtubeheatexchanger": "HeatExchanger",
    "reactor": "Reactor", "reactors": "Reactor", "cstr": "Reactor", "pfr": "Reactor",
    "condenser": "Condenser", "condensers": "Condenser",
    "other": "Other",
}
# A multi-word type ending in one of these words is that canonical type
# ("Centrifugal Pump" -> Pump, "Plate Heat Exchanger" -> HeatExchanger).
TYPE_SUFFIXES: dict[str, str] = {
    "pump": "Pump", "compressor": "Compressor", "valve": "Valve",
    "heatexchanger": "HeatExchanger", "exchanger": "HeatExchanger",
    "reactor": "Reactor", "condenser": "Condenser",
}

# The shared server refuses files above this (seed §6.1: 10 MB); the desktop has no limit.
SERVER_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024

# Values that are possible but rare enough to deserve a warning (in product units).
PLAUSIBLE_MAX: dict[str, float] = {FLOWRATE: 1_000_000.0, PRESSURE: 1000.0, TEMPERATURE: 1500.0}
ABSOLUTE_ZERO_C = -273.15

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(text: str) -> str:
    """Header text reduced to letters and digits, so `Flow_Rate`, `flow rate` and `FLOWRATE` agree."""
    return _NON_ALNUM.sub("", text.strip().lower())


def type_key(text: str) -> str:
    return _NON_ALNUM.sub("", text.strip().lower())


def canonical_column(key: str) -> str | None:
    for column, aliases in HEADER_ALIASES.items():
        if key in aliases:
            return column
    return None


_WORD_SPLIT = re.compile(r"[\s_\-]+")


def display_type(raw: str) -> str:
    """Map a type spelling to its canonical type, or to one tidy display form of its own."""
    key = type_key(raw)
    if key in TYPE_SYNONYMS:
        return TYPE_SYNONYMS[key]
    words = [w for w in _WORD_SPLIT.split(raw.strip()) if w]
    if len(words) > 1:
        last_two = type_key("".join(words[-2:]))
        if last_two in TYPE_SUFFIXES:
            return TYPE_SUFFIXES[last_two]
        last = type_key(words[-1])
        if last in TYPE_SUFFIXES:
            return TYPE_SUFFIXES[last]
    return " ".join(_tidy_word(w) for w in words)


def _tidy_word(word: str) -> str:
    """`tank`/`TANK` -> `Tank`; short acronyms (`CSTR`) and camel case (`HeatX`) stay."""
    if word.isupper() and len(word) <= 4:
        return word
    if not word.isupper() and any(c.isupper() for c in word[1:]):
        return word
    return word.capitalize()
