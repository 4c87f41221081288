"""Issue 12, column mapping and the user's own type spellings."""
import pytest

import engine
from engine import schema

from .helpers import HEADER, load_text

ODD = "Tag,Kind,Q (m3/h),P,T\nP-1,Centrifugal,6,2,20\nC-1,Distillation Column,12,1,80\nC-2,Tower,12,1,80\n"


def test_unrecognised_columns_load_with_a_mapping(tmp_path):
    assert not load_text(tmp_path, ODD).accepted
    res = load_text(tmp_path, ODD, mapping={"Name": "Tag", "Type": "Kind", "Flowrate": "Q (m3/h)",
                                            "Pressure": "P", "Temperature": "T"})
    assert res.accepted, res.report.summary()
    assert res.frame[schema.FLOWRATE].iloc[0] == pytest.approx(100.0)   # the header's unit still counts
    assert list(res.frame[schema.NAME]) == ["P-1", "C-1", "C-2"]


def test_mapping_with_a_unit_override(tmp_path):
    res = load_text(tmp_path, ODD, mapping={"Name": "Tag", "Type": "Kind", "Flowrate": "Q (m3/h)",
                                            "Pressure": "P", "Temperature": "T"},
                    units={"Pressure": "psia", "Temperature": "F"})
    assert res.frame[schema.PRESSURE].iloc[0] == pytest.approx(2 * 0.0689475729 - 1.01325)
    assert res.frame[schema.TEMPERATURE].iloc[0] == pytest.approx((20 - 32) * 5 / 9)


def test_mapping_overrides_an_automatic_match(tmp_path):
    text = "Equipment Name,Type,Flowrate,Flowrate (L/s),Pressure,Temperature\nA,Pump,1,2,3,4\n"
    res = load_text(tmp_path, text, mapping={"Flowrate": "Flowrate (L/s)"})
    assert res.frame[schema.FLOWRATE].iloc[0] == 120.0 and res.frame["Flowrate (extra)"].iloc[0] == "1"


def test_mapping_to_a_missing_header_says_which(tmp_path):
    res = load_text(tmp_path, ODD, mapping={"Name": "Equipment Tag"})
    errors = [i for i in res.report.file_errors if i.code == "bad_mapping"]
    assert errors and "'Equipment Tag'" in errors[0].message and "'Tag'" in errors[0].message


def test_type_aliases_are_applied_on_import(tmp_path):
    aliases = {"Centrifugal": "Pump", "Distillation Column": "Column", "tower": "Column"}
    res = load_text(tmp_path, "Equipment Name,Type,Flowrate,Pressure,Temperature\n" + ODD.split("\n", 1)[1],
                    type_aliases=aliases)
    assert res.statistics["by_type"]["Pump"]["count"] == 1
    assert res.statistics["by_type"]["Column"]["count"] == 2


def test_header_signature_is_stable_and_distinguishes_headers():
    a = engine.header_signature(["Tag", "Kind", "Q (m3/h)"])
    assert a == engine.header_signature(["Tag", "Kind", "Q  (m3/h)"])
    assert a != engine.header_signature(["Tag", "Kind", "Q (L/s)"])


@pytest.mark.parametrize("text,want", [
    ("Name=Tag,Flowrate=Q (m3/h)", {"Name": "Tag", "Flowrate": "Q (m3/h)"}),
    ("Name=Tag, Type=Kind, Pressure=P, bar", {"Name": "Tag", "Type": "Kind", "Pressure": "P, bar"}),
])
def test_parse_mapping(text, want):
    assert engine.parse_mapping(text) == want


def test_title_rows_above_a_csv_header_are_skipped(tmp_path):
    res = load_text(tmp_path, "Plant 4 export\nMarch 2024\n\n" + HEADER + "\nA,Pump,1,2,3\n")
    assert res.accepted and res.header_row == 4 and list(res.frame[schema.ROW]) == [5]
    assert "header_below_titles" in {i.code for i in res.report.issues}
    res = load_text(tmp_path, "Plant 4 export\n" + HEADER + "\nA,Pump,1,2,3\n", header_row=2)
    assert res.accepted and list(res.frame[schema.ROW]) == [3]
