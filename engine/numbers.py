"""Text cells to float64, vectorised with Arrow compute (no Python per row).

The decimal and thousands separators are decided once per column from all its cells, never per
cell: `0.125` next to `2.5` is a decimal point, so it is 0.125 and never 125. A cell that only
makes sense with the other convention (`0,125` in a column of `2.5`) is flagged as a conflict
and its row is excluded; no value is ever scaled by 1000 behind the user's back.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .cells import is_ascii, plain_numbers, take, usable
from .read import combine, release_memory

_S = r"^[+-]?"
_EXP = r"([eE][+-]?\d+)?"
_SPECIAL = _S + r"(?i:inf|infinity|nan)$"
_PLAIN = _S + r"(\d+\.?\d*|\.\d+)" + _EXP + "$"               # 12, 12.5, .5, 1e3 (point decimal)
_INTEGER = _S + r"\d+" + _EXP + "$"
_DOT_DECIMAL = _S + r"(\d+\.\d*|\.\d+)" + _EXP + "$"
_COMMA_DECIMAL = _S + r"(\d+,\d*|,\d+)" + _EXP + "$"
_DOT_GROUPED = _S + r"[1-9]\d{0,2}(\.\d{3})+$"                  # 1.013 (thousands? decimal?)
_COMMA_GROUPED = _S + r"[1-9]\d{0,2}(,\d{3})+$"                 # 1,013
_DOT_MULTI = _S + r"[1-9]\d{0,2}(\.\d{3}){2,}$"                 # 1.234.567: dots are thousands
_COMMA_MULTI = _S + r"[1-9]\d{0,2}(,\d{3}){2,}$"                # 1,234,567: commas are thousands
_COMMA_THOUSANDS_DOT_DECIMAL = _S + r"[1-9]\d{0,2}(,\d{3})+\.\d+$"   # 1,234.5
_DOT_THOUSANDS_COMMA_DECIMAL = _S + r"[1-9]\d{0,2}(\.\d{3})+,\d+$"   # 1.234,5
_COMMA_THOUSANDS = _S + r"[1-9]\d{0,2}(,\d{3})+(\.\d+)?$"
_DOT_THOUSANDS = _S + r"[1-9]\d{0,2}(\.\d{3})+(,\d+)?$"


@dataclass
class Numbers:
    values: np.ndarray      # float64, NaN where empty, unparsable or conflicting
    empty: np.ndarray       # bool: nothing in the cell
    bad: np.ndarray         # bool: not a number in any convention
    conflict: np.ndarray    # bool: a number only under the other decimal convention
    decimal: str = "."      # this column's decimal mark
    assumed: str | None = None  # an ambiguous cell read by the file's convention (for a warning)

    def __iter__(self):     # (values, empty, bad) like before, for simple callers
        return iter((self.values, self.empty, self.bad))


def parse_numbers(cells: pa.ChunkedArray | pa.Array, decimal_comma: bool,
                  plain: tuple[np.ndarray, np.ndarray] | None = None) -> Numbers:
    """Parse one column. `decimal_comma` is the file's convention, used only when the column's own
    cells do not settle it (all integers, or only ambiguous ones such as `1.013`). `plain`: the
    column's plain cells as the reader already read them (`RawTable.numbers`), taken over here."""
    if pa.types.is_floating(cells.type):  # already numbers: the parser's fast path
        values = _np_float(cells)
        none = np.zeros(len(values), dtype=bool)
        return Numbers(values, np.isnan(values), none, none)
    if not decimal_comma and usable(cells):
        fast = _parse_mostly_plain(cells, plain)
        if fast is not None:
            return fast
    text = pc.ascii_trim_whitespace(cells) if _ascii(cells) else pc.utf8_trim_whitespace(cells)
    if not decimal_comma:
        try:  # clean point-decimal column: one cast, done
            none = np.zeros(len(text), dtype=bool)
            return Numbers(_np_float(pc.cast(text, pa.float64())), none, none, none)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    return _parse_as(_one(text), "," if decimal_comma else ".", decide=True)


def parse_numbers_released(cells: pa.ChunkedArray | pa.Array, decimal_comma: bool,
                           plain: tuple[np.ndarray, np.ndarray] | None = None) -> Numbers:
    """`parse_numbers` on a worker thread of a large table, then its scratch memory goes back to
    the system at once: glibc and mimalloc keep what a worker freed in that thread's heap until a
    trim, and the three columns' leftovers stacked up under the next step."""
    parsed = parse_numbers(cells, decimal_comma, plain)
    release_memory()
    return parsed


def _parse_mostly_plain(cells: pa.ChunkedArray | pa.Array,
                        read: tuple[np.ndarray, np.ndarray] | None = None) -> Numbers | None:
    """The point-decimal reading of `_parse_as` (and of the one-cast path before it) in one pass:
    plain numbers (most cells) are cast straight from the column's buffers, the regular
    expressions only see the other cells. Returns None when those cells need the whole column
    (thousands separators, decimal-comma cells), which the full path then reads."""
    n = len(cells)
    values, plain = read if read is not None else plain_numbers(cells)
    rest_at = np.flatnonzero(~plain)
    none = np.zeros(n, dtype=bool)
    if not len(rest_at):
        return Numbers(values, none, none, none)
    sub = _one(take(cells, rest_at))
    text = pc.ascii_trim_whitespace(sub) if _ascii(sub) else pc.utf8_trim_whitespace(sub)
    valid = _np_bool(pc.match_substring_regex(text, _VALID["."]))
    invalid = np.flatnonzero(~valid)
    # Every cell a number to Arrow: the one-cast reading, as for a clean column. Not tried when a
    # cell the pattern refuses is no number to Arrow either (that cast would fail, and a failing
    # cast reads every cell first: 20k dirty cells, 11 ms)
    if not len(invalid) or _casts(text.slice(int(invalid[0]), 1)):
        try:
            values[rest_at] = _np_float(pc.cast(text, pa.float64()))
            return Numbers(values, none, none, none)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    empty_sub = _np_bool(pc.equal(text, ""))
    odd = ~valid & ~empty_sub
    if odd.any():
        other = text.filter(pa.array(odd))
        if (_np_bool(pc.match_substring_regex(other, _GROUPED["."])).any()
                or _proof(other, ",").any()):
            return None
    values[rest_at] = np.nan
    if valid.any():
        values[rest_at[valid]] = _np_float(pc.cast(text.filter(pa.array(valid)), pa.float64()))
    empty = np.zeros(n, dtype=bool)
    empty[rest_at[empty_sub]] = True
    bad = np.zeros(n, dtype=bool)
    bad[rest_at[odd]] = True
    return Numbers(values, empty, bad, np.zeros(n, dtype=bool), ".", None)


def _casts(text: pa.Array) -> bool:
    """Whether Arrow reads every cell of `text` as a float64."""
    try:
        pc.cast(text, pa.float64())
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False


_VALID = {".": _PLAIN + "|" + _SPECIAL, ",": _INTEGER + "|" + _COMMA_DECIMAL + "|" + _SPECIAL}
_GROUPED = {".": _COMMA_THOUSANDS, ",": _DOT_THOUSANDS}          # thousands marks to remove
_AMBIGUOUS = {".": _COMMA_GROUPED, ",": _DOT_GROUPED}           # `1,234` / `1.234`: either reading
_OTHER = {".": ",", ",": "."}


def _proof(text: pa.Array, decimal: str) -> np.ndarray:
    """Cells that can only be read with `decimal` as the decimal mark."""
    def m(p: str) -> np.ndarray:
        return _np_bool(pc.match_substring_regex(text, p))
    if decimal == ".":
        return (m(_DOT_DECIMAL) & ~m(_DOT_GROUPED)) | m(_COMMA_MULTI) | m(_COMMA_THOUSANDS_DOT_DECIMAL)
    return (m(_COMMA_DECIMAL) & ~m(_COMMA_GROUPED)) | m(_DOT_MULTI) | m(_DOT_THOUSANDS_COMMA_DECIMAL)


def _parse_as(text: pa.Array, decimal: str, decide: bool) -> Numbers:
    """Read the column with `decimal` as its decimal mark. Only the cells that are not plain
    numbers under it (usually few) are looked at further; with `decide`, enough proof of the
    other convention switches the whole column to it."""
    valid = _np_bool(pc.match_substring_regex(text, _VALID[decimal]))
    empty = _np_bool(pc.equal(text, ""))
    rest = np.flatnonzero(~valid & ~empty)
    sub = text.take(pa.array(rest, pa.int64()))
    grouped_sub = other_sub = np.zeros(len(rest), dtype=bool)
    if len(rest):
        grouped_sub = _np_bool(pc.match_substring_regex(sub, _GROUPED[decimal]))
        other_sub = _proof(sub, _OTHER[decimal]) & ~grouped_sub
    assumed = None
    if decide:
        n_other = int(other_sub.sum())
        if n_other and n_other > int(_proof(text, decimal).sum()):
            return _parse_as(text, _OTHER[decimal], decide=False)
        if not n_other and grouped_sub.any():
            amb = _np_bool(pc.match_substring_regex(sub, _AMBIGUOUS[decimal]))
            if amb.any() and not _proof(text, decimal).any():
                assumed = sub[int(np.flatnonzero(amb)[0])].as_py()
    clean = text if decimal == "." else pc.replace_substring(text, ",", ".")
    values = _np_float(pc.cast(pc.if_else(pa.array(valid), clean, pa.scalar(None, pa.string())), pa.float64()))
    if grouped_sub.any():
        g = sub.filter(pa.array(grouped_sub))
        g = pc.replace_substring(g, ",", "") if decimal == "." else \
            pc.replace_substring(pc.replace_substring(g, ".", ""), ",", ".")
        values = values.copy() if not values.flags.writeable else values
        values[rest[grouped_sub]] = _np_float(pc.cast(g, pa.float64()))
    conflict = np.zeros(len(text), dtype=bool)
    bad = np.zeros(len(text), dtype=bool)
    if len(rest):
        conflict[rest] = other_sub
        bad[rest] = ~grouped_sub & ~other_sub
    return Numbers(values, empty, bad, conflict, decimal, assumed)


def _one(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    return combine(a)


def _ascii(a: pa.Array | pa.ChunkedArray) -> bool:
    return is_ascii(a)


def _np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    a = combine(a)
    return a.fill_null(False).to_numpy(zero_copy_only=False)


def _np_float(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    a = combine(a)
    if a.null_count:   # (fill_null copies the column even when it has no null)
        a = a.fill_null(np.nan)
    return a.to_numpy(zero_copy_only=False)
