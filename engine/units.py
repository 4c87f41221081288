"""Units a header may state, and conversion to the product units (L/min, bar, °C)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import schema


@dataclass(frozen=True)
class Unit:
    label: str
    to_product: Callable[[np.ndarray], np.ndarray]

    @property
    def is_identity(self) -> bool:
        return self.label in schema.UNITS.values()


def _scale(f: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda v: v * f


_ID = _scale(1.0)

# Keys are unit_key() forms.
UNIT_TABLE: dict[str, dict[str, Unit]] = {
    schema.FLOWRATE: {
        "lmin": Unit("L/min", _ID), "lpm": Unit("L/min", _ID), "literpermin": Unit("L/min", _ID),
        "ls": Unit("L/s", _scale(60.0)), "lps": Unit("L/s", _scale(60.0)),
        "m3h": Unit("m³/h", _scale(1000.0 / 60.0)), "m³h": Unit("m³/h", _scale(1000.0 / 60.0)),
        "cmh": Unit("m³/h", _scale(1000.0 / 60.0)),
        "gpm": Unit("gpm (US)", _scale(3.785411784)), "galmin": Unit("gpm (US)", _scale(3.785411784)),
        "usgpm": Unit("gpm (US)", _scale(3.785411784)),
    },
    schema.PRESSURE: {
        "bar": Unit("bar", _ID), "bara": Unit("bar", _ID),
        "kpa": Unit("kPa", _scale(0.01)), "mpa": Unit("MPa", _scale(10.0)),
        "pa": Unit("Pa", _scale(1e-5)),
        "psi": Unit("psi", _scale(0.0689475729)), "psia": Unit("psi", _scale(0.0689475729)),
        "atm": Unit("atm", _scale(1.01325)),
    },
    schema.TEMPERATURE: {
        "c": Unit("°C", _ID), "celsius": Unit("°C", _ID),
        "f": Unit("°F", lambda v: (v - 32.0) * 5.0 / 9.0),
        "fahrenheit": Unit("°F", lambda v: (v - 32.0) * 5.0 / 9.0),
        "k": Unit("K", lambda v: v - 273.15), "kelvin": Unit("K", lambda v: v - 273.15),
    },
}

_UNIT_IN_BRACKETS = re.compile(r"^(?P<name>.*?)\s*[\(\[\{]\s*(?P<unit>[^\)\]\}]*)\s*[\)\]\}]\s*$")
_UNIT_AFTER_COMMA = re.compile(r"^(?P<name>[^,]+),\s*(?P<unit>.+)$")
_ALL_UNIT_KEYS = {k for table in UNIT_TABLE.values() for k in table}


def unit_key(text: str) -> str:
    """`°C`, `degC`, `deg C` -> "c"; `m^3/h` -> "m3h"; `L/min` -> "lmin"."""
    t = text.strip().lower()
    for mark in ("°", "º", "deg", "^"):
        t = t.replace(mark, "")
    return re.sub(r"[\s/._\-]+", "", t)


def split_header(header: str) -> tuple[str, str | None]:
    """`Pressure [bar]` -> ("Pressure", "bar"); `Temperature_K` -> ("Temperature", "K")."""
    text = header.strip().lstrip("\ufeff")
    m = _UNIT_IN_BRACKETS.match(text) or _UNIT_AFTER_COMMA.match(text)
    if m and m.group("name").strip():
        return m.group("name").strip(), m.group("unit").strip()
    parts = re.split(r"[\s_]+", text)
    if len(parts) > 1 and unit_key(parts[-1]) in _ALL_UNIT_KEYS and schema.canonical_column(
            schema.header_key(" ".join(parts[:-1]))):
        return " ".join(parts[:-1]), parts[-1]
    return text, None


def find_unit(column: str, unit_text: str) -> Unit | None:
    return UNIT_TABLE[column].get(unit_key(unit_text))
