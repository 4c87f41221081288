"""Hypothesis strategies for hostile CSV files (shared by the test and bench/fuzz_engine.py)."""
from __future__ import annotations

from hypothesis import strategies as st

HEADERS = [
    "Equipment Name", "equipment_name", "Name", "Type", "TYPE ", "Flowrate", "Flow Rate (L/min)",
    "Flowrate (gpm)", "Pressure", "Pressure [bar]", "Pressure (kPa)", "Pressure (furlongs)",
    "Temperature", "Temperature (°C)", "Temperature (K)", "Temp (°F)", "Status", "", "Type", "=1+1",
    "Pressure (barg)", "Pressure (psia)", "Pressure (mmHg vac)", "Pressure (kPa(g))", "\"Flow\nRate\"",
    "Timestamp", "EquipmentID", "Date/Time", "TS", "State", "Asset",
]
CELLS = [
    "", " ", "P-1", "pump", "Heat Exchanger", "HX", "Tank", "120.5", "-0", "0", "1e309", "-1e309",
    "NaN", "nan", "inf", "-inf", "Infinity", "1,234.5", "1.234,5", "120,5", "-5", "-300", "1e3",
    "=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "\"unbalanced", "a\"b", "\"q,uoted\"", "\x00", "é", "漢字",
    "0x10", "1_000", " 42 ", "\t7", "NULL", "N/A", "9" * 400,
    "0,125", "1.013", "1.234.567", "12,345,678", "-1.01325", "-2", "Flowrate", "Equipment Name", "Pressure (kPa)",
    "2026-01-10 10:00", "2026-01-10T10:00:00Z", "2026-03-29 02:30", "31/02/2026 10:00", "12/25/2026",
    "25/12/2026 10:00:30", "1767261600", "45200.5", "Offline", "Running", "Under Maintenance", "Timestamp",
]
DELIMS = [",", ";", "\t", "|"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]


@st.composite
def csv_text(draw) -> str:
    delim = draw(st.sampled_from(DELIMS))
    width = draw(st.integers(1, 8))
    header = [draw(st.sampled_from(HEADERS)) for _ in range(width)]
    if draw(st.booleans()):
        header = ["Equipment Name", "Type", "Flowrate", "Pressure", "Temperature"][:width] + header[5:]
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        n = width + draw(st.sampled_from([0, 0, 0, -1, 1]))
        rows.append(delim.join(draw(st.sampled_from(CELLS)) for _ in range(max(0, n))))
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return eol.join([delim.join(header)] + rows) + draw(st.sampled_from(["", eol]))


@st.composite
def hostile_bytes(draw) -> bytes:
    kind = draw(st.sampled_from(["text", "text", "text", "random", "truncated"]))
    if kind == "random":
        return draw(st.binary(max_size=2000))
    text = draw(csv_text())
    enc = draw(st.sampled_from(ENCODINGS))
    data = text.encode(enc, errors="replace")
    if kind == "truncated" and data:
        data = data[: draw(st.integers(0, len(data)))]
    return data


# ---- valid files, for the differential check against an independent csv-module parse ----
NAME_CHARS = "ABCDEFGHKLMPQRSTVXYZabcdefkmnprstxyz0123456789 -_/.éüÄß漢字Ж"
TYPES = ["Pump", "pump", "Heat Exchanger", "HX", "Valve", "Column", "Storage Tank", "Reactor", "Тип-1"]
NUMBER_FORMATS = ["{:r}", "{:.2f}", "{:.0f}", "{:.3f}", "{:e}", "{:.6g}"]


def _fmt(value: float, how: str) -> str:
    return repr(value) if how == "{:r}" else how.format(value)


@st.composite
def valid_file(draw) -> tuple[bytes, list[dict]]:
    """(file bytes, expected rows). Expected values come from the text written, read back by the
    test with the csv module alone; the generator only promises the file is valid."""
    import csv
    import io
    delim = draw(st.sampled_from(DELIMS))
    decimal_comma = delim != "," and draw(st.booleans())
    order = draw(st.permutations(["Equipment Name", "Type", "Flowrate", "Pressure", "Temperature"]))
    extra = draw(st.booleans())
    header = list(order) + (["Notes"] if extra else [])
    n = draw(st.integers(1, 25))
    prefix = draw(st.text(NAME_CHARS, min_size=1, max_size=12)).strip() or "EQ"
    bounds = {"Flowrate": (0.0, 1e6), "Pressure": (-1.0, 999.0), "Temperature": (-273.0, 1499.0)}
    rows = []
    for i in range(n):
        row = {"Equipment Name": f"{prefix}-{i}", "Type": draw(st.sampled_from(TYPES)),
               "Notes": draw(st.sampled_from(["", "ok", "check, later", 'said "hi"']))}
        for col, (lo, hi) in bounds.items():
            v = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
            text = _fmt(v, draw(st.sampled_from(NUMBER_FORMATS)))
            row[col] = text.replace(".", ",") if decimal_comma else text
        rows.append(row)
    buf = io.StringIO()
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    w = csv.writer(buf, delimiter=delim, lineterminator=eol,
                   quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])))
    w.writerow(header)
    for row in rows:
        w.writerow([row[h] for h in header])
    text = buf.getvalue()
    enc = draw(st.sampled_from(ENCODINGS))
    try:
        data = text.encode(enc)
    except UnicodeEncodeError:
        enc, data = "utf-8", text.encode("utf-8")
    return data, {"encoding": enc, "delimiter": delim, "decimal_comma": decimal_comma}
