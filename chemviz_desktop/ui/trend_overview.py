"""The overview strip under the trend chart: the whole time range of the selection, small (the
worker's decimated `TrendData.overview`, each line scaled to its own range), with the chart's
current window highlighted. A drag picks a new window, a double-click asks for all; the chart
itself (trend_plot.TrendPlot) only draws the window it is given."""
from __future__ import annotations

from typing import Any

import numpy as np
from PyQt5.QtCore import QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPainter, QPainterPath, QPen
from PyQt5.QtWidgets import QWidget

from chemviz_desktop.core.chart_style import style_for
from chemviz_desktop.core.trend_series import TrendData
from chemviz_desktop.ui.trend_plot import AXIS_W, polygon, series_color


class OverviewStrip(QWidget):
    """The whole time range of the selection, small; the current window is highlighted. Drag to
    choose a window; double-click for all."""
    windowChosen = pyqtSignal(object, object)     # start_ns, end_ns (Python ints: beyond 32 bits)
    allRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: TrendData | None = None
        self.colors = style_for("light")
        self._drag: tuple[float, float] | None = None
        self.setFixedHeight(56)
        self.setMouseTracking(False)
        self.setToolTip("The whole history: drag to choose the time window, double-click for all")
        self.setCursor(Qt.CrossCursor)

    def set_data(self, data: TrendData | None) -> None:
        self.data = data
        self.update()

    def _span(self) -> tuple[int, int] | None:
        if self.data is None or self.data.extent is None:
            return None
        a, b = self.data.extent
        return a, max(b + 1, a + 1)

    def _area(self) -> QRectF:
        return QRectF(AXIS_W, 2, max(10, self.width() - AXIS_W * 2 - 12), self.height() - 4)

    def x_of(self, ns: int) -> float:
        span, area = self._span(), self._area()
        if span is None:
            return area.left()
        return area.left() + (ns - span[0]) / (span[1] - span[0]) * area.width()

    def ns_of(self, x: float) -> int:
        span, area = self._span(), self._area()
        if span is None:
            return 0
        f = min(1.0, max(0.0, (x - area.left()) / max(1.0, area.width())))
        return int(span[0] + f * (span[1] - span[0]))

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        c = self.colors
        p.fillRect(self.rect(), self.palette().window())
        area = self._area()
        p.fillRect(area, QColor(c.background))
        p.setPen(QPen(QColor(c.grid), 1))
        p.drawRect(area)
        span = self._span()
        if self.data is not None and span is not None:
            p.setRenderHint(QPainter.Antialiasing, True)
            for i, (x, y) in enumerate(self.data.overview):
                if not len(x):
                    continue
                lo, hi = float(np.min(y)), float(np.max(y))
                hi = hi if hi > lo else lo + 1
                xs = area.left() + (x - span[0]).astype(np.float64) * (area.width() / (span[1] - span[0]))
                ys = area.bottom() - 3 - (y - lo) / (hi - lo) * (area.height() - 6)
                p.setPen(QPen(series_color(i), 1))
                p.drawPolyline(polygon(xs, ys))
            a, b = self.x_of(self.data.start_ns), self.x_of(self.data.end_ns)
            shade = QColor(c.text)
            shade.setAlpha(40)
            path = QPainterPath()
            path.addRect(area)
            inner = QPainterPath()
            inner.addRect(QRectF(a, area.top(), max(2.0, b - a), area.height()))
            p.fillPath(path.subtracted(inner), shade)
            p.setPen(QPen(QColor(c.text), 1))
            p.setBrush(Qt.NoBrush)
            p.drawRect(QRectF(a, area.top(), max(2.0, b - a), area.height()))
        if self._drag is not None:
            band = QColor("#2f6fb3")
            band.setAlpha(70)
            x0, x1 = sorted(self._drag)
            p.fillRect(QRectF(x0, area.top(), x1 - x0, area.height()), band)
        p.end()

    def mousePressEvent(self, event: Any) -> None:
        if event.button() == Qt.LeftButton and self._span() is not None:
            self._drag = (event.pos().x(), event.pos().x())
            self.update()

    def mouseMoveEvent(self, event: Any) -> None:
        if self._drag is not None:
            self._drag = (self._drag[0], event.pos().x())
            self.update()

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._drag is None:
            return
        x0, x1 = sorted((self._drag[0], event.pos().x()))
        self._drag = None
        self.update()
        if x1 - x0 >= 4:
            self.choose(x0, x1)

    def choose(self, x0: float, x1: float) -> None:
        """The window between two x positions of the strip."""
        a, b = self.ns_of(x0), self.ns_of(x1)
        if b > a:
            self.windowChosen.emit(a, b)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        self._drag = None
        self.allRequested.emit()
