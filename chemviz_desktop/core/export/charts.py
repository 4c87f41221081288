"""Charts to PNG/SVG files, drawn off-screen with Agg (light colours, whatever the window theme).
Each figure is laid out at the resolution it is saved at (so the text sizes measured for the
layout are reused when drawing), drawn once per file, and its garbage collected young
(render.young_garbage), so an export in a worker does not stall the window."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chemviz_desktop.core.chart_style import LIGHT_CHART
from chemviz_desktop.core.dataset import Dataset
from chemviz_desktop.core.figures import CHARTS, draw_chart
from chemviz_desktop.core.render import young_garbage
from engine import schema
from engine.progress import Progress

PNG_DPI, SVG_DPI = 150, 100


def render(name: str, stats: dict[str, Any] | None, ds: Dataset | None, column: str = schema.FLOWRATE,
           mask: Any = None, size: tuple[float, float] = (10, 5), filter_text: str = "",
           dpi: float = 100) -> Figure:
    """The chart on a new Agg figure at `dpi` (save it at the same dpi: one text layout)."""
    fig = Figure(figsize=size, dpi=dpi)
    FigureCanvasAgg(fig)
    draw_chart(fig, name, stats, ds.frame if ds else None, mask, column, LIGHT_CHART)
    # tight_layout() leaves a placeholder layout engine behind, and savefig then draws the whole
    # figure twice (once to lay it out again): the layout is done, drop the engine
    fig.set_layout_engine(None)
    if filter_text:   # a chart file travels alone: it says which rows it shows
        fig.text(0.995, 0.005, f"Filtered: {filter_text}", ha="right", va="bottom", fontsize=7, color="#555555")
    return fig


def save_chart(path: Path, name: str, stats: dict[str, Any] | None, ds: Dataset | None,
               column: str = schema.FLOWRATE, mask: Any = None, filter_text: str = "") -> None:
    dpi = PNG_DPI if path.suffix.lower() == ".png" else SVG_DPI
    with young_garbage():
        fig = render(name, stats, ds, column, mask, filter_text=filter_text, dpi=dpi)
        fig.savefig(path, dpi=dpi, facecolor=fig.get_facecolor())
        del fig


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
        with young_garbage():
            fig = render(name, stats, ds, column or schema.FLOWRATE, mask, filter_text=filter_text,
                         dpi=PNG_DPI)   # drawn once, saved twice
            for ext, dpi in ((".png", PNG_DPI), (".svg", SVG_DPI)):
                path = folder / f"{stem}{ext}"
                fig.savefig(path, dpi=dpi, facecolor=fig.get_facecolor())
                written.append(path)
            del fig
    return written
