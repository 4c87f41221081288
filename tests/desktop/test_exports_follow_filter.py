"""Issue 13, exports: every export follows the Data filter and says so in the file; the XLSX
'All types' row is complete with whole-number outlier counts; excluded rows go out with their
reasons; names come from the dataset; the folder falls back when the source folder is read-only;
overwriting asks first."""
from __future__ import annotations

import os

import pandas as pd
from openpyxl import load_workbook
from pypdf import PdfReader

from chemviz_desktop.core.export import default_folder, default_name

from .conftest import import_file
from .test_export_and_smoke import export


def test_clean_csv_follows_the_filter_and_says_so(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    window.data_page.set_filter("Pump")
    export(qtbot, window, "data_csv", tmp_path / "pumps.csv")
    lines = (tmp_path / "pumps.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "# Filtered: Pump - 3 of 6 accepted rows"
    rows = pd.read_csv(tmp_path / "pumps.csv", comment="#", encoding="utf-8-sig")
    assert list(rows["Equipment Name"]) == ["Pump-1", "Pump-2", "Pump-3"]
    window.data_page.set_filter("")
    export(qtbot, window, "data_csv", tmp_path / "all.csv")
    first = (tmp_path / "all.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert not first.startswith("#") and "Equipment Name" in first     # no filter: no comment line


def test_xlsx_all_types_row_is_complete_and_says_the_filter(qtbot, window, sample_csv, tmp_path):
    import_file(qtbot, window, sample_csv)
    export(qtbot, window, "stats_xlsx", tmp_path / "s.xlsx")
    ws = load_workbook(tmp_path / "s.xlsx")["Statistics"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
    total = rows["All types"]
    for measure in ("q1", "q3"):
        assert isinstance(total[header.index(f"{measure} Flowrate (L/min)")], float)
    assert total[header.index("outliers Flowrate")] == sum(
        r[header.index("outliers Flowrate")] for t, r in rows.items() if t not in ("All types",))
    assert all(isinstance(r[header.index("outliers Pressure")], int) for r in rows.values())
    window.data_page.set_filter("Pump")
    export(qtbot, window, "stats_xlsx", tmp_path / "p.xlsx")
    cells = [c.value for row in load_workbook(tmp_path / "p.xlsx")["Statistics"].iter_rows() for c in row]
    assert any(isinstance(v, str) and v.startswith("Filtered: Pump") for v in cells)


def test_pdf_and_chart_files_say_the_filter(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    window.data_page.set_filter("Valve")
    export(qtbot, window, "pdf", tmp_path / "r.pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(str(tmp_path / "r.pdf")).pages)
    assert "Filter applied: Valve" in text
    export(qtbot, window, "chart_svg", tmp_path / "c.svg")
    assert "Filtered: Valve" in (tmp_path / "c.svg").read_text()


def test_excluded_rows_export_with_reasons(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    export(qtbot, window, "excluded_csv", tmp_path / "x.csv")
    rows = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig")
    assert list(rows["Equipment Name"]) == ["Valve-2"] and list(rows["Row in file"]) == [6]
    assert rows["Reason"].iloc[0] and "_" not in rows["Reason"].iloc[0]
    export(qtbot, window, "excluded_xlsx", tmp_path / "x.xlsx")
    ws = load_workbook(tmp_path / "x.xlsx").active
    assert [c.value for c in ws[1]][:3] == ["Row in file", "Reason", "Equipment Name"]


def test_default_names_folder_and_overwrite_question(qtbot, window, good_csv, tmp_path, monkeypatch):
    assert default_name("Plant A.csv", "stats_csv") == "Plant A_statistics.csv"
    assert default_name("x.csv", "pdf") == "x_report.pdf"
    share = tmp_path / "share"
    share.mkdir()
    os.chmod(share, 0o555)
    try:
        if not os.access(share, os.W_OK):   # (root can write anywhere)
            assert default_folder("", str(share / "data.csv")) != share
    finally:
        os.chmod(share, 0o755)
    assert default_folder("", str(tmp_path / "data.csv")) == tmp_path

    import_file(qtbot, window, good_csv)
    folder = tmp_path / "charts"
    export(qtbot, window, "charts_dir", folder)
    from PyQt5.QtWidgets import QFileDialog
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    asked: list[str] = []
    started: list[str] = []
    monkeypatch.setattr(window, "export", lambda kind, path: started.append(path))
    window.confirm = lambda q: asked.append(q) or False
    window.choose_export("charts_dir")
    assert asked and "already exist" in asked[0]
    assert started == []                        # said no: nothing written
    window.confirm = lambda q: True
    window.choose_export("charts_dir")
    assert started == [str(folder)]
