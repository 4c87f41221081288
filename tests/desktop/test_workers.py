"""Workers: a task that finishes after the widget that started it was closed (its TaskRunner
deleted) must not raise in the event loop (seen in CI as 'wrapped C/C++ object of type
TaskRunner has been deleted' while a sync window was torn down)."""
from __future__ import annotations

import threading

from PyQt5 import sip
from PyQt5.QtCore import QObject

from chemviz_desktop.ui.workers import TaskRunner


def test_a_late_result_or_cancel_after_the_runner_is_gone_is_dropped_quietly(qtbot):
    release = threading.Event()

    def slow(state):
        release.wait(5)
        return 42

    owner = QObject()
    runner = TaskRunner(owner)
    seen: list[object] = []
    runner.result.connect(seen.append)
    task = runner.start(slow)
    sip.delete(owner)                 # the window closed: its runner goes with it
    assert sip.isdeleted(runner)
    release.set()                     # the worker now answers into a deleted runner
    qtbot.waitUntil(lambda: task not in TaskRunner._live, timeout=5000)
    qtbot.wait(50)                    # queued relays run: pytest-qt fails on any exception there
    assert seen == []
