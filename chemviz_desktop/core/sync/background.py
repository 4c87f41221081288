"""One background sync pass (what the window's worker runs each tick), small enough to hand its
result across threads."""
from __future__ import annotations

from dataclasses import dataclass

from chemviz_desktop.core.store import Store
from chemviz_desktop.core.sync.api_client import ApiClient, AuthError
from chemviz_desktop.core.sync.syncer import SyncEngine, SyncReport
from engine.progress import Progress, quiet


@dataclass
class PassResult:
    """The outcome of one background pass, small enough to hand across threads."""
    online: bool
    pending: int = 0
    report: SyncReport | None = None
    auth_error: str = ""


def sync_pass(store: Store, client: ApiClient, username: str, *, force: bool = False,
              state: Progress | None = None) -> PassResult:
    """What the background worker does each tick: probe health/, queue what was imported while
    signed out, push, pull. Never raises for network trouble; a 401 comes back as auth_error."""
    if not client.health():
        return PassResult(online=False, pending=store.pending_count())
    watch = state or quiet()
    store.enqueue_all_local()
    watch.progress(float(store.pending_count()), "pending")   # the fraction carries the count here
    sync = SyncEngine(store, client, username)
    try:
        rep = sync.sync(force=force, state=watch,
                        on_item=lambda *_: watch.progress(float(store.pending_count()), "pending"))
    except AuthError as exc:
        return PassResult(online=True, pending=store.pending_count(), auth_error=exc.detail)
    return PassResult(online=not rep.offline, pending=store.pending_count(), report=rep)
