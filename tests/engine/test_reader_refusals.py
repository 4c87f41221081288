"""Issue 12, valid files are not refused and other files are named for what they are: headers
longer than the sniff window, line breaks inside quoted header cells, UTF-16 without a BOM with
non-Latin names, ZIP/PNG/PDF/... identified by content."""
import io
import zipfile

import pytest

import engine
from engine import schema

from .helpers import HEADER, load_text


def test_header_longer_than_the_sniff_window_is_read_whole(tmp_path):
    tags = [f"TAG-{i:05d}.PV (unit {i})" for i in range(3000)]
    header = HEADER + "," + ",".join(tags)
    assert len(header) > 64 * 1024
    rows = "".join(f"P-{r},Pump,{r},2,3," + ",".join(str(i) for i in range(3000)) + "\n" for r in range(5))
    res = load_text(tmp_path, header + "\n" + rows)
    assert res.accepted, res.report.summary()
    assert res.report.rows_accepted == 5 and "wrong_field_count" not in res.report.issue_counts
    assert list(res.frame[tags[-1]]) == ["2999"] * 5


def test_quoted_header_cell_with_a_line_break_is_one_header(tmp_path):
    text = ('Equipment Name,Type,"Flow Rate\r\n(L/min)","Pressure\n[bar]",Temperature\r\n'
            "P-1,Pump,120.5,5,20\r\nP-2,Valve,60,3,20\r\n")
    res = load_text(tmp_path, text)
    assert res.accepted, res.report.summary()
    assert list(res.frame[schema.FLOWRATE]) == [120.5, 60.0]
    assert list(res.frame[schema.ROW]) == [2, 3]


def test_utf16le_without_bom_with_non_latin_names(tmp_path):
    text = HEADER + "\n" + "".join(f"Насос-{i},Насос высокого давления,1,2,3\n" for i in range(20)) + \
        "".join(f"泵-{i},離心泵,1,2,3\n" for i in range(20))
    p = tmp_path / "u16.csv"
    p.write_bytes(text.encode("utf-16-le"))
    res = engine.load(p)
    assert res.accepted, res.report.summary()
    assert res.frame[schema.NAME].iloc[0] == "Насос-0" and res.report.rows_accepted == 40


def _zip(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("data,says", [
    (_zip({"readings.csv": b"a,b\n1,2\n"}), "ZIP archive holding 1 file(s) (readings.csv)"),
    (_zip({"word/document.xml": b"<w/>"}), "Word document"),
    (_zip({"xl/workbook.xml": b"<workbook/>"}), "Excel workbook"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "PNG image"),
    (b"%PDF-1.7\n" + b"\x00\x01" * 50, "PDF document"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "JPEG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 100, "gzip"),
    (b"SQLite format 3\x00" + b"\x00" * 100, "SQLite database"),
])
def test_non_csv_files_are_named_by_what_they_are(tmp_path, data, says):
    p = tmp_path / "upload.xlsx"   # the name must not fool the check
    p.write_bytes(data)
    res = engine.load(p)
    assert not res.accepted
    (err,) = res.report.file_errors
    assert says in err.message, err.message
    assert "header bytes" not in err.message
