"""Push and pull over `Store` + `ApiClient`, with no Qt and no threads: the Qt controller, the
CLI and the tests all drive this same code. Idempotent by design: a dataset's uuid is its
`client_id` on the server, so re-sending after a timeout, a crash or a kill never duplicates.

A server dataset is identified by its client_id (plus owner), never by a bare server id: ids are
reused after a server database is wiped or restored. Every download or delete first re-finds the
dataset by that identity; a pull notices datasets that vanished from the server.

A server with a task queue answers a large upload with 202 and an import id: the item stays in the
outbox with that id (store table outbox_imports) while the import is polled; completed, it is
synced like a 200; failed, it is failed with the server's reason. A pass that stops waiting (time
budget, cancel, kill -9) leaves the id, and the next pass polls it instead of sending the file
again (the server would also answer a re-send of the client_id with the same import)."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import engine
from chemviz_desktop.core.errors import ExpectedError
from chemviz_desktop.core.store import (
    FAILED,
    LOCAL,
    PENDING,
    REMOVED,
    SERVER_ONLY,
    SYNCED,
    DatasetInfo,
    Store,
    pending_imports,
)
from chemviz_desktop.core.sync.api_client import ApiClient, ApiError, AuthError, Unreachable
from chemviz_desktop.core.sync.import_wait import ImportFailed, StillProcessing, WaitPolicy, wait_for_import
from chemviz_desktop.core.sync.server_datasets import identity, owner_of, row_counts, server_uuid
from engine import Report
from engine.frames import clean_rows
from engine.progress import Cancelled, Progress, quiet

# Outbox backoff between sync passes (each request already retried by urllib3 inside the client).
OUTBOX_BACKOFF_BASE = 5.0
OUTBOX_BACKOFF_CAP = 600.0
PULL_LIMIT = 20      # newest server datasets listed in History beside the local ones
LOOKUP_BATCH = 50    # client ids per "are these still on the server?" request
REMOVED_NOTE = "local only — removed from the server"
IMPORT_RECHECK = 15.0  # seconds before a later pass asks again about an import still processing
# Statuses meaning "the server as a whole is struggling": stop this pass, retry later.
_SERVER_BUSY = (429, 502, 503, 504)
# on_item(file_name, outcome, message) after each outbox item: pushed / failed / pending
ItemHook = Callable[[str, str, str], None]


def outbox_delay(attempts: int, base: float = OUTBOX_BACKOFF_BASE, cap: float = OUTBOX_BACKOFF_CAP) -> float:
    """Exponential backoff with jitter for the n-th failed attempt (1-based)."""
    return min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.5, 1.0)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _parse_time(text: str) -> datetime | None:
    """An ISO time from the outbox (naive = UTC); None when empty or unreadable."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass
class SyncReport:
    """What one pass did, for the status bar, History and the CLI's output."""
    pushed: list[str] = field(default_factory=list)      # file names now on the server
    pulled: list[str] = field(default_factory=list)      # server datasets newly listed here
    vanished: list[str] = field(default_factory=list)    # were on the server, are not any more
    recognised: list[str] = field(default_factory=list)  # same file already there: not sent again
    failed: list[tuple[str, str]] = field(default_factory=list)    # (file name, server message)
    deferred: list[tuple[str, str]] = field(default_factory=list)  # transient: retried later
    offline: bool = False
    auth_error: str = ""
    shared: Any = None      # SharedReport of the shared records (#19), when that part ran

    def merge(self, other: "SyncReport") -> "SyncReport":
        self.pushed += other.pushed
        self.pulled += other.pulled
        self.vanished += other.vanished
        self.recognised += other.recognised
        self.failed += other.failed
        self.deferred += other.deferred
        self.offline = self.offline or other.offline
        self.auth_error = self.auth_error or other.auth_error
        self.shared = other.shared or self.shared
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


class NotOnServer(ExpectedError):
    """The dataset this copy names is no longer on the server (deleted, or the server was reset)."""


class SyncEngine:
    """One sync session: a Store (this thread's), a signed-in ApiClient and the user's name."""

    def __init__(self, store: Store, client: ApiClient, username: str = "",
                 now: Callable[[], datetime] = _utcnow, *, wait: WaitPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.client = client
        self.username = username
        self.now = now
        self.pull_limit = PULL_LIMIT
        self.wait = wait or WaitPolicy()     # how long one pass waits for a queued upload
        self.sleep, self.clock = sleep, clock

    # -- push -------------------------------------------------------------------------------
    def due(self, force: bool = False) -> list[str]:
        """Outbox uuids whose backoff has expired (all of them with force). A retry time further
        ahead than the longest backoff was stamped by a clock that has since been corrected:
        it is due now rather than stalling the upload until the wrong date."""
        now = self.now()
        latest = now + timedelta(seconds=OUTBOX_BACKOFF_CAP)
        out = []
        for r in self.store.outbox():
            when = _parse_time(r["next_attempt_at"])
            if force or when is None or when <= now or when > latest:
                out.append(r["dataset_uuid"])
        return out

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
                if self._upload(info, rep, watch):
                    rep.pushed.append(info.file_name)
                    note(info.file_name, "pushed", "")
            except Cancelled:
                break      # a queued upload keeps its import id: the next pass polls it
            except ImportFailed as exc:
                self.store.set_sync_state(uid, FAILED, error=str(exc))
                rep.failed.append((info.file_name, str(exc)))
                note(info.file_name, "failed", str(exc))
            except StillProcessing as exc:
                self._recheck(uid, str(exc), rep, info.file_name)
                note(info.file_name, "pending", str(exc))
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

    def _upload(self, info: DatasetInfo, rep: SyncReport, watch: Progress) -> bool:
        """Send one outbox item (or follow the import the server queued for it); True when it is
        on the server now. Raises ImportFailed, StillProcessing, Cancelled while following."""
        waiting = pending_imports.recall(self.store.db, info.uuid, self.client.server_url)
        if waiting is not None:
            return self._follow(info, waiting, rep, watch, resend=True)
        if self._recognise(info):
            rep.recognised.append(info.file_name)
            return True
        data = self.store.csv_bytes(info.id) or self._csv_from_rows(info.id)
        status, body = (self.client.upload(info.file_name, data, info.uuid, info.taken_at) if info.taken_at
                        else self.client.upload(info.file_name, data, info.uuid))
        if status == 202:
            import_id = int(body["import_id"])
            with self.store.transaction() as db:
                pending_imports.remember(db, info.uuid, self.client.server_url, import_id,
                                         self.now().isoformat(timespec="seconds"))
            return self._follow(info, import_id, rep, watch, resend=False)
        sid = body.get("id", body.get("dataset_id"))
        owner = (body.get("uploaded_by") or {}).get("username") or self.username
        self.store.set_sync_state(info.uuid, SYNCED, server_id=int(sid) if sid is not None else None,
                                  server_owner=owner)
        return True

    def _follow(self, info: DatasetInfo, import_id: int, rep: SyncReport, watch: Progress, *,
                resend: bool) -> bool:
        """Poll a queued upload to its end. Completed: synced with the dataset it made (found by
        identity, as any server dataset). An import the server no longer knows (404, its database
        reset) that an earlier pass remembered: the file is sent again."""
        try:
            job = wait_for_import(self.client, import_id, watch, self.wait, sleep=self.sleep, clock=self.clock)
        except ApiError as exc:
            if exc.status != 404 or not resend:
                raise
            with self.store.transaction() as db:
                pending_imports.forget(db, info.uuid)
            return self._upload(info, rep, watch)
        d = self._imported(info, job)
        if d is None:      # completed, then deleted on the server before we looked
            self.store.mark_removed(info.uuid, REMOVED_NOTE)
            rep.vanished.append(info.display_name)
            return False
        self.store.set_sync_state(info.uuid, SYNCED, server_id=int(d["id"]), server_owner=owner_of(d))
        return True

    def _imported(self, info: DatasetInfo, job: dict) -> dict | None:
        """The server dataset a completed import made: its dataset_id when that still carries our
        client_id, else looked up by client_id and owner."""
        sid = job.get("dataset_id")
        if sid is not None:
            try:
                d = self.client.dataset(int(sid))
            except ApiError as exc:
                if exc.status != 404:
                    raise
            else:
                if str(d.get("client_id")) == info.uuid:
                    return d
        return next((x for x in self.client.datasets(limit=100, client_ids=[info.uuid])
                     if str(x.get("client_id")) == info.uuid
                     and (not self.username or owner_of(x) == self.username)), None)

    def _recheck(self, uid: str, message: str, rep: SyncReport, name: str) -> None:
        """Still processing on the server: ask again soon (not a failure, no growing backoff)."""
        when = self.now() + timedelta(seconds=IMPORT_RECHECK * random.uniform(0.5, 1.0))
        self.store.record_attempt(uid, message, when.isoformat(timespec="seconds"))
        rep.deferred.append((name, message))

    def _recognise(self, info: DatasetInfo) -> bool:
        """The same user already uploaded these exact bytes (from another machine): take that
        server dataset's identity instead of sending a second copy."""
        if not info.content_sha256:
            return False
        try:
            found = self.client.datasets(limit=5, content_sha256=info.content_sha256, mine=True)
        except ApiError as exc:
            if exc.status in (400, 404):   # a server without content identity
                return False
            raise
        for d in found:
            if (d.get("content_sha256") == info.content_sha256 and owner_of(d) == self.username
                    and d.get("client_id") and str(d["client_id"]) != info.uuid):
                self.store.adopt_identity(info.uuid, str(d["client_id"]), int(d["id"]), owner_of(d))
                return True
        return False

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
        """List the server's datasets: record new ones as server-only, confirm ours as synced, and
        notice the ones that vanished from the server. Matching is by identity (client_id), never
        by a bare server id. An upload whose answer was lost shows up here and leaves the outbox."""
        rep = SyncReport()
        try:
            remote = self.client.datasets(limit=self.pull_limit)
            local = {i.uuid: i for i in self.store.list()}
            seen: set[str] = set()
            for d in remote:
                sid, owner = int(d["id"]), owner_of(d)
                uid = identity(self.client.server_url, d)
                seen.add(uid)
                mine = local.get(uid)
                if mine is not None:
                    self._confirm(mine, sid, owner)
                    continue
                total, accepted, excluded = row_counts(d)
                added = self.store.add_server_only(
                    uuid=uid, file_name=d.get("file_name") or f"dataset-{sid}.csv",
                    imported_at=d.get("uploaded_at") or self.now().isoformat(timespec="seconds"),
                    rows_total=total, rows_accepted=accepted, rows_excluded=excluded,
                    content_sha256=str(d.get("content_sha256") or ""), server_id=sid, server_owner=owner)
                if added:      # 0: deleted here, its delete on the server still queued
                    rep.pulled.append(d.get("file_name") or str(sid))
            self._check_vanished([i for u, i in local.items() if u not in seen], rep)
        except Unreachable:
            rep.offline = True
        return rep

    def _confirm(self, mine: DatasetInfo, sid: int, owner: str) -> None:
        """Ours is on the server: mark it synced; follow a changed server id (restored server)."""
        if (mine.sync_state in (PENDING, LOCAL, REMOVED) or mine.server_id != sid
                or mine.server_owner != owner):
            self.store.set_sync_state(mine.uuid, SYNCED if mine.has_rows else SERVER_ONLY,
                                      server_id=sid, server_owner=owner)

    def _check_vanished(self, unseen: list[DatasetInfo], rep: SyncReport) -> None:
        """Datasets this store believes are on the server but the listing did not show: ask for
        them by identity. Gone ones with rows become 'removed' (the copy here is the only one,
        never trimmed); placeholders without rows are dropped."""
        claims = [i for i in unseen if i.sync_state in (SYNCED, SERVER_ONLY)]
        if not claims:
            return
        found: dict[str, dict] = {}
        for start in range(0, len(claims), LOOKUP_BATCH):
            batch = claims[start:start + LOOKUP_BATCH]
            asked = {i.uuid for i in batch}
            answer = self.client.datasets(limit=100, client_ids=sorted(asked))
            if any(str(item.get("client_id")) not in asked for item in answer):
                return   # a server that ignores the filter: absence would prove nothing
            for item in answer:
                found[identity(self.client.server_url, item)] = item
        for info in claims:
            d: dict | None = found.get(info.uuid)
            if d is None and info.server_id is not None and self._derived(info):
                d = self._detail_if_same(info)
            if d is not None and (not info.server_owner or owner_of(d) == info.server_owner):
                self._confirm(info, int(d["id"]), owner_of(d))
                continue
            if info.has_rows:
                self.store.mark_removed(info.uuid, REMOVED_NOTE)
            else:
                self.store.delete(info.id)
            rep.vanished.append(info.display_name)

    def _derived(self, info: DatasetInfo) -> bool:
        """True when the uuid was derived from the server's id (uploaded without a client_id)."""
        return info.uuid == server_uuid(self.client.server_url, int(info.server_id or 0),
                                        info.server_owner, info.imported_at)

    def _detail_if_same(self, info: DatasetInfo) -> dict | None:
        try:
            d = self.client.dataset(int(info.server_id or 0))
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise
        return d if identity(self.client.server_url, d) == info.uuid else None

    def locate(self, info: DatasetInfo) -> int:
        """The server id of THIS dataset now, found by identity and owner; NotOnServer if gone."""
        if self._derived(info):
            d = self._detail_if_same(info)
        else:
            d = next((x for x in self.client.datasets(limit=100, client_ids=[info.uuid])
                      if str(x.get("client_id")) == info.uuid
                      and (not info.server_owner or owner_of(x) == info.server_owner)), None)
        if d is None:
            raise NotOnServer(f"'{info.display_name}' is no longer on the server (deleted there, or the "
                              "server was reset).")
        return int(d["id"])

    def sync(self, force: bool = False, state: Progress | None = None,
             on_item: ItemHook | None = None) -> SyncReport:
        """Push then pull: the one sync sequence (background pass, CLI, tests). Pull is skipped
        when the push found the server unreachable or the pass was cancelled. AuthError
        propagates: the caller signs the user out."""
        watch = state or quiet()
        rep = self.push(force=force, state=watch, on_item=on_item)
        if not rep.offline and not watch.cancelled():
            rep.merge(self.pull())
        if not rep.offline and not watch.cancelled():
            self._shared(rep)
        return rep

    def _shared(self, rep: SyncReport) -> None:
        """Equipment edits, limits and acknowledgements both ways (docs/sync_shared_records.md).
        A server without the sync endpoints (older release) is skipped; unreachable is offline."""
        from chemviz_desktop.core.store import settings as store_settings

        from .shared_sync import LAST_SYNC_SETTING, SharedSync
        try:
            rep.shared = SharedSync(self.store, self.client).run()
            with self.store.transaction() as db:   # "synced 10:42" in the window, after a CLI sync too
                store_settings.put(db, LAST_SYNC_SETTING, self.now().isoformat(timespec="seconds"))
        except Unreachable:
            rep.offline = True
        except ApiError as exc:
            if exc.status not in (404, 405):
                raise

    # -- open / delete ----------------------------------------------------------------------
    def fetch_rows(self, dataset_id: int) -> None:
        """Bring a server-only dataset's detail and rows (export CSV) into the store, after
        re-finding it by identity (a reused server id must never bring another user's rows).
        Gone from the server: the placeholder is dropped and NotOnServer says so."""
        info = self.store.info(dataset_id)
        if info is None or info.has_rows or info.server_id is None:
            return
        try:
            sid = self.locate(info)
        except NotOnServer:
            self.store.delete(dataset_id)
            raise
        detail = self.client.dataset(sid)
        if identity(self.client.server_url, detail) != info.uuid:
            raise NotOnServer(f"'{info.display_name}' changed on the server while downloading; try again.")
        res = engine.load(self.client.export(sid), file_name=info.file_name)
        if not res.accepted or res.frame is None:
            raise ApiError(422, f"the server's rows for {info.file_name} could not be read: "
                                f"{res.report.summary()}")
        report = detail.get("report")
        try:
            Report.from_dict(report or {})
        except (TypeError, ValueError, KeyError, AttributeError):
            report = None    # an older or foreign report shape: keep the one computed here
        self.store.attach_rows(dataset_id, res.frame, report=report,
                               statistics=detail.get("statistics") or res.statistics)

    def delete(self, dataset_id: int, on_server: bool = False, *, reach: bool = True) -> str:
        """Delete here, and first on the server when asked -- only the server dataset that still
        carries this dataset's identity and owner (a refusal keeps both). Offline (unreachable,
        or `reach=False` when the caller knows it is), the delete there is queued with the local one (docs/sync_shared_records.md). Returns a note ("" when
        none), e.g. that it was no longer on the server."""
        info = self.store.info(dataset_id)
        if info is None:
            return ""
        note = ""
        if on_server and info.server_id is not None and reach:
            try:
                self.client.delete(self.locate(info))
            except NotOnServer as exc:
                note = f"{exc} Nothing was deleted there."
            except Unreachable:
                reach = False
        if on_server and info.server_id is not None and not reach:
            self.store.delete(dataset_id, on_server=True)     # queued: the next sync deletes it there
            return (f"The server could not be reached: '{info.display_name}' was deleted here and will be "
                    "deleted on the server at the next sync.")
        self.store.delete(dataset_id)
        return note
