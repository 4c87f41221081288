"""The CSV parser no longer checks UTF-8 itself (`check_utf8=False`): whatever bytes a file holds,
`decode_text` must hand on valid UTF-8 or refuse the file, or a name could reach the table,
the store and the server as broken text."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import load
from engine.encoding import ReadError, decode_text

_PIECES = st.sampled_from([b"P-1,Pump,1.5,2,30\n", b"\xe9", b"\xc3\xa9", b"\xff\xfe", b"\x80\x81", b"\xed\xa0\x80",
                           b"\xf0\x9f\x98", b"\r\n", b"\r", b"\xef\xbb\xbf", b"caf\xe9,", b"\xe2\x82\xac"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES | st.binary(max_size=12), max_size=30))
def test_decode_text_always_gives_valid_utf8(parts: list[bytes]):
    data = b"".join(parts)
    try:
        utf8, _encoding, _lines = decode_text(data)
    except ReadError:
        return
    utf8.decode("utf-8")   # raises if not


def test_a_windows_1252_line_reads_as_its_characters(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_bytes("Equipment Name,Type,Flowrate,Pressure,Temperature\nPumpé-1,Pump,1,2,3\n".encode()
                     + b"Caf\xe9-2,Pump,1,2,3\n")
    result = load(path)
    assert result.accepted
    assert list(result.frame["Equipment Name"]) == ["Pumpé-1", "Café-2"]
