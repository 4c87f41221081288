"""Colours of the limit states (#16) for table cells and legends, per theme: amber beyond Lo/Hi,
red beyond LoLo/HiHi. Backgrounds are picked so the theme's own text colour stays readable on
them (dark text on light amber/red, light text on deep amber/red); red cells are also bold, so
the two levels differ without colour too."""
from __future__ import annotations

from PyQt5.QtGui import QColor

from chemviz_desktop.ui import theme

# code of engine.limits.classify -> (light, dark) background
_BACKGROUND: dict[int, tuple[str, str]] = {
    1: ("#ffd27a", "#7a5600"),     # hi    amber
    -1: ("#ffd27a", "#7a5600"),    # lo    amber
    2: ("#f28b82", "#8e1f1f"),     # hihi  red
    -2: ("#f28b82", "#8e1f1f"),    # lolo  red
}
WORDS: dict[int, str] = {1: "above its Hi limit", 2: "above its HiHi limit", -1: "below its Lo limit",
                         -2: "below its LoLo limit"}
AMBER, RED = 1, 2


def background(code: int) -> QColor | None:
    """The cell background for a level code (None inside the limits)."""
    pair = _BACKGROUND.get(int(code))
    if pair is None:
        return None
    return QColor(pair[1] if theme.current() == "dark" else pair[0])


def hex_color(code: int) -> str:
    """The same colour as "#rrggbb" (legend swatches)."""
    color = background(code)
    return color.name() if color is not None else ""


def legend_html() -> str:
    """A one-line legend: amber = beyond Lo/Hi, red = beyond LoLo/HiHi."""
    def swatch(code: int) -> str:
        return (f"<span style='background-color:{hex_color(code)};'>&nbsp;&nbsp;&nbsp;&nbsp;</span>")
    return (f"{swatch(AMBER)} beyond Lo/Hi limit &nbsp;&nbsp; {swatch(RED)} <b>beyond LoLo/HiHi limit</b>")
