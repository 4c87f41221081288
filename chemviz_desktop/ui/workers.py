"""One worker pattern for every slow step (Orange-style): a plain function `fn(state, *args)` runs on
the global QThreadPool; `state` is the engine's `Progress` protocol (progress, cancelled, check).
The widget only sees Qt signals, delivered on the GUI thread, so the window never freezes and the
function stays testable without Qt. A failure travels as the exception itself (`TaskError`), never
as a bare string: the receiver decides what the user reads (see `errors.describe`)."""
from __future__ import annotations

from typing import Any, Callable

from PyQt5 import sip
from PyQt5.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

from engine.progress import Cancelled, ProgressState


class TaskSignals(QObject):
    progress = pyqtSignal(float, str)
    result = pyqtSignal(object)
    error = pyqtSignal(object)      # the exception raised by the task
    cancelled = pyqtSignal()
    finished = pyqtSignal()


class Task(QRunnable):
    """A QRunnable around `fn(state, *args)`; exactly one of result/error/cancelled, then finished."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the Python side owns it; Qt must not delete it under us
        self.fn, self.args = fn, args
        self.signals = TaskSignals()
        self.state = ProgressState(self.signals.progress.emit)

    def cancel(self) -> None:
        self.state.cancel()

    def run(self) -> None:  # worker thread
        try:
            value = self.fn(self.state, *self.args)
        except Cancelled:
            self.signals.cancelled.emit()
        except Exception as exc:  # noqa: BLE001 -- handed on whole; `errors.describe` logs the unexpected
            self.signals.error.emit(exc)
        else:
            if self.state.cancelled():
                self.signals.cancelled.emit()
            else:
                self.signals.result.emit(value)
        self.signals.finished.emit()


class TaskRunner(QObject):
    """At most one live task per owner: starting a new one cancels the previous one, whose late
    signals are then ignored. `cancel()` on close."""

    progress = pyqtSignal(float, str)
    result = pyqtSignal(object)
    error = pyqtSignal(object)      # the exception; `errors.describe(exc)` gives the user's words
    cancelled = pyqtSignal()
    finished = pyqtSignal()

    _live: set[Task] = set()  # keep Python references until each task has finished

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.current: Task | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self, fn: Callable[..., Any], *args: Any) -> Task:
        self.cancel()
        task = Task(fn, *args)
        s = task.signals
        # by name: a runner whose widget was closed is gone by the time a late signal arrives
        s.progress.connect(lambda f, m, t=task: self._relay(t, "progress", f, m))
        s.result.connect(lambda v, t=task: self._relay(t, "result", v))
        s.error.connect(lambda e, t=task: self._relay(t, "error", e))
        s.cancelled.connect(lambda t=task: self._relay(t, "cancelled"))
        s.finished.connect(lambda t=task: self._done(t))
        self.current = task
        TaskRunner._live.add(task)
        QThreadPool.globalInstance().start(task)
        return task

    def cancel(self) -> None:
        if self.current is not None:
            self.current.cancel()
            self.current = None
            self.cancelled.emit()
            self.finished.emit()

    def _relay(self, task: Task, name: str, *args: Any) -> None:
        if task is self.current and not sip.isdeleted(self):
            getattr(self, name).emit(*args)

    def _done(self, task: Task) -> None:
        TaskRunner._live.discard(task)
        if task is self.current and not sip.isdeleted(self):
            self.current = None
            self.finished.emit()


def wait_all(timeout_ms: int = 5000) -> bool:
    """Let running tasks end (on quit), so no thread outlives the QApplication."""
    for task in list(TaskRunner._live):
        task.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
