"""How numbers and times read in tables, cards and reports: one place, so the screen and the PDF
never disagree. Data values read as the file wrote them; statistics in significant digits."""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np

SIGNIFICANT = 4          # digits of a statistic (mean, quartile, …)
VALUE_DIGITS = 15        # digits of a data value: enough for anything typed, hides float noise
PLAIN_LIMIT = 1e12       # below this no scientific notation
CELL_LIMIT = 300         # characters of a text cell shown in a table (the rest elided)


def fmt(value: Any, sig: int = SIGNIFICANT) -> str:
    """A statistic: integers with thousands separators, floats to `sig` significant digits
    (0.000123 stays 0.000123, 1234567.8 reads 1,234,568), never scientific below 1e12."""
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    v = float(value)
    if not math.isfinite(v):
        return "–"
    if v == 0:
        return "0"
    if abs(v) >= PLAIN_LIMIT:
        return f"{v:.{sig - 1}e}"
    magnitude = math.floor(math.log10(abs(v)))
    decimals = max(0, sig - 1 - magnitude)
    text = f"{v:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def fmt_value(value: Any) -> str:
    """A data value as the file had it: every digit typed (up to 15 significant), no rounding to
    6 digits, no scientific notation below 1e12, no thousands separators (pastes into Excel)."""
    if value is None:
        return ""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return str(int(value))
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(v):
        return "" if v != v else str(v)
    r = repr(v)   # fast path: Python's shortest round-trip text, when it is plain and short
    if "e" not in r and len(r) - ("." in r) - r.startswith("-") <= VALUE_DIGITS:
        return r[:-2] if r.endswith(".0") else r
    if abs(v) >= PLAIN_LIMIT:
        return np.format_float_scientific(v, precision=VALUE_DIGITS - 1, unique=True, trim="-")
    text = np.format_float_positional(v, precision=VALUE_DIGITS, unique=True, fractional=False, trim="-")
    return "0" if text in ("-0", "0.") else text


def elide(text: str, limit: int = CELL_LIMIT) -> str:
    """At most `limit` characters of a text cell (a 50 MB cell must never be measured or painted)."""
    if len(text) <= limit:
        return text
    return text[:limit - 1] + "…"


def outlier_total(entry: dict[str, Any]) -> int:
    return int(sum(v.get("count", 0) for v in entry.get("outliers", {}).values()))


def local_time(iso: str) -> str:
    """Store times are UTC ISO; show them in the user's time zone, to the minute."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return iso


def arrow_of(values: Any) -> Any:
    """The pyarrow array behind an Arrow-backed pandas string column (None otherwise)."""
    return getattr(values, "_pa_array", None)   # (chunked: slicing and lengths never copy the text)


def long_cells(values: Any) -> set[int] | None:
    """Positions of Arrow text cells longer than CELL_LIMIT (reading one of those would copy the
    whole string out of Arrow on every paint); None for other columns or when there are none.
    Arrow kernels (no GIL); the import worker runs it so the window does not."""
    arr = arrow_of(values)
    if arr is None:
        return None
    import numpy as np
    import pyarrow.compute as pc
    long = pc.fill_null(pc.greater(pc.binary_length(arr), CELL_LIMIT), False)
    if not pc.any(long).as_py():
        return None
    return set(np.flatnonzero(long.to_numpy(zero_copy_only=False)).tolist())
