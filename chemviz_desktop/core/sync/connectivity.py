"""Online/offline tracking with backoff between sync passes while the server is down, and the
status-bar wording. Pure: the Qt controller records each pass's outcome (`record`)."""
from __future__ import annotations

import time
from typing import Callable

SIGNED_OUT, OFFLINE, ONLINE, SYNCING = "signed-out", "offline", "online", "syncing"


class Connectivity:
    """Remembers whether the last probe worked and when the next one is due."""

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 interval: float = 30.0, base: float = 2.0, cap: float = 60.0):
        self.clock = clock
        self.interval = interval
        self.base = base
        self.cap = cap
        self.online: bool | None = None
        self.failures = 0
        self.next_at = 0.0

    def delay(self) -> float:
        """Seconds until the next probe: steady when up, doubling (capped) while down."""
        if self.failures == 0:
            return self.interval
        return min(self.cap, self.base * 2 ** (self.failures - 1))

    def due(self) -> bool:
        return self.clock() >= self.next_at

    def record(self, ok: bool) -> bool:
        self.online = ok
        self.failures = 0 if ok else self.failures + 1
        self.next_at = self.clock() + self.delay()
        return ok


def status_text(state: str, server_url: str = "", pending: int = 0) -> str:
    """The status-bar line: Offline / Online / Syncing (n pending) / Signed out, plus the URL."""
    where = f" — {server_url}" if server_url else ""
    if state == SIGNED_OUT:
        return f"Signed out{where}"
    if state == OFFLINE:
        extra = f" ({pending} pending)" if pending else ""
        return f"Offline{extra}{where}"
    if state == SYNCING:
        return f"Syncing ({pending} pending){where}"
    extra = f" ({pending} pending)" if pending else ""
    return f"Online{extra}{where}"
