"""Exports read back (CSV, XLSX, PDF, PNG, SVG), the smoke-test command, settings, workers and the
big-table model."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from PyQt5.QtCore import QModelIndex, Qt

from chemviz_desktop.ui.models.frame_model import FrameModel
from chemviz_desktop.ui.settings import AppSettings
from chemviz_desktop.ui.workers import TaskRunner

from .conftest import import_file

ROOT = Path(__file__).resolve().parents[2]


def export(qtbot, window, kind: str, path: Path) -> str:
    with qtbot.waitSignal(window.exportFinished, timeout=60_000) as blocker:
        window.export(kind, str(path))
    assert blocker.args[0], window.last_export_error
    return blocker.args[0]


def test_export_every_format_and_read_back(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    assert window.export_actions["pdf"].isEnabled()

    export(qtbot, window, "stats_csv", tmp_path / "stats.csv")
    stats = pd.read_csv(tmp_path / "stats.csv", encoding="utf-8-sig")
    pump = stats[stats["Type"] == "Pump"].iloc[0]
    assert pump["Count"] == 3 and pump["avg Flowrate (L/min)"] == pytest.approx(370.0)

    export(qtbot, window, "stats_xlsx", tmp_path / "stats.xlsx")
    ws = load_workbook(tmp_path / "stats.xlsx")["Statistics"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == "Pump")
    assert row[header.index("Count")] == 3
    assert row[header.index("avg Flowrate (L/min)")] == pytest.approx(370.0)
    assert isinstance(row[header.index("avg Pressure (bar)")], float)

    export(qtbot, window, "data_csv", tmp_path / "clean.csv")
    with open(tmp_path / "clean.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 6 and "Flowrate (L/min)" in rows[0]
    notes = {r["Equipment Name"]: r["Notes"] for r in rows}
    assert notes["Pump-1"] == "'=HYPERLINK(\"http://x\")"
    assert notes["Valve-1"] == "'+1" and notes["Mixer-1"] == "'@sum" and notes["Mixer-2"] == "'-2"
    assert notes["Pump-2"] == "ok"

    window.analytics_page.set_chart("scatter")
    export(qtbot, window, "chart_png", tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    export(qtbot, window, "chart_svg", tmp_path / "chart.svg")
    assert "<svg" in (tmp_path / "chart.svg").read_text()[:2000]
    export(qtbot, window, "charts_dir", tmp_path / "charts")
    assert len(list((tmp_path / "charts").glob("*.png"))) == 6
    assert len(list((tmp_path / "charts").glob("*.svg"))) == 6

    export(qtbot, window, "pdf", tmp_path / "report.pdf")
    reader = PdfReader(str(tmp_path / "report.pdf"))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "good.csv" in text and "Statistics per type" in text and "Validation summary" in text
    assert "6 of 7 rows accepted" in text
    assert len(reader.pages) >= 3


def test_export_follows_the_data_filter(qtbot, window, good_csv, tmp_path):
    import_file(qtbot, window, good_csv)
    window.data_page.set_filter("Valve")
    export(qtbot, window, "stats_csv", tmp_path / "valve.csv")
    first = (tmp_path / "valve.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert first.startswith("# Filtered: Valve")            # the file says which rows it covers
    stats = pd.read_csv(tmp_path / "valve.csv", encoding="utf-8-sig", comment="#")
    assert list(stats["Type"]) == ["Valve", "All types"]


def test_smoke_test_command_exits_zero_and_writes_png(tmp_path):
    out = tmp_path / "shot.png"
    sample = ROOT / "chemviz_desktop" / "resources" / "sample_equipment.csv"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--smoke-test", str(sample),
                           "--screenshot", str(out)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_smoke_test_on_rejected_file_fails_with_one_line(tmp_path, bad_csv):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--smoke-test", str(bad_csv)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and "rejected" in lines[0] and "Traceback" not in proc.stderr


def test_settings_defaults_types_and_reset(qapp):
    s = AppSettings()
    assert (s.theme, s.keep, s.last_page, s.recent_files) == ("light", 5, "import", [])
    s.theme, s.keep = "dark", 9
    for n in range(12):
        s.add_recent(f"/tmp/f{n}.csv")
    s.add_recent("/tmp/f5.csv")
    again = AppSettings()
    assert (again.theme, again.keep) == ("dark", 9)
    assert again.recent_files[0] == "/tmp/f5.csv" and len(again.recent_files) == 8
    assert Path(again.path) == Path(os.environ["CHEMVIZ_DATA_DIR"]) / "settings.ini"   # isolated per test
    again.reset()
    assert (AppSettings().theme, AppSettings().keep) == ("light", 5)


def test_worker_reports_result_error_and_cancel(qtbot):
    runner = TaskRunner()

    def ok(state, x):
        state.progress(0.5, "half")
        return x * 2

    with qtbot.waitSignal(runner.result, timeout=5000) as got:
        runner.start(ok, 21)
    assert got.args == [42]
    with qtbot.waitSignal(runner.error, timeout=5000) as err:
        runner.start(lambda state: 1 / 0)
    assert isinstance(err.args[0], ZeroDivisionError)   # the exception itself, not a flattened string

    def slow(state):
        while True:
            state.check()
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.start(slow)
        runner.cancel()
    assert not runner.busy


def test_frame_model_is_lazy_on_a_million_rows(qapp):
    n = 1_000_000
    frame = pd.DataFrame({"Equipment Name": pd.array([f"E{i}" for i in range(n)], dtype="str"),
                          "Type": pd.array(["Pump"] * n, dtype="str"),
                          "Flowrate": np.arange(n, dtype=float), "Pressure": 1.0, "Temperature": 2.0,
                          "_row": np.arange(2, n + 2), "_excluded": np.zeros(n, bool),
                          "_reason": pd.array([""] * n, dtype="str")})
    model = FrameModel()
    model.set_frame(frame, frame["_excluded"].to_numpy(), np.arange(n)[::-1].copy())
    assert model.rowCount() == n     # first-paint time is measured by bench/desktop_bench.py
    values = [model.data(model.index(r, c)) for r in range(40) for c in range(model.columnCount())]
    assert values[1] == f"E{n - 1}" and values[model.columnCount() + 1] == f"E{n - 2}"
    assert model.rowCount(model.index(0, 0)) == 0 and model.columnCount(QModelIndex()) == 7
    assert model.headerData(3, Qt.Horizontal) == "Flowrate (L/min)"
