"""Waiting for an upload the server queued (HTTP 202, issue 17): poll `analytics/csv/import/{id}/`
with growing pauses until it is completed or failed, for at most a time budget, and stop at once
when the user cancels (the engine's Progress protocol: `Cancelled`). Not finished within the
budget is `StillProcessing`: the caller keeps the import id and asks again on a later pass."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

from chemviz_desktop.core.errors import ExpectedError
from engine.progress import Progress

SLICE = 0.2      # seconds between two looks at the cancel flag while pausing


class ImportSource(Protocol):
    def import_job(self, import_id: int) -> dict: ...


@dataclass
class WaitPolicy:
    """Pauses first, first*factor, ... up to cap seconds; give up this pass after budget seconds."""
    first: float = 0.5
    factor: float = 2.0
    cap: float = 10.0
    budget: float = 60.0


class StillProcessing(ExpectedError):
    """The server has not finished the import within the budget; ask again later."""

    def __init__(self, import_id: int, status: str):
        super().__init__(f"the server is still processing it (import {import_id}: {status}); "
                         "the next sync asks again")
        self.import_id = import_id
        self.status = status


class ImportFailed(ExpectedError):
    """The server processed the upload and refused it; `error_log` is its reason."""

    def __init__(self, import_id: int, error_log: str):
        reason = error_log.strip() or "no reason given"
        super().__init__(f"the server could not import it (import {import_id}): {reason}")
        self.import_id = import_id
        self.error_log = error_log


def pauses(policy: WaitPolicy) -> Iterator[float]:
    """The pause before each next look: first, first*factor, ... capped."""
    delay = policy.first
    while True:
        yield delay
        delay = min(policy.cap, delay * policy.factor)


def wait_for_import(source: ImportSource, import_id: int, state: Progress, policy: WaitPolicy | None = None,
                    *, sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic) -> dict:
    """The finished import's status body (status completed, with dataset_id). Raises ImportFailed
    (status failed), StillProcessing (budget spent), Cancelled (state cancelled), and whatever the
    client raises for the network (Unreachable, ApiError: 404 when the server forgot the import)."""
    policy = policy or WaitPolicy()
    deadline = clock() + policy.budget
    for pause in pauses(policy):
        state.check()
        job = source.import_job(import_id)
        status = str(job.get("status") or "")
        if status == "completed":
            return job
        if status == "failed":
            raise ImportFailed(import_id, str(job.get("error_log") or ""))
        left = deadline - clock()
        if left <= 0:
            raise StillProcessing(import_id, status or "unknown")
        _nap(min(pause, left), state, sleep, clock)
    raise AssertionError("unreachable")   # pauses() never ends


def _nap(seconds: float, state: Progress, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
    """Pause, looking at the cancel flag every SLICE seconds."""
    end = clock() + seconds
    while True:
        state.check()
        left = end - clock()
        if left <= 0:
            return
        sleep(min(SLICE, left))
