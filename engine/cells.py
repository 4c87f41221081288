"""Vectorised work on the bytes of Arrow string columns: numpy over each chunk's offsets and data
buffers, never a Python call per cell and never a full copy of a column.

- `plain_number_mask`: the cells that are plain decimal numbers (`12`, `-3.5`, `.5`, `7.`): a
  cheap, exact subset of what the number parser accepts, so only the other cells (usually a
  few percent) go through the regular expressions.
- `key_hashes`: a 64-bit hash per cell of its case-folded bytes. Equal keys always hash equal;
  callers settle equal hashes on the exact strings, so a collision can neither create nor hide
  a duplicate.
- `take` / `take_rows`: some cells of a column (rows of a table) chunk by chunk.
"""
from __future__ import annotations

import hashlib
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .native import kernels
from .read import combine
from .workers import memory_pool

SLICE_CELLS = 1 << 16          # cells per piece: temporaries stay small whatever the chunking
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)

# plain_number_mask: per byte (minus, dot, other) in fields of one cumulative sum, modulo 2**16; a cell of
# at most 15 bytes cannot overflow a field, so a cell's code is exact modulo 2**16.
_CLASS = np.full(256, 1 << 8, dtype=np.uint16)
_CLASS[ord("0"):ord("9") + 1] = 0
_CLASS[ord(".")] = 1
_CLASS[ord("-")] = 1 << 4
_MAX_PLAIN = 15                # longer cells are left to the parser
# per code: how many of the cell's bytes are not digits (-1: not a plain number)
_NOT_DIGITS = np.full(1 << 16, -1, dtype=np.int8)
_NOT_DIGITS[[0, 1, 16, 17]] = [0, 1, 1, 2]

# key_hashes: ASCII upper case to lower case in 8 bytes at once (what pc.ascii_lower does).
_HAS_A = np.uint64(0x3F3F3F3F3F3F3F3F)      # byte + 0x3F reaches 0x80 from "A" up
_PAST_Z = np.uint64(0x2525252525252525)     # byte + 0x25 reaches 0x80 past "Z"
_HIGH = np.uint64(0x8080808080808080)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_ODD = np.uint64(0xFF51AFD7ED558CCD)
_KEEP = np.array([0] + [(1 << (8 * k)) - 1 for k in range(1, 8)] + [0xFFFFFFFFFFFFFFFF], dtype=np.uint64)


def take(col: pa.Array | pa.ChunkedArray, at: np.ndarray) -> pa.Array:
    """`col.take(at)` as one array, taken chunk by chunk. Arrow's take on a chunked array first
    joins every chunk into one copy of the whole column: picking the 2 % odd cells of a 5M-row
    column of numbers cost 45 MB and a full copy, the few blank-line candidates of a table 128 MB."""
    at = np.asarray(at, dtype=np.int64)
    n = len(col)
    if len(at) and (int(at.min()) < 0 or int(at.max()) >= n):
        raise IndexError(f"row index out of range for {n} rows")
    if not isinstance(col, pa.ChunkedArray) or col.num_chunks == 1:
        arr = col if not isinstance(col, pa.ChunkedArray) else col.chunk(0)
        return pc.take(arr, pa.array(at), memory_pool=memory_pool())
    if not len(at):
        return pa.array([], col.type) if not pa.types.is_dictionary(col.type) else combine(col.slice(0, 0))
    order = None
    if len(at) > 1 and bool((at[1:] < at[:-1]).any()):
        order = np.argsort(at, kind="stable")
        at = at[order]
    bounds = np.zeros(col.num_chunks + 1, dtype=np.int64)
    np.cumsum([len(c) for c in col.chunks], out=bounds[1:])
    cut = np.searchsorted(at, bounds)
    parts = [pc.take(chunk, pa.array(at[cut[k]:cut[k + 1]] - bounds[k]), memory_pool=memory_pool())
             for k, chunk in enumerate(col.chunks) if cut[k + 1] > cut[k]]
    out = pa.concat_arrays(parts, memory_pool=memory_pool())
    if order is not None:     # back to the order asked for
        back = np.empty(len(order), dtype=np.int64)
        back[order] = np.arange(len(order), dtype=np.int64)
        out = pc.take(out, pa.array(back), memory_pool=memory_pool())
    return out


def take_rows(t: pa.Table, at: np.ndarray) -> pa.Table:
    """`t.take(at)`, column by column with `take` (no joined copy of the whole table)."""
    return pa.Table.from_arrays([take(c, at) for c in t.columns], schema=t.schema)


def usable(col: pa.Array | pa.ChunkedArray) -> bool:
    """The helpers read plain `string` arrays without nulls (what the CSV reader gives)."""
    return pa.types.is_string(col.type) and col.null_count == 0


def is_ascii(col: pa.Array | pa.ChunkedArray) -> bool:
    """Every cell is ASCII (as `pc.string_is_ascii` over all cells), from the bytes at once."""
    if not usable(col):
        import pyarrow.compute as pc
        return bool(pc.all(pc.string_is_ascii(col)).as_py() is not False)
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    for chunk in chunks:
        if len(chunk) and int(_cell_bytes(chunk).max(initial=0)) >= 0x80:
            return False
    return True


def _cell_bytes(arr: pa.Array) -> np.ndarray:
    """The bytes of a string array's cells, zero-copy, read from its first and last offsets only
    (`_buffers` also widens every offset: at 5M names, 40 MB written twice to find a high bit)."""
    _validity, off_buf, data_buf = arr.buffers()
    lo, hi = (int(np.frombuffer(off_buf, dtype=np.int32, count=1, offset=4 * at)[0])
              for at in (arr.offset, arr.offset + len(arr)))
    return np.frombuffer(data_buf, dtype=np.uint8, count=hi - lo, offset=lo) if hi > lo else np.zeros(0, np.uint8)


def empty_cells(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Cells of a `usable` column with no bytes: equal neighbouring offsets, compared in place (no
    array of lengths: at 5M rows that was 60 MB of fresh memory for one mask)."""
    out = np.empty(len(col), dtype=bool)
    at = 0
    for chunk in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        n = len(chunk)
        if n:
            offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32, count=n + 1, offset=chunk.offset * 4)
            np.equal(offsets[1:], offsets[:-1], out=out[at:at + n])
        at += n
    return out


_ASCII_SPACE = np.zeros(256, dtype=bool)
_ASCII_SPACE[[ord(c) for c in " \t\n\v\f\r"]] = True     # what pc.ascii_trim_whitespace removes
_UTF8_SPACE = _ASCII_SPACE.copy()
_UTF8_SPACE[0x1C:0x20] = True     # pc.utf8_trim_whitespace also removes the ASCII separators 1C-1F


def has_edge_space(col: pa.Array | pa.ChunkedArray, utf8_trim: bool = False) -> bool:
    """Some cell of a `usable` ASCII column starts or ends with whitespace (a trim would change
    it): what `pc.ascii_trim_whitespace` removes, or with `utf8_trim` what
    `pc.utf8_trim_whitespace` removes. Reads two bytes per cell: most name columns need no
    trimmed copy at all."""
    space = _UTF8_SPACE if utf8_trim else _ASCII_SPACE
    for chunk in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        if not len(chunk):
            continue
        offsets, data = _buffers(chunk)
        filled = np.flatnonzero(offsets[1:] > offsets[:-1])
        if len(filled) and (np.take(space, data[offsets[filled]]).any()
                            or np.take(space, data[offsets[filled + 1] - 1]).any()):
            return True
    return False


def _slices(col: pa.Array | pa.ChunkedArray) -> Iterator[pa.Array]:
    """The column in contiguous pieces of about SLICE_CELLS cells. The CSV reader's chunks (a
    few thousand rows each) are joined: each piece costs a handful of numpy calls whatever its
    size, and few calls keep the GIL free for the other workers."""
    for a in range(0, len(col), SLICE_CELLS):
        piece = col.slice(a, SLICE_CELLS)
        if isinstance(piece, pa.ChunkedArray):
            piece = piece.chunk(0) if piece.num_chunks == 1 else combine(piece)
        yield piece


def slices(col: pa.Array | pa.ChunkedArray) -> Iterator[pa.Array]:
    """`_slices` for callers that walk a column in the same pieces."""
    return _slices(col)


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets as int64 counted from the first cell's first byte, the cells' bytes) of a string
    array, zero-copy."""
    _validity, off_buf, data_buf = arr.buffers()
    n = len(arr)
    offsets = np.frombuffer(off_buf, dtype=np.int32, count=n + 1, offset=arr.offset * 4).astype(np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = (np.frombuffer(data_buf, dtype=np.uint8, count=hi - lo, offset=lo) if hi > lo
            else np.zeros(0, dtype=np.uint8))
    return offsets - lo, data


def buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """`_buffers` for callers that read a string array's bytes themselves."""
    return _buffers(arr)


def plain_number_mask(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True for cells matching `-?[0-9]*\\.?[0-9]*` with at least one digit and at most 15 bytes (no
    spaces, no sign other than a leading minus, no exponent): numbers every parser reads alike."""
    out = np.zeros(len(col), dtype=bool)
    at = 0
    for arr in _slices(col):
        n = len(arr)
        offsets, data = _buffers(arr)
        if len(data):
            # uint32 sums, cut to 16 bits (the same codes): numpy's uint16 cumsum is ~40 % slower
            counts = np.zeros(len(data) + 1, dtype=np.uint32)
            np.cumsum(np.take(_CLASS, data), dtype=np.uint32, out=counts[1:])
            code: np.ndarray = np.diff(np.take(counts, offsets))
            code &= np.uint32(0xFFFF)
            length = np.diff(offsets)
            not_digits = np.take(_NOT_DIGITS, code)
            ok = (not_digits >= 0) & (length > not_digits) & (length <= _MAX_PLAIN)
            signed = np.flatnonzero(ok & (code >= 16))      # a minus: it must lead
            if len(signed):
                ok[signed] = data[offsets[signed]] == ord("-")
            out[at:at + n] = ok
        at += n
    return out


def plain_numbers(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(float64 values, mask) of the plain cells of a `usable` column (`plain_number_mask`); the
    values of the other cells are left as garbage for the caller. The compiled kernel reads each
    cell once; without it, the mask and then Arrow's cast of the masked column (same values: both
    round correctly)."""
    native = kernels()
    if native is None:
        plain = plain_number_mask(col)
        return _cast_where(col, plain), plain
    values = np.empty(len(col), dtype=np.float64)
    plain = np.empty(len(col), dtype=bool)
    run_kernel(native, "plain_numbers", col, [values, plain])
    return values, plain


_C_TYPES = {np.dtype(np.float64): "double[]", np.dtype(np.bool_): "uint8_t[]", np.dtype(np.int64): "int64_t[]",
            np.dtype(np.uint32): "uint32_t[]", np.dtype(np.uint64): "uint64_t[]"}


def run_kernel(native: Any, name: str, col: pa.Array | pa.ChunkedArray, outputs: list[np.ndarray],
               *args: int) -> None:
    """Kernel `name` of `engine.native` over each chunk of a `usable` string column, as
    name(offsets, data, cells, *args, *the chunk's rows of each output)."""
    ffi, kernel = native.ffi, getattr(native.lib, name)
    at = 0
    for chunk in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        k = len(chunk)
        if k:
            _, off_buf, data_buf = chunk.buffers()
            offsets = ffi.cast("int32_t *", off_buf.address + 4 * chunk.offset)
            data = ffi.cast("uint8_t *", data_buf.address if data_buf is not None else 0)
            kernel(offsets, data, k, *args, *(ffi.from_buffer(_C_TYPES[o.dtype], o[at:at + k]) for o in outputs))
        at += k


def _cast_where(col: pa.Array | pa.ChunkedArray, ok: np.ndarray) -> np.ndarray:
    """float64 of the cells where `ok` (the others are left as garbage for the caller), cast
    from the column's own buffers with `ok` as their validity: no copy of the text."""
    values = np.empty(len(col), dtype=np.float64)
    at = 0
    for piece in _slices(col):
        k = len(piece)
        if k:
            bits = np.packbits(np.concatenate([np.zeros(piece.offset, dtype=bool), ok[at:at + k]]),
                               bitorder="little")
            _, off_buf, data_buf = piece.buffers()
            masked = pa.Array.from_buffers(pa.string(), k, [pa.py_buffer(bits), off_buf, data_buf],
                                           offset=piece.offset)
            got = pc.cast(masked, pa.float64())
            values[at:at + k] = np.frombuffer(got.buffers()[1], dtype=np.float64, count=k, offset=got.offset * 8)
        at += k
    return values


def mix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finaliser (a bijection) of a uint64 array, in place."""
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB93FE53B5A3F)
    h ^= h >> np.uint64(33)
    return h


def _words(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The 8 bytes from each position `at` of `data` as a little-endian uint64 (zeros past the
    end), read unaligned straight from the buffer. Indexing, not `np.take`: `np.take` first copies
    the overlapping view whole (8 bytes per byte of text: 10 MB per slice of names)."""
    m = len(data)
    out = np.zeros(len(at), dtype=np.uint64)
    inside = at <= m - 8
    if m >= 8:
        view = np.ndarray((m - 7,), dtype="<u8", buffer=data, strides=(1,))
        out[inside] = view[at[inside]] if not inside.all() else view[at]
    tail = np.flatnonzero(~inside)
    if len(tail):
        base = max(0, m - 8)
        padded = np.zeros(16, dtype=np.uint8)
        padded[:m - base] = data[base:]
        view = np.ndarray((9,), dtype="<u8", buffer=padded, strides=(1,))
        out[tail] = view[np.minimum(at[tail] - base, 8)]
    return out


def _ascii_lower(w: np.ndarray) -> np.ndarray:
    """`A`-`Z` to `a`-`z` in each byte of uint64 words of ASCII text, in place (no byte reaches
    0x80 when adding, so bytes never carry into each other)."""
    up = w + _HAS_A
    past_z = w + _PAST_Z
    np.invert(past_z, out=past_z)
    up &= past_z
    up &= _HIGH
    up >>= np.uint64(2)
    w |= up
    return w


LONG_CELL = 256   # bytes: longer cells are hashed by blake2b (a 2 MB name took minutes word by word)


def key_hashes(col: pa.Array | pa.ChunkedArray, ascii_fold: bool, half: bool = False) -> np.ndarray:
    """A uint64 per cell; cells whose bytes are equal (after ASCII lower-casing when `ascii_fold`,
    for ASCII columns only) hash equal. `half`: the top 32 bits only, as uint32 (half the memory
    and a faster sort, for callers that settle every shared hash on the exact strings anyway)."""
    out = np.empty(len(col), dtype=np.uint32 if half else np.uint64)
    native = kernels()
    if native is not None:
        run_kernel(native, "key_hashes", col, [out], int(ascii_fold), int(half))
        return out
    at = 0
    with np.errstate(over="ignore"):
        for arr in _slices(col):
            n = len(arr)
            offsets, data = _buffers(arr)
            start = offsets[:-1]
            length = offsets[1:] - start
            h = length.astype(np.uint64)
            h *= _GOLDEN
            w = _words(data, start)
            w &= np.take(_KEEP, np.minimum(length, 8))
            h ^= _ascii_lower(w) if ascii_fold else w
            long = np.flatnonzero(length > LONG_CELL)
            live = np.flatnonzero((length > 8) & (length <= LONG_CELL))
            k = 1
            while len(live):
                left = length[live] - 8 * k
                w = _words(data, start[live] + 8 * k) & np.take(_KEEP, np.minimum(left, 8))
                h[live] = (h[live] * _ODD) ^ (_ascii_lower(w) if ascii_fold else w)
                live = live[left > 8]
                k += 1
            for i in long:        # a few long cells: one digest each, not a numpy step per 8 bytes
                cell = data[int(start[i]):int(start[i] + length[i])].tobytes()
                digest = hashlib.blake2b(cell.lower() if ascii_fold else cell, digest_size=8).digest()
                h[i] = np.uint64(int.from_bytes(digest, "little"))
            if half:
                h *= _ODD
                h >>= np.uint64(32)
                out[at:at + n] = h
            else:
                np.multiply(h, _ODD, out=out[at:at + n])   # a bijection that spreads every byte into the top bits
            at += n
    return out


def colliding(h: np.ndarray, among: np.ndarray | None = None) -> np.ndarray:
    """Mask of the cells whose hash (uint64 or uint32) another cell (of `among`, a mask, when
    given) shares: one sort, then a bitmap of the shared hashes' top 20 bits so that only a few
    cells are looked up."""
    native = kernels()
    if native is not None and h.dtype == np.uint32 and len(h):
        return _colliding_native(native, h, among)
    if among is None:
        s = np.sort(h)
    else:
        s = h[among]
        s.sort()        # a copy already: sorted in place
    same = s[1:] == s[:-1]
    if not same.any():
        return np.zeros(len(h), dtype=bool)
    shared = s[1:][same]             # sorted (repeats are harmless)
    del s, same
    bits = h.dtype.type(8 * h.dtype.itemsize - 20)
    seen = np.zeros(1 << 20, dtype=bool)
    seen[shared >> bits] = True
    hit = np.take(seen, h >> bits)
    maybe = np.flatnonzero(hit)
    pos = np.minimum(np.searchsorted(shared, h[maybe]), len(shared) - 1)
    hit[maybe] = shared[pos] == h[maybe]
    return hit if among is None else hit & among


def _colliding_native(native: Any, h: np.ndarray, among: np.ndarray | None) -> np.ndarray:
    """`colliding` of uint32 hashes with the kernels: the copy of the among-cells before numpy's
    sort and the marking after it are one pass each, with no temporary the size of the column
    (5M names: the sieve 73-146 -> 59-88 ms, 34 of them numpy's sort)."""
    ffi, lib = native.ffi, native.lib
    h = np.ascontiguousarray(h)
    mask = ffi.NULL if among is None else ffi.from_buffer("uint8_t[]", np.ascontiguousarray(among).view(np.uint8))
    s = np.empty(len(h), dtype=np.uint32)
    m = int(lib.gather_hashes(ffi.from_buffer("uint32_t[]", h), mask, len(h), ffi.from_buffer("uint32_t[]", s)))
    s = s[:m]
    s.sort()
    shared = np.empty(m // 2 + 1, dtype=np.uint32)
    seen = np.empty(1 << 17, dtype=np.uint8)
    hit = np.empty(len(h), dtype=bool)
    lib.mark_shared(ffi.from_buffer("uint32_t[]", s), m, ffi.from_buffer("uint32_t[]", h), mask, len(h),
                    ffi.from_buffer("uint32_t[]", shared), ffi.from_buffer("uint8_t[]", seen),
                    ffi.from_buffer("uint8_t[]", hit.view(np.uint8)))
    return hit


def count_codes(codes: np.ndarray, minlength: int, shift: int = 0) -> np.ndarray:
    """np.bincount(codes + shift, minlength=minlength) of small integer codes (a type's code per
    row): with the kernels one pass over int16/int32 codes, where bincount first copies them to
    int64 (1M rows: 8 MB written and faulted in, twice the time)."""
    native = kernels()
    if native is not None and codes.dtype in (np.int16, np.int32) and len(codes) and minlength > 0:
        codes = np.ascontiguousarray(codes)
        counts = np.empty(minlength, dtype=np.int64)
        ffi = native.ffi
        if native.lib.count_codes(ffi.from_buffer(codes), codes.dtype.itemsize, len(codes), shift, minlength,
                                  ffi.from_buffer("int64_t[]", counts)) == 0:
            return counts
    return np.bincount(codes + shift if shift else codes, minlength=minlength)
