"""Exports: statistics CSV/XLSX, cleaned data CSV, charts PNG/SVG, a PDF report, excluded rows.
Plain functions (no widgets), run in a worker by the main window; every export but the excluded
rows follows the Data filter and says so; text cells are neutralised by the engine."""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from chemviz_desktop.core.dataset import Dataset
from engine.progress import Progress

KINDS = {
    "stats_csv": ("Statistics as CSV", "CSV files (*.csv)", ".csv"),
    "stats_xlsx": ("Statistics as Excel", "Excel workbooks (*.xlsx)", ".xlsx"),
    "data_csv": ("Cleaned data as CSV", "CSV files (*.csv)", ".csv"),
    "chart_png": ("Current chart as PNG", "PNG images (*.png)", ".png"),
    "chart_svg": ("Current chart as SVG", "SVG images (*.svg)", ".svg"),
    "charts_dir": ("All charts (PNG + SVG) to a folder", "", ""),
    "pdf": ("PDF report", "PDF documents (*.pdf)", ".pdf"),
    "excluded_csv": ("Excluded rows with reasons as CSV", "CSV files (*.csv)", ".csv"),
    "excluded_xlsx": ("Excluded rows with reasons as Excel", "Excel workbooks (*.xlsx)", ".xlsx"),
}
FILTERED_KINDS = {"stats_csv", "stats_xlsx", "data_csv", "chart_png", "chart_svg", "charts_dir", "pdf"}


def default_name(dataset_name: str, kind: str) -> str:
    """`plant_a_statistics.csv`, not `_stats_csv.csv`: named after the dataset and the content."""
    stem = Path(dataset_name).stem.strip() or "chemviz"
    suffix = {"stats_csv": "statistics", "stats_xlsx": "statistics", "data_csv": "clean_data",
              "chart_png": "chart", "chart_svg": "chart", "charts_dir": "charts", "pdf": "report",
              "excluded_csv": "excluded_rows", "excluded_xlsx": "excluded_rows"}[kind]
    return f"{stem}_{suffix}{KINDS[kind][2]}"


def default_folder(last_export_dir: str, source_path: str) -> Path:
    """Where the save dialog opens: the last export folder, else the data file's folder when it is
    writable (it may be a read-only share), else Documents, else home."""
    for candidate in (last_export_dir, str(Path(source_path).parent) if source_path else ""):
        if candidate and Path(candidate).is_dir() and os.access(candidate, os.W_OK):
            return Path(candidate)
    docs = Path.home() / "Documents"
    return docs if docs.is_dir() else Path.home()


_ERRNO_WORDS = {errno.ENOENT: "the folder does not exist (was it moved or renamed?)",
                errno.EACCES: "you are not allowed to write there (a read-only share?); choose another folder",
                errno.EPERM: "you are not allowed to write there; choose another folder",
                errno.EROFS: "the drive is read-only; choose another folder",
                errno.ENOSPC: "the disk is full",
                errno.EISDIR: "a folder has that name; choose a file name",
                errno.ENOTDIR: "part of the path is a file, not a folder"}


def export_error_words(exc: BaseException) -> str:
    """An export failure in plain words ("" when it is not a file-system error)."""
    if not isinstance(exc, OSError):
        return ""
    why = _ERRNO_WORDS.get(exc.errno or 0)
    if why is None and isinstance(exc, PermissionError):
        why = _ERRNO_WORDS[errno.EACCES]
    if why is None:
        return ""
    where = f" {exc.filename}" if exc.filename else ""
    return f"Could not write{where}: {why}."


def run_export(state: Progress, kind: str, path: str, ds: Dataset, stats: dict[str, Any] | None,
               chart: str = "averages", column: str = "Flowrate", filter_text: str = "", mask: Any = None) -> str:
    """Worker: write one export and return the path written."""
    from chemviz_desktop.core.export import charts, pdf, tables
    out = Path(path)
    state.progress(0.1, "Exporting")
    if kind == "stats_csv":
        tables.write_statistics_csv(stats, out, filter_text, ds, mask)
    elif kind == "stats_xlsx":
        tables.write_statistics_xlsx(stats, out, ds, filter_text, mask)
    elif kind == "data_csv":
        tables.write_clean_csv(ds, out, mask, filter_text)
    elif kind in ("excluded_csv", "excluded_xlsx"):
        tables.write_excluded(ds, out)
    elif kind in ("chart_png", "chart_svg"):
        charts.save_chart(out, chart, stats, ds, column, mask, filter_text)
    elif kind == "charts_dir":
        written = charts.save_all(out, stats, ds, state, mask, filter_text)
        return f"{len(written)} files in {out}"
    elif kind == "pdf":
        pdf.write_report(out, ds, stats, filter_text, state, mask)
    else:
        raise ValueError(f"unknown export {kind!r}")
    state.progress(1.0, "Done")
    return str(out)
