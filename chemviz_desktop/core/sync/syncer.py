"""Push and pull over `Store` + `ApiClient`, with no Qt and no threads: the Qt controller, the
CLI and the tests all drive this same code. Idempotent by design: a dataset's uuid is its
`client_id` on the server, so re-sending after a timeout, a crash or a kill never duplicates."""
from __future__ import annotations

import random
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

import engine
from engine import Report
from engine.frames import clean_rows
from engine.progress import Progress, quiet

from chemviz_desktop.core.store import FAILED, LOCAL, PENDING, SERVER_ONLY, SYNCED, DatasetInfo, Store
from chemviz_desktop.core.sync.api_client import ApiClient, ApiError, AuthError, Unreachable

# Outbox backoff between sync passes (each request already retried by urllib3 inside the client).
OUTBOX_BACKOFF_BASE = 5.0
OUTBOX_BACKOFF_CAP = 600.0
PULL_LIMIT = 20      # newest server datasets listed in History beside the local ones
# Statuses meaning "the server as a whole is struggling": stop this pass, retry later.
_SERVER_BUSY = (429, 502, 503, 504)
# on_item(file_name, outcome, message) after each outbox item: pushed / failed / pending
ItemHook = Callable[[str, str, str], None]


def outbox_delay(attempts: int, base: float = OUTBOX_BACKOFF_BASE, cap: float = OUTBOX_BACKOFF_CAP) -> float:
    """Exponential backoff with jitter for the n-th failed attempt (1-based)."""
    return min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class SyncReport:
    """What one pass did, for the status bar, History and the CLI's output."""
    pushed: list[str] = field(default_factory=list)      # file names now on the server
    pulled: list[str] = field(default_factory=list)      # server datasets newly listed here
    failed: list[tuple[str, str]] = field(default_factory=list)    # (file name, server message)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # transient: retried later
    offline: bool = False
    auth_error: str = ""

    def merge(self, other: "SyncReport") -> "SyncReport":
        self.pushed += other.pushed
        self.pulled += other.pulled
        self.failed += other.failed
        self.deferred += other.deferred
        self.offline = self.offline or other.offline
        self.auth_error = self.auth_error or other.auth_error
        return self

    @property
    def ok(self) -> bool:
        return not (self.failed or self.deferred or self.offline or self.auth_error)


def failure_message(exc: ApiError) -> str:
    """The server's own words: its detail plus the first few validation issues."""
    msg = f"{exc.detail} (HTTP {exc.status})"
    texts = [i.get("message", "") if isinstance(i, dict) else str(i) for i in exc.issues[:3]]
    texts = [t for t in texts if t]
    if texts:
        msg += ": " + "; ".join(texts)
    return msg


def can_delete_on_server(info: DatasetInfo, role: str, username: str) -> bool:
    """Mirror of the server's rule: admins delete anything, engineers their own, viewers nothing."""
    if info.server_id is None:
        return False
    return role == "admin" or (role == "engineer" and info.server_owner == username)


def server_uuid(server_url: str, server_id: int) -> str:
    """A stable local uuid for a server dataset uploaded without a client_id (e.g. from the web)."""
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"{server_url.rstrip('/')}/datasets/{server_id}"))


class SyncEngine:
    """One sync session: a Store (this thread's), a signed-in ApiClient and the user's name."""

    def __init__(self, store: Store, client: ApiClient, username: str = "",
                 now: Callable[[], datetime] = _utcnow):
        self.store = store
        self.client = client
        self.username = username
        self.now = now
        self.pull_limit = PULL_LIMIT

    # -- push -------------------------------------------------------------------------------
    def due(self, force: bool = False) -> list[str]:
        """Outbox uuids whose backoff has expired (all of them with force)."""
        now = self.now().isoformat(timespec="seconds")
        return [r["dataset_uuid"] for r in self.store.outbox()
                if force or not r["next_attempt_at"] or r["next_attempt_at"] <= now]

    def push(self, force: bool = False, state: Progress | None = None,
             on_item: ItemHook | None = None) -> SyncReport:
        """Upload due outbox items oldest first; `on_item(file_name, outcome, message)` after
        each (outcome: pushed / failed / pending). Stops early once `state` is cancelled.
        Raises AuthError (sign in again)."""
        rep = SyncReport()
        note = on_item or (lambda name, outcome, message: None)
        watch = state or quiet()
        for uid in self.due(force):
            if watch.cancelled():
                break
            info = self.store.by_uuid(uid)
            if info is None or info.sync_state != PENDING:
                continue
            try:
                self._upload(info)
                rep.pushed.append(info.file_name)
                note(info.file_name, "pushed", "")
            except AuthError:
                raise
            except ApiError as exc:
                msg = failure_message(exc)
                if exc.permanent:
                    self.store.set_sync_state(uid, FAILED, error=msg)
                    rep.failed.append((info.file_name, msg))
                    note(info.file_name, "failed", msg)
                else:
                    self._defer(uid, msg, rep, info.file_name)
                    note(info.file_name, "pending", msg)
                    if exc.status in _SERVER_BUSY:
                        break
            except Unreachable as exc:
                self._defer(uid, str(exc), rep, info.file_name)
                note(info.file_name, "pending", str(exc))
                rep.offline = True
                break
        return rep

    def _upload(self, info: DatasetInfo) -> None:
        data = self.store.csv_bytes(info.id) or self._csv_from_rows(info.id)
        status, body = self.client.upload(info.file_name, data, info.uuid)
        sid = body.get("id", body.get("dataset_id"))
        owner = (body.get("uploaded_by") or {}).get("username") or self.username
        self.store.set_sync_state(info.uuid, SYNCED, server_id=int(sid) if sid is not None else None,
                                  server_owner=owner)

    def _csv_from_rows(self, dataset_id: int) -> bytes:
        """No original bytes kept (older imports): send the accepted rows the store has."""
        ds = self.store.open(dataset_id)
        frame = ds.frame
        if frame is None:
            raise ApiError(400, "no rows stored for this dataset")
        return clean_rows(frame).to_csv(index=False).encode("utf-8")

    def _defer(self, uid: str, error: str, rep: SyncReport, name: str) -> None:
        row = next((r for r in self.store.outbox() if r["dataset_uuid"] == uid), None)
        attempts = (row["attempts"] if row else 0) + 1
        when = self.now() + timedelta(seconds=outbox_delay(attempts))
        self.store.record_attempt(uid, error, when.isoformat(timespec="seconds"))
        rep.deferred.append((name, error))

    # -- pull -------------------------------------------------------------------------------
    def pull(self) -> SyncReport:
        """List the server's datasets: record new ones as server-only, confirm ours as synced.
        An upload whose answer was lost (timeout, crash) shows up here and leaves the outbox."""
        rep = SyncReport()
        try:
            remote = self.client.datasets(limit=self.pull_limit)
        except Unreachable:
            rep.offline = True
            return rep
        local = self.store.list()
        by_uuid = {i.uuid: i for i in local}
        by_sid = {i.server_id: i for i in local if i.server_id is not None}
        for d in remote:
            sid = int(d["id"])
            owner = (d.get("uploaded_by") or {}).get("username", "")
            cid = d.get("client_id") or server_uuid(self.client.server_url, sid)
            mine = by_uuid.get(cid) or by_sid.get(sid)
            if mine is not None:
                if mine.sync_state in (PENDING, LOCAL) or mine.server_id is None:
                    self.store.set_sync_state(mine.uuid, SYNCED if mine.has_rows else SERVER_ONLY,
                                              server_id=sid, server_owner=owner)
                continue
            rows = int(d.get("row_count") or 0)
            self.store.add_server_only(
                uuid=cid, file_name=d.get("file_name") or f"dataset-{sid}.csv",
                imported_at=d.get("uploaded_at") or self.now().isoformat(timespec="seconds"),
                rows_total=int(d.get("rows_total", rows) or rows), rows_accepted=rows,
                server_id=sid, server_owner=owner)
            rep.pulled.append(d.get("file_name") or str(sid))
        return rep

    def sync(self, force: bool = False, state: Progress | None = None,
             on_item: ItemHook | None = None) -> SyncReport:
        """Push then pull: the one sync sequence (background pass, CLI, tests). Pull is skipped
        when the push found the server unreachable or the pass was cancelled. AuthError
        propagates: the caller signs the user out."""
        watch = state or quiet()
        rep = self.push(force=force, state=watch, on_item=on_item)
        if not rep.offline and not watch.cancelled():
            rep.merge(self.pull())
        return rep

    # -- open / delete ----------------------------------------------------------------------
    def fetch_rows(self, dataset_id: int) -> None:
        """Bring a server-only dataset's detail and rows (export CSV) into the store."""
        info = self.store.info(dataset_id)
        if info is None or info.has_rows or info.server_id is None:
            return
        detail = self.client.dataset(info.server_id)
        res = engine.load(self.client.export(info.server_id), file_name=info.file_name)
        if not res.accepted or res.frame is None:
            raise ApiError(422, f"the server's rows for {info.file_name} could not be read: "
                                f"{res.report.summary()}")
        report = detail.get("report")
        try:
            Report.from_dict(report)
        except Exception:
            report = None
        self.store.attach_rows(dataset_id, res.frame, report=report,
                               statistics=detail.get("statistics") or res.statistics)

    def delete(self, dataset_id: int, on_server: bool = False) -> None:
        """Delete here, and first on the server when asked (a server refusal keeps both)."""
        info = self.store.info(dataset_id)
        if info is None:
            return
        if on_server and info.server_id is not None:
            self.client.delete(info.server_id)
        self.store.delete(dataset_id)


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
