"""Two-way sync of shared records (#19, docs/sync_shared_records.md): push the change outbox to
`sync/push/` (exactly once by op_id: a repeat after a kill gets the same answer), pull
`sync/changes/` since the stored cursor and apply it locally, fetch the conflicts this user
lost. Each server answer is stored in its own transaction, so a kill at any point loses nothing
and applies nothing twice."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from chemviz_desktop.core.store import Store, shared, shared_apply

from .api_client import ApiClient

PUSH_BATCH = 100
PULL_PAGE = 500


@dataclass
class SharedReport:
    """What a pass did, for the status bar and `main.py sync`."""
    pushed: int = 0
    pulled: int = 0
    applied_here: int = 0
    decisions: list[str] = field(default_factory=list)     # "P-101: deleted on the server; keep yours?"
    refused: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)     # the sentences of unseen conflicts
    waiting: int = 0                                        # ops for records not on the server yet

    def lines(self) -> list[str]:
        out = [f"shared changes: {self.pushed} sent, {self.pulled} received ({self.applied_here} applied here)"]
        out += [f"needs your decision: {d}" for d in self.decisions]
        out += [f"refused by the server: {r}" for r in self.refused]
        out += [f"conflict: {c}" for c in self.conflicts]
        if self.waiting:
            out.append(f"{self.waiting} change(s) wait for their record to reach the server")
        return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _one_request(ops: list[shared.PendingOp]) -> list[shared.PendingOp]:
    """The ops to send together: up to (not including) the first op on a record that an earlier
    op in the list deletes. That op goes in the next request, once the delete's answer has moved
    its base version up; sent with it, the server would take it for an edit of a record deleted
    on the server (by this very workstation) and ask the user."""
    deleted: set[tuple[str, str]] = set()
    for i, op in enumerate(ops):
        if (op.kind, op.key) in deleted:
            return ops[:i]
        if op.delete:
            deleted.add((op.kind, op.key))
    return ops


class SharedSync:
    """One workstation's shared-record sync with one server."""

    def __init__(self, store: Store, client: ApiClient):
        self.store = store
        self.client = client
        self._waiting: set[int] = set()     # ops whose record is not on the server yet (this pass)

    def run(self) -> SharedReport:
        """Push, then pull, then conflicts (the order the contract gives)."""
        rep = SharedReport()
        self.push(rep)
        self.pull(rep)
        self.fetch_conflicts(rep)
        return rep

    # -- push ------------------------------------------------------------------------------------
    def push(self, rep: SharedReport) -> None:
        while True:
            ops = _one_request(shared.pending(self.store.db, PUSH_BATCH, skip=self._waiting))
            if not ops:
                return
            answers = self.client.sync_push([self._payload(o) for o in ops])
            results = {r.get("op_id"): r for r in answers}
            with self.store.transaction() as db:
                for op in ops:
                    self._settle(db, op, results.get(op.op_id), rep)

    def _payload(self, op: shared.PendingOp) -> dict[str, Any]:
        out = op.to_json()
        if op.kind in ("equipment", "limit") and not op.delete and "name" not in out["set"]:
            here = shared_apply.local_fields(self.store.db, op.kind, op.key) or {}
            name = op.base.get("name") or here.get("name")
            if name:
                out["set"] = {"name": name, **out["set"]}   # lets the server create the record
        return out

    def _settle(self, db: Any, op: shared.PendingOp, result: dict[str, Any] | None, rep: SharedReport) -> None:
        name = self._name(op)
        if result is None:
            shared.retry_later(db, op, "the server did not answer this change")
            self._skip(op)
            return
        outcome = result.get("outcome")
        fields = result.get("fields") if result.get("exists", True) else None
        if outcome in ("applied", "merged", "duplicate"):
            shared.done(db, op, int(result.get("version") or 0), fields or {})
            if fields is not None:
                rep.applied_here += int(shared_apply.apply(db, op.kind, op.key, fields, _now()))
            rep.pushed += 1
        elif outcome in ("deleted_on_server", "edited_on_server"):
            shared.hold(db, op, outcome, str(result.get("detail") or ""), int(result.get("version") or 0), fields)
            rep.decisions.append(f"{name}: " + ("deleted on the server since you edited it"
                                                if outcome == "deleted_on_server"
                                                else "edited on the server since you deleted it"))
        elif outcome == "missing":
            shared.retry_later(db, op, str(result.get("detail") or "not on the server yet"))
            rep.waiting += 1
            self._skip(op)
        else:
            shared.hold(db, op, "refused", str(result.get("detail") or outcome), int(result.get("version") or 0),
                        fields)
            rep.refused.append(f"{name}: {result.get('detail') or outcome}")

    def _skip(self, op: shared.PendingOp) -> None:
        """Not again in this pass (its record is not on the server yet)."""
        self._waiting.add(op.seq)

    @staticmethod
    def _name(op: shared.PendingOp) -> str:
        parts = op.key.split("|")
        if op.kind == "equipment":
            return str(op.base.get("name") or op.key)
        if op.kind == "limit":
            return f"{op.base.get('name') or parts[1]} {parts[-1]} limits ({parts[0]})"
        if op.kind == "dataset":
            return f"dataset {op.base.get('name') or op.key}"
        return f"acknowledgement of {parts[0]} {parts[1] if len(parts) > 1 else ''}"

    # -- pull ------------------------------------------------------------------------------------
    def pull(self, rep: SharedReport) -> None:
        with self.store.transaction() as db:
            since = shared.cursor(db, self.client.server_url)
        while True:
            body = self.client.sync_changes(since, PULL_PAGE)
            changes = body.get("changes", [])
            with self.store.transaction() as db:
                for change in changes:
                    rep.pulled += 1
                    rep.applied_here += int(self._apply_change(db, change))
                since = int(body.get("cursor") or since)
                shared.set_cursor(db, since)
            if not body.get("more") or not changes:
                return

    def _apply_change(self, db: Any, change: dict[str, Any]) -> bool:
        kind, key, version = change.get("kind"), change.get("key"), int(change.get("version") or 0)
        if kind not in ("equipment", "limit", "ack", "dataset") or not isinstance(key, str):
            return False
        known, _base = shared.state(db, kind, key)
        if version <= known:          # already here (our own push, or an earlier page)
            return False
        fields = None if change.get("op") == "delete" else dict(change.get("fields") or {})
        shared.set_state(db, kind, key, version, fields or {})
        return shared_apply.apply(db, kind, key, fields, _now())

    # -- conflicts -------------------------------------------------------------------------------
    def fetch_conflicts(self, rep: SharedReport) -> None:
        items = self.client.sync_conflicts()
        with self.store.transaction() as db:
            shared.add_conflicts(db, items)
            rep.conflicts = [c["message"] for c in shared.conflicts(db)]

    def mark_seen(self, conflict_id: int) -> None:
        """The user read it: here and on the server (so other workstations stop showing it)."""
        self.client.conflict_seen(conflict_id)
        with self.store.transaction() as db:
            shared.mark_seen(db, conflict_id)

    def decide(self, op_id: str, keep_mine: bool) -> None:
        """Answer a delete/edit question; taking theirs applies the server's state here."""
        with self.store.transaction() as db:
            op = shared.decide(db, op_id, keep_mine)
            if op is not None and not keep_mine:
                server = op.server_fields or {}
                shared_apply.apply(db, op.kind, op.key, server.get("fields"), _now())


# -- read-only views for the status bar and the Sync panel (#19 "Status the user can see") -----
LAST_SYNC_SETTING = "shared_synced_at"     # UTC ISO time of the last pass that reached the server


@dataclass
class SharedOverview:
    """Everything the Sync panel and the status bar show, read in one go (on a worker)."""
    ops: list[shared.PendingOp]
    conflicts: list[dict[str, Any]]
    counts: dict[str, int]
    synced_at: datetime | None

    @property
    def questions(self) -> list[shared.PendingOp]:
        return [o for o in self.ops if o.state == "needs_decision"]


def last_sync(db: Any) -> datetime | None:
    """When a pass last reached the server (None: never, or unreadable)."""
    row = db.execute("SELECT value FROM settings WHERE key=?", (LAST_SYNC_SETTING,)).fetchone()
    try:
        return datetime.fromisoformat(row[0]) if row and row[0] else None
    except ValueError:
        return None


def overview(store: Store) -> SharedOverview:
    """The outbox, the unseen conflicts, the counts and the last sync time (reads only)."""
    db = store.db
    return SharedOverview(shared.listing(db), shared.conflicts(db), shared.counts(db), last_sync(db))


def op_record(op: shared.PendingOp) -> str:
    """The record an op changes, as people name it ("P-101", "Pump pressure limits (type)")."""
    return SharedSync._name(op)


def op_change(op: shared.PendingOp) -> str:
    """What the op does: "delete", "acknowledge", or the fields it sets ("notes, status")."""
    if op.delete:
        return "delete"
    if op.kind == "ack":
        return "acknowledge"
    fields = [f.replace("_", " ") for f in op.set if f != "name"]
    return "set " + ", ".join(fields) if fields else "create"


def op_question(op: shared.PendingOp) -> str:
    """The delete/edit question for the user, from the server's outcome."""
    outcome = (op.server_fields or {}).get("outcome")
    if outcome == "deleted_on_server":
        return f"{op_record(op)} was deleted on the server since you edited it: keep your edit (re-create it)?"
    if outcome == "edited_on_server":
        return f"{op_record(op)} was edited on the server since you deleted it: delete it anyway?"
    return f"{op_record(op)}: {op.detail or 'the server needs your decision'}"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def status_summary(counts: dict[str, int], synced_at: datetime | None) -> str:
    """The status-bar line: "3 changes to send · synced 10:42 · 2 conflicts" (zero parts omitted;
    the time is this machine's local time, with the date when it was not today)."""
    parts = []
    if counts.get("pending"):
        parts.append(_plural(counts["pending"], "change to send", "changes to send"))
    if counts.get("needs_decision"):
        parts.append(_plural(counts["needs_decision"], "decision needed", "decisions needed"))
    if counts.get("failed"):
        parts.append(_plural(counts["failed"], "change refused", "changes refused"))
    if synced_at is not None:
        local = (synced_at if synced_at.tzinfo else synced_at.replace(tzinfo=timezone.utc)).astimezone()
        today = datetime.now().astimezone().date()
        parts.append("synced " + local.strftime("%H:%M" if local.date() == today else "%d %b %H:%M"))
    if counts.get("conflicts"):
        parts.append(_plural(counts["conflicts"], "conflict", "conflicts"))
    return " · ".join(parts)
