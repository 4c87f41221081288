"""Issue 12, Excel workbooks: same validation as CSV, formulas as values, dates as dates, sheet
and header-row choice, workbook row numbers in the report."""
import datetime as dt

import pytest

import engine
from engine import schema

from .helpers import HEADER, issue_tuples, write_xlsx

COLUMNS = HEADER.split(",")


def test_workbook_loads_through_the_same_validation(tmp_path):
    p = write_xlsx(tmp_path / "plant.xlsx", {"Readings": [
        COLUMNS, ["P-1", "Pump", 120.5, 5, 3], ["P-2", "Pump", "abc", 5, 20], ["V-1", "Valve", 60, -0.5, 20]]},
        formulas={("Readings", "E2"): "1+2"})
    res = engine.load(p)
    assert res.accepted, res.report.summary()
    assert res.report.rows_total == 3 and res.report.rows_accepted == 2
    assert (3, schema.FLOWRATE, "not_a_number") in issue_tuples(res, "error")
    assert res.frame[schema.TEMPERATURE].iloc[0] == 3.0      # the formula's cached value
    assert res.sheet == "Readings" and res.header_row == 1
    assert any("Excel workbook" in n for n in res.report.notes)


def test_title_rows_above_the_header_and_workbook_row_numbers(tmp_path):
    p = write_xlsx(tmp_path / "report.xlsm", {"Data": [
        ["Unit 4 readings, March"], [], COLUMNS + ["Checked"],
        ["P-1", "Pump", 1, 2, 3, dt.datetime(2024, 3, 1)], [], ["P-2", "Pump", "x", 2, 3, None]]})
    res = engine.load(p)
    assert res.accepted and res.header_row == 3
    assert list(res.frame[schema.ROW]) == [4, 6]                 # the workbook's own rows
    assert (6, schema.FLOWRATE, "not_a_number") in issue_tuples(res)
    assert res.frame["Checked"].iloc[0] == "2024-03-01"          # a date stays a date
    forced = engine.load(p, header_row=3)
    assert forced.accepted and list(forced.frame[schema.ROW]) == [4, 6]


def test_sheet_choice_by_name_or_number_and_the_default(tmp_path):
    p = write_xlsx(tmp_path / "multi.xlsx", {
        "Notes": [["nothing here"]],
        "Pumps": [COLUMNS, ["P-1", "Pump", 1, 2, 3]],
        "Valves": [COLUMNS, ["V-1", "Valve", 1, 2, 3], ["V-2", "Valve", 1, 2, 3]]})
    assert engine.load(p).sheet == "Pumps"                     # first sheet with a header
    assert engine.load(p, sheet="Valves").report.rows_accepted == 2
    assert engine.load(p, sheet=3).sheet == "Valves"
    assert engine.load(p, sheet="3").sheet == "Valves"
    res = engine.load(p, sheet="Tanks")
    assert not res.accepted and res.report.file_errors[0].code == "no_such_sheet"
    assert "'Valves'" in res.report.file_errors[0].message


def test_workbook_sheets_lists_sheets_with_a_preview(tmp_path):
    p = write_xlsx(tmp_path / "multi.xlsx", {"Cover": [["Plant"]], "Data": [["Title"], COLUMNS, ["P-1", "Pump", 1, 2, 3]]})
    sheets = engine.workbook_sheets(p)
    assert [s.name for s in sheets] == ["Cover", "Data"]
    assert sheets[0].header_row is None and sheets[1].header_row == 2
    assert sheets[1].rows[2][:2] == ["P-1", "Pump"]


def test_missing_columns_in_a_workbook_name_the_headers(tmp_path):
    p = write_xlsx(tmp_path / "x.xlsx", {"S": [["Tag", "Kind", "Q"], ["A", "Pump", 1]]})
    res = engine.load(p)
    assert not res.accepted and res.report.file_errors[0].code == "missing_column"
    assert res.headers == ["Tag", "Kind", "Q"]


@pytest.mark.parametrize("kw", [{"sheet": 5}, {"header_row": 40}])
def test_out_of_range_choices_are_clean_errors(tmp_path, kw):
    p = write_xlsx(tmp_path / "x.xlsx", {"S": [COLUMNS, ["A", "Pump", 1, 2, 3]]})
    res = engine.load(p, **kw)
    assert not res.accepted and res.report.file_errors


def test_a_sheet_asked_of_a_csv_file_is_a_warning(tmp_path):
    p = tmp_path / "plain.csv"
    p.write_text(HEADER + "\nA,Pump,1,2,3\n")
    res = engine.load(p, sheet="Data")
    assert res.accepted and "sheet_ignored" in {i.code for i in res.report.issues}
