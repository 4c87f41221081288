"""The one progress/cancel protocol: every slow step (engine load, dataset service, exports, sync,
the packaged build's probe) takes a `Progress` and reports through it. The Qt worker implements it
with signals; scripts and tests use `ProgressState`. Nothing here knows about threads of any kind
beyond a `threading.Event`."""
from __future__ import annotations

import threading
from typing import Callable, Protocol


class Cancelled(Exception):
    """Raised by `Progress.check()` once cancel was requested; nothing was produced."""


class Progress(Protocol):
    """What a long task sees: report progress, ask whether to stop, stop by raising `Cancelled`."""

    def progress(self, fraction: float, message: str = "") -> None: ...

    def cancelled(self) -> bool: ...

    def check(self) -> None: ...


class ProgressState:
    """A thread-safe `Progress`: `on_progress` (if given) receives every report until cancelled."""

    def __init__(self, on_progress: Callable[[float, str], None] | None = None) -> None:
        self._on_progress = on_progress
        self._cancel = threading.Event()

    def progress(self, fraction: float, message: str = "") -> None:
        if self._on_progress is not None and not self._cancel.is_set():
            self._on_progress(float(fraction), message)

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def cancel(self) -> None:
        self._cancel.set()


class Scaled:
    """Maps a sub-task's 0..1 onto `start..end` of the parent's progress; cancel is the parent's."""

    def __init__(self, parent: Progress, start: float, end: float) -> None:
        self._parent, self._start, self._span = parent, start, end - start

    def progress(self, fraction: float, message: str = "") -> None:
        self._parent.progress(self._start + self._span * fraction, message)

    def cancelled(self) -> bool:
        return self._parent.cancelled()

    def check(self) -> None:
        self._parent.check()


def quiet() -> ProgressState:
    """A fresh state nobody watches and nobody cancels (CLI, server, tests)."""
    return ProgressState()
