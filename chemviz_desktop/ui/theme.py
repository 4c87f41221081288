"""Light and dark themes: one Fusion palette + a short stylesheet, and matching Matplotlib colours
so charts follow the window (exports always use the light colours)."""
from __future__ import annotations

from PyQt5.QtGui import QColor, QFont, QPalette
from PyQt5.QtWidgets import QApplication

from chemviz_desktop.core.chart_style import style_for, DARK_CHART, LIGHT_CHART, TYPE_PALETTE, ChartColors

__all__ = ["DARK_CHART", "LIGHT_CHART", "TYPE_PALETTE", "ChartColors", "apply", "chart_colors", "current"]


_current = "light"


def chart_colors(name: str | None = None) -> ChartColors:
    """Chart colours for `name`, or for the theme the window shows now."""
    return style_for(name or _current)


def current() -> str:
    return _current


def excluded_row_color() -> QColor:
    """Background for excluded rows in the data table, readable in both themes."""
    return QColor("#5a2a2a") if _current == "dark" else QColor("#fde2e2")


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    if dark:
        base, window, text, button = QColor("#252526"), QColor("#2d2d30"), QColor("#e6e6e6"), QColor("#3a3a3d")
        highlight, alt, link = QColor("#2f6fb3"), QColor("#2e2e31"), QColor("#7fb5ff")
        disabled = QColor("#8a8a8a")
    else:
        base, window, text, button = QColor("#ffffff"), QColor("#f3f4f6"), QColor("#1e1e1e"), QColor("#e9eaee")
        highlight, alt, link = QColor("#2f6fb3"), QColor("#f6f8fb"), QColor("#1a5fb4")
        disabled = QColor("#9a9a9a")
    p.setColor(QPalette.Window, window)
    p.setColor(QPalette.WindowText, text)
    p.setColor(QPalette.Base, base)
    p.setColor(QPalette.AlternateBase, alt)
    p.setColor(QPalette.ToolTipBase, base)
    p.setColor(QPalette.ToolTipText, text)
    p.setColor(QPalette.Text, text)
    p.setColor(QPalette.Button, button)
    p.setColor(QPalette.ButtonText, text)
    p.setColor(QPalette.BrightText, QColor("#ff5555"))
    p.setColor(QPalette.Highlight, highlight)
    p.setColor(QPalette.HighlightedText, QColor("#ffffff"))
    p.setColor(QPalette.Link, link)
    p.setColor(QPalette.PlaceholderText, disabled)
    for role in (QPalette.Text, QPalette.WindowText, QPalette.ButtonText):
        p.setColor(QPalette.Disabled, role, disabled)
    return p


def _stylesheet(dark: bool) -> str:
    card_bg = "#333337" if dark else "#ffffff"
    border = "#4a4a4f" if dark else "#d5d8de"
    muted = "#b0b0b0" if dark else "#5f6368"
    bar_info = "#24384f" if dark else "#e7f0fb"
    bar_warn = "#4a3d1e" if dark else "#fff4d6"
    bar_err = "#4f2424" if dark else "#fde2e2"
    return f"""
    QFrame#KpiCard {{ background: {card_bg}; border: 1px solid {border}; border-radius: 6px; }}
    QLabel#KpiValue {{ font-size: 15pt; font-weight: 600; }}
    QLabel#KpiTitle, QLabel#Muted {{ color: {muted}; }}
    QLabel#MessageBar[level="info"] {{ background: {bar_info}; border-radius: 4px; padding: 6px; }}
    QLabel#MessageBar[level="warning"] {{ background: {bar_warn}; border-radius: 4px; padding: 6px; }}
    QLabel#MessageBar[level="error"] {{ background: {bar_err}; border-radius: 4px; padding: 6px; }}
    QLabel#PageTitle {{ font-size: 13pt; font-weight: 600; }}
    QTabWidget::pane {{ border-top: 1px solid {border}; }}
    QTabBar::tab {{ padding: 7px 18px; }}
    """


def apply(app: QApplication, name: str) -> None:
    """Switch the whole application to `name` ("light" or "dark")."""
    global _current
    _current = "dark" if name == "dark" else "light"
    app.setStyle("Fusion")
    app.setPalette(_palette(_current == "dark"))
    app.setStyleSheet(_stylesheet(_current == "dark"))
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)
