"""Charts rendered off the GUI thread: a worker draws on its own Agg figure and hands back the
pixels (plus where the scatter's points landed, for hover and click). The window only paints an
image, so no chart, theme switch or filter can freeze it. Qt-free."""
from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Iterator, Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from engine.progress import Progress

BASE_DPI = 100

_gc_lock = threading.Lock()
_gc_holders = 0
_gc_was_enabled = True


@contextmanager
def young_garbage() -> Iterator[None]:
    """Around drawing and dropping Matplotlib figures in a worker thread. A figure is a web of
    reference cycles (~4,000-11,000 objects) that only the cycle collector frees; left to the
    automatic collector, its objects are promoted to the oldest generation while it is drawn, and
    the full collection that frees them later holds the GIL 100-200 ms (measured at 1M rows: the
    window stalls). Here no automatic collection runs while figures are drawn, so they stay in the
    youngest generation, and collecting just that one on the way out costs ~5-15 ms per figure.
    Nests across threads: the last one out collects and restores the collector."""
    global _gc_holders, _gc_was_enabled
    with _gc_lock:
        if _gc_holders == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_holders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_holders -= 1
            if _gc_holders == 0:
                gc.collect(0)
                if _gc_was_enabled:
                    gc.enable()


def _figure(width: int, height: int, scale: float) -> Figure:
    fig = Figure(figsize=(max(width, 50) / BASE_DPI, max(height, 50) / BASE_DPI), dpi=BASE_DPI * scale)
    FigureCanvasAgg(fig)
    return fig


@dataclass
class PointIndex:
    """Points a chart drew, in image pixels (origin top-left), with what hover should say."""
    xy: np.ndarray                       # (n, 2) float pixels
    rows: np.ndarray                     # spreadsheet row numbers
    labels: Sequence[str] = field(default_factory=list)   # may be made on demand (figures.PointLabels)

    def nearest(self, x: float, y: float, radius: float = 6.0) -> int | None:
        """Index of the point closest to (x, y) within `radius` pixels, or None."""
        if not len(self.xy):
            return None
        d2 = (self.xy[:, 0] - x) ** 2 + (self.xy[:, 1] - y) ** 2
        i = int(np.argmin(d2))
        return i if d2[i] <= radius * radius else None


@dataclass
class Rendered:
    """One drawn chart: RGBA pixels, hover points, and how to draw it again (`figure_again()`)."""
    key: Hashable
    rgba: np.ndarray
    figure: Figure | None                # None once the worker is done: see figure_again()
    scale: float
    points: PointIndex | None = None
    note: str = ""
    axes_box: tuple[float, float, float, float] | None = None   # zoomable axes in image px (x0, y0, x1, y1)
    limits: tuple[float, float, float, float] | None = None     # its data limits (x0, x1, y0, y1)
    draw: Callable[[Figure], Any] | None = None
    size: tuple[int, int] = (800, 400)

    def figure_again(self) -> Figure:
        """The figure these pixels came from, drawn again on the calling thread (for tests and
        inspection; the worker keeps only pixels, so no figure outlives it as garbage)."""
        if self.figure is None:
            self.figure = _figure(*self.size, self.scale)
            if self.draw is not None:
                self.draw(self.figure)
        return self.figure

    def to_data(self, px: float, py: float) -> tuple[float, float] | None:
        """Image pixel (logical, top-left origin) to data coordinates of the zoomable axes."""
        if self.axes_box is None or self.limits is None:
            return None
        bx0, by0, bx1, by1 = self.axes_box
        x0, x1, y0, y1 = self.limits
        fx = (px - bx0) / max(1e-9, bx1 - bx0)
        fy = (by1 - py) / max(1e-9, by1 - by0)
        return x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)


def render(state: Progress | None, key: Hashable, draw: Callable[[Figure], Any], width: int, height: int,
           scale: float = 1.0, keep_figure: bool = False) -> Rendered:
    """Worker: draw with `draw(fig)` at `width`×`height` logical pixels (× `scale` for HiDPI).
    `draw` may return a HoverSpec-like object with `ax`, `x`, `y`, `rows`, `labels`. The figure
    is dropped (and its garbage collected young) unless `keep_figure`."""
    with young_garbage():
        item = _render(state, key, draw, width, height, scale)
        if not keep_figure:
            item.figure = None
    return item


def _render(state: Progress | None, key: Hashable, draw: Callable[[Figure], Any], width: int, height: int,
            scale: float) -> Rendered:
    fig = _figure(width, height, scale)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    hover = draw(fig)
    if state is not None:
        state.check()
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba()).copy()
    points = box = limits = None
    ax = getattr(hover, "ax", None)
    if ax is not None and len(hover.x):
        disp = ax.transData.transform(np.column_stack([hover.x, hover.y]))
        disp[:, 1] = rgba.shape[0] - disp[:, 1]
        points = PointIndex(disp / scale, np.asarray(hover.rows), hover.labels)
    if ax is not None and getattr(hover, "zoomable", False):
        bb = ax.get_window_extent()
        h = rgba.shape[0]
        box = (bb.x0 / scale, (h - bb.y1) / scale, bb.x1 / scale, (h - bb.y0) / scale)
        limits = (*ax.get_xlim(), *ax.get_ylim())
    return Rendered(key, rgba, fig, scale, points, getattr(hover, "note", "") if hover is not None else "",
                    box, limits, draw, (width, height))


class RenderCache:
    """The last few rendered charts by key (chart, parameter, theme, size, statistics version):
    switching back to a chart or theme shows it at once."""

    def __init__(self, size: int = 8):
        self.size = size
        self._items: OrderedDict[Hashable, Rendered] = OrderedDict()

    def get(self, key: Hashable) -> Rendered | None:
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, item: Rendered) -> None:
        self._items[item.key] = item
        self._items.move_to_end(item.key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def items(self) -> list[Rendered]:
        return list(self._items.values())

    def clear(self) -> None:
        self._items.clear()
