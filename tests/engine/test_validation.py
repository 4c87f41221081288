"""Row-level validation policy: what excludes a row, what only warns, how types are grouped."""
import pytest

from engine import schema

from .helpers import HEADER, issue_tuples, load_text


def test_row_errors_exclude_the_row_and_keep_it_listed(tmp_path):
    text = HEADER + "\n" + "\n".join([
        "P-1,Pump,120,5,110",          # row 2 ok
        ",Pump,1,2,3",                 # row 3 empty name
        "P-3,Pump,,2,3",               # row 4 missing flowrate
        "P-4,Pump,abc,2,3",            # row 5 not a number
        "P-5,Pump,-1,2,3",             # row 6 negative flowrate
        "P-6,Pump,1,-1.5,3",           # row 7 pressure below a perfect vacuum (bar gauge)
        "P-7,Pump,1,2,-300",           # row 8 below absolute zero
        "P-8,Pump,1,2,-40",            # row 9 ok: negative °C is real
        "P-9,,1,2,3",                  # row 10 empty type
        "P-10,Pump,inf,2,3",           # row 11 infinite
        "P-11,Pump,1e309,2,3",         # row 12 overflows to infinity
        "P-12,Pump,NaN,2,3",           # row 13 NaN means missing
    ]) + "\n"
    res = load_text(tmp_path, text)
    assert res.accepted
    expected = {
        (3, schema.NAME, "missing_value"), (4, schema.FLOWRATE, "missing_value"),
        (5, schema.FLOWRATE, "not_a_number"), (6, schema.FLOWRATE, "negative_value"),
        (7, schema.PRESSURE, "below_vacuum"), (8, schema.TEMPERATURE, "below_absolute_zero"),
        (10, schema.TYPE, "missing_value"), (11, schema.FLOWRATE, "not_finite"),
        (12, schema.FLOWRATE, "not_finite"), (13, schema.FLOWRATE, "missing_value"),
    }
    assert issue_tuples(res, "error") == expected
    assert res.report.rows_total == 12 and res.report.rows_accepted == 2
    kept = res.frame[~res.frame[schema.EXCLUDED]]
    assert list(kept[schema.ROW]) == [2, 9]
    assert res.statistics["total_equipment"] == 2
    assert res.statistics["rows_excluded"] == 10
    # The excluded rows are still in the frame, flagged with their reason.
    row5 = res.frame[res.frame[schema.ROW] == 5].iloc[0]
    assert row5[schema.EXCLUDED] and row5[schema.REASON] == "not_a_number"
    msg = next(i.message for i in res.report.issues if i.row == 5)
    assert "Row 5" in msg and "Flowrate" in msg and "'abc'" in msg


def test_duplicate_names_keep_the_first_row(tmp_path):
    res = load_text(tmp_path, HEADER + "\nP-1,Pump,1,2,3\n p-1 ,Pump,9,9,9\nP-2,Pump,1,2,3\nP-1,Valve,1,2,3\n")
    assert issue_tuples(res, "error") == {(3, schema.NAME, "duplicate_name"), (5, schema.NAME, "duplicate_name")}
    assert "row 2" in next(i.message for i in res.report.issues if i.row == 3)
    assert res.statistics["by_type"]["Pump"]["avg_flowrate"] == 1.0
    assert "Valve" not in res.statistics["by_type"]


def test_implausible_values_warn_but_keep_the_row(tmp_path):
    res = load_text(tmp_path, HEADER + "\nP-1,Pump,1,1500,3\nP-2,Reactor,1,2,1600\n")
    assert issue_tuples(res, "warning") == {(2, schema.PRESSURE, "implausible_value"),
                                            (3, schema.TEMPERATURE, "implausible_value")}
    assert res.report.rows_accepted == 2


def test_file_where_no_row_is_acceptable_is_rejected(tmp_path):
    res = load_text(tmp_path, HEADER + "\nA,Pump,x,2,3\nB,Pump,-1,2,3\n")
    assert not res.accepted
    assert res.report.file_errors[0].code == "no_valid_rows"
    assert res.statistics is None


@pytest.mark.parametrize("spelling,canonical", [
    ("Heat Exchanger", "HeatExchanger"), ("heat_exchanger", "HeatExchanger"), ("HX", "HeatExchanger"),
    ("HeatExchanger", "HeatExchanger"), ("Shell and Tube", "HeatExchanger"), ("Exchanger", "HeatExchanger"),
    ("pump", "Pump"), ("Centrifugal Pump", "Pump"), ("PUMP", "Pump"), ("Gate Valve", "Valve"),
    ("CSTR", "Reactor"), ("condenser", "Condenser"), ("Reciprocating Compressor", "Compressor"),
])
def test_known_type_spellings_map_to_canonical(tmp_path, spelling, canonical):
    res = load_text(tmp_path, HEADER + f"\nA,{spelling},1,2,3\n")
    assert list(res.statistics["by_type"]) == [canonical]


def test_unknown_types_stay_their_own_group_in_one_display_form(tmp_path):
    res = load_text(tmp_path, HEADER + "\nA,storage tank,1,2,3\nB,Storage_Tank,1,2,3\nC,STORAGE TANK,1,2,3\n"
                                       "D,Column,1,2,3\nE,Pump,1,2,3\n")
    by_type = res.statistics["by_type"]
    assert "Other" not in by_type
    assert by_type["Column"]["count"] == 1
    tank = [t for t in by_type if t.lower() == "storage tank"]
    assert len(tank) == 1 and by_type[tank[0]]["count"] == 3
    assert list(by_type)[0] == "Pump"  # canonical types first


def test_temperatures_that_look_like_kelvin_get_a_warning(tmp_path):
    res = load_text(tmp_path, HEADER + "\nA,Pump,1,2,295\nB,Pump,1,2,310\nC,Pump,1,2,378\n")
    assert (None, schema.TEMPERATURE, "temperature_maybe_kelvin") in issue_tuples(res, "warning")
    res = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature (K)\n"
                              "A,Pump,1,2,295\nB,Pump,1,2,310\nC,Pump,1,2,378\n")
    assert "temperature_maybe_kelvin" not in {i.code for i in res.report.issues}


def test_issue_list_is_capped_but_counts_are_complete(tmp_path):
    rows = "\n".join(f"P-{i},Pump,bad,2,3" for i in range(1500))
    res = load_text(tmp_path, HEADER + "\nOK,Pump,1,2,3\n" + rows + "\n", max_issues=100)
    assert len([i for i in res.report.issues if i.row is not None]) == 100
    assert res.report.issue_counts["not_a_number"] == 1500
    assert res.report.truncated and res.report.excluded_reasons["not_a_number"] == 1500
    assert "1500 not a number" in res.report.summary()


def test_report_round_trips_through_dict(tmp_path):
    from engine import Report
    res = load_text(tmp_path, HEADER + "\nA,Pump,1,2,3\nB,Pump,x,2,3\n")
    again = Report.from_dict(res.report.to_dict())
    assert again.issues == res.report.issues and again.summary() == res.report.summary()
