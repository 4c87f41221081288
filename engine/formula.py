"""Neutralise spreadsheet formula injection in exported cells (CSV/XLSX)."""
from __future__ import annotations

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with an apostrophe. Numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns are safe to open in Excel/LibreOffice."""
    out = frame.copy()
    for column in out.columns:
        if not pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            s = out[column].astype(object)
            mask = s.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_PREFIXES))
            if mask.any():
                out[column] = s.where(~mask, "'" + s[mask].astype(str))
    out.columns = [neutralise(c) for c in out.columns]
    return out
