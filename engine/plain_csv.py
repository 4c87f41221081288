"""The reader for plain CSV: no quote character after the header and a one-byte delimiter, which
is what almost every export is. One pass of compiled code (engine/native/csv_reader.c) per piece
of the file, two pieces at a time (after a quicker one that counts the rows and looks for a
quote), gives the table Arrow's reader gives (text columns, Type dictionary-encoded) and besides:
the name column already trimmed, and each number column's plain cells already read (what
`cells.plain_numbers` would give), so that validation does not read those bytes a second time.

Anything it does not take (a quote, a row with another field count, an empty line, hundreds of
type spellings, no compiled kernels) returns None and `read` parses with Arrow, as always; the
tests compare the two table for table."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from .native import kernels

TEXT, TRIMMED, DICT, NUMBER = 0, 1, 2, 3     # column roles (csv_reader.c)
PARALLEL_MIN_BYTES = 4 << 20     # smaller files are read in one piece in the calling thread
PIECE_MAX_BYTES = 256 << 20      # a piece's cells must fit int32 offsets; pieces come in pairs
DICT_CAP = 4096                  # distinct values of a dictionary column per piece (Type: a handful)
DICT_BYTES = 1 << 20
SAMPLE_BYTES = 64 << 10          # the head whose cells size each column's buffer
CAP_SLACK = 64 << 10
CSV_TOO_LONG = -4                # csv_read_plain: a column's cells did not fit the room given
CSV_QUOTED = -5                  # csv_count_rows: a quote in the piece (Arrow reads the file)
_READERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine-csv")
_POOL = pa.system_memory_pool()  # as the Arrow reader's tables (read._POOL)
_DICT = pa.dictionary(pa.int32(), pa.string())
pa.array([], pa.string())   # (pyarrow sets up its pandas shim on its first array: 5 ms of the first load, not here)


@dataclass
class PlainRead:
    table: pa.Table                                   # columns c0, c1, ... as `read._parse` names them
    numbers: dict[int, tuple[np.ndarray, np.ndarray]]  # NUMBER column -> (values, plain mask)
    ascii_trimmed: frozenset[int]                     # TRIMMED columns all of whose cells are ASCII
    row_numbers: np.ndarray                           # int64 spreadsheet rows (header = 1, no lead lines)


def read_plain(utf8: bytes, start: int, roles: list[int], delimiter: str) -> PlainRead | None:
    """The rows of `utf8[start:]` (after the header), one column per role; None when the file is
    not plain CSV or the kernels are not built (the caller then uses Arrow's reader)."""
    native = kernels()
    if native is None or len(delimiter.encode()) != 1 or start >= len(utf8):
        return None
    cuts = _cuts(utf8, start)
    pool = _READERS if len(cuts) > 2 else None
    ffi, lib = native.ffi, native.lib
    held = ffi.from_buffer(utf8)            # (keeps utf8's buffer pinned while the pointer is used)
    base = ffi.cast("const uint8_t *", held)

    def count(a: int, b: int) -> int:
        return int(lib.csv_count_rows(base + a, b - a))
    spans = list(zip(cuts[:-1], cuts[1:], strict=True))
    counts = list(pool.map(count, *zip(*spans, strict=True))) if pool else [count(a, b) for a, b in spans]
    if min(counts) < 0:       # a quote after the header (counted rows are never negative)
        return None
    firsts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    rows = int(firsts[-1])
    numbers = {i: (np.empty(rows, np.float64), np.empty(rows, np.uint8)) for i, r in enumerate(roles) if r == NUMBER}
    codes = {i: np.empty(rows, np.int32) for i, r in enumerate(roles) if r == DICT}
    row_numbers = np.empty(rows, np.int64)   # (filled by the pieces' threads: their pages fault in there)

    widths = _cell_widths(native, base, utf8, start, roles, delimiter)

    def piece(k: int) -> list[Any] | None:
        a, b = spans[k]
        caps = [min(b - a, 2 * int(w * counts[k]) + CAP_SLACK) for w in widths] if widths else None
        got = _read_piece(native, base + a, b - a, delimiter, roles, counts[k], int(firsts[k]), numbers, codes, caps)
        if got is _TOO_LONG:      # a column's cells took more than twice the head's share: room for all
            got = _read_piece(native, base + a, b - a, delimiter, roles, counts[k], int(firsts[k]), numbers, codes)
        if got is None or got is _TOO_LONG:
            return None
        first = int(firsts[k])
        if counts[k]:
            lib.fill_range(ffi.from_buffer("int64_t[]", row_numbers[first:first + counts[k]]), counts[k], first + 2)
        return got
    try:
        read = list(pool.map(piece, range(len(spans)))) if pool else [piece(k) for k in range(len(spans))]
    except MemoryError:       # (Arrow's reader needs less room: it grows its buffers)
        return None
    parts = [p for p in read if p is not None]
    if len(parts) < len(read):
        return None
    non_ascii = {i for p in parts for i in p[-1]}
    columns: list[pa.ChunkedArray] = []
    for i, role in enumerate(roles):
        if role == DICT:
            columns.append(pa.chunked_array([_unify(native, [p[i] for p in parts], codes[i], firsts)], _DICT))
        else:
            columns.append(pa.chunked_array([p[i] for p in parts if len(p[i])], pa.string()))
    table = pa.table(columns, names=[f"c{i}" for i in range(len(roles))])
    return PlainRead(table, {i: (v, plain.view(bool)) for i, (v, plain) in numbers.items()},
                     frozenset(i for i, r in enumerate(roles) if r == TRIMMED and i not in non_ascii), row_numbers)


def _cuts(utf8: bytes, start: int) -> list[int]:
    """Piece bounds: an even number of pieces, each cut just after a line end."""
    size = len(utf8) - start
    if size < PARALLEL_MIN_BYTES:
        return [start, len(utf8)]
    pieces = 2 * -(-size // (2 * PIECE_MAX_BYTES))
    cuts = [start]
    for k in range(1, pieces):
        at = max(cuts[-1], start + size * k // pieces)
        nl = utf8.find(b"\n", at)
        cr = utf8.find(b"\r", at, nl if nl >= 0 else len(utf8))   # (only up to that \n: no scan to the end)
        ends = [e for e in (nl, cr) if e >= 0]
        if not ends:
            break
        end = min(ends) + 1
        if utf8[end - 1:end + 1] == b"\r\n":
            end += 1
        if end >= len(utf8):
            break
        cuts.append(end)
    cuts.append(len(utf8))
    return cuts


def _cell_widths(native: Any, base: Any, utf8: bytes, start: int, roles: list[int], delimiter: str
                 ) -> list[float] | None:
    """Mean bytes per cell of each column in the lines of the first SAMPLE_BYTES after the header,
    read by the reader itself (a Python split of those lines took 5 ms, a fifth of a 1M-row
    file's time outside the pieces); None when the head is not plain or has under 16 lines.
    Each column's buffer gets room for twice that."""
    if len(utf8) - start <= SAMPLE_BYTES:
        return None
    head = utf8[start:start + SAMPLE_BYTES]
    cut = max(head.rfind(b"\n"), head.rfind(b"\r")) + 1    # (a \r of a \r\n at the edge ends a line too)
    rows = int(native.lib.csv_count_rows(base + start, cut)) if cut else 0
    if rows < 16:
        return None
    got = _read_piece(native, base + start, cut, delimiter, [TEXT] * len(roles), rows, 0, {}, {})
    if not isinstance(got, list):
        return None
    return [_data_size(got[i]) / rows for i in range(len(roles))]


def _data_size(a: pa.Array) -> int:
    data = a.buffers()[2]
    return data.size if data is not None else 0


_TOO_LONG = object()


def _read_piece(native: Any, buf: Any, size: int, delimiter: str, roles: list[int], rows: int, first: int,
                numbers: dict[int, tuple[np.ndarray, np.ndarray]], codes: dict[int, np.ndarray],
                caps: list[int] | None = None) -> Any:
    """One piece's columns: a string array per text column, the dictionary per dictionary column
    (codes written into `codes[i]`), then the TRIMMED columns with a byte >= 0x80; numbers
    written into `numbers[i]` at this piece's rows. `caps`: room for each text column's bytes
    (default: the whole piece); _TOO_LONG when a column needed more, None when the piece is not
    plain CSV."""
    ffi, lib = native.ffi, native.lib
    cols = ffi.new("csv_column[]", len(roles))
    keep: list[Any] = []      # what the C structs point into, alive until the call returns
    for i, role in enumerate(roles):
        c = cols[i]
        c.role = role
        if role == DICT:
            slots, dict_offsets, dict_data = (np.empty(2 * DICT_CAP, np.int32), np.empty(DICT_CAP + 1, np.int32),
                                              np.empty(min(size, DICT_BYTES), np.uint8))
            c.codes = ffi.from_buffer("int32_t[]", codes[i][first:first + rows])
            c.slots, c.slot_count = ffi.from_buffer("int32_t[]", slots), len(slots)
            c.dict_offsets, c.dict_cap = ffi.from_buffer("int32_t[]", dict_offsets), DICT_CAP
            c.dict_data, c.data_cap = ffi.from_buffer("uint8_t[]", dict_data), len(dict_data)
            keep.append((slots, dict_offsets, dict_data))
            continue
        offsets = pa.allocate_buffer(4 * (rows + 1), memory_pool=_POOL)
        # (only the pages written become resident; a resize after would copy)
        room = caps[i] if caps is not None else size
        data = pa.allocate_buffer(room, memory_pool=_POOL)
        c.offsets = ffi.cast("int32_t *", offsets.address)
        c.data, c.data_cap = ffi.cast("uint8_t *", data.address), room
        if role == NUMBER:
            values, plain = numbers[i]
            c.values = ffi.from_buffer("double[]", values[first:first + rows])
            c.plain = ffi.from_buffer("uint8_t[]", plain[first:first + rows])
        keep.append((offsets, data))
    status = lib.csv_read_plain(buf, size, ord(delimiter), len(roles), cols, rows)
    if status == CSV_TOO_LONG and caps is not None:
        return _TOO_LONG
    if status != 0:
        return None
    out: list[Any] = []
    for i, role in enumerate(roles):
        if role == DICT:
            _slots, dict_offsets, dict_data = keep[i]
            n = int(cols[i].dict_count)
            out.append(pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(dict_offsets[:n + 1]),
                                                              pa.py_buffer(dict_data[:int(cols[i].used)])]))
        else:
            offsets, data = keep[i]
            out.append(pa.Array.from_buffers(pa.string(), rows, [None, offsets, data[:int(cols[i].used)]]))
    out.append({i for i, role in enumerate(roles) if role == TRIMMED and cols[i].non_ascii})
    return out


def _unify(native: Any, dictionaries: list[pa.Array], codes: np.ndarray, firsts: np.ndarray) -> pa.DictionaryArray:
    """One dictionary in first-seen order over the pieces (each piece's is in its own order), and
    each piece's codes renumbered into it in place."""
    position: dict[str, int] = {}
    for k, values in enumerate(dictionaries):
        remap = np.array([position.setdefault(v, len(position)) for v in values.to_pylist()], dtype=np.int32)
        part = codes[firsts[k]:firsts[k + 1]]
        if len(remap) and len(part) and not np.array_equal(remap, np.arange(len(remap))):
            ffi = native.ffi   # (codes are < len(remap))
            native.lib.remap_codes(ffi.from_buffer("int32_t[]", part), len(part), ffi.from_buffer("int32_t[]", remap))
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(position), pa.string()),
                                          safe=False)   # (every code was made < len(position): no check pass)
