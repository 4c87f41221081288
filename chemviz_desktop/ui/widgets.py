"""Small shared widgets: an Orange-style message bar (no modal pop-ups for routine messages),
a KPI card, and table-view defaults that never size rows by content."""
from __future__ import annotations

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QFont, QFontMetrics
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)


def styled_label(text: str, style: str, wrap: bool = False) -> QLabel:
    """A label the theme styles by name ("PageTitle", "Muted")."""
    label = QLabel(text)
    label.setObjectName(style)
    label.setWordWrap(wrap)
    return label


class MessageBar(QLabel):
    """One line of feedback inside a page; hidden when empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        self.setProperty("level", level)
        from chemviz_desktop.ui import theme  # the level's colour, as a palette (no re-polish)
        theme.paint(self)
        self.setText(text)
        self.setVisible(bool(text))

    def clear_message(self) -> None:
        self.setText("")
        self.hide()


class KpiCard(QFrame):
    """Title, value, detail. Never cut off: in a narrow window the value font shrinks to fit and
    the title/detail are elided, with the full text in the tooltip."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("KpiCard")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("KpiTitle")
        self.value = QLabel("–")
        self.value.setObjectName("KpiValue")
        self.detail = QLabel("")
        self.detail.setObjectName("Muted")
        self.detail.setWordWrap(False)
        self._texts = {"title": title, "value": "–", "detail": ""}
        for w in (self.title, self.value, self.detail):
            w.setMinimumWidth(10)
            w.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
            lay.addWidget(w)
        self.setMinimumWidth(90)

    def set(self, value: str, detail: str = "") -> None:
        self._texts.update(value=value, detail=detail)
        self.detail.setVisible(bool(detail))
        self._fit()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = max(10, self.contentsRect().width() - 24)
        for label, key in ((self.title, "title"), (self.detail, "detail")):
            label.setText(label.fontMetrics().elidedText(self._texts[key], Qt.ElideRight, width))
        value = self._texts["value"]
        font = QFont(self.value.font())
        base = self.value.property("basePointSize") or font.pointSizeF()
        self.value.setProperty("basePointSize", base)
        size = base
        font.setPointSizeF(size)
        while size > 8 and QFontMetrics(font).horizontalAdvance(value) > width:
            size -= 1
            font.setPointSizeF(size)
        self.value.setStyleSheet(f"font-size: {size:.0f}pt;" if size < base else "")
        self.value.setText(value)
        full = [self._texts["title"], value, self._texts["detail"]]
        self.setToolTip("\n".join(t for t in full if t))


def setup_table(view: QTableView, stretch_last: bool = True) -> None:
    """Fixed row heights and interactive columns: nothing in a size path walks every row."""
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    vh = view.verticalHeader()
    vh.setSectionResizeMode(QHeaderView.Fixed)
    vh.setDefaultSectionSize(view.fontMetrics().height() + 8)
    vh.hide()
    hh = view.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.Interactive)
    hh.setStretchLastSection(stretch_last)
    hh.setHighlightSections(False)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)


def fit_columns_to_header(view: QTableView, minimum: int = 70) -> None:
    """Column widths from the header text only (never from cell contents)."""
    model = view.model()
    fm = view.horizontalHeader().fontMetrics()
    for c in range(model.columnCount()):
        text = str(model.headerData(c, Qt.Horizontal) or "")
        view.setColumnWidth(c, max(minimum, fm.horizontalAdvance(text) + 28))
