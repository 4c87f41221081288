"""Exports: statistics CSV/XLSX, cleaned data CSV, charts PNG/SVG, a PDF report. Plain functions
(no widgets), run in a worker by the main window; text cells are neutralised by the engine."""
from __future__ import annotations

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
}


def run_export(state: Progress, kind: str, path: str, ds: Dataset, stats: dict[str, Any] | None,
               chart: str = "averages", column: str = "Flowrate", filter_text: str = "", mask: Any = None) -> str:
    """Worker: write one export and return the path written."""
    from chemviz_desktop.core.export import charts, pdf, tables
    out = Path(path)
    state.progress(0.1, "Exporting")
    if kind == "stats_csv":
        tables.write_statistics_csv(stats, out)
    elif kind == "stats_xlsx":
        tables.write_statistics_xlsx(stats, out, ds, filter_text)
    elif kind == "data_csv":
        tables.write_clean_csv(ds, out)
    elif kind in ("chart_png", "chart_svg"):
        charts.save_chart(out, chart, stats, ds, column, mask)
    elif kind == "charts_dir":
        written = charts.save_all(out, stats, ds, state, mask)
        return f"{len(written)} files in {out}"
    elif kind == "pdf":
        pdf.write_report(out, ds, stats, filter_text, state, mask)
    else:
        raise ValueError(f"unknown export {kind!r}")
    state.progress(1.0, "Done")
    return str(out)
