"""At most N expensive requests (upload parsing, export building) at once per server process and
per user; the next one gets 429 with Retry-After instead of queueing memory behind the others.
Counts are per process: under gunicorn with W workers the server-wide figure is W x N."""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from rest_framework.exceptions import Throttled

from .memory import give_back

RETRY_AFTER_SECONDS = 5


class Slots:
    """A counting gate keyed by user, with a total cap."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._per_user: Counter = Counter()
        self._total = 0

    def acquire(self, user_key: object, per_user: int, total: int) -> bool:
        with self._lock:
            if self._total >= total or self._per_user[user_key] >= per_user:
                return False
            self._total += 1
            self._per_user[user_key] += 1
            return True

    def release(self, user_key: object) -> None:
        with self._lock:
            self._total -= 1
            self._per_user[user_key] -= 1
            if self._per_user[user_key] <= 0:
                del self._per_user[user_key]

    @property
    def busy(self) -> int:
        return self._total

    @contextmanager
    def hold(self, user_key: object, per_user: int, total: int, what: str) -> Iterator[None]:
        """Run the block holding a slot, or raise Throttled (429 + Retry-After)."""
        if not self.acquire(user_key, per_user, total):
            raise Throttled(wait=RETRY_AFTER_SECONDS,
                            detail=f"The server is busy with other {what}s (at most {per_user} per user and "
                                   f"{total} in all at once).")
        try:
            yield
        finally:
            self.release(user_key)
            if self.busy == 0:   # the last big parse is over: return its memory to the system
                give_back()


UPLOADS = Slots()
EXPORTS = Slots()
