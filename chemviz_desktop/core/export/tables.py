"""Statistics (CSV, XLSX), cleaned rows (CSV) and excluded rows (CSV/XLSX). Every export covers
the rows the Data filter keeps and says so in the file. Every text cell goes through
engine.neutralise / neutralise_frame so a value like `=HYPERLINK(...)` cannot run in a spreadsheet."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import engine
from chemviz_desktop.core.dataset import Dataset
from engine import schema
from engine.frames import accepted_mask, clean_rows

CSV_SLICE = 50_000   # rows neutralised and written per step
MEASURES = ("count", "avg", "min", "max", "std", "median", "q1", "q3")


def overall_extras(ds: Dataset | None, mask: Any = None) -> dict[str, float]:
    """Quartiles of all accepted (filtered) rows per parameter, for the 'All types' row (the
    engine gives them per type only); same linear interpolation as the engine."""
    if ds is None or ds.frame is None:
        return {}
    keep = accepted_mask(ds.frame)
    if mask is not None:
        keep &= np.asarray(mask, dtype=bool)
    out: dict[str, float] = {}
    for column, key in schema.STAT_KEY.items():
        v = ds.frame[column].to_numpy(dtype=float)[keep]
        v = v[np.isfinite(v)]
        if len(v):
            q1, q3 = np.quantile(v, (0.25, 0.75))
            out[f"q1_{key}"], out[f"q3_{key}"] = round(float(q1), 4), round(float(q3), 4)
    return out


def statistics_frame(stats: dict[str, Any] | None, extras: dict[str, float] | None = None) -> pd.DataFrame:
    """One row per type plus an 'All types' row (with quartiles and outlier totals); units in the
    column names; counts are integers."""
    rows = []
    by_type = (stats or {}).get("by_type", {})
    for t, e in by_type.items():
        row: dict[str, Any] = {"Type": t, "Count": e.get("count")}
        for column, key in schema.STAT_KEY.items():
            unit = schema.UNITS[column]
            for m in MEASURES[1:]:
                row[f"{m} {column} ({unit})"] = e.get(f"{m}_{key}")
            row[f"outliers {column}"] = int(e.get("outliers", {}).get(key, {}).get("count", 0))
        rows.append(row)
    overall = {**(stats or {}).get("overall", {}), **(extras or {})}
    if stats:
        row = {"Type": "All types", "Count": stats.get("total_equipment")}
        for column, key in schema.STAT_KEY.items():
            unit = schema.UNITS[column]
            for m in MEASURES[1:]:
                row[f"{m} {column} ({unit})"] = overall.get(f"{m}_{key}")
            row[f"outliers {column}"] = int(sum(e.get("outliers", {}).get(key, {}).get("count", 0)
                                                for e in by_type.values()))
        rows.append(row)
    frame = pd.DataFrame(rows)
    for c in frame.columns:
        if c == "Count" or c.startswith("outliers "):
            frame[c] = frame[c].astype("Int64")
    return frame


def _comment(fh: Any, filter_text: str, shown: int, total: int, what: str) -> None:
    """First line of a filtered CSV export: which rows it covers (Excel shows it as one cell)."""
    if filter_text:
        fh.write(f"# Filtered: {engine.neutralise(filter_text)} - {shown:,} of {total:,} {what}\n")


def write_statistics_csv(stats: dict[str, Any] | None, path: Path, filter_text: str = "",
                         ds: Dataset | None = None, mask: Any = None) -> None:
    frame = statistics_frame(stats, overall_extras(ds, mask))
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        total = ds.report.rows_accepted if ds is not None else 0
        _comment(fh, filter_text, int((stats or {}).get("total_equipment") or 0), total, "accepted rows")
        engine.neutralise_frame(frame).to_csv(fh, index=False, lineterminator="\n")


def write_clean_csv(ds: Dataset, path: Path, mask: Any = None, filter_text: str = "") -> None:
    """Accepted rows (those the filter keeps), numbers in L/min, bar, °C (said in the headers)."""
    frame = ds.frame
    if mask is not None and frame is not None:
        frame = frame[np.asarray(mask, dtype=bool)]
    clean = clean_rows(frame)
    clean = clean.rename(columns={c: f"{c} ({u})" for c, u in schema.UNITS.items()})
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    # Arrow's writer formats in C++ without the GIL, and the engine neutralises one slice at a
    # time, so no single step holds the GIL long enough to stall the window at 1M rows
    head = io.StringIO()
    _comment(head, filter_text, len(clean), ds.report.rows_accepted, "accepted rows")
    with open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf" + head.getvalue().encode("utf-8"))
        writer, schema_ = None, None
        for lo in range(0, max(len(clean), 1), CSV_SLICE):
            part = pa.Table.from_pandas(engine.neutralise_frame(clean.iloc[lo:lo + CSV_SLICE]), preserve_index=False)
            if writer is None:
                schema_ = part.schema
                writer = pa_csv.CSVWriter(fh, schema_, write_options=pa_csv.WriteOptions(quoting_style="needed"))
            writer.write_table(part if part.schema == schema_ else part.cast(schema_))
        if writer is not None:
            writer.close()


def write_excluded(ds: Dataset, path: Path) -> None:
    """Excluded rows with their reason, to send back to whoever owns the data (CSV or XLSX)."""
    frame = ds.frame
    if frame is None:
        raise ValueError("no rows")
    rows = frame[~accepted_mask(frame)]
    out = pd.DataFrame({"Row in file": rows[schema.ROW].to_numpy() if schema.ROW in rows else np.arange(len(rows)),
                        "Reason": rows[schema.REASON].astype(str).str.replace("_", " ").to_numpy()
                        if schema.REASON in rows else ""})
    data = rows.drop(columns=[c for c in schema.META_COLUMNS if c in rows.columns]).reset_index(drop=True)
    out = pd.concat([out, data], axis=1)
    out = engine.neutralise_frame(out)
    if path.suffix.lower() == ".xlsx":
        out.to_excel(path, index=False, sheet_name="Excluded rows")
    else:
        out.to_csv(path, index=False, encoding="utf-8-sig")


def write_statistics_xlsx(stats: dict[str, Any] | None, path: Path, ds: Dataset | None = None,
                          filter_text: str = "", mask: Any = None) -> None:
    """Sheet 'Statistics' (numbers as numbers) and sheet 'Summary' (file, rows, report line)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    frame = statistics_frame(stats, overall_extras(ds, mask))
    wb = Workbook()
    ws = wb.active
    ws.title = "Statistics"
    ws.append([engine.neutralise(str(c)) for c in frame.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for values in frame.itertuples(index=False):
        ws.append([engine.neutralise(v) if isinstance(v, str) else (None if pd.isna(v) else v) for v in values])
    if filter_text:   # said next to the numbers, not only on the Summary sheet
        ws.append([])
        ws.append([engine.neutralise(f"Filtered: {filter_text} - statistics cover the filtered rows only")])
        ws.cell(ws.max_row, 1).font = Font(italic=True)
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
