"""Neutralise spreadsheet formula injection in exported cells (CSV/XLSX)."""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def is_formula(value: object) -> bool:
    """Text a spreadsheet could run as a formula: starts with a formula prefix, also after NFKC
    normalisation (fullwidth \uff1d, small \ufe62, superscript \u207a and friends become = + ...;
    some spreadsheets and import paths fold them the same way)."""
    return isinstance(value, str) and _first_is_formula(value[:1])


@lru_cache(maxsize=4096)
def _first_is_formula(first: str) -> bool:
    return bool(first) and unicodedata.normalize("NFKC", first).startswith(FORMULA_PREFIXES)


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe. Numbers pass."""
    if is_formula(value):
        return "'" + str(value)
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns are safe to open in Excel/LibreOffice."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            s = out[column].astype(object)
            firsts = s.map(lambda v: v[:1] if isinstance(v, str) else "")
            mask = firsts.map({c: _first_is_formula(c) for c in firsts.unique()}).astype(bool)
            if mask.any():
                out[column] = s.where(~mask, "'" + s[mask].astype(str))
    out.columns = [neutralise(c) for c in out.columns]
    return out
