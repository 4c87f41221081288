"""Property: whatever bytes arrive, the engine returns a report (never raises) quickly, and
accepted rows never carry NaN or infinity. The long run is bench/fuzz_engine.py."""
import sys
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import engine
from engine import schema

from .strategies import hostile_bytes, valid_file


def check(data: bytes) -> float:
    ignored = []  # exceptions swallowed inside callbacks (e.g. Arrow's invalid-row handler)
    previous, sys.unraisablehook = sys.unraisablehook, ignored.append
    try:
        start = time.perf_counter()
        res = engine.load(data)
        took = time.perf_counter() - start
    finally:
        sys.unraisablehook = previous
    assert not ignored, f"exception swallowed during load: {ignored[0].exc_value!r}"
    assert isinstance(res, engine.LoadResult)
    if res.accepted:
        ok = res.frame[~res.frame[schema.EXCLUDED]]
        for c in schema.NUMERIC_COLUMNS:
            assert np.isfinite(ok[c].to_numpy(dtype=float)).all()
        assert res.statistics["total_equipment"] == res.report.rows_accepted > 0
    else:
        assert res.report.file_errors, "a rejected file must say why"
    return took


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_bytes())
def test_engine_never_raises_on_hostile_files(data):
    check(data)


@pytest.mark.parametrize("name,data", [
    ("10000 columns", (",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n").encode()),
    ("1 MB line", b"Equipment Name,Type,Flowrate,Pressure,Temperature\n" + b"A" * 1_000_000 + b",Pump,1,2,3\nB,Pump,1,2,3\n"),
    ("header only", b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"),
    ("duplicated headers", b"Type,Type,Equipment Name,Flowrate,Pressure,Temperature\nPump,Valve,A,1,2,3\n"),
    ("NUL bytes", b"Equipment Name,Type,Flowrate,Pressure,Temperature\nA\x00,Pump,1,2,3\n"),
    ("unbalanced quote", b'Equipment Name,Type,Flowrate,Pressure,Temperature\n"A,Pump,1,2,3\nB,Pump,1,2,3\n'),
    ("mixed delimiters", b"Equipment Name;Type,Flowrate;Pressure,Temperature\nA;Pump,1;2,3\n"),
    ("truncated utf-16", "Equipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2,3\n".encode("utf-16")[:-3]),
    ("vertical tab only", b"\x0b"),
    ("BOM then truncated UTF-8", b"\xef\xbb\xbfEquipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2\n\xe6\xbc"),
    ("truncated utf-8", "Equipment Name,Type,Flowrate,Pressure,Temperature\nÄ,Pump,1,2,3\n".encode()[:-11]),
    ("header repeated, swapped, short", b"Equipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2,3\n"
                                         b"Type,Equipment Name,Pressure,Flowrate,Temperature\n"),
    ("header repeated twice", b"Equipment Name,Type,Flowrate,Pressure,Temperature\n" * 3 + b"A,Pump,1,2,3\n"),
    ("unbalanced quote in header", b'"Equipment Name,Type,Flowrate,Pressure,Temperature\nA,Pump,1,2,3\n'),
    ("header only, quoted newline", b'Equipment Name,Type,"Flow\nRate",Pressure,Temperature'),
    ("zip of a csv", b"PK\x03\x04" + b"\x00" * 60),
    ("utf-16le no BOM, odd length", "Equipment Name,Type,Flowrate,Pressure,Temperature\nА,Pump,1,2,3\n"
                                    .encode("utf-16-le")[:-1]),
    ("mixed separators in a column", b"Equipment Name;Type;Flowrate;Pressure;Temperature\n"
                                     b"A;Pump;2.5;1,5;3\nB;Pump;0,125;1.013;3\n"),
])
def test_named_hostile_cases(name, data):
    check(data)   # speed on hostile input is measured by bench/fuzz_engine.py, not here


def _independent(data: bytes, enc: str, delimiter: str, decimal_comma: bool) -> dict[str, tuple]:
    """The same file read with the csv module and float() alone: name -> (type, flow, press, temp)."""
    import csv
    import io
    text = data.decode({"utf-16": "utf-16", "utf-8-sig": "utf-8-sig"}.get(enc, enc))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    out = {}
    for cells in reader:
        row = dict(zip(header, cells, strict=True))
        nums = tuple(float(row[c].replace(",", ".") if decimal_comma else row[c]) for c in schema.NUMERIC_COLUMNS)
        out[row[schema.NAME].strip()] = (schema.display_type(row[schema.TYPE]), *nums)
    return out


@settings(max_examples=200, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(valid_file())
def test_accepted_values_equal_an_independent_csv_module_parse(case):
    data, how = case
    res = engine.load(data)
    assert res.accepted, res.report.summary()
    assert res.report.rows_accepted == res.report.rows_total
    want = _independent(data, how["encoding"], how["delimiter"], how["decimal_comma"])
    got = {r[schema.NAME]: (r[schema.TYPE], r[schema.FLOWRATE], r[schema.PRESSURE], r[schema.TEMPERATURE])
           for r in res.frame.to_dict("records")}
    assert got == want
