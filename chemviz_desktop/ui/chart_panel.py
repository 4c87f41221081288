"""A chart as an image: a worker draws the Matplotlib figure with Agg (core.render) and this widget
only paints the pixels, so switching charts, themes or filters never stalls the window. Renders
are cached by key; a resize re-renders after a short pause (the old image is stretched meanwhile).
Hovering a scatter point names it; clicking one emits its spreadsheet row; dragging a box zooms
(the page redraws that window in the worker), double-click resets."""
from __future__ import annotations

from typing import Any, Callable, Hashable

from matplotlib.figure import Figure
from PyQt5.QtCore import QPoint, QRect, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QGuiApplication, QImage, QPainter, QPixmap
from PyQt5.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QRubberBand,
    QSizePolicy,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.render import RenderCache, Rendered, render
from chemviz_desktop.ui.workers import TaskRunner


class ChartImage(QWidget):
    """Paints the last rendered chart; hover/click map to the rendered scatter points."""
    resized = pyqtSignal()
    pointClicked = pyqtSignal(int)
    zoomRequested = pyqtSignal(float, float, float, float)   # x0, x1, y0, y1 in data units
    zoomReset = pyqtSignal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.image: QImage | None = None
        self.rendered: Rendered | None = None
        self.busy = False
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)
        self.setMinimumHeight(220)
        self.setAttribute(Qt.WA_OpaquePaintEvent, False)
        self._band: QRubberBand | None = None
        self._origin = QPoint()

    def show_rendered(self, item: Rendered) -> None:
        h, w = item.rgba.shape[:2]
        image = QImage(item.rgba.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()
        image.setDevicePixelRatio(item.scale)
        self.image, self.rendered = image, item
        self.update()

    def paintEvent(self, _event: Any) -> None:
        p = QPainter(self)
        if self.image is not None:
            p.fillRect(self.rect(), self.image.pixelColor(2, 2))
            size = self.image.size() / self.image.devicePixelRatio()
            if size == self.size():
                p.drawImage(QPoint(0, 0), self.image)
            else:  # stretched until the re-render at the new size arrives
                p.drawImage(QRect(QPoint(0, 0), self.size()), self.image)
        else:
            p.fillRect(self.rect(), self.palette().base())
        if self.busy:
            p.setPen(self.palette().text().color())
            p.drawText(self.rect().adjusted(8, 6, -8, -6), Qt.AlignTop | Qt.AlignRight, "Drawing…")
        p.end()

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.resized.emit()

    def _image_pos(self, pos: QPoint) -> tuple[float, float]:
        """Widget position -> logical pixel of the shown image (it may be stretched meanwhile)."""
        size = self.image.size() / self.image.devicePixelRatio()
        return pos.x() * size.width() / max(1, self.width()), pos.y() * size.height() / max(1, self.height())

    def _hit(self, pos: QPoint) -> int | None:
        item = self.rendered
        if item is None or item.points is None or self.image is None:
            return None
        return item.points.nearest(*self._image_pos(pos))

    def zoom_to(self, a: QPoint, b: QPoint) -> bool:
        """Ask for the data window between widget points a and b (a rubber band); False if the
        chart cannot zoom or the band is too small."""
        item = self.rendered
        if item is None or item.axes_box is None or self.image is None:
            return False
        if abs(a.x() - b.x()) < 8 or abs(a.y() - b.y()) < 8:
            return False
        p, q = item.to_data(*self._image_pos(a)), item.to_data(*self._image_pos(b))
        if p is None or q is None:
            return False
        self.zoomRequested.emit(min(p[0], q[0]), max(p[0], q[0]), min(p[1], q[1]), max(p[1], q[1]))
        return True

    def mouseMoveEvent(self, event: Any) -> None:
        if self._band is not None and self._band.isVisible():
            self._band.setGeometry(QRect(self._origin, event.pos()).normalized())
            return
        i = self._hit(event.pos())
        if i is None:
            QToolTip.hideText()
            self.unsetCursor()
        else:
            self.setCursor(Qt.PointingHandCursor)
            QToolTip.showText(event.globalPos(), self.rendered.points.labels[i] + "\nClick: show in Data", self)

    def mousePressEvent(self, event: Any) -> None:
        i = self._hit(event.pos()) if event.button() == Qt.LeftButton else None
        if i is not None:
            self.pointClicked.emit(int(self.rendered.points.rows[i]))
        elif event.button() == Qt.LeftButton and self.rendered is not None and self.rendered.axes_box is not None:
            self._origin = event.pos()   # drag a box to zoom
            if self._band is None:
                self._band = QRubberBand(QRubberBand.Rectangle, self)
            self._band.setGeometry(QRect(self._origin, self._origin))
            self._band.show()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: Any) -> None:
        if self._band is not None and self._band.isVisible():
            self._band.hide()
            self.zoom_to(self._origin, event.pos())
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: Any) -> None:
        if self.rendered is not None and self.rendered.axes_box is not None:
            self.zoomReset.emit()
        super().mouseDoubleClickEvent(event)


class ChartView(QWidget):
    """`request(key, draw)` shows the chart `key`, drawn by `draw(fig)` in a worker (or from the
    cache). `drawn(key)` fires once it is on screen; `figure` is the figure of the chart shown
    (drawn again on demand: the worker hands over pixels only)."""
    drawn = pyqtSignal(object)
    failed = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.cache = RenderCache()
        self.runner = TaskRunner(self)
        self.runner.result.connect(self._rendered)
        self.runner.error.connect(self._failed)
        self.view = ChartImage()
        self.pointClicked = self.view.pointClicked
        self.zoomRequested = self.view.zoomRequested
        self._request: tuple[Hashable, Callable[[Figure], Any]] | None = None
        self._pending = False
        self._resize_timer = QTimer(self, singleShot=True, interval=150)
        self._resize_timer.timeout.connect(self._refresh)
        # the worker starts once the window has handled what is queued (the page's first paint):
        # a render started at once competes with that paint for the GIL and stalls it
        self._start_timer = QTimer(self, singleShot=True, interval=0)
        self._start_timer.timeout.connect(self._start)
        self._starting: tuple[Hashable, Callable[[Figure], Any], int, int, float] | None = None
        self.view.resized.connect(self._resize_timer.start)

        self.note = QLabel("")
        self.note.setObjectName("Muted")
        self.toolbar = QWidget()
        bar = QHBoxLayout(self.toolbar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.copy_button = QToolButton(text="Copy image")
        self.copy_button.setToolTip("Copy the chart as an image (paste into Word, PowerPoint, Excel)")
        self.copy_button.clicked.connect(self.copy_image)
        self.save_button = QToolButton(text="Save image…")
        self.save_button.clicked.connect(self.save_image)
        self.reset_zoom_button = QToolButton(text="Reset zoom")
        self.reset_zoom_button.setToolTip("Back to all points (or double-click the chart)")
        self.reset_zoom_button.hide()
        self.zoomReset = self.view.zoomReset
        self.reset_zoom_button.clicked.connect(self.view.zoomReset)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.reset_zoom_button)
        bar.addWidget(self.copy_button)
        bar.addWidget(self.save_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.toolbar)
        lay.addWidget(self.view, 1)

    @property
    def figure(self) -> Figure:
        item = self.view.rendered
        return item.figure_again() if item is not None else Figure()

    def _size(self) -> tuple[int, int, float]:
        w, h = self.view.width(), self.view.height()
        if w < 100 or h < 100:
            w, h = max(w, 800), max(h, 400)
        return w, h, float(self.devicePixelRatioF())

    def request(self, key: Hashable, draw: Callable[[Figure], Any]) -> None:
        """Show chart `key`; draw it in a worker unless this size is cached."""
        self._request = (key, draw)
        self._refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._pending:
            self._refresh()

    def _refresh(self) -> None:
        if self._request is None:
            return
        self._pending = not self.isVisible()
        if self._pending:   # a hidden chart is drawn when it is shown
            return
        key, draw = self._request
        w, h, scale = self._size()
        full = (key, w, h, scale)
        hit = self.cache.get(full)
        if hit is not None:
            self._start_timer.stop()
            self.runner.cancel()
            self._show(hit)
            return
        current = self.runner.current
        if current is not None and current.args and current.args[0] == full:
            self._start_timer.stop()   # already being drawn (a resize to the same size, a second show)
            self._starting = None
            return
        self.view.busy = True
        self.view.update()
        self._starting = (full, draw, w, h, scale)
        self._start_timer.start()

    def _start(self) -> None:
        if self._starting is not None:
            full, draw, w, h, scale = self._starting
            self._starting = None
            self.runner.start(render, full, draw, w, h, scale)

    def _rendered(self, item: Rendered) -> None:
        for old in self.cache.items():
            old.figure = None   # a figure drawn again for a test: cached images keep only pixels
        self.cache.put(item)
        if self._request is not None and item.key[0] == self._request[0]:
            self._show(item)

    def _show(self, item: Rendered) -> None:
        self.view.busy = False
        self.view.show_rendered(item)
        self.note.setText(item.note)
        self.drawn.emit(item.key[0])

    def _failed(self, exc: BaseException) -> None:
        self.view.busy = False
        self.view.update()
        self.failed.emit(describe(exc, doing="drawing a chart"))

    def clear_cache(self) -> None:
        self.cache.clear()

    def copy_image(self) -> None:
        if self.view.image is not None:
            QGuiApplication.clipboard().setImage(self.view.image)

    def save_image(self) -> None:
        if self.view.image is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save chart image", "chart.png", "PNG images (*.png)")
        if path:
            QPixmap.fromImage(self.view.image).save(path if path.lower().endswith(".png") else path + ".png")
