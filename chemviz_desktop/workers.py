"""One worker pattern for every slow step (Orange-style): a plain function `fn(state, *args)` runs on
the global QThreadPool; it reports progress with `state.progress(fraction, message)` and checks
`state.cancelled()`. The widget only sees Qt signals, delivered on the GUI thread, so the window
never freezes and the function stays testable without Qt."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from PyQt5.QtCore import QObject, QRunnable, QThreadPool, pyqtSignal

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """Raised inside a task by `state.check()` once cancel was requested."""


class TaskState:
    """What a task function sees: progress reporting and the cancel flag (thread-safe)."""

    def __init__(self, signals: "TaskSignals"):
        self._signals = signals
        self._cancel = threading.Event()

    def progress(self, fraction: float, message: str = "") -> None:
        if not self._cancel.is_set():
            self._signals.progress.emit(float(fraction), message)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def cancel(self) -> None:
        self._cancel.set()


class TaskSignals(QObject):
    progress = pyqtSignal(float, str)
    result = pyqtSignal(object)
    error = pyqtSignal(str)
    cancelled = pyqtSignal()
    finished = pyqtSignal()


class Task(QRunnable):
    """A QRunnable around `fn(state, *args)`; exactly one of result/error/cancelled, then finished."""

    def __init__(self, fn: Callable[..., Any], *args: Any, cancel_types: tuple[type, ...] = ()):
        super().__init__()
        self.setAutoDelete(False)  # the Python side owns it; Qt must not delete it under us
        self.fn, self.args = fn, args
        self.signals = TaskSignals()
        self.state = TaskState(self.signals)
        self._cancel_types = (Cancelled,) + tuple(cancel_types)

    def cancel(self) -> None:
        self.state.cancel()

    def run(self) -> None:  # worker thread
        try:
            value = self.fn(self.state, *self.args)
        except self._cancel_types:
            self.signals.cancelled.emit()
        except Exception as exc:  # reported as one line; the trace goes to the debug log only
            log.debug("task %s failed", getattr(self.fn, "__name__", self.fn), exc_info=True)
            self.signals.error.emit(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))
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
    error = pyqtSignal(str)
    cancelled = pyqtSignal()
    finished = pyqtSignal()

    _live: set[Task] = set()  # keep Python references until each task has finished

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.current: Task | None = None

    @property
    def busy(self) -> bool:
        return self.current is not None

    def start(self, fn: Callable[..., Any], *args: Any, cancel_types: tuple[type, ...] = ()) -> Task:
        self.cancel()
        task = Task(fn, *args, cancel_types=cancel_types)
        s = task.signals
        s.progress.connect(lambda f, m, t=task: self._relay(t, self.progress, f, m))
        s.result.connect(lambda v, t=task: self._relay(t, self.result, v))
        s.error.connect(lambda e, t=task: self._relay(t, self.error, e))
        s.cancelled.connect(lambda t=task: self._relay(t, self.cancelled))
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

    def _relay(self, task: Task, signal: Any, *args: Any) -> None:
        if task is self.current:
            signal.emit(*args)

    def _done(self, task: Task) -> None:
        TaskRunner._live.discard(task)
        if task is self.current:
            self.current = None
            self.finished.emit()


def wait_all(timeout_ms: int = 5000) -> bool:
    """Let running tasks end (on quit), so no thread outlives the QApplication."""
    for task in list(TaskRunner._live):
        task.cancel()
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
