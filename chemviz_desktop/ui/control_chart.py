"""Control chart (#16): the individuals / moving-range (I-MR) chart of one equipment's parameter
over a time window, with the centre line, UCL/LCL (centre ± 3σ̂, σ̂ = MR̄/1.128), the Western
Electric violations marked on the chart and listed beside it, and Cpk when the equipment has
Lo/Hi limits. The data are read and computed in a worker (`core.monitoring.control_chart`, the
engine's `spc.imr`); the GUI thread paints at most a few thousand points. A standalone widget:
`set_equipment(name)`, `set_parameter(p)`, `set_window(start_ns, end_ns)`."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from PyQt5.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core import monitoring
from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.formatting import fmt
from chemviz_desktop.core.monitoring import RULES, ChartData
from chemviz_desktop.ui import theme
from chemviz_desktop.ui.models.alerts_model import local_time
from chemviz_desktop.ui.widgets import MessageBar, styled_label
from chemviz_desktop.ui.workers import TaskRunner

PARAMETERS = ("flowrate", "pressure", "temperature")
MARKS = 2000          # violations drawn on the chart (all are listed)
LEFT, RIGHT, TOP, BOTTOM = 64, 14, 10, 26


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


class ChartCanvas(QWidget):
    """Paints a ChartData: the I chart above, the MR chart below."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: ChartData | None = None
        self.highlight: int | None = None        # index into data.t of a selected violation
        self.setMinimumSize(360, 150)    # a 720-pixel window still leaves the trend most of the height
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def set_data(self, data: ChartData | None) -> None:
        self.data, self.highlight = data, None
        self.update()

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        c = theme.chart_colors()
        p.fillRect(self.rect(), QColor(c.background))
        d = self.data
        text = QColor(c.text)
        if d is None or d.n < 2 or d.center is None or d.sigma is None:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignCenter, "No control chart yet" if d is None else
                       f"{d.n} reading{'s' if d.n != 1 else ''} in this window: a control chart needs at least 2")
            return
        h = self.height()
        top = QRectF(LEFT, TOP, self.width() - LEFT - RIGHT, h * 0.66 - TOP - BOTTOM)
        bottom = QRectF(LEFT, h * 0.66 + 4, self.width() - LEFT - RIGHT, h * 0.34 - BOTTOM - 6)
        t0, t1 = int(d.t[0]), int(d.t[-1])
        span = max(t1 - t0, 1)

        def xs(t: np.ndarray, rect: QRectF) -> np.ndarray:
            return rect.left() + (t.astype(float) - t0) / span * rect.width()

        sigma = d.sigma or 0.0
        lo = float(min(np.min(d.plot_x), d.lcl if d.lcl is not None else np.inf))
        hi = float(max(np.max(d.plot_x), d.ucl if d.ucl is not None else -np.inf))
        pad = (hi - lo) * 0.06 or 1.0
        lo, hi = lo - pad, hi + pad

        def ys(v: np.ndarray | float, rect: QRectF, a: float, b: float) -> Any:
            return rect.bottom() - (np.asarray(v, dtype=float) - a) / (b - a) * rect.height()

        self._axes(p, top, lo, hi, c)
        red = QColor(c.outlier)
        # zones ±1σ, ±2σ (faint), centre, UCL/LCL
        for k in (-2, -1, 1, 2):
            p.setPen(QPen(QColor(c.grid), 1, Qt.DotLine))
            y = float(ys(d.center + k * sigma, top, lo, hi))
            p.drawLine(QPointF(top.left(), y), QPointF(top.right(), y))
        for value, label, pen in ((d.center, "CL", QPen(QColor("#2ca02c"), 1.5)),
                                  (d.ucl, "UCL", QPen(red, 1.5, Qt.DashLine)),
                                  (d.lcl, "LCL", QPen(red, 1.5, Qt.DashLine))):
            if value is None:
                continue
            y = float(ys(value, top, lo, hi))
            p.setPen(pen)
            p.drawLine(QPointF(top.left(), y), QPointF(top.right(), y))
            p.drawText(QRectF(top.right() - 160, y - p.fontMetrics().height() - 1, 156, p.fontMetrics().height()),
                       int(Qt.AlignRight | Qt.AlignBottom), f"{label} {fmt(value)}")
        self._line(p, xs(d.plot_t, top), ys(d.plot_x, top, lo, hi), QColor(theme.TYPE_PALETTE[0]))
        # violations
        if d.violations:
            idx = np.fromiter((i for i, _r in d.violations[:MARKS]), dtype=np.int64)
            px, py = xs(d.t[idx], top), ys(d.x[idx], top, lo, hi)
            p.setPen(QPen(red, 1.5))
            p.setBrush(red)
            for x, y in zip(px.tolist(), py.tolist(), strict=True):
                p.drawEllipse(QPointF(x, y), 3.5, 3.5)
            if self.highlight is not None:
                i = self.highlight
                p.setBrush(Qt.NoBrush)
                p.setPen(QPen(text, 2))
                p.drawEllipse(QPointF(float(xs(d.t[i:i + 1], top)[0]), float(ys(d.x[i], top, lo, hi))), 8, 8)
        # moving ranges
        mt_p, mr_p = d.plot_mr_t, d.plot_mr          # decimated in the worker
        mr_hi = float(max(np.max(mr_p) if len(mr_p) else 0.0, d.mr_ucl or 0.0)) * 1.08 or 1.0
        self._axes(p, bottom, 0.0, mr_hi, c, n=3)
        for value, label, pen in ((d.mr_bar, "MR̄", QPen(QColor("#2ca02c"), 1.2)),
                                  (d.mr_ucl, "UCL", QPen(red, 1.2, Qt.DashLine))):
            if value is None:
                continue
            y = float(ys(value, bottom, 0.0, mr_hi))
            p.setPen(pen)
            p.drawLine(QPointF(bottom.left(), y), QPointF(bottom.right(), y))
            p.drawText(QRectF(bottom.right() - 160, y - p.fontMetrics().height() - 1, 156, p.fontMetrics().height()),
                       int(Qt.AlignRight | Qt.AlignBottom), f"{label} {fmt(value)}")
        self._line(p, xs(mt_p, bottom), ys(mr_p, bottom, 0.0, mr_hi), QColor(theme.TYPE_PALETTE[1]))
        # time labels
        p.setPen(text)
        fm = p.fontMetrics()
        for frac in (0.0, 0.5, 1.0):
            t = t0 + int(span * frac)
            x = bottom.left() + frac * bottom.width()
            label = local_time(pd.Timestamp(t, tz="UTC"))[:16]
            w = fm.horizontalAdvance(label) + 4
            rect = QRectF(x - w * frac, bottom.bottom() + 4, w, fm.height())
            p.drawText(rect, int(Qt.AlignLeft | Qt.AlignVCenter), label)

    def _axes(self, p: QPainter, rect: QRectF, lo: float, hi: float, c: Any, n: int = 5) -> None:
        p.setPen(QPen(QColor(c.grid), 1))
        p.setBrush(Qt.NoBrush)
        p.drawRect(rect)
        p.setPen(QColor(c.text))
        for v in _ticks(lo, hi, n):
            y = rect.bottom() - (v - lo) / (hi - lo) * rect.height()
            p.drawText(QRectF(0, y - 8, LEFT - 6, 16), int(Qt.AlignRight | Qt.AlignVCenter), fmt(v))

    def _line(self, p: QPainter, xs: np.ndarray, ys: np.ndarray, color: QColor) -> None:
        p.setPen(QPen(color, 1.3))
        p.setBrush(Qt.NoBrush)
        points = [QPointF(float(x), float(y)) for x, y in zip(xs.tolist(), ys.tolist(), strict=True)]
        if len(points) > 1:
            p.drawPolyline(QPolygonF(points))
        if len(points) <= 400:
            p.setBrush(color)
            for pt in points:
                p.drawEllipse(pt, 2, 2)


class ControlChart(QWidget):
    """The I-MR chart beside a list of its violations. Public: `set_equipment(name)`,
    `set_parameter(p)`, `set_window(start_ns, end_ns)`, `set_running_only(b)`, `refresh()`,
    `data` (the last ChartData), `violation_texts()`. Signals: `chartReady()` when new data is on
    screen, `violationSelected(ns)` when a listed violation is picked (Trends can move its cursor)."""

    chartReady = pyqtSignal()
    violationSelected = pyqtSignal("qint64")

    def __init__(self, store_path: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.store_path = str(store_path)
        self.equipment: str | None = None
        self.start_ns: int | None = None
        self.end_ns: int | None = None
        self.data: ChartData | None = None
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._ready)
        self.runner.error.connect(self._failed)

        self.parameter_combo = QComboBox()
        for p in PARAMETERS:
            self.parameter_combo.addItem(monitoring.parameter_label(p), p)
        self.parameter_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.running_check = QCheckBox("Running only")
        self.running_check.setChecked(True)
        self.running_check.setToolTip("Only readings taken while the equipment was running (as trends and alerts)")
        self.running_check.toggled.connect(lambda _b: self.refresh())
        self.title = styled_label("Control chart", "PageTitle")
        self.summary = styled_label("Choose an equipment", "Muted", wrap=True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.canvas = ChartCanvas()
        self.violations = QListWidget()
        self.violations.currentRowChanged.connect(self._picked)
        self.message = MessageBar()

        bar = QHBoxLayout()
        bar.addWidget(self.title)
        bar.addStretch(1)
        bar.addWidget(QLabel("Parameter:"))
        bar.addWidget(self.parameter_combo)
        bar.addWidget(self.running_check)
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        legend = "\n".join(f"rule {k}: {v}" for k, v in RULES.items())
        header = styled_label("Violations (Western Electric rules)", "Muted")
        header.setToolTip(legend)         # the legend took 5 lines of a short pane: a tooltip
        self.violations.setToolTip(legend)
        side_lay.addWidget(header)
        side_lay.addWidget(self.violations, 1)
        split = QSplitter(Qt.Horizontal)
        split.addWidget(self.canvas)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.summary)
        lay.addWidget(self.message)
        lay.addWidget(split, 1)

    # -- inputs ---------------------------------------------------------------------------------
    @property
    def parameter(self) -> str:
        return str(self.parameter_combo.currentData())

    def set_equipment(self, name: str | None) -> None:
        self.equipment = name or None
        self.refresh()

    def set_parameter(self, parameter: str) -> None:
        i = self.parameter_combo.findData(parameter)
        if i < 0:
            raise ValueError(f"parameter must be one of {', '.join(PARAMETERS)}")
        if i == self.parameter_combo.currentIndex():
            self.refresh()
        else:
            self.parameter_combo.setCurrentIndex(i)

    def set_window(self, start_ns: int | None, end_ns: int | None) -> None:
        """Readings in [start_ns, end_ns) (None: open end)."""
        self.start_ns, self.end_ns = start_ns, end_ns
        self.refresh()

    def set_running_only(self, running_only: bool) -> None:
        if running_only == self.running_check.isChecked():
            self.refresh()
        else:
            self.running_check.setChecked(running_only)

    def refresh(self) -> None:
        """Read and compute the chart again (in a worker)."""
        if not self.equipment:
            self.runner.cancel()
            self._show(None)
            return
        self.summary.setText(f"Reading {self.equipment}…")
        self.runner.start(monitoring.control_chart, self.store_path, self.equipment, self.parameter,
                          self.start_ns, self.end_ns, self.running_check.isChecked())

    # -- results --------------------------------------------------------------------------------
    def _ready(self, data: ChartData) -> None:
        self.message.clear_message()
        self._show(data)
        self.chartReady.emit()

    def _failed(self, exc: BaseException) -> None:
        self._show(None)
        self.message.show_message(describe(exc, doing="reading the readings"), "warning")
        self.chartReady.emit()

    def _show(self, data: ChartData | None) -> None:
        self.data = data
        self.canvas.set_data(data)
        self.violations.blockSignals(True)
        self.violations.clear()
        if data is None:
            self.title.setText("Control chart")
            self.summary.setText("Choose an equipment" if not self.equipment else "")
        else:
            self.title.setText(f"Control chart: {data.equipment} · {monitoring.parameter_label(data.parameter)}")
            self.summary.setText(self.summary_text(data))
            for i, rule in data.violations:
                item = QListWidgetItem(self._violation_text(data, i, rule))
                item.setData(Qt.UserRole, int(i))
                item.setToolTip(RULES[rule])
                self.violations.addItem(item)
            if not data.violations and data.sigma:
                self.violations.addItem("No Western Electric rule violated")
        self.violations.blockSignals(False)

    @staticmethod
    def summary_text(d: ChartData) -> str:
        if d.sigma is None:
            return f"n {d.n}: too few readings for a control chart (need 2)"
        parts = [f"n {d.n}", f"centre {fmt(d.center)}", f"σ̂ {fmt(d.sigma)}", f"UCL {fmt(d.ucl)}",
                 f"LCL {fmt(d.lcl)}", f"MR̄ {fmt(d.mr_bar)}"]
        if d.cpk is not None:
            spec = " / ".join(s for s in (f"Lo {fmt(d.lo)}" if d.lo is not None else "",
                                          f"Hi {fmt(d.hi)}" if d.hi is not None else "") if s)
            parts.append(f"Cpk {d.cpk:.2f} (against {spec})")
        elif d.lo is None and d.hi is None:
            parts.append("Cpk: no Lo/Hi limit set")
        return " · ".join(parts)

    @staticmethod
    def _violation_text(d: ChartData, i: int, rule: int) -> str:
        when = local_time(pd.Timestamp(int(d.t[i]), tz="UTC"))
        return f"Rule {rule} · {when} · {fmt(float(d.x[i]))}"

    def violation_texts(self) -> list[str]:
        return [self.violations.item(r).text() for r in range(self.violations.count())]

    def _picked(self, row: int) -> None:
        item = self.violations.item(row) if row >= 0 else None
        index = item.data(Qt.UserRole) if item is not None else None
        self.canvas.highlight = int(index) if index is not None else None
        self.canvas.update()
        if index is not None and self.data is not None:
            self.violationSelected.emit(int(self.data.t[int(index)]))

    def closeEvent(self, event: Any) -> None:
        self.runner.cancel()
        super().closeEvent(event)
