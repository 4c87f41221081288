"""Charts to PNG/SVG files, drawn off-screen with Agg (light colours, whatever the window theme)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chemviz_desktop.core.chart_style import LIGHT_CHART
from chemviz_desktop.core.dataset import Dataset
from chemviz_desktop.core.figures import CHARTS, draw_chart
from engine import schema
from engine.progress import Progress


def render(name: str, stats: dict[str, Any] | None, ds: Dataset | None, column: str = schema.FLOWRATE,
           mask: Any = None, size: tuple[float, float] = (10, 5), filter_text: str = "") -> Figure:
    fig = Figure(figsize=size, dpi=100)
    FigureCanvasAgg(fig)
    draw_chart(fig, name, stats, ds.frame if ds else None, mask, column, LIGHT_CHART)
    if filter_text:   # a chart file travels alone: it says which rows it shows
        fig.text(0.995, 0.005, f"Filtered: {filter_text}", ha="right", va="bottom", fontsize=7, color="#555555")
    return fig


def save_chart(path: Path, name: str, stats: dict[str, Any] | None, ds: Dataset | None,
               column: str = schema.FLOWRATE, mask: Any = None, filter_text: str = "") -> None:
    fig = render(name, stats, ds, column, mask, filter_text=filter_text)
    fig.savefig(path, dpi=150 if path.suffix.lower() == ".png" else 100, facecolor=fig.get_facecolor())


def chart_list() -> list[tuple[str, str | None, str]]:
    """(chart, parameter, file stem) for every chart the app shows."""
    out: list[tuple[str, str | None, str]] = []
    for name in CHARTS:
        if name == "parameter":
            out += [(name, c, f"distribution_{c.lower()}") for c in schema.NUMERIC_COLUMNS]
        else:
            out.append((name, None, name))
    return out


def save_all(folder: Path, stats: dict[str, Any] | None, ds: Dataset | None, state: Progress,
             mask: Any = None, filter_text: str = "") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    charts = chart_list()
    for i, (name, column, stem) in enumerate(charts):
        state.check()
        state.progress(i / len(charts), f"Chart {stem}")
        fig = render(name, stats, ds, column or schema.FLOWRATE, mask, filter_text=filter_text)  # once, saved twice
        for ext, dpi in ((".png", 150), (".svg", 100)):
            path = folder / f"{stem}{ext}"
            fig.savefig(path, dpi=dpi, facecolor=fig.get_facecolor())
            written.append(path)
        fig.clear()
    return written
