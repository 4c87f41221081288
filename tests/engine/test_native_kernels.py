"""The compiled kernels give exactly what the numpy path gives (which stays the reference and the
fallback on machines without a compiler), and a build that does not match its source is not used."""
from __future__ import annotations

import os
import re
from typing import Callable, TypeVar

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import cells, load, native
from engine.native import build as native_build

KERNELS = native.kernels()
T = TypeVar("T")
needs_kernels = pytest.mark.skipif(KERNELS is None, reason="engine kernels not built (python -m engine.native.build)")


def _both_ways(work: Callable[[], T]) -> tuple[T, T]:
    """`work()` with the kernels, then on the numpy path."""
    before = native.set_kernels(KERNELS)
    try:
        fast = work()
        native.set_kernels(None)
        return fast, work()
    finally:
        native.set_kernels(before)


def _same(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    (v1, p1), (v2, p2) = _both_ways(lambda: cells.plain_numbers(col))
    assert p1.tolist() == p2.tolist()
    # bit for bit (-0.0 stays -0.0), on the plain cells; the others are the caller's to fill
    assert v1[p1].view(np.int64).tolist() == v2[p2].view(np.int64).tolist()
    return p1


def test_ci_builds_the_kernels():
    """CI sets CHEMVIZ_REQUIRE_KERNELS=1: there the kernel path must be the one under test."""
    if os.environ.get("CHEMVIZ_REQUIRE_KERNELS") == "1":
        assert KERNELS is not None


@needs_kernels
def test_plain_numbers_kernel_equals_numpy_path_on_edge_cells():
    edge = ["0", "-0", "-0.0", ".5", "-.5", "5.", "-5.", "-", ".", "-.", "", "00012", "1.2.3", "--1", "+1",
            "1e3", " 1", "1 ", "999999999999999", "9999999999999999", "-99999999999999", "0.000000000000001",
            "123456789012.34", "0.1", "0.3", "2.675", "1.005", "4.35", "9007199254740993", "١٢", "1,5",
            "nan", "inf", "12\x00", "７"]
    plain = _same(pa.array(edge))
    assert plain.sum() == 16
    # sliced arrays (an offset into the buffers) and chunked columns read the right cells
    _same(pa.array(edge).slice(3, 20))
    _same(pa.chunked_array([pa.array(edge[:7]), pa.array([], pa.string()), pa.array(edge[7:]).slice(1)]))


@needs_kernels
def test_plain_numbers_kernel_equals_numpy_path_on_random_cells():
    rng = np.random.default_rng(11)
    alphabet = list("0123456789") * 4 + list(".-+eE ,x")
    cells_ = ["".join(rng.choice(alphabet, int(rng.integers(0, 18)))) for _ in range(60_000)]
    assert _same(pa.chunked_array([pa.array(cells_[:25_000]), pa.array(cells_[25_000:])])).sum() > 10_000


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(st.lists(st.from_regex(re.compile(r"-?[0-9]{0,9}\.?[0-9]{0,9}", re.ASCII), fullmatch=True)
                | st.text(max_size=16), max_size=40))
def test_plain_numbers_kernel_equals_numpy_path_property(cells_: list[str]):
    _same(pa.array(cells_, pa.string()))


@needs_kernels
def test_load_gives_the_same_result_with_and_without_kernels(tmp_path):
    rows = ["Equipment Name,Type,Flowrate,Pressure,Temperature"]
    rng = np.random.default_rng(3)
    odd = ["n/a", "ERR", "12.3.4", "", "-0", "1e3", "1,234.5", " 7 "]
    for i in range(3000):
        cell = [f"{rng.normal(100, 30):.{i % 6}f}" for _ in range(3)]
        if i % 37 == 0:
            cell[i % 3] = odd[i % len(odd)]
        rows.append(f"P-{i},Pump,{cell[0]},{cell[1]},{cell[2]}")
    path = tmp_path / "mixed.csv"
    path.write_text("\n".join(rows) + "\n")
    fast, slow = _both_ways(lambda: load(path))
    assert fast.statistics == slow.statistics
    assert [i.message for i in fast.report.issues] == [i.message for i in slow.report.issues]
    assert fast.frame.equals(slow.frame)


def test_a_build_from_other_source_is_not_used(tmp_path, monkeypatch):
    """An out-of-date module (kernels.c edited, not rebuilt) must not change results: it is refused."""
    if KERNELS is None:
        pytest.skip("engine kernels not built")
    monkeypatch.setattr(native, "SOURCES", (tmp_path / "kernels.c",))
    (tmp_path / "kernels.c").write_text("/* edited */")
    assert native._load() is None


def test_the_switch_forces_the_numpy_path(monkeypatch):
    monkeypatch.setenv("CHEMVIZ_ENGINE_KERNELS", "0")
    assert native._load() is None


def test_the_build_reports_a_missing_compiler_and_carries_on(monkeypatch, capsys):
    """No compiler: a clear line and the numpy path, or exit 1 with --require (CI, the executable)."""
    def broken() -> None:
        raise RuntimeError("no C compiler found")
    monkeypatch.setattr(native_build, "builder", broken)
    assert native_build.build() is None
    assert "numpy path" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        native_build.build(require=True)


@needs_kernels
@pytest.mark.parametrize("half", [False, True])
def test_key_hashes_kernel_keeps_equal_keys_equal(half: bool):
    """Names that are the same after case folding hash the same (else a duplicate would be missed),
    with the kernel as with the numpy path, whatever their length and chunking."""
    rng = np.random.default_rng(5)
    base = ["".join(rng.choice(list("abcxyzP-0123"), int(rng.integers(0, 40)))) for _ in range(3000)]
    names = base + [b.upper() for b in base] + [b.title() for b in base]
    col = pa.chunked_array([pa.array(names[:4000]), pa.array(names[4000:]).slice(0)])
    h = cells.key_hashes(col, ascii_fold=True, half=half)   # (the kernels are in use: needs_kernels)
    assert h.dtype == (np.uint32 if half else np.uint64)
    n = len(base)
    assert (h[:n] == h[n:2 * n]).all() and (h[:n] == h[2 * n:]).all()
    # and different keys mostly differ (a hash that says "maybe" for all would be slow, not wrong)
    assert len(np.unique(h[:n])) >= len(set(base)) - 2


@needs_kernels
def test_duplicates_are_the_same_with_and_without_kernels():
    from engine.duplicates import find_duplicates
    rng = np.random.default_rng(9)
    names = [f"P-{int(i)}" for i in rng.integers(0, 40_000, 60_000)]
    names[100] = names[7].lower()
    col = pa.chunked_array([pa.array(names[:30_000]), pa.array(names[30_000:])])
    empty = np.zeros(len(names), dtype=bool)
    rows = np.arange(len(names)) + 2
    (fast, first_fast), (slow, first_slow) = _both_ways(lambda: find_duplicates(col, empty, rows))
    assert fast is not None and fast.tolist() == slow.tolist()
    assert [first_fast(int(i)) for i in np.flatnonzero(fast)] == [first_slow(int(i)) for i in np.flatnonzero(slow)]


def _iso_both(col: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    from engine.iso_times import fixed_iso_ns
    fast, slow = _both_ways(lambda: fixed_iso_ns(col))
    assert fast[1].tolist() == slow[1].tolist()
    assert fast[0][fast[1]].tolist() == slow[0][slow[1]].tolist()
    return fast


@needs_kernels
def test_fixed_iso_times_kernel_equals_numpy_path():
    """Leap days (1900 no, 2000 yes), the year range's ends, a `T`, and near misses (a wrong
    separator, a letter for a digit, 24:00, a day 31 in a 30-day month, one byte too many)."""
    cells_ = ["2024-02-29 12:00:00", "2023-02-29 12:00:00", "1900-02-29 00:00:00", "2000-02-29 00:00:00",
              "1700-01-01 00:00:00", "1699-12-31 23:59:59", "2200-12-31 23:59:59", "2201-01-01 00:00:00",
              "2024-06-01T08:30:15", "2024-06-01t08:30:15", "2024/06/01 08:30:15", "2024-06-01 24:00:00",
              "2024-06-31 10:00:00", "2024-13-01 10:00:00", "2024-00-10 10:00:00", "2024-06-00 10:00:00",
              "2024-06-01 10:60:00", "2024-06-01 10:00:60", "2024-06-01 10:00:00Z", "2024-06-01 10:00:0",
              "2O24-06-01 10:00:00", "2024-06-01  0:00:00", "", "2024-06-01 10:00:00.5", "١٩٩٩-06-01 10:00"]
    fast = _iso_both(pa.array(cells_))
    assert fast[1].tolist() == [True, False, False, True, True, False, True, False, True] + [False] * 16
    _iso_both(pa.chunked_array([pa.array(cells_[:9]), pa.array(cells_[9:]).slice(2)]))


@needs_kernels
def test_fixed_iso_times_kernel_equals_numpy_path_on_random_times():
    rng = np.random.default_rng(4)
    stamps = rng.integers(np.datetime64("1690-01-01").astype(np.int64), np.datetime64("2210-01-01").astype(np.int64),
                          20_000).astype("M8[D]").astype("M8[s]") + rng.integers(0, 86_400, 20_000).astype("m8[s]")
    text = [str(s).replace("T", " " if i % 3 else "T") for i, s in enumerate(stamps)]
    fast = _iso_both(pa.array(text))
    assert 0.5 < fast[1].mean() < 1


@needs_kernels
def test_grouping_kernel_equals_a_stable_argsort_and_gather():
    """Statistics group rows by type in file order (rows without a type first, left-out rows cut
    off): the kernel's one pass gives what the stable argsort and gather give, item for item."""
    from engine.stats import _grouper
    rng = np.random.default_rng(8)
    codes = rng.integers(-1, 7, 50_000).astype(np.int16)        # 6 types, -1 no type, 6 left out
    counts = np.bincount(codes + 1, minlength=8)
    n = int(counts[:-1].sum())
    values = rng.normal(size=50_000)
    rows = np.arange(50_000, dtype=np.int64) * 3 + 2
    pick = np.argsort(codes, kind="stable")[:n]
    for halves in (False, True):   # (halves: each half of the rows placed by its own thread)
        fast, slow = _both_ways(lambda halves=halves: _grouper(codes, counts, n, halves=halves))
        for x in (values, rows):
            assert fast(x).tolist() == slow(x).tolist() == x[pick].tolist()


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=100).map(lambda b: b.replace(b"\x00", b"a").replace(b"\x80", b"b")),
       st.integers(min_value=0, max_value=99), st.sampled_from([b"", b"\x00", b"\x80", b"\xff", b"\x00\xc3"]))
def test_the_text_check_finds_a_nul_or_a_high_byte_anywhere(clean, at, odd):
    """encoding's first look at a file (a NUL: not text; a byte >= 0x80: its UTF-8 is checked)
    is the two Python checks it replaces, wherever the byte sits among the 16- and 8-byte steps."""
    from engine.encoding import _nul_and_ascii
    data = clean[:at] + odd + clean[at:]
    fast, slow = _both_ways(lambda: _nul_and_ascii(data))
    assert fast == slow == (b"\x00" in data, data.isascii())


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=400), st.integers(min_value=1, max_value=50),
       st.integers(min_value=0, max_value=2**32 - 1), st.booleans())
def test_colliding_hashes_are_found_alike_with_and_without_the_kernels(values, spread, seed, masked):
    """The duplicate check's first sieve: a cell is marked when another cell (of `among`) has its
    hash, and only then; hashes that share the top bits without being equal are not."""
    rng = np.random.default_rng(seed)
    h = np.array(values + [v ^ (1 << int(b)) for v, b in zip(values, rng.integers(0, 12, len(values)), strict=True)]
                 + list(rng.choice(values, size=min(len(values), spread))) if values else [], dtype=np.uint32)
    rng.shuffle(h)
    among = rng.random(len(h)) < 0.7 if masked else None
    fast, slow = _both_ways(lambda: cells.colliding(h, among))
    keys = h if among is None else h[among]
    shared = {int(x) for x, c in zip(*np.unique(keys, return_counts=True), strict=True) if c > 1}
    want = [int(x) in shared and (among is None or bool(among[i])) for i, x in enumerate(h)]
    assert fast.tolist() == slow.tolist() == want
