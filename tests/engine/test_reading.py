"""Reading real-world files: headers, units, encodings, delimiters, decimal commas, size limits."""
import pytest

import engine
from engine import schema

from .helpers import HEADER, issue_tuples, load_text, write_csv

ROWS = "P-1,Pump,120.5,5.2,110\nC-1,Compressor,95,8.4,95\n"


@pytest.mark.parametrize("header", [
    HEADER,
    "equipment_name,type,flowrate,pressure,temperature",
    "  EQUIPMENT-NAME , TYPE , Flow Rate , PRESSURE , temperature ",
    "Name,Type,Flow Rate (L/min),Pressure [bar],Temperature (°C)",
    "Equipment,Equipment Type,flow_rate,Press,Temp",
])
def test_header_spellings_are_recognised(tmp_path, header):
    res = load_text(tmp_path, header + "\n" + ROWS)
    assert res.accepted, res.report.summary()
    assert res.statistics["by_type"]["Pump"]["avg_flowrate"] == 120.5


def test_extra_columns_are_kept_and_noted(tmp_path):
    res = load_text(tmp_path, HEADER + ",Status,Location\nP-1,Pump,1,2,3,active,Unit 4\n")
    assert res.accepted
    assert list(res.frame["Status"]) == ["active"]
    assert ("extra_columns_kept" in {i.code for i in res.report.issues})


@pytest.mark.parametrize("header,row,expected", [
    ("Pressure (kPa)", "500", ("Pressure", 5.0)),
    ("Pressure [MPa]", "1.5", ("Pressure", 15.0)),
    ("Pressure (psi)", "14.5037738", ("Pressure", 1.0)),
    ("Pressure (atm)", "1", ("Pressure", 1.01325)),
    ("Temperature (°F)", "212", ("Temperature", 100.0)),
    ("Temperature (K)", "273.15", ("Temperature", 0.0)),
    ("Temperature_degC", "20", ("Temperature", 20.0)),
    ("Flowrate (L/s)", "2", ("Flowrate", 120.0)),
    ("Flowrate (m³/h)", "6", ("Flowrate", 100.0)),
    ("Flowrate (m3/h)", "6", ("Flowrate", 100.0)),
    ("Flowrate (gpm)", "10", ("Flowrate", 37.85411784)),
])
def test_units_in_headers_are_converted_and_reported(tmp_path, header, row, expected):
    cols = {"Flowrate": "Flowrate", "Pressure": "Pressure", "Temperature": "Temperature"}
    values = {"Flowrate": "10", "Pressure": "2", "Temperature": "30"}
    column, want = expected
    cols[column], values[column] = header, row
    text = (f"Equipment Name,Type,{cols['Flowrate']},{cols['Pressure']},{cols['Temperature']}\n"
            f"X-1,Pump,{values['Flowrate']},{values['Pressure']},{values['Temperature']}\n")
    res = load_text(tmp_path, text)
    assert res.accepted, res.report.summary()
    assert res.frame[column].iloc[0] == pytest.approx(want, rel=1e-6, abs=1e-9)
    converted = [i for i in res.report.issues if i.code == "unit_converted"]
    if "°C" in header or "degC" in header:
        assert not converted
    else:
        assert converted and converted[0].column == column and converted[0].severity == "info"


def test_unknown_unit_is_an_error_naming_the_column(tmp_path):
    res = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure (furlongs),Temperature\nA,Pump,1,2,3\n")
    assert not res.accepted
    (err,) = res.report.file_errors
    assert (err.code, err.column) == ("unknown_unit", "Pressure")
    assert "furlongs" in err.message and "kPa" in err.message


@pytest.mark.parametrize("encoding,bom", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                          ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                          ("cp1252", b""), ("latin-1", b"")])
def test_encodings(tmp_path, encoding, bom):
    text = "Equipment Name,Type,Flowrate,Pressure,Temperature (°C)\nRührwerk-1,Réacteur,1,2,-5\n"
    p = tmp_path / "enc.csv"
    p.write_bytes(bom + text.encode(encoding))
    res = engine.load(p)
    assert res.accepted, res.report.summary()
    assert res.frame[schema.NAME].iloc[0] == "Rührwerk-1"
    assert res.frame[schema.TEMPERATURE].iloc[0] == -5.0  # negative °C is a real temperature


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters(tmp_path, sep):
    text = HEADER.replace(",", sep) + "\n" + ROWS.replace(",", sep)
    res = load_text(tmp_path, text)
    assert res.accepted and res.report.rows_accepted == 2


def test_semicolon_file_with_decimal_commas_loads(tmp_path):
    text = "Equipment Name;Type;Flowrate;Pressure;Temperature\nP-1;Pump;120,5;5,25;1.234,5\nP-2;Pump;100;4;20\n"
    res = load_text(tmp_path, text)
    assert res.accepted, res.report.summary()
    assert list(res.frame[schema.FLOWRATE]) == [120.5, 100.0]
    assert res.frame[schema.PRESSURE].iloc[0] == 5.25
    assert res.frame[schema.TEMPERATURE].iloc[0] == 1234.5
    assert any("decimal commas" in n for n in res.report.notes)


def test_quoted_thousands_separators_in_comma_file(tmp_path):
    res = load_text(tmp_path, HEADER + '\nP-1,Pump,"1,234.5",5,20\n')
    assert res.accepted and res.frame[schema.FLOWRATE].iloc[0] == 1234.5


def test_size_limit_is_a_parameter(tmp_path):
    p = write_csv(tmp_path, HEADER + "\n" + ROWS * 100)
    assert engine.load(p).accepted
    res = engine.load(p, max_bytes=1000)
    assert not res.accepted and res.report.file_errors[0].code == "file_too_large"
    res = engine.load(p.read_bytes(), max_bytes=1000)
    assert res.report.file_errors[0].code == "file_too_large"


@pytest.mark.parametrize("content,code", [
    (b"", "empty_file"), (b"\n\n  \n", "empty_file"),
    (HEADER.encode() + b"\n", "no_data_rows"),
    (b"PK\x03\x04rest-of-a-zip", "not_csv"),
    (b"abc\x00def\x00\x01\x02" * 50, "not_text"),
    (b"Equipment Name,Type,Flowrate\nA,Pump,1\n", "missing_column"),
])
def test_file_level_errors_reject_the_file(tmp_path, content, code):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    res = engine.load(p)
    assert not res.accepted
    assert code in {i.code for i in res.report.file_errors}
    assert all(i.row is None for i in res.report.file_errors)


def test_missing_column_message_names_what_is_missing_and_what_was_found(tmp_path):
    res = load_text(tmp_path, "Equipment Name,Type,Flowrate\nA,Pump,1\n")
    msg = res.report.file_errors[0].message
    assert "Pressure, Temperature" in msg and "'Flowrate'" in msg


def test_missing_file_is_a_clean_error(tmp_path):
    res = engine.load(tmp_path / "nope.csv")
    assert not res.accepted and res.report.file_errors[0].code == "file_not_found"


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    res = load_text(tmp_path, "\n" + HEADER + "\nA,Pump,1,2,3\n\nB,Pump,x,2,3\n")
    # header on spreadsheet row 2, A on row 3, blank row 4, B on row 5
    assert list(res.frame[schema.ROW]) == [3, 5]
    assert (5, "Flowrate", "not_a_number") in issue_tuples(res)


def test_rows_with_wrong_field_count_are_listed(tmp_path):
    res = load_text(tmp_path, HEADER + "\nA,Pump,1,2,3\nB,Pump,1,2\nC,Pump,1,2,3,4\nD,Pump,1,2,3\n")
    assert res.accepted and res.report.rows_total == 4 and res.report.rows_accepted == 2
    assert {(3, None, "wrong_field_count"), (4, None, "wrong_field_count")} <= issue_tuples(res)
    assert list(res.frame[schema.ROW]) == [2, 5]


def test_progress_and_cancel_hooks(tmp_path):
    p = write_csv(tmp_path, HEADER + "\n" + ROWS)
    seen = []
    engine.load(p, state=engine.ProgressState(lambda f, m: seen.append(f)))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    stopped = engine.ProgressState()
    stopped.cancel()
    with pytest.raises(engine.Cancelled):
        engine.load(p, state=stopped)


@pytest.mark.parametrize("text", [
    "Flowrate,Pressure,Temperature,Type,Equipment Name\n1,2,3,Pump,A\n,,,,\n4,5,6,Valve,B\n",
    "Type,Equipment Name,Flowrate,Pressure,Temperature\nPump,A,1,2,3\n,,,,\nValve,B,1,2,3\n",
])
def test_column_order_does_not_matter_and_blank_rows_are_skipped(tmp_path, text):
    res = load_text(tmp_path, text)
    assert res.accepted and list(res.frame[schema.ROW]) == [2, 4]
    assert set(res.statistics["by_type"]) == {"Pump", "Valve"}


def test_invalid_utf8_after_the_sniffed_head_falls_back_to_windows_1252(tmp_path):
    rows = "".join(f"P-{i},Pump,1,2,3\n" for i in range(5000))
    p = tmp_path / "late.csv"
    p.write_bytes((HEADER + "\n" + rows).encode() + "Kühler-1,Condenser,1,2,3\n".encode("cp1252"))
    res = engine.load(p)
    assert res.accepted and res.frame[schema.NAME].iloc[-1] == "Kühler-1"
