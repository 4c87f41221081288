"""Text cells to float64, vectorised with Arrow compute (no Python per row)."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(?i:inf|infinity|nan)$"
_THOUSANDS_COMMA = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"
_THOUSANDS_DOT_DECIMAL_COMMA = r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$"


def parse_numbers(cells: pa.ChunkedArray | pa.Array, decimal_comma: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (values, empty, unparsable) arrays; values are NaN where a cell is empty or unparsable.

    `1,234.5` (thousands comma) is read as 1234.5; with decimal commas `1.234,5` is 1234.5.
    """
    if pa.types.is_floating(cells.type):  # already numbers: the parser's fast path
        values = _np_float(cells)
        return values, np.isnan(values), np.zeros(len(values), dtype=bool)
    text = pc.ascii_trim_whitespace(cells) if _ascii(cells) else pc.utf8_trim_whitespace(cells)
    if decimal_comma:
        text = pc.if_else(pc.match_substring_regex(text, _THOUSANDS_DOT_DECIMAL_COMMA),
                          pc.replace_substring(text, ".", ""), text)
        text = pc.replace_substring(text, ",", ".")
    try:
        values = pc.cast(text, pa.float64())
        empty = np.zeros(len(text), dtype=bool)
        bad = empty
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        if not decimal_comma:
            text = pc.if_else(pc.match_substring_regex(text, _THOUSANDS_COMMA),
                              pc.replace_substring(text, ",", ""), text)
        empty_a = pc.equal(text, "")
        ok = pc.match_substring_regex(text, _NUMBER)
        values = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), pa.float64())
        empty = _np_bool(empty_a)
        bad = ~_np_bool(ok) & ~empty
    arr = _np_float(values)
    return arr, empty, bad


def _ascii(a) -> bool:
    return pc.all(pc.string_is_ascii(a)).as_py() is not False


def _np_bool(a) -> np.ndarray:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return a.fill_null(False).to_numpy(zero_copy_only=False)


def _np_float(a) -> np.ndarray:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return a.fill_null(np.nan).to_numpy(zero_copy_only=False)
