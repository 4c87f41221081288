"""The sync layer's Qt face: a QObject that runs sync passes, sign-in/out, downloads and server
deletes on worker threads (the desktop's TaskRunner pattern) and turns the outcome into the
status-bar text. `attach_sync(window)` wires it into MainWindow with one call.

Shared records (#19): after each pass and each local edit the outbox, conflicts and last sync
time are read on a worker (`sharedChanged`, `sharedStatusChanged`); the Sync panel's answers
(decide, mark seen, restore a lost value) run on workers too. The datasets waiting to upload
("Offline (3 pending)") are counted in that same worker read: no store query runs on the GUI
thread, so a store busy with an import never stalls the status bar."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from chemviz_desktop.core.errors import describe
from chemviz_desktop.core.store import Store, equipment, limits
from chemviz_desktop.core.store import settings as store_settings
from chemviz_desktop.core.sync.account import Session, last_account, restore, sign_in, sign_in_problem, sign_out
from chemviz_desktop.core.sync.api_client import RetryPolicy
from chemviz_desktop.core.sync.background import PassResult, sync_pass
from chemviz_desktop.core.sync.connectivity import OFFLINE, ONLINE, SIGNED_OUT, SYNCING, Connectivity, status_text
from chemviz_desktop.core.sync.credentials import delete_token
from chemviz_desktop.core.sync.server_datasets import can_delete_on_server
from chemviz_desktop.core.sync.shared_sync import (
    LAST_SYNC_SETTING,
    SharedOverview,
    SharedSync,
    overview,
    status_summary,
)
from chemviz_desktop.core.sync.syncer import SyncEngine
from chemviz_desktop.ui.workers import TaskRunner
from engine.limits import Limit


def _pass_task(state: Any, store_path: Path, session: Session, policy: RetryPolicy | None,
               force: bool) -> PassResult:
    store, client = Store(store_path), session.client(policy)
    try:
        res = sync_pass(store, client, session.username, force=force, state=state)
        if res.online and res.report is not None and not res.report.offline and not res.auth_error:
            with store.transaction() as db:      # "synced 10:42" in the status bar, kept across restarts
                store_settings.put(db, LAST_SYNC_SETTING, _utc_now())
        return res
    finally:
        client.close()
        store.close()


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _overview_task(_state: Any, store_path: Path) -> tuple[int, SharedOverview]:
    """The datasets waiting to upload and the shared records' overview, in one store read."""
    store = Store(store_path)
    try:
        return store.pending_count(), overview(store)
    finally:
        store.close()


def restore_lost_value(store: Store, conflict: dict[str, Any]) -> str:
    """Set a value another user's edit replaced again, as an ordinary local edit (equipment.update
    or limits.put), so it goes out as a new change at the next sync. Returns the user's note."""
    kind, field, value = conflict["kind"], conflict["field"], conflict.get("lost_value")
    label = f"your {str(field).replace('_', ' ')} on {conflict['name']}"
    now = _utc_now()
    with store.transaction() as db:
        before = db.total_changes
        if kind == "equipment":
            equipment.update(db, conflict["name"], now, **{field: value})
        elif kind == "limit":
            scope, key, parameter = str(conflict["key"]).split("|")
            here = next((x for x in limits.listing(db) if x.key() == (scope, key, parameter)), None)
            base = here or Limit(scope, str(conflict["name"]), parameter)
            number = value if field == "name" or value is None else float(value)
            limits.put(db, [dataclasses.replace(base, **{field: number})], now)
        else:
            raise ValueError(f"{label} cannot be restored from here")
        changed = db.total_changes != before
    if not changed:
        return f"{label} is already {value!r} here; nothing to send."
    return f"Restored {label} ({value!r}); it goes to the server at the next sync."


def _shared_action(_state: Any, store_path: Path, session: Session | None, policy: RetryPolicy | None,
                   action: str, arg: Any, flag: bool) -> str:
    """One answer from the Sync panel: decide (local; the next pass sends it), seen (server, then
    here) or restore (a local edit)."""
    store = Store(store_path)
    client = session.client(policy) if session is not None and action == "seen" else None
    try:
        if action == "restore":
            return restore_lost_value(store, arg)
        sync = SharedSync(store, client)  # type: ignore[arg-type]  # decide never uses the client
        if action == "decide":
            sync.decide(str(arg), keep_mine=flag)
            return "Keeping your change; it is sent again now." if flag else "Took the server's version."
        if client is None:
            raise ValueError("Sign in (Account menu) to mark conflicts seen on the server.")
        sync.mark_seen(int(arg))
        return "Marked seen (on every workstation of yours)."
    finally:
        if client is not None:
            client.close()
        store.close()


def _item_task(state: Any, store_path: Path, session: Session, policy: RetryPolicy | None,
               action: str, dataset_id: int) -> tuple[str, int, str]:
    store, client = Store(store_path), session.client(policy)
    try:
        sync = SyncEngine(store, client, session.username)
        note = ""
        if action == "fetch":
            sync.fetch_rows(dataset_id)
        else:   # "delete", or "delete_later" when the last pass found the server unreachable
            note = sync.delete(dataset_id, on_server=True, reach=action == "delete")
        return action, dataset_id, note
    finally:
        client.close()
        store.close()


class SyncController(QObject):
    """Owns the session and the periodic sync; never touches the network on the GUI thread."""

    statusChanged = pyqtSignal(str)
    sessionChanged = pyqtSignal()
    syncFinished = pyqtSignal(object)       # PassResult
    datasetFetched = pyqtSignal(int)
    datasetDeleted = pyqtSignal(int)
    signInFailed = pyqtSignal(str)
    signedIn = pyqtSignal(str)              # a note for the user ("" when none)
    message = pyqtSignal(str, str)          # text, level (info / warning / error)
    datasetsChanged = pyqtSignal()          # the store changed behind History (e.g. a placeholder dropped)
    sharedChanged = pyqtSignal(object)      # SharedOverview: outbox, unseen conflicts, counts, last sync
    sharedStatusChanged = pyqtSignal(str)   # "3 changes to send · synced 10:42 · 2 conflicts" ("" when none)
    decisionsNeeded = pyqtSignal(list)      # sentences from one pass: records deleted/edited on the other side
    sharedEdited = pyqtSignal(str)          # a panel answer changed local records (kind of action)
    sharedActionDone = pyqtSignal(str, str)     # action (decide / seen / restore), note for the user
    sharedActionFailed = pyqtSignal(str, str)   # action, the words shown

    def __init__(self, store_path: Path | str, parent: QObject | None = None, *,
                 interval: float = 15.0, tick_ms: int = 1000, policy: RetryPolicy | None = None,
                 session: Session | None = None, restore_session: bool = True):
        super().__init__(parent)
        self.store_path = Path(store_path)
        self.policy = policy
        self.session = session or (restore() if restore_session else None)
        self.server_url = self.session.server_url if self.session else last_account().server_url
        self.connectivity = Connectivity(interval=interval)
        self.state = SIGNED_OUT if self.session is None else OFFLINE
        self.pending = 0        # datasets waiting to upload: read on a worker (refresh_status), or a pass's count
        self.timer = QTimer(self)
        self.timer.setInterval(tick_ms)
        self.timer.timeout.connect(self.tick)
        self.runner = TaskRunner(self)
        self.runner.progress.connect(self._progress)
        self.runner.result.connect(self._pass_done)
        self.runner.error.connect(self._pass_error)
        self.runner.finished.connect(self._run_requested_again)
        self._again = False  # "Sync now" pressed while a pass was running: run once more after it
        self.account_runner = TaskRunner(self)
        self.item_runner = TaskRunner(self)
        self.item_runner.result.connect(self._item_done)
        self.item_runner.error.connect(self._item_failed)
        self.shared: SharedOverview | None = None
        self.shared_status = ""
        self.shared_runner = TaskRunner(self)
        self.shared_runner.result.connect(self._shared_read)
        self._actions: set[TaskRunner] = set()
        self._closed = False

    # -- status -------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        return status_text(self.state, self.server_url, self.pending)

    def _set_state(self, state: str, pending: int | None = None) -> None:
        self.state = state
        if pending is not None:
            self.pending = pending
        self.statusChanged.emit(self.status)

    def refresh_status(self) -> None:
        """Re-read the outbox size (after an import, say) on a worker; the text follows when read
        (statusChanged, with the shared records' sharedChanged)."""
        self.refresh_shared()

    # -- shared records (#19) ----------------------------------------------------------------------
    def refresh_shared(self) -> None:
        """Read the outbox, conflicts, last sync time and pending datasets again, on a worker (a
        busy store never stalls the window); a newer request replaces one still running, so a
        read started before a pass ended never overwrites the count read after it."""
        if not self._closed:
            self.shared_runner.start(_overview_task, self.store_path)

    def _shared_read(self, value: tuple[int, SharedOverview]) -> None:
        pending, ov = value
        if pending != self.pending:
            self.pending = pending
            self.statusChanged.emit(self.status)
        self.shared = ov
        self.shared_status = status_summary(ov.counts, ov.synced_at)
        self.sharedStatusChanged.emit(self.shared_status)
        self.sharedChanged.emit(ov)

    def decide(self, op_id: str, keep_mine: bool) -> None:
        """Keep mine / take theirs for a record deleted on one side and edited on the other."""
        self._act("decide", op_id, keep_mine)

    def mark_seen(self, conflict_id: int) -> None:
        self._act("seen", conflict_id, False)

    def restore(self, conflict: dict[str, Any]) -> None:
        """Set the lost value of a conflict again here; it goes out at the next sync."""
        self._act("restore", dict(conflict), False)

    def _act(self, action: str, arg: Any, flag: bool) -> None:
        runner = TaskRunner(self)         # one per answer: a second click never cancels the first
        self._actions.add(runner)
        runner.result.connect(lambda note: self._acted(action, note))
        runner.error.connect(lambda exc: self._act_failed(action, exc))
        runner.finished.connect(lambda: self._actions.discard(runner))
        runner.start(_shared_action, self.store_path, self.session, self.policy, action, arg, flag)

    def _acted(self, action: str, note: str) -> None:
        self.sharedActionDone.emit(action, note)
        if action in ("decide", "restore"):
            self.sharedEdited.emit(action)
        self.refresh_shared()
        if action == "decide":
            self.sync_now()

    def _act_failed(self, action: str, exc: BaseException) -> None:
        words = str(exc) if isinstance(exc, ValueError) else describe(exc, doing="answering the Sync panel")
        self.sharedActionFailed.emit(action, words)
        self.refresh_shared()

    # -- the periodic pass ----------------------------------------------------------------------
    def start(self) -> None:
        self.timer.start()
        self.refresh_status()
        self.tick()

    def stop(self) -> None:
        self._again = False
        self.timer.stop()
        for r in (self.runner, self.account_runner, self.item_runner, self.shared_runner, *self._actions):
            r.cancel()

    def tick(self, force: bool = False) -> None:
        if self.session is None:
            if self.state != SIGNED_OUT:
                self._set_state(SIGNED_OUT)
            return
        if self.runner.busy:
            self._again = self._again or force
            return
        if not (force or self.connectivity.due()):
            return
        self.runner.start(_pass_task, self.store_path, self.session, self.policy, force)

    def sync_now(self) -> None:
        self.tick(force=True)

    def _run_requested_again(self) -> None:
        if self._again:
            self._again = False
            self.tick(force=True)

    def _progress(self, pending: float, _message: str) -> None:
        """Uploads under way: "Syncing (n pending)". A pass with nothing to send stays quiet."""
        if pending or self.state == SYNCING:
            self._set_state(SYNCING, int(pending))

    def _pass_done(self, res: PassResult) -> None:
        if self.session is None:
            return
        self.connectivity.record(res.online)
        if res.auth_error:
            self._drop_session(f"The server no longer accepts this sign-in ({res.auth_error}). Sign in again.")
            return
        self._set_state(ONLINE if res.online else OFFLINE, res.pending)
        rep = res.report
        if rep and rep.vanished:
            self.message.emit(f"{len(rep.vanished)} dataset(s) are no longer on the server "
                              f"({', '.join(rep.vanished[:3])}); the copies here are kept as "
                              "'local only — removed from the server'. Use 'Upload again' to send them back.",
                              "warning")
        if rep and rep.failed:
            self.message.emit(f"{len(rep.failed)} dataset(s) were refused by the server: "
                              f"{rep.failed[0][0]}: {rep.failed[0][1]}", "error")
        shared = rep.shared if rep else None
        if shared is not None and shared.decisions:
            self.decisionsNeeded.emit(list(shared.decisions))
        self.syncFinished.emit(res)
        self.refresh_shared()

    def _pass_error(self, exc: BaseException) -> None:
        self.connectivity.record(False)
        self._set_state(OFFLINE if self.session else SIGNED_OUT)
        self.message.emit(f"Sync stopped: {describe(exc, doing='syncing')}", "warning")
        self.refresh_shared()

    # -- account ------------------------------------------------------------------------------------
    def sign_in(self, url: str, username: str, password: str, remember: bool) -> None:
        """Sign in on a worker; signedIn / signInFailed report back."""
        def run(_state: Any) -> tuple[Session, str | None]:
            return sign_in(url, username, password, remember, self.policy)
        task = self.account_runner.start(run)
        task.signals.result.connect(self._signed_in)
        task.signals.error.connect(lambda exc: self.signInFailed.emit(sign_in_problem(exc)))

    def _signed_in(self, value: tuple[Session, str | None]) -> None:
        self.session, note = value
        self.server_url = self.session.server_url
        self.connectivity.next_at = 0
        self._set_state(OFFLINE)
        self.sessionChanged.emit()
        self.signedIn.emit(note or "")
        self.sync_now()

    def sign_out(self) -> None:
        """Forget the session at once (the UI shows Signed out); revoke on the server behind."""
        session = self.session
        if session is None:
            return
        self.runner.cancel()
        self.session = None
        self._set_state(SIGNED_OUT)
        self.sessionChanged.emit()
        task = self.account_runner.start(lambda _s: sign_out(session, self.policy))
        task.signals.result.connect(lambda note: note and self.message.emit(note, "warning"))

    def _drop_session(self, why: str) -> None:
        if self.session is not None:
            delete_token(self.session.server_url, self.session.username)
        self.session = None
        self._set_state(SIGNED_OUT)
        self.sessionChanged.emit()
        self.message.emit(why, "warning")

    # -- per-dataset ------------------------------------------------------------------------------
    def can_delete_on_server(self, info: Any) -> bool:
        s = self.session
        return s is not None and can_delete_on_server(info, s.role, s.username)

    def fetch(self, dataset_id: int) -> None:
        """Download a server-only dataset's rows; datasetFetched(id) when it can be opened."""
        if self.session is not None:
            self.item_runner.start(_item_task, self.store_path, self.session, self.policy, "fetch", dataset_id)

    def delete_on_server(self, dataset_id: int) -> None:
        """Delete here and on the server; offline, the delete there is queued for the next sync."""
        if self.session is not None:
            action = "delete_later" if self.state == OFFLINE else "delete"
            self.item_runner.start(_item_task, self.store_path, self.session, self.policy, action, dataset_id)

    def _item_done(self, value: tuple[str, int, str]) -> None:
        action, dataset_id, note = value
        (self.datasetFetched if action == "fetch" else self.datasetDeleted).emit(dataset_id)
        if note:
            self.message.emit(note, "warning")
        self.refresh_status()

    def _item_failed(self, exc: BaseException) -> None:
        self.datasetsChanged.emit()     # e.g. a placeholder whose server copy is gone was dropped
        self.message.emit(describe(exc), "error")

    def close(self) -> None:
        """Stop for good (window closing); safe to call twice."""
        self._closed = True
        self.stop()
