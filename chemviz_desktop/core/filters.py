"""Numeric range filters as engineers type them: "Flowrate > 200", "pressure <= 5",
"Temperature 20..80" (or "20 to 80"), several separated by commas or "and". Column names accept the
schema's aliases (flow, press, temp). Qt-free; the Data page shows the error words."""
from __future__ import annotations

import operator
import re

import numpy as np

from engine import schema

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
       "==": operator.eq, "≥": operator.ge, "≤": operator.le}
Condition = tuple[str, str, float]   # (column, operator, value)

_NUM = r"[-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?"
_CMP = re.compile(rf"^\s*(?P<col>[A-Za-z_ ]+?)\s*(?P<op>>=|<=|==|=|>|<|≥|≤)\s*(?P<num>{_NUM})\s*$")
_BETWEEN = re.compile(rf"^\s*(?P<col>[A-Za-z_ ]+?)\s+(?:between\s+)?(?P<lo>{_NUM})\s*(?:\.\.|to|and|–|-)\s*"
                      rf"(?P<hi>{_NUM})\s*$", re.IGNORECASE)


class FilterError(ValueError):
    """The text is not a range filter; the message says what would be."""


def _column(text: str) -> str:
    key = schema.header_key(text)
    for column in schema.NUMERIC_COLUMNS:
        if key == schema.header_key(column) or key in schema.HEADER_ALIASES.get(column, ()):
            return column
    raise FilterError(f"'{text.strip()}' is not a numeric column (use Flowrate, Pressure or Temperature)")


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def parse(text: str) -> tuple[Condition, ...]:
    """Conditions in `text` ("" gives none); FilterError with the user's words otherwise."""
    out: list[Condition] = []
    parts = [p for p in re.split(r",|;|\band\b", text, flags=re.IGNORECASE) if p.strip()]
    # "and" also separates "between 20 and 80": re-join such a split
    merged: list[str] = []
    for p in parts:
        if merged and re.match(rf"^\s*{_NUM}\s*$", p) and re.search(rf"between\s+{_NUM}\s*$", merged[-1], re.I):
            merged[-1] += " and " + p
        else:
            merged.append(p)
    for part in merged:
        m = _CMP.match(part)
        if m:
            out.append((_column(m["col"]), "≥" if m["op"] == ">=" else "≤" if m["op"] == "<=" else
                        "=" if m["op"] == "==" else m["op"], _num(m["num"])))
            continue
        m = _BETWEEN.match(part)
        if m:
            col = _column(m["col"])
            lo, hi = sorted((_num(m["lo"]), _num(m["hi"])))
            out += [(col, "≥", lo), (col, "≤", hi)]
            continue
        raise FilterError(f"Could not read '{part.strip()}': write e.g. 'Flowrate > 200' or 'Pressure 2..5'")
    return tuple(out)


def mask(values: dict[str, np.ndarray], conditions: tuple[Condition, ...], n: int) -> np.ndarray:
    """Rows meeting every condition (a missing value meets none)."""
    keep = np.ones(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        for column, op, value in conditions:
            keep &= OPS[op](values[column], value)
    return keep


def describe(conditions: tuple[Condition, ...]) -> str:
    return ", ".join(f"{c} {op} {value:g} {schema.UNITS[c]}" for c, op, value in conditions)
