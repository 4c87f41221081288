"""Chart colours (light/dark) and the per-type palette: plain data shared by the on-screen charts
and the Agg exports, so an export never needs Qt to know its colours."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartColors:
    background: str
    axes: str
    text: str
    grid: str
    outlier: str = "#d62728"


LIGHT_CHART = ChartColors("#ffffff", "#ffffff", "#222222", "#dddddd")
DARK_CHART = ChartColors("#2b2b2b", "#323232", "#e6e6e6", "#4a4a4a", "#ff6b6b")

# Colour per equipment type (canonical first); other types cycle through the tail.
TYPE_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#7f7f7f",
                "#e377c2", "#bcbd22", "#aec7e8", "#ffbb78", "#98df8a", "#c5b0d5"]


def style_for(name: str) -> ChartColors:
    """The colours of theme `name` ("dark", anything else is light)."""
    return DARK_CHART if name == "dark" else LIGHT_CHART
