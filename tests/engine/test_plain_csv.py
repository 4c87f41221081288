"""The plain-CSV reader (engine/plain_csv.py, csv_reader.c) gives the table Arrow's reader gives,
and what the engine then reads from it, bit for bit; anything it does not take goes to Arrow."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import cells, load, native, plain_csv, read
from engine.encoding import decode_text
from engine.plain_csv import DICT, NUMBER, TEXT, TRIMMED

needs_kernels = pytest.mark.skipif(native.kernels() is None,
                                   reason="engine kernels not built (python -m engine.native.build)")
HEADER = "Equipment Name,Type,Flowrate,Pressure,Temperature"
ROLES = [TRIMMED, DICT, NUMBER, NUMBER, TEXT]


def _sniffed(text: str) -> read.Sniffed:
    return read.sniff(decoded=decode_text(text.encode()))


def _arrow(s: read.Sniffed, dict_columns: frozenset[int]) -> pa.Table:
    table, ragged = read._parse(s.utf8, s.data_offset, s.headers, s.delimiter,
                                column_types={i: read._DICT for i in dict_columns})
    assert not ragged
    return table


def _check_same_as_arrow(text: str, roles: list[int] = ROLES) -> plain_csv.PlainRead:
    """The plain read of `text` is Arrow's, column by column (names trimmed as the engine trims
    them), and its numbers are `cells.plain_numbers` of the text column, bit for bit."""
    s = _sniffed(text)
    got = plain_csv.read_plain(s.utf8, s.data_offset, roles, s.delimiter)
    assert got is not None, "a plain file was left to Arrow"
    ref = _arrow(s, frozenset(i for i, r in enumerate(roles) if r == DICT))
    assert got.table.num_rows == ref.num_rows and got.table.column_names == ref.column_names
    for i, role in enumerate(roles):
        mine, theirs = got.table.column(i), ref.column(i)
        if role == TRIMMED:
            theirs = pc.ascii_trim_whitespace(theirs)
        if role == DICT:   # the same dictionary, in first-seen order, and the same codes
            assert read.combine(mine).equals(read.combine(theirs))
        else:
            assert mine.to_pylist() == theirs.to_pylist()
        if role == NUMBER:
            values, plain = got.numbers[i]
            ref_values, ref_plain = cells.plain_numbers(theirs)
            assert plain.tolist() == ref_plain.tolist()
            assert values[plain].view(np.int64).tolist() == ref_values[ref_plain].view(np.int64).tolist()
    return got


@needs_kernels
def test_a_dirty_export_reads_as_arrow_reads_it():
    rows = [HEADER, " P-101 ,Pump,12.5,3.2,80", "\tp-101,pump ,n/a,-0,-273.15", "R-1,Reactor,,1.013,12.3.4",
            "é-1,Heat Exchanger, 7 ,1e3,-.5", "X,,5.,  ,00012", "Y,Pump,123456789012345,1234567890123456,9"]
    got = _check_same_as_arrow("\n".join(rows) + "\n")
    assert got.table.column(0).to_pylist()[:2] == ["P-101", "p-101"]
    assert got.table.column(1).chunk(0).dictionary.to_pylist() == ["Pump", "pump ", "Reactor", "Heat Exchanger", ""]


@needs_kernels
@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("last", [True, False])
def test_line_ends_and_a_missing_last_one(eol: str, last: bool):
    body = eol.join([HEADER] + [f"P-{i},Pump,{i}.5,{i},{-i}" for i in range(50)])
    got = _check_same_as_arrow(body + (eol if last else ""))
    assert got.table.num_rows == 50


@needs_kernels
@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_other_delimiters(delimiter: str):
    rows = [HEADER.replace(",", delimiter)] + [delimiter.join(["A-1", "Valve", "1.5", "2", "3"])] * 5
    _check_same_as_arrow("\n".join(rows))


_CELL = st.text(alphabet=st.sampled_from(list("0123456789.-+eE aP\t\v\fé,;|")), max_size=12)


@needs_kernels
@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_CELL, min_size=5, max_size=5), min_size=1, max_size=30),
       st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())
def test_any_plain_rows_read_as_arrow_reads_them(rows: list[list[str]], eol: str, last: bool):
    """Cells of digits, points, signs, spaces (ASCII and not), letters and the other delimiters."""
    lines = [HEADER] + [",".join(c.replace(",", "") for c in row) for row in rows]
    if any(not line.strip(" \t\v\f") for line in lines[1:]):
        return        # an empty line is Arrow's (the plain reader refuses it: tested below)
    _check_same_as_arrow(eol.join(lines) + (eol if last else ""))


@needs_kernels
def test_pieces_read_in_parallel_give_one_table_in_file_order(monkeypatch):
    """Cut into many pieces (at \\n, at \\r\\n, never inside a row), read two at a time: the same
    table, and one dictionary in first-seen order over the whole file."""
    monkeypatch.setattr(plain_csv, "PARALLEL_MIN_BYTES", 64)
    monkeypatch.setattr(plain_csv, "PIECE_MAX_BYTES", 500)
    types = ["Pump", "Valve", "Reactor", "Heat Exchanger", "Compressor", "HX", "pump"]
    rows = [f"P-{i},{types[(i * i) % len(types)] if i > 30 else 'Valve'},{i / 7:.3f},{i},{i % 9}"
            for i in range(400)]
    for eol in ("\n", "\r\n", "\r"):
        text = eol.join([HEADER] + rows) + eol
        s = _sniffed(text)
        assert len(plain_csv._cuts(s.utf8, s.data_offset)) > 10
        got = _check_same_as_arrow(text)
        assert got.table.column(0).num_chunks > 10
        assert got.table.column(1).chunk(0).dictionary.to_pylist()[0] == "Valve"


@needs_kernels
@pytest.mark.parametrize("text", [
    HEADER + '\n"P-1",Pump,1,2,3\n',              # a quote: Arrow's rules for quoting
    HEADER + "\nP-1,Pump,1,2\nP-2,Pump,1,2,3\n",  # a short row (Arrow reports it)
    HEADER + "\nP-1,Pump,1,2,3,4\n",             # a long row
    HEADER + "\nP-1,Pump,1,2,3\n\nP-2,Pump,1,2,3\n",   # an empty line
])
def test_what_it_does_not_take_goes_to_arrow(text: str):
    s = _sniffed(text)
    assert plain_csv.read_plain(s.utf8, s.data_offset, ROLES, s.delimiter) is None


@needs_kernels
def test_too_many_distinct_codes_go_to_arrow(monkeypatch):
    monkeypatch.setattr(plain_csv, "DICT_CAP", 8)
    text = "\n".join([HEADER] + [f"P-{i},Type {i},1,2,3" for i in range(20)])
    s = _sniffed(text)
    assert plain_csv.read_plain(s.utf8, s.data_offset, ROLES, s.delimiter) is None
    assert read.parse(s, frozenset([2, 3, 4]), frozenset([1]), frozenset([0])).table.num_rows == 20


def _without_plain_reader(monkeypatch, work):
    with monkeypatch.context() as m:
        m.setattr(plain_csv, "read_plain", lambda *a, **k: None)
        return work()


@needs_kernels
@pytest.mark.parametrize("kind", ["snapshot", "time series", "blank lines"])
def test_load_gives_the_same_result_with_either_reader(tmp_path, monkeypatch, kind: str):
    """Report, statistics and frame are those of Arrow's reader: duplicates differing by case and
    spaces, bad numbers, thousands separators (the numbers' slow path), statuses and times."""
    rng = np.random.default_rng(2)
    odd = ["n/a", "ERR", "12.3.4", "", "-0", "1e3", "1.234.567", " 7 ", "inf", "-5"]
    header = HEADER + (",Timestamp,Status" if kind == "time series" else "")
    rows = [header]
    for i in range(4000):
        name = f"P-{i % 900 if kind == 'time series' else i}"
        if i % 53 == 0:
            name = f" {name.lower()} "
        values = [f"{rng.normal(100, 30):.{i % 5}f}" for _ in range(3)]
        if i % 29 == 0:
            values[i % 3] = odd[i % len(odd)]
        row = f"{name},{['Pump', 'valve', 'HX', ''][i % 4 if i % 40 == 0 else i % 3]},{values[0]},{values[1]},{values[2]}"
        if kind == "time series":
            row += f",2024-03-{1 + i // 900:02d} 10:{i % 60:02d}:00,{['Running', 'Offline', '???'][i % 3]}"
        rows.append(row)
        if kind == "blank lines" and i % 500 == 0:
            rows.append(",,,,")
    path = tmp_path / "mixed.csv"
    path.write_text("\r\n".join(rows) + "\r\n")
    taken = []
    with monkeypatch.context() as m:
        real = plain_csv.read_plain
        m.setattr(plain_csv, "read_plain", lambda *a: taken.append(real(*a)) or taken[-1])
        plain = load(path, timezone="UTC")
    assert taken and taken[0] is not None, "the plain reader did not read the file"
    arrow = _without_plain_reader(monkeypatch, lambda: load(path, timezone="UTC"))
    assert [(i.row, i.column, i.code, i.message) for i in plain.report.issues] == \
           [(i.row, i.column, i.code, i.message) for i in arrow.report.issues]
    assert plain.statistics == arrow.statistics
    assert plain.frame.equals(arrow.frame)
    assert plain.report.rows_accepted > 3000


@needs_kernels
def test_the_side_read_numbers_are_used_only_for_the_rows_read(tmp_path):
    """Blank lines dropped before validation shift the rows: the numbers are parsed again then."""
    path = tmp_path / "blank.csv"
    path.write_text(HEADER + "\n,,,,\nP-1,Pump,1.5,2,3\n,,,,\nP-2,Pump,2.5,4,6\n")
    result = load(path)
    assert result.frame["Flowrate"].tolist() == [1.5, 2.5]
    assert result.frame["Temperature"].tolist() == [3.0, 6.0]


@needs_kernels
def test_names_trimmed_only_of_ascii_spaces_are_marked_so_only_when_ascii(tmp_path, monkeypatch):
    """Validation skips its own trim only for an ASCII name column; a name with a no-break space
    or an ideographic space at its ends is trimmed there as before (Unicode whitespace)."""
    ascii_text = HEADER + "\n P-1 ,Pump,1,2,3\nP-2,Pump,1,2,3\n"
    s = _sniffed(ascii_text)
    assert plain_csv.read_plain(s.utf8, s.data_offset, ROLES, s.delimiter).ascii_trimmed == frozenset([0])
    text = HEADER + "\n\u00a0P-1 ,Pump,1,2,3\nP-2\u3000,Pump,1,2,3\n p-1,Pump,4,5,6\nÉ-3,Pump,1,2,3\n"
    s = _sniffed(text)
    assert plain_csv.read_plain(s.utf8, s.data_offset, ROLES, s.delimiter).ascii_trimmed == frozenset()
    path = tmp_path / "unicode.csv"
    path.write_text(text, encoding="utf-8")
    plain = load(path)
    arrow = _without_plain_reader(monkeypatch, lambda: load(path))
    assert plain.frame["Equipment Name"].tolist() == ["P-1", "P-2", "p-1", "É-3"]
    assert plain.frame.equals(arrow.frame)
    assert [i.message for i in plain.report.issues] == [i.message for i in arrow.report.issues]


@needs_kernels
def test_quotes_in_the_header_only_leave_the_rows_plain():
    text = '"Equipment Name","Type","Flowrate","Pressure","Temperature"\nP-1,Pump,1.5,2,3\nP-2,Valve,2,3,4\n'
    got = _check_same_as_arrow(text)
    assert got.table.column(1).chunk(0).dictionary.to_pylist() == ["Pump", "Valve"]


@needs_kernels
def test_a_column_longer_than_its_head_says_is_read_whole(monkeypatch):
    """Each column's buffer is sized from the first lines (twice their share); a later cell far
    longer than that (a 300 KB name) makes the piece be read again with room for all of it."""
    calls = []
    real = plain_csv._read_piece
    def piece(*a):    # (the pieces' reads: the head's sample, read to size them, is smaller)
        if a[2] > plain_csv.SAMPLE_BYTES:
            calls.append(len(a) > 9 and a[9] is not None)
        return real(*a)
    monkeypatch.setattr(plain_csv, "_read_piece", piece)
    rows = [f"P-{i},Pump,{i}.5,2,3" for i in range(3000)]
    rows.insert(2500, "N" * 300_000 + ",Valve,1,2,3")
    got = _check_same_as_arrow("\n".join([HEADER] + rows) + "\n")
    assert got.table.column(0).to_pylist()[2500] == "N" * 300_000
    assert calls == [True, False]     # sized from the head, then read again with room for the piece


def _rows_by_python(data: bytes) -> int:
    """Records as Python's universal line ends split them (a last line without an end counts)."""
    return len(data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")) - data.endswith((b"\n", b"\r"))


@needs_kernels
@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([b"a", b",", b"\n", b"\r", b"\r\n", b"1.5"]), max_size=3000),
       st.integers(min_value=0, max_value=15))
def test_the_row_count_agrees_with_python_at_any_length_and_offset(parts, skip):
    """csv_count_rows reads 16 bytes at a time, in runs of 255 blocks, then 8, then 1: a \\r\\n
    split across any of those edges is one line end, and a quote anywhere is seen."""
    data = b"".join(parts)[skip:]
    ffi, lib = native.kernels().ffi, native.kernels().lib
    if data:
        assert lib.csv_count_rows(ffi.from_buffer(data), len(data)) == _rows_by_python(data)
        at = len(data) // 2
        quoted = data[:at] + b'"' + data[at:]
        assert lib.csv_count_rows(ffi.from_buffer(quoted), len(quoted)) == plain_csv.CSV_QUOTED


@needs_kernels
def test_the_row_count_of_a_long_crlf_file_across_block_runs():
    lines = [b"P-%d,Pump,%d.5,2,3" % (i, i) for i in range(20_000)]
    for end in (b"\n", b"\r\n", b"\r"):
        data = end.join(lines) + end
        for cut in (0, 1, 7, 15, 4079, 4080, 4081):
            piece = data[cut:]
            got = native.kernels().lib.csv_count_rows(native.kernels().ffi.from_buffer(piece), len(piece))
            assert got == _rows_by_python(piece), (end, cut)
