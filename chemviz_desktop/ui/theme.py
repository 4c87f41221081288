"""Light and dark themes: one Fusion palette + a short stylesheet, and matching Matplotlib colours
so charts follow the window (exports always use the light colours)."""
from __future__ import annotations

from PyQt5 import sip
from PyQt5.QtCore import QEvent, QObject, QTimer
from PyQt5.QtGui import QColor, QFont, QPalette
from PyQt5.QtWidgets import QApplication, QWidget

from chemviz_desktop.core.chart_style import DARK_CHART, LIGHT_CHART, TYPE_PALETTE, ChartColors, style_for

__all__ = ["DARK_CHART", "LIGHT_CHART", "TYPE_PALETTE", "ChartColors", "apply", "chart_colors", "current", "paint"]


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


# Colours of the named widgets, per theme: applied as widget palettes (cheap to switch), not as
# a themed style sheet (switching one re-polishes every widget: 70-160 ms at 1M rows).
NAMED_COLORS = {
    False: {"card": "#ffffff", "muted": "#5f6368", "info": "#e7f0fb", "warning": "#fff4d6", "error": "#fde2e2",
            "warn_text": "#b35c00"},
    True: {"card": "#333337", "muted": "#b0b0b0", "info": "#24384f", "warning": "#4a3d1e", "error": "#4f2424",
           "warn_text": "#ffb35c"},
}

# Theme-independent rules, set once (fonts, paddings, borders that read on both backgrounds).
STATIC_STYLESHEET = """
    QFrame#KpiCard { border: 1px solid rgba(128, 128, 128, 110); border-radius: 6px; }
    QLabel#KpiValue { font-size: 15pt; font-weight: 600; }
    QLabel#MessageBar { border-radius: 4px; padding: 6px; }
    QLabel#PageTitle { font-size: 13pt; font-weight: 600; }
    QTabWidget::pane { border-top: 1px solid rgba(128, 128, 128, 110); }
    QTabBar::tab { padding: 7px 18px; }
    """


def paint(widget: QWidget) -> None:
    """Give a named widget (KpiCard, Muted/KpiTitle label, MessageBar, Warning) its theme colours."""
    name = widget.objectName()
    colors = NAMED_COLORS[_current == "dark"]
    if name in ("Muted", "KpiTitle"):
        p = widget.palette()
        p.setColor(QPalette.WindowText, QColor(colors["muted"]))
        widget.setPalette(p)
    elif name == "Warning":
        p = widget.palette()
        p.setColor(QPalette.WindowText, QColor(colors["warn_text"]))
        widget.setPalette(p)
    elif name == "KpiCard":
        p = widget.palette()
        p.setColor(QPalette.Window, QColor(colors["card"]))
        widget.setPalette(p)
        widget.setAutoFillBackground(True)
    elif name == "MessageBar":
        level = widget.property("level") or "info"
        p = widget.palette()
        p.setColor(QPalette.Window, QColor(colors.get(str(level), colors["info"])))
        widget.setPalette(p)
        widget.setAutoFillBackground(True)


NAMED = {"Muted", "KpiTitle", "Warning", "KpiCard", "MessageBar"}


class _Painter(QObject):
    """Colours each named widget as it is first shown (widgets created after a theme switch)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Polish and isinstance(obj, QWidget) and obj.objectName() in NAMED:
            paint(obj)
        return False


_painter: _Painter | None = None


def apply(app: QApplication, name: str) -> None:
    """Switch the whole application to `name` ("light" or "dark"): a palette change plus the
    named widgets' colours; the style and the style sheet are set only once."""
    global _current, _painter
    _current = "dark" if name == "dark" else "light"
    if app.property("chemvizStyle") != "fusion":
        # app.style() is a style-sheet proxy once a sheet is set, so its name cannot tell us:
        # setting the style again re-polishes every widget (~100-200 ms at 600 widgets)
        app.setStyle("Fusion")
        app.setProperty("chemvizStyle", "fusion")
    app.setPalette(_palette(_current == "dark"))
    if app.styleSheet() != STATIC_STYLESHEET:
        app.setStyleSheet(STATIC_STYLESHEET)
    if _painter is None:
        _painter = _Painter(app)
        app.installEventFilter(_painter)
    for widget in app.allWidgets():
        if widget.objectName() in NAMED:
            paint(widget)
    _repolish(app)
    font = QFont(app.font())
    if font.pointSizeF() < 10:
        font.setPointSizeF(10)
        app.setFont(font)


_generation = 0
_pending = False
BATCH = 80   # widgets re-polished per event-loop turn (~5-10 ms)


def _repolish(app: QApplication) -> None:
    """Under an application style sheet Qt ignores `setPalette` for widgets already polished, so
    each is polished again. All ~600 at once (what `setStyle` does) stalls the window ~100 ms:
    visible widgets go now, hidden ones (other pages) follow in batches, one per event-loop turn.
    A newer switch drops the batches of an older one."""
    global _generation, _pending
    _generation += 1
    mine = _generation
    widgets = app.allWidgets()
    visible = [w for w in widgets if w.isVisible()]
    hidden = [w for w in widgets if not w.isVisible()]
    _polish(app, visible)

    def step(start: int) -> None:
        global _pending
        if mine != _generation:
            return
        _polish(app, hidden[start:start + BATCH])
        if start + BATCH < len(hidden):
            QTimer.singleShot(0, lambda: step(start + BATCH))
        else:
            _pending = False
    _pending = bool(hidden)
    if hidden:
        QTimer.singleShot(0, lambda: step(0))


def _polish(app: QApplication, widgets: list[QWidget]) -> None:
    style = app.style()
    for w in widgets:
        if not sip.isdeleted(w):
            style.unpolish(w)
            style.polish(w)


def settled() -> bool:
    """True once every widget has the current palette (tests wait for this)."""
    return not _pending
