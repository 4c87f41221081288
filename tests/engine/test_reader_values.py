"""Issue 12, values never change silently: separators decided per column, header rows repeated
inside the data, UTF-8 files with a few Windows-1252 lines."""
import pytest

import engine
from engine import schema

from .helpers import HEADER, issue_tuples, load_text


def test_decimal_comma_file_column_with_decimal_points_keeps_every_value(tmp_path):
    # semicolon file with decimal commas elsewhere; this Pressure column writes decimal points
    text = ("Equipment Name;Type;Flowrate;Pressure;Temperature\n"
            "P-1;Pump;120,5;2.5;20\nP-2;Pump;100,5;0.125;20\nP-3;Pump;90,5;1.013;20\n")
    res = load_text(tmp_path, text)
    assert res.accepted, res.report.summary()
    assert list(res.frame[schema.PRESSURE]) == [2.5, 0.125, 1.013]
    assert list(res.frame[schema.FLOWRATE]) == [120.5, 100.5, 90.5]


def test_quoted_decimal_comma_in_comma_file_is_never_a_thousands_group(tmp_path):
    res = load_text(tmp_path, HEADER + '\nP-1,Pump,"0,125",5,20\nP-2,Pump,"1,5",5,20\n')
    assert res.accepted and list(res.frame[schema.FLOWRATE]) == [0.125, 1.5]


def test_cell_contradicting_the_column_convention_is_a_row_error(tmp_path):
    res = load_text(tmp_path, HEADER + '\nP-1,Pump,2.5,5,20\nP-2,Pump,3.25,5,20\nP-3,Pump,"0,125",5,20\n')
    assert res.accepted and res.report.rows_accepted == 2
    assert (4, schema.FLOWRATE, "number_format_conflict") in issue_tuples(res, "error")
    msg = next(i.message for i in res.report.issues if i.code == "number_format_conflict")
    assert "'0,125'" in msg and "decimal point" in msg
    assert 125.0 not in set(res.frame[schema.FLOWRATE])


def test_thousands_separators_still_read_when_the_column_agrees(tmp_path):
    res = load_text(tmp_path, HEADER + '\nP-1,Pump,"1,234.5",5,20\nP-2,Pump,"12,345,678",5,20\nP-3,Pump,7.5,5,20\n')
    assert res.accepted and list(res.frame[schema.FLOWRATE]) == [1234.5, 12345678.0, 7.5]
    res = load_text(tmp_path, "Equipment Name;Type;Flowrate;Pressure;Temperature\n"
                              "P-1;Pump;1.234,5;5;20\nP-2;Pump;0,5;5;20\n")
    assert list(res.frame[schema.FLOWRATE]) == [1234.5, 0.5]


def test_an_undecidable_column_follows_the_file_and_says_so(tmp_path):
    res = load_text(tmp_path, "Equipment Name;Type;Flowrate;Pressure;Temperature\n"
                              "P-1;Pump;120,5;1.013;20\nP-2;Pump;1,5;1.250;20\n")
    assert list(res.frame[schema.PRESSURE]) == [1013.0, 1250.0]
    warn = [i for i in res.report.issues if i.code == "separator_assumed"]
    assert warn and warn[0].column == schema.PRESSURE and "1.013" in warn[0].message


def test_identical_header_repeated_mid_file_is_skipped(tmp_path):
    res = load_text(tmp_path, HEADER + "\nP-1,Pump,1,2,3\n" + HEADER + "\nP-2,Valve,4,5,6\n")
    assert res.accepted and res.report.rows_accepted == 2 and res.report.rows_total == 2
    assert list(res.frame[schema.ROW]) == [2, 4]
    assert "repeated_header_skipped" in {i.code for i in res.report.issues}


def test_second_header_with_columns_swapped_remaps_the_rows_below_it(tmp_path):
    second = "Type,Equipment Name,Pressure,Flowrate,Temperature,Notes"
    res = load_text(tmp_path, HEADER + ",Notes\nP-1,Pump,1,2,3,a\nP-2,Pump,1,2,3,b\n" + second +
                    "\nValve,P-3,7,500,3,c\n")
    assert res.accepted and res.report.rows_accepted == 3
    last = res.frame.iloc[-1]
    assert (last[schema.NAME], last[schema.TYPE], last[schema.FLOWRATE], last[schema.PRESSURE]) == \
        ("P-3", "Valve", 500.0, 7.0)
    assert last["Notes"] == "c" and last[schema.ROW] == 5
    (note,) = [i for i in res.report.issues if i.code == "repeated_header_remapped"]
    assert "Row 4" in note.message


def test_second_header_with_other_units_converts_the_rows_below_it(tmp_path):
    second = "Equipment Name,Type,Flowrate,Pressure (kPa),Temperature (K)"
    res = load_text(tmp_path, HEADER + "\nP-1,Pump,1,2,3\n" + second + "\nP-3,Pump,1,500,300\nP-4,Pump,1,250,310\n")
    assert res.accepted
    assert list(res.frame[schema.PRESSURE]) == pytest.approx([2.0, 5.0, 2.5])      # never 500 bar
    assert list(res.frame[schema.TEMPERATURE]) == pytest.approx([3.0, 26.85, 36.85])
    assert list(res.frame[schema.ROW]) == [2, 4, 5]


def test_second_header_that_cannot_be_read_refuses_naming_the_row(tmp_path):
    second = "Equipment Name,Type,Flowrate,Pressure (furlongs),Temperature"
    res = load_text(tmp_path, HEADER + "\nP-1,Pump,1,2,3\nP-2,Pump,1,2,3\n" + second + "\nP-3,Pump,500,7,3\n")
    assert not res.accepted
    (err,) = res.report.file_errors
    assert err.code == "repeated_header_unreadable" and "Row 4" in err.message and "furlongs" in err.message


def test_rows_with_words_in_every_number_are_not_mistaken_for_headers(tmp_path):
    res = load_text(tmp_path, HEADER + "\nP-1,Pump,1,2,3\nP-2,Pump,offline,offline,offline\n")
    assert res.accepted and (3, schema.FLOWRATE, "not_a_number") in issue_tuples(res)


def test_one_cp1252_line_in_a_utf8_file_keeps_the_rest_utf8(tmp_path):
    rows = "".join(f"W-{i},Wärmetauscher,1,2,3\n" for i in range(3000))
    p = tmp_path / "mixed.csv"
    p.write_bytes((HEADER + "\n" + rows).encode() + "Kühler-1,Condenser,1,2,3\n".encode("cp1252")
                  + "Z-1,Wärmetauscher,1,2,3\n".encode())
    res = engine.load(p)
    assert res.accepted
    assert set(res.frame[schema.TYPE]) == {"Wärmetauscher", "Condenser"}
    assert res.frame[schema.NAME].iloc[-2] == "Kühler-1"
    (warn,) = [i for i in res.report.issues if i.code == "encoding_repaired"]
    assert warn.severity == "warning" and "3,002" in warn.message


def test_a_whole_cp1252_file_is_still_read_as_windows_1252(tmp_path):
    p = tmp_path / "legacy.csv"
    p.write_bytes((HEADER + "\nKühler-1,Condenser,1,2,3\nRührwerk,Reactor,1,2,3\n").encode("cp1252"))
    res = engine.load(p)
    assert res.accepted and res.frame[schema.NAME].iloc[0] == "Kühler-1"
    assert "encoding_repaired" not in {i.code for i in res.report.issues}
