"""Hypothesis strategies for hostile CSV files (shared by the test and bench/fuzz_engine.py)."""
from __future__ import annotations

from hypothesis import strategies as st

HEADERS = [
    "Equipment Name", "equipment_name", "Name", "Type", "TYPE ", "Flowrate", "Flow Rate (L/min)",
    "Flowrate (gpm)", "Pressure", "Pressure [bar]", "Pressure (kPa)", "Pressure (furlongs)",
    "Temperature", "Temperature (°C)", "Temperature (K)", "Temp (°F)", "Status", "", "Type", "=1+1",
]
CELLS = [
    "", " ", "P-1", "pump", "Heat Exchanger", "HX", "Tank", "120.5", "-0", "0", "1e309", "-1e309",
    "NaN", "nan", "inf", "-inf", "Infinity", "1,234.5", "1.234,5", "120,5", "-5", "-300", "1e3",
    "=HYPERLINK(\"x\")", "+1", "@SUM(A1)", "\"unbalanced", "a\"b", "\"q,uoted\"", "\x00", "é", "漢字",
    "0x10", "1_000", " 42 ", "\t7", "NULL", "N/A", "9" * 400,
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
