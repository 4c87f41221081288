"""Units a header may state, and conversion to the product units (L/min, bar gauge, °C).

Pressure is canonical in bar gauge: plant instruments mostly read gauge and vacuum services read
negative gauge. Units that say absolute (`bara`, `psia`, `kPa abs`, `mmHga`) subtract one standard
atmosphere (1.01325 bar); units that say gauge (`barg`, `psig`, `kg/cm²g`) only scale; plain units
(`bar`, `psi`, `kPa`, `atm`, `mmHg`, ...) follow the import's pressure mode, gauge unless told
otherwise. Vacuum units (`mmHg vac`, `inHgV`) count down from atmosphere: 700 mmHg vac is
−0.933 bar(g).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from . import schema

PressureMode = Literal["gauge", "absolute"]
PRESSURE_MODES: tuple[str, ...] = ("gauge", "absolute")
ATMOSPHERE_BAR = 1.01325
# Reference of a pressure unit: what zero means.
GAUGE, ABSOLUTE, VACUUM, PLAIN = "gauge", "absolute", "vacuum", "plain"


@dataclass(frozen=True)
class Unit:
    """value_in_product_units = value * scale + offset."""
    label: str
    scale: float = 1.0
    offset: float = 0.0
    reference: str | None = None   # pressure only: gauge, absolute, vacuum or plain (mode decides)

    @property
    def is_identity(self) -> bool:
        return self.scale == 1.0 and self.offset == 0.0

    def to_product(self, values: np.ndarray) -> np.ndarray:
        if self.is_identity:
            return values
        out = values * self.scale if self.scale != 1.0 else values.copy()
        return out + self.offset if self.offset else out

    def resolve(self, pressure_mode: str = GAUGE) -> "Unit":
        """A plain pressure unit becomes gauge or absolute as the import says; others stay."""
        if self.reference != PLAIN:
            return self
        return _pressure(self.label, self.scale, ABSOLUTE if pressure_mode == ABSOLUTE else GAUGE)

    def describe(self) -> str:
        """How the report names the unit: `psi (absolute)`, `kPa (gauge)`, `mmHg (vacuum)`."""
        return f"{self.label} ({self.reference})" if self.reference in (GAUGE, ABSOLUTE, VACUUM) else self.label


def _pressure(label: str, to_bar: float, reference: str) -> Unit:
    if reference == ABSOLUTE:
        return Unit(label, to_bar, -ATMOSPHERE_BAR, ABSOLUTE)
    if reference == VACUUM:
        return Unit(label, -to_bar, 0.0, VACUUM)
    return Unit(label, to_bar, 0.0, reference)


# Pressure units: label, bar per unit, and the unit_key() spellings of the plain, gauge, absolute
# and vacuum forms.
_PRESSURE_UNITS: list[tuple[str, float, tuple[str, ...]]] = [
    ("bar", 1.0, ("bar",)),
    ("mbar", 1e-3, ("mbar",)),
    ("Pa", 1e-5, ("pa",)),
    ("kPa", 1e-2, ("kpa",)),
    ("MPa", 10.0, ("mpa",)),
    ("psi", 0.0689475729, ("psi", "lbin2", "lbfin2")),
    ("atm", ATMOSPHERE_BAR, ("atm",)),
    ("kg/cm²", 0.980665, ("kgcm2", "kgcm²", "kgfcm2", "kgfcm²", "ksc")),
    ("mmHg", 0.00133322387415, ("mmhg", "torr")),
    ("inHg", 0.0338638866667, ("inhg",)),
]
_GAUGE_SUFFIXES = ("g", "gauge", "gage", "(g)")
_ABSOLUTE_SUFFIXES = ("a", "abs", "absolute", "(a)")
_VACUUM_SUFFIXES = ("v", "vac", "vacuum")


def _pressure_table() -> dict[str, Unit]:
    table: dict[str, Unit] = {}
    for label, to_bar, keys in _PRESSURE_UNITS:
        for key in keys:
            table[key] = _pressure(label, to_bar, PLAIN)
            for suffixes, ref in ((_GAUGE_SUFFIXES, GAUGE), (_ABSOLUTE_SUFFIXES, ABSOLUTE),
                                  (_VACUUM_SUFFIXES, VACUUM)):
                for s in suffixes:
                    table.setdefault(key + s.strip("()"), _pressure(label, to_bar, ref))
    return table


_F = 5.0 / 9.0
# Keys are unit_key() forms.
UNIT_TABLE: dict[str, dict[str, Unit]] = {
    schema.FLOWRATE: {
        "lmin": Unit("L/min"), "lpm": Unit("L/min"), "literpermin": Unit("L/min"),
        "ls": Unit("L/s", 60.0), "lps": Unit("L/s", 60.0),
        "m3h": Unit("m³/h", 1000.0 / 60.0), "m³h": Unit("m³/h", 1000.0 / 60.0),
        "cmh": Unit("m³/h", 1000.0 / 60.0),
        "gpm": Unit("gpm (US)", 3.785411784), "galmin": Unit("gpm (US)", 3.785411784),
        "usgpm": Unit("gpm (US)", 3.785411784),
    },
    schema.PRESSURE: _pressure_table(),
    schema.TEMPERATURE: {
        "c": Unit("°C"), "celsius": Unit("°C"),
        "f": Unit("°F", _F, -32.0 * _F), "fahrenheit": Unit("°F", _F, -32.0 * _F),
        "k": Unit("K", 1.0, -273.15), "kelvin": Unit("K", 1.0, -273.15),
    },
}
# Pressure of a header with no unit: bar, gauge or absolute as the import's mode says.
DEFAULT_PRESSURE = UNIT_TABLE[schema.PRESSURE]["bar"]

_UNIT_IN_BRACKETS = re.compile(
    r"^(?P<name>.*?)\s*[\(\[\{]\s*(?P<unit>[^()\[\]{}]*(?:\([^()]*\)[^()\[\]{}]*)?)\s*[\)\]\}]\s*$")
_UNIT_AFTER_COMMA = re.compile(r"^(?P<name>[^,]+),\s*(?P<unit>.+)$")
_ALL_UNIT_KEYS = {k for table in UNIT_TABLE.values() for k in table}


def unit_key(text: str) -> str:
    """`°C`, `degC`, `deg C` -> "c"; `m^3/h` -> "m3h"; `L/min` -> "lmin"; `kPa(g)` -> "kpag"."""
    t = text.strip().lower()
    for mark in ("°", "º", "deg", "^"):
        t = t.replace(mark, "")
    t = t.replace("²", "2").replace("³", "3")
    return re.sub(r"[\s/._\-()\[\]]+", "", t)


def split_header(header: str) -> tuple[str, str | None]:
    """`Pressure [bar]` -> ("Pressure", "bar"); `Temperature_K` -> ("Temperature", "K");
    `Pressure (kPa(g))` -> ("Pressure", "kPa(g)"); `Pressure psig` -> ("Pressure", "psig")."""
    text = " ".join(header.strip().lstrip("\ufeff").split())
    candidates: list[tuple[str, str]] = []
    for pattern in (_UNIT_IN_BRACKETS, _UNIT_AFTER_COMMA):
        m = pattern.match(text)
        if m and m.group("name").strip():
            candidates.append((m.group("name").strip(), m.group("unit").strip()))
    parts = re.split(r"[\s_]+", text)
    for n_unit in (1, 2):   # `Pressure kPa(g)`, `Pressure mmHg vac`
        if len(parts) > n_unit and unit_key("".join(parts[-n_unit:])) in _ALL_UNIT_KEYS:
            candidates.append((" ".join(parts[:-n_unit]), " ".join(parts[-n_unit:])))
    for name, unit in candidates:
        if schema.canonical_column(schema.header_key(name)):
            return name, unit
    if candidates:
        return candidates[0]
    return text, None


def find_unit(column: str, unit_text: str) -> Unit | None:
    return UNIT_TABLE[column].get(unit_key(unit_text))


def known_units(column: str) -> list[str]:
    """Unit labels a column accepts, for messages and the column-mapping dialog."""
    labels = {u.label for u in UNIT_TABLE[column].values()}
    if column == schema.PRESSURE:
        return ["bar", "barg", "bara", "mbar", "Pa", "kPa", "kPa(g)", "kPa(a)", "MPa", "psi", "psig", "psia",
                "atm", "kg/cm²", "kg/cm²g", "mmHg", "mmHg abs", "mmHg vac", "inHg", "inHg vac"]
    return sorted(labels)

