"""The trend chart, painted with QPainter from data a worker already prepared (core.trend_series:
buckets decimated to at most two points per pixel column), so a year of one-minute readings costs
the GUI thread a few thousand points. A shared time axis (local time), one y axis per unit (left,
then right), min-max bands for bucketed intervals and a cursor showing each line's value. The same
painter code writes the PNG and SVG exports. The overview strip under the chart, on which a drag
picks the time window, is trend_overview.OverviewStrip.

Operating limits (#16) are dashed horizontal lines on their parameter's axis: amber Lo/Hi, red
LoLo/HiHi (shades per theme, `figures.limit_color`), each labelled at its right end ("HI 5.5";
with the equipment's names when other shown equipment have another value, see
`trend_series.limit_lines`). The y range includes them, so a limit far from the readings is still
drawn; `Layout.limit_marks` keeps what was drawn where (for tests and the cursor)."""
from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from PyQt5.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt5.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QPolygonF
from PyQt5.QtWidgets import QSizePolicy, QWidget

from chemviz_desktop.core.chart_style import TYPE_PALETTE, ChartColors, style_for
from chemviz_desktop.core.figures import limit_color
from chemviz_desktop.core.formatting import fmt
from chemviz_desktop.core.trend_series import LABELS, UNITS, LimitLine, TrendData

PALETTE = TYPE_PALETTE
AXIS_W = 66          # px per y axis
BOTTOM = 34
SECOND = 10**9


def polygon(xs: np.ndarray, ys: np.ndarray) -> QPolygonF:
    """A QPolygonF filled straight from two float arrays (no per-point Python)."""
    n = len(xs)
    poly = QPolygonF(n)
    if n:
        ptr = poly.data()
        ptr.setsize(n * 16)
        arr = np.frombuffer(ptr, dtype=np.float64).reshape(n, 2)
        arr[:, 0] = xs
        arr[:, 1] = ys
    return poly


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(1, n)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
          86400, 2 * 86400, 7 * 86400, 14 * 86400]


def local(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / SECOND)


def time_ticks(start: int, end: int, n: int = 7) -> list[tuple[int, str]]:
    """Tick times (epoch ns) and labels in local time: round steps of seconds to weeks, months
    or years beyond that."""
    span = max(1, (end - start) // SECOND)
    want = span / max(1, n)
    if want <= _STEPS[-1]:
        step = next(s for s in _STEPS if s >= want)
        zone = local(start).astimezone().utcoffset()
        offset = int(zone.total_seconds()) if zone is not None else 0
        shift = 3 * 86400 if step % (7 * 86400) == 0 else 0      # weeks start on Monday
        s0 = start // SECOND + offset + shift
        first = -(-s0 // step) * step - offset - shift
        out = []
        for t in range(first, end // SECOND + 1, step):
            d = local(t * SECOND)
            label = (d.strftime("%H:%M:%S") if step < 60 else
                     d.strftime("%b %d") if step >= 86400 or (d.hour == 0 and d.minute == 0) else d.strftime("%H:%M"))
            out.append((t * SECOND, label))
        return out
    months = next((m for m in (1, 2, 3, 6, 12, 24, 60) if m * 30.4 * 86400 >= want), 120)
    d = local(start).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    while True:
        idx = d.year * 12 + d.month - 1
        if idx % months == 0 and d.timestamp() * SECOND >= start:
            if d.timestamp() * SECOND > end:
                break
            out.append((int(d.timestamp() * SECOND), d.strftime("%b %Y" if months < 12 else "%Y")))
        if d.timestamp() * SECOND > end:
            break
        d = (d + timedelta(days=32)).replace(day=1)
    return out


def _range(values: list[np.ndarray]) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values if len(v)]
    finite = [v for v in finite if len(v)]
    if not finite:
        return 0.0, 1.0
    lo = min(float(v.min()) for v in finite)
    hi = max(float(v.max()) for v in finite)
    if hi == lo:
        pad = abs(lo) * 0.05 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


class Layout:
    """Where things go for one paint: the plot rectangle and one (unit, lo, hi, x) per y axis."""

    def __init__(self, rect: QRectF, data: TrendData, fm: QFontMetrics):
        self.units = data.units
        n_right = max(0, len(self.units) - 1)
        self.legend = self._legend(rect, data, fm)
        top = rect.top() + 8 + self.legend_height
        self.plot = QRectF(rect.left() + AXIS_W, top, max(10.0, rect.width() - AXIS_W - 12 - AXIS_W * n_right),
                           max(10.0, rect.bottom() - BOTTOM - top))
        self.start, self.end = data.start_ns, max(data.end_ns, data.start_ns + 1)
        self.ranges: dict[str, tuple[float, float]] = {}
        for u in self.units:
            arrays: list[np.ndarray] = []
            for s in data.series:
                if s.unit == u:
                    arrays += [s.y, s.band_lo, s.band_hi]
            arrays.append(np.array([x.value for x in data.limits if x.unit == u], dtype=float))
            self.ranges[u] = _range(arrays)
        self.limit_marks: list[tuple[LimitLine, float, str]] = []   # (line, y px, colour) as drawn

    def _legend(self, rect: QRectF, data: TrendData, fm: QFontMetrics) -> list[tuple[QPointF, int, str]]:
        out, x, y = [], rect.left() + AXIS_W, rect.top() + 4
        line = fm.height() + 4
        for i, s in enumerate(data.series):
            w = 24 + fm.horizontalAdvance(s.label) + 16
            if x + w > rect.right() and x > rect.left() + AXIS_W:
                x, y = rect.left() + AXIS_W, y + line
            out.append((QPointF(x, y), i, s.label))
            x += w
        self.legend_height = (y - rect.top() - 4 + line) if out else 0
        return out

    def x(self, ns: np.ndarray | int) -> Any:
        return self.plot.left() + (np.asarray(ns, dtype=np.int64) - self.start).astype(np.float64) * \
            (self.plot.width() / float(self.end - self.start))

    def ns(self, px: float) -> int:
        return int(self.start + (px - self.plot.left()) / max(1.0, self.plot.width()) * (self.end - self.start))

    def y(self, unit: str, v: np.ndarray | float) -> Any:
        lo, hi = self.ranges[unit]
        return self.plot.bottom() - (np.asarray(v, dtype=np.float64) - lo) * (self.plot.height() / (hi - lo))


def series_color(i: int) -> QColor:
    return QColor(PALETTE[i % len(PALETTE)])


def paint_trend(p: QPainter, rect: QRectF, data: TrendData | None, c: ChartColors,
                cursor_ns: int | None = None, message: str = "") -> Layout | None:
    """Draw the whole chart into `rect`; returns the layout (for mapping the mouse)."""
    p.fillRect(rect, QColor(c.background))
    text, grid = QColor(c.text), QColor(c.grid)
    fm = QFontMetrics(p.font())
    if data is None or data.empty:
        p.setPen(text)
        p.drawText(rect, Qt.AlignCenter | Qt.TextWordWrap, message or "Pick equipment and a parameter.")
        return None
    lay = Layout(rect, data, fm)
    plot = lay.plot
    p.setRenderHint(QPainter.Antialiasing, False)
    # grid and time axis
    p.setPen(QPen(grid, 1))
    ticks = time_ticks(lay.start, lay.end, max(2, int(plot.width() // 110)))
    for ns, _label in ticks:
        x = float(lay.x(ns))
        if plot.left() <= x <= plot.right():
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
    first = lay.units[0]
    for v in nice_ticks(*lay.ranges[first], n=max(2, int(plot.height() // 50))):
        y = float(lay.y(first, v))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
    p.setPen(QPen(text, 1))
    p.drawRect(plot)
    for ns, label in ticks:
        x = float(lay.x(ns))
        if plot.left() <= x <= plot.right():
            p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + 4))
            w = fm.horizontalAdvance(label)
            p.drawText(QPointF(min(max(x - w / 2, rect.left()), rect.right() - w), plot.bottom() + 6 + fm.ascent()),
                       label)
    # y axes: the first on the left, the others on the right
    for k, unit in enumerate(lay.units):
        x = plot.left() if k == 0 else plot.right() + AXIS_W * (k - 1)
        if k > 1:
            p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
        for v in nice_ticks(*lay.ranges[unit], n=max(2, int(plot.height() // 50))):
            y = float(lay.y(unit, v))
            label = fmt(v)
            if k == 0:
                p.drawLine(QPointF(x - 4, y), QPointF(x, y))
                p.drawText(QPointF(x - 6 - fm.horizontalAdvance(label), y + fm.ascent() / 2 - 1), label)
            else:
                p.drawLine(QPointF(x, y), QPointF(x + 4, y))
                p.drawText(QPointF(x + 6, y + fm.ascent() / 2 - 1), label)
        p.save()
        title = " / ".join(f"{LABELS[q]} ({unit})" for q in LABELS if UNITS[q] == unit
                           and any(s.parameter == q for s in data.series))
        tx = rect.left() + 4 + fm.ascent() if k == 0 else x + AXIS_W - 2
        p.translate(tx, plot.center().y() + fm.horizontalAdvance(title) / 2)
        p.rotate(-90)
        p.drawText(QPointF(0, 0), title)
        p.restore()
    # legend
    for pos, i, label in lay.legend:
        p.setPen(QPen(series_color(i), 2))
        mid = pos.y() + fm.height() / 2
        p.drawLine(QPointF(pos.x(), mid), QPointF(pos.x() + 18, mid))
        p.setPen(text)
        p.drawText(QPointF(pos.x() + 24, pos.y() + fm.ascent()), label)
    # bands, then lines, clipped to the plot
    p.save()
    p.setClipRect(plot)
    for i, s in enumerate(data.series):
        if len(s.band_x) > 1:
            color = series_color(i)
            color.setAlpha(50)
            xs = lay.x(s.band_x)
            poly = polygon(np.concatenate((xs, xs[::-1])),
                           np.concatenate((lay.y(s.unit, s.band_hi), lay.y(s.unit, s.band_lo)[::-1])))
            p.setPen(Qt.NoPen)
            p.setBrush(QBrush(color))
            p.drawPolygon(poly)
    p.setBrush(Qt.NoBrush)
    for i, s in enumerate(data.series):
        if not len(s.x):
            continue
        xs, ys = lay.x(s.x), lay.y(s.unit, s.y)
        draw_line(p, xs, ys, series_color(i), marks=len(xs) == 1 or s.points <= 60)
    p.restore()
    _paint_limits(p, lay, data, c, fm)
    if cursor_ns is not None and lay.start <= cursor_ns < lay.end:
        _paint_cursor(p, lay, data, cursor_ns, c, fm)
    return lay


def _paint_limits(p: QPainter, lay: Layout, data: TrendData, c: ChartColors, fm: QFontMetrics) -> None:
    """Dashed limit lines across the plot, each labelled at its right end on a backing box (the
    label stays readable over the lines, in both themes); labels that would overlap stack."""
    plot = lay.plot
    taken: list[QRectF] = []
    for line in data.limits:
        if line.unit not in lay.ranges:
            continue
        y = float(lay.y(line.unit, line.value))
        color = QColor(limit_color(line.level, c))
        lay.limit_marks.append((line, y, color.name()))
        p.setRenderHint(QPainter.Antialiasing, False)
        p.setPen(QPen(color, 1.5, Qt.DashLine))
        p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
        w, h = fm.horizontalAdvance(line.label) + 8, fm.height() + 2
        box = QRectF(plot.right() - w - 4, y - h - 1, w, h)
        if box.top() < plot.top():
            box.moveTop(y + 1)
        while any(box.intersects(r) for r in taken) and box.bottom() < plot.bottom():
            box.moveTop(max(r.bottom() for r in taken if box.intersects(r)) + 1)
        taken.append(box)
        back = QColor(c.background)
        back.setAlpha(215)
        p.setPen(Qt.NoPen)
        p.setBrush(back)
        p.drawRect(box)
        p.setBrush(Qt.NoBrush)
        p.setPen(color)
        p.drawText(box, Qt.AlignCenter, line.label)


DENSE = 600          # more points than this: a 1 px line (Qt's fast path), antialiased up to SHARP
SHARP = 1500
CHUNK = 64


def draw_line(p: QPainter, xs: np.ndarray, ys: np.ndarray, color: QColor, marks: bool = False) -> None:
    """One series as a polyline. A wide antialiased pen over thousands of min/max zigzags makes
    Qt's stroker take seconds (measured: 12 s for 3,000 points at 1.5 px), so a dense line is
    drawn 1 px wide and a sparse one 1.5 px in short pieces (joins never span the whole line)."""
    n = len(xs)
    if marks:
        p.setRenderHint(QPainter.Antialiasing, True)
        p.setPen(QPen(color, 1.5))
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            p.drawEllipse(QPointF(x, y), 2.5, 2.5)
    if n < 2:
        return
    if n > DENSE:
        p.setRenderHint(QPainter.Antialiasing, n <= SHARP)
        p.setPen(QPen(color, 1))
        p.drawPolyline(polygon(xs, ys))
        return
    p.setRenderHint(QPainter.Antialiasing, True)
    p.setPen(QPen(color, 1.5))
    for a in range(0, n - 1, CHUNK):
        p.drawPolyline(polygon(xs[a:a + CHUNK + 1], ys[a:a + CHUNK + 1]))


def cursor_lines(data: TrendData, ns: int) -> list[tuple[int, str]]:
    """The cursor's text: the time, then each line's nearest value (series index, text)."""
    out = [(-1, local(ns).strftime("%Y-%m-%d %H:%M:%S"))]
    for i, s in enumerate(data.series):
        hit = s.at(ns)
        if hit is None:
            continue
        t, v, n = hit
        extra = f"  (mean of {n:,} at {local(t).strftime('%m-%d %H:%M')})" if data.request.interval != "raw" else \
            f"  at {local(t).strftime('%H:%M:%S')}"
        out.append((i, f"{s.label}: {fmt(v)}{extra}"))
    return out


def _paint_cursor(p: QPainter, lay: Layout, data: TrendData, ns: int, c: ChartColors, fm: QFontMetrics) -> None:
    plot = lay.plot
    x = float(lay.x(ns))
    p.setRenderHint(QPainter.Antialiasing, True)
    p.setPen(QPen(QColor(c.text), 1, Qt.DashLine))
    p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()))
    lines = cursor_lines(data, ns)
    for i, s in enumerate(data.series):
        hit = s.at(ns)
        if hit is not None:
            p.setPen(QPen(series_color(i), 2))
            p.setBrush(QColor(c.background))
            p.drawEllipse(QPointF(float(lay.x(hit[0])), float(lay.y(s.unit, hit[1]))), 4, 4)
    w = max(fm.horizontalAdvance(t) for _i, t in lines) + 16
    h = len(lines) * fm.height() + 8
    left = x + 10 if x + 10 + w < plot.right() else max(plot.left() + 2, x - 10 - w)
    box = QRectF(left, plot.top() + 6, w, h)
    bg = QColor(c.background)
    bg.setAlpha(230)
    p.setPen(QPen(QColor(c.grid), 1))
    p.setBrush(bg)
    p.drawRect(box)
    for k, (i, t) in enumerate(lines):
        p.setPen(series_color(i) if i >= 0 else QColor(c.text))
        p.drawText(QPointF(box.left() + 8, box.top() + 4 + fm.ascent() + k * fm.height()), t)


class TrendPlot(QWidget):
    """Paints TrendData; the mouse moves a cursor (its text also goes out as `cursorMoved`)."""
    cursorMoved = pyqtSignal(str)
    painted = pyqtSignal(float)        # ms the last paint took
    resized = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.data: TrendData | None = None
        self.message = ""
        self.cursor_ns: int | None = None
        self.layout_: Layout | None = None
        self.colors = style_for("light")
        self.last_paint_ms = 0.0
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumHeight(220)
        self.setAttribute(Qt.WA_OpaquePaintEvent, True)

    def sizeHint(self) -> QSize:
        return QSize(900, 420)

    def set_data(self, data: TrendData | None, message: str = "") -> None:
        self.data, self.message = data, message
        if data is None or self.cursor_ns is None or not (data.start_ns <= self.cursor_ns < data.end_ns):
            self.cursor_ns = None
        self.update()

    def drawn_limits(self) -> list[tuple[str, float, str]]:
        """The limit lines of the last paint: (label, value, colour), top to bottom."""
        lay = self.layout_
        if lay is None:
            return []
        return [(line.label, line.value, color) for line, _y, color in sorted(lay.limit_marks, key=lambda m: m[1])]

    def plot_columns(self) -> int:
        """Pixel columns of the plot area (device pixels): the decimation target."""
        width = self.width() - AXIS_W * 3 - 12
        return int(max(200, width) * self.devicePixelRatioF())

    def paintEvent(self, _event: Any) -> None:
        t0 = time.perf_counter()
        p = QPainter(self)
        self.layout_ = paint_trend(p, QRectF(self.rect()), self.data, self.colors, self.cursor_ns, self.message)
        p.end()
        self.last_paint_ms = (time.perf_counter() - t0) * 1000
        self.painted.emit(self.last_paint_ms)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def set_cursor(self, ns: int | None) -> str:
        """Put the cursor at `ns` (None hides it); returns its text."""
        self.cursor_ns = ns
        self.update()
        text = "" if ns is None or self.data is None or self.data.empty else \
            "   ".join(t for _i, t in cursor_lines(self.data, ns))
        self.cursorMoved.emit(text)
        return text

    def mouseMoveEvent(self, event: Any) -> None:
        lay = self.layout_
        if lay is None or not lay.plot.contains(QPointF(event.pos())):
            if self.cursor_ns is not None:
                self.set_cursor(None)
            return
        self.set_cursor(lay.ns(event.pos().x()))

    def leaveEvent(self, event: Any) -> None:
        if self.cursor_ns is not None:
            self.set_cursor(None)
        super().leaveEvent(event)


def render_image(data: TrendData | None, width: int, height: int, scale: float = 2.0) -> QImage:
    """The chart as an image (PNG export), light colours on white."""
    image = QImage(int(width * scale), int(height * scale), QImage.Format_ARGB32)
    image.setDevicePixelRatio(scale)
    image.fill(QColor("#ffffff"))
    p = QPainter(image)
    p.setFont(QFont(p.font()))
    paint_trend(p, QRectF(0, 0, width, height), data, style_for("light"))
    p.end()
    return image


def write_svg(data: TrendData | None, path: str, width: int, height: int) -> None:
    from PyQt5.QtSvg import QSvgGenerator
    gen = QSvgGenerator()
    gen.setFileName(path)
    gen.setSize(QSize(width, height))
    gen.setViewBox(QRectF(0, 0, width, height))
    gen.setTitle("Trend")
    p = QPainter(gen)
    paint_trend(p, QRectF(0, 0, width, height), data, style_for("light"))
    p.end()


__all__ = ["LABELS", "TrendPlot", "paint_trend", "render_image", "time_ticks", "write_svg"]
