"""Zone-less times written `YYYY-MM-DD HH:MM:SS` (or with a `T`), the shape historians export,
read straight from the bytes of an Arrow text column with numpy: no Python object per cell (the
general ISO 8601 parser needs one, which made 10M readings slow and large).

Only cells of exactly that shape with a real calendar date and time (years 1700-2200, well inside
nanoseconds since 1970) are read here; every other cell is left to the general parser, so no cell
is read differently."""
from __future__ import annotations

import numpy as np
import pyarrow as pa

from .cells import buffers, run_kernel, slices
from .native import kernels

WIDTH = 19                                            # YYYY-MM-DD HH:MM:SS
_YEARS = (1700, 2200)
_NS_PER_S = 1_000_000_000


def fixed_iso_ns(text: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(nanoseconds since 1970 as naive time, mask of the cells read) of a plain string column
    without nulls; cells not read hold 0."""
    native = kernels()
    ns = np.zeros(len(text), dtype=np.int64)
    ok = np.zeros(len(text), dtype=bool)
    if native is not None:   # the same reading in one pass per cell
        run_kernel(native, "fixed_iso_times", text, [ns, ok])
        return ns, ok
    at = 0
    for piece in slices(text):
        k = len(piece)
        if k:
            offsets, _ = buffers(piece)
            width = np.diff(offsets) == WIDTH
            cand = np.flatnonzero(width)
            if len(cand):   # the 19-byte cells side by side: one fixed-width buffer
                fixed = piece.filter(pa.array(width)).cast(pa.binary(WIDTH))
                got, good = _read(fixed.buffers()[1], fixed.offset, len(fixed))
                ns[at + cand[good]] = got[good]
                ok[at + cand[good]] = True
        at += k
    return ns, ok


def _template(text: bytes) -> tuple[np.uint64, np.uint64]:
    """(mask of the digit bytes, the separator bytes expected elsewhere) of 8 bytes, `9` = digit."""
    digits = sum(0xFF << (8 * i) for i, ch in enumerate(text) if ch == ord("9"))
    seps = sum(ch << (8 * i) for i, ch in enumerate(text) if ch != ord("9"))
    return np.uint64(digits), np.uint64(seps)


# The cell as three little-endian words: bytes 0-7, 8-15 and 11-18 (overlapping).
_WORDS = [(0, *_template(b"9999-99-")), (8, *_template(b"99 99:99")), (11, *_template(b"99:99:99"))]
_T_AT_10 = np.uint64(ord("T") << 16)          # `T` instead of the space, byte 10 = byte 2 of word 1
_BYTE2 = np.uint64(0xFF << 16)
_LOW = np.uint64(0x0F0F0F0F0F0F0F0F)
_HIGH = np.uint64(0xF0F0F0F0F0F0F0F0)
_SIX = np.uint64(0x0606060606060606)
_TENS = np.uint64(0x1010101010101010)
_ZEROS = np.uint64(0x3030303030303030)


def _read(buf: pa.Buffer, first: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Values and validity of `m` 19-byte cells side by side in `buf` from cell `first`: per 8
    bytes, the digit bytes must be 0x30-0x39 and the others the separators, then the digits are
    read in place."""
    good = np.ones(m, dtype=bool)
    nibbles = []
    for at, digits, seps in _WORDS:
        w = np.ndarray((m,), dtype="<u8", buffer=buf, offset=first * WIDTH + at, strides=(WIDTH,)).copy()
        other = w & ~digits
        if at == 8:   # `T` or a space between date and time
            other = np.where(other & _BYTE2 == _T_AT_10, other ^ _T_AT_10 ^ np.uint64(ord(" ") << 16), other)
        good &= other == seps
        good &= (w & _HIGH & digits) == (_ZEROS & digits)
        low = w & _LOW & digits
        good &= ((low + _SIX) & _TENS & digits) == 0      # low nibble <= 9
        nibbles.append(low)

    def digit(word: int, i: int) -> np.ndarray:
        return ((nibbles[word] >> np.uint64(8 * i)) & np.uint64(0xF)).astype(np.int64)
    year = digit(0, 0) * 1000 + digit(0, 1) * 100 + digit(0, 2) * 10 + digit(0, 3)
    month, day = digit(0, 5) * 10 + digit(0, 6), digit(1, 0) * 10 + digit(1, 1)
    hour, minute = digit(1, 3) * 10 + digit(1, 4), digit(1, 6) * 10 + digit(1, 7)
    second = digit(2, 6) * 10 + digit(2, 7)
    month_at = np.clip((year - _YEARS[0]) * 12 + month - 1, 0, len(_MONTH_START) - 2)
    good &= (year >= _YEARS[0]) & (year <= _YEARS[1]) & (month >= 1) & (month <= 12)
    good &= (day >= 1) & (day <= _MONTH_START[month_at + 1] - _MONTH_START[month_at])
    good &= (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = (((_MONTH_START[month_at] + day - 1) * 24 + hour) * 60 + minute) * 60 + second
    return seconds * _NS_PER_S, good


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's algorithm; years >= 0)."""
    y = y - (m <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + np.where(m > 2, -3, 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


# Days since 1970-01-01 of the first of each month from January of the first year on (one more
# month at the end): a month's length is the difference of two neighbours.
_FIRSTS = np.arange((_YEARS[1] - _YEARS[0] + 1) * 12 + 1)
_MONTH_START = _days_from_civil(_YEARS[0] + _FIRSTS // 12, _FIRSTS % 12 + 1, np.ones_like(_FIRSTS))
