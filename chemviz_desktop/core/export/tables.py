"""Statistics (CSV, XLSX) and cleaned rows (CSV). Every text cell goes through
engine.neutralise / neutralise_frame so a value like `=HYPERLINK(...)` cannot run in a spreadsheet."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

import engine
from engine import schema

from chemviz_desktop.core.dataset import Dataset

MEASURES = ("count", "avg", "min", "max", "std", "median", "q1", "q3")


def statistics_frame(stats: dict[str, Any] | None) -> pd.DataFrame:
    """One row per type plus an 'All types' row; units in the column names."""
    rows = []
    for t, e in (stats or {}).get("by_type", {}).items():
        row: dict[str, Any] = {"Type": t, "Count": e.get("count")}
        for column, key in schema.STAT_KEY.items():
            unit = schema.UNITS[column]
            for m in MEASURES[1:]:
                row[f"{m} {column} ({unit})"] = e.get(f"{m}_{key}")
            row[f"outliers {column}"] = e.get("outliers", {}).get(key, {}).get("count", 0)
        rows.append(row)
    overall = (stats or {}).get("overall", {})
    if stats:
        row = {"Type": "All types", "Count": stats.get("total_equipment")}
        for column, key in schema.STAT_KEY.items():
            unit = schema.UNITS[column]
            for m in MEASURES[1:]:
                row[f"{m} {column} ({unit})"] = overall.get(f"{m}_{key}")
        rows.append(row)
    return pd.DataFrame(rows)


def write_statistics_csv(stats: dict[str, Any] | None, path: Path) -> None:
    engine.neutralise_frame(statistics_frame(stats)).to_csv(path, index=False, encoding="utf-8-sig")


def write_clean_csv(ds: Dataset, path: Path) -> None:
    """Accepted rows only, numbers in L/min, bar, °C (said in the headers)."""
    clean = ds.clean()
    clean = clean.rename(columns={c: f"{c} ({u})" for c, u in schema.UNITS.items()})
    engine.neutralise_frame(clean).to_csv(path, index=False, encoding="utf-8-sig")


def write_statistics_xlsx(stats: dict[str, Any] | None, path: Path, ds: Dataset | None = None,
                          filter_text: str = "") -> None:
    """Sheet 'Statistics' (numbers as numbers) and sheet 'Summary' (file, rows, report line)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    frame = statistics_frame(stats)
    wb = Workbook()
    ws = wb.active
    ws.title = "Statistics"
    ws.append([engine.neutralise(str(c)) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in frame.itertuples(index=False):
        ws.append([engine.neutralise(v) if isinstance(v, str) else (None if pd.isna(v) else v) for v in values])
    ws.column_dimensions["A"].width = 18
    ws.freeze_panes = "B2"
    info = wb.create_sheet("Summary")
    if ds is not None:
        for key, value in (("File", ds.name), ("Imported at", ds.imported_at), ("Rows in file", ds.report.rows_total),
                           ("Rows accepted", ds.report.rows_accepted), ("Rows excluded", ds.report.rows_excluded),
                           ("Report", ds.report.summary()), ("Filter", filter_text or "none")):
            info.append([key, engine.neutralise(value) if isinstance(value, str) else value])
    info.column_dimensions["A"].width = 16
    info.column_dimensions["B"].width = 80
    wb.save(path)
