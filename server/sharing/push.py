"""Applying one workstation operation to a shared record: exactly once (by op_id), under a lock
on the record, merged per field with engine.merge, every change logged for the pull feed and
every lost value kept as a Conflict for the user who lost it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from engine.merge import merge, same

from .kinds import KINDS, Missing, Refused, append_ack_comment
from .models import AppliedOp, Change, Conflict, SharedRecord

MAX_OPS = 200


@dataclass
class Op:
    """A parsed operation (docs/sync_shared_records.md)."""
    op_id: uuid.UUID
    kind: str
    key: str
    base_version: int
    base: dict[str, Any] = field(default_factory=dict)
    set: dict[str, Any] = field(default_factory=dict)
    delete: bool = False


def parse(raw: Any) -> Op:
    """An op from JSON, or Refused naming what is wrong."""
    if not isinstance(raw, dict):
        raise Refused("each op is an object")
    try:
        op_id = uuid.UUID(str(raw.get("op_id")))
    except ValueError:
        raise Refused("op_id must be a UUID") from None
    kind = raw.get("kind")
    if kind not in KINDS:
        raise Refused(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    key = raw.get("key")
    if not isinstance(key, str) or not key or len(key) > 700:
        raise Refused("key must be a non-empty text of at most 700 characters")
    base_version = raw.get("base_version", 0)
    if isinstance(base_version, bool) or not isinstance(base_version, int) or base_version < 0:
        raise Refused("base_version must be a whole number ≥ 0")
    base, changes, delete = raw.get("base") or {}, raw.get("set") or {}, bool(raw.get("delete"))
    if not isinstance(base, dict) or not isinstance(changes, dict):
        raise Refused("base and set must be objects")
    allowed = KINDS[kind].fields
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise Refused(f"{kind} has no shared field {', '.join(unknown)} (shared: {', '.join(allowed)})")
    if delete == bool(changes):
        raise Refused("an op either sets fields or deletes")
    return Op(op_id, kind, key, base_version, {k: v for k, v in base.items() if k in allowed}, changes, delete)


def _locked(kind: str, key: str) -> SharedRecord:
    SharedRecord.objects.get_or_create(kind=kind, key=key)
    return SharedRecord.objects.select_for_update().get(kind=kind, key=key)


def _log(rec: SharedRecord, op: str, fields: dict[str, Any], user: Any, changed: list[str]) -> Change:
    now = timezone.now()
    rec.version += 1
    rec.deleted = op == "delete"
    for name in changed:
        rec.editors[name] = [getattr(user, "pk", None), now.isoformat()]
    rec.save()
    return Change.objects.create(kind=rec.kind, key=rec.key, version=rec.version, op=op, fields=fields, user=user)


def log_change(kind: str, key: str, user: Any, *, deleted: bool = False) -> None:
    """A shared record changed through the REST API (not a push): log it so workstations pull it.
    Call inside the view's transaction, after the change."""
    rec = _locked(kind, key)
    fields = {} if deleted else (KINDS[kind].read(key) or {})
    last = Change.objects.filter(kind=kind, key=key).order_by("-version").first()
    if last is not None and last.op == ("delete" if deleted else "upsert") and last.fields == fields:
        return        # e.g. a PATCH of measured values only: nothing shared changed
    if last is None and deleted:
        return        # never shared, so nobody needs to hear it is gone
    changed = [] if deleted else [f for f in fields if last is None or last.fields.get(f) != fields[f]]
    _log(rec, "delete" if deleted else "upsert", fields, user, changed)


def apply(op: Op, user: Any) -> dict[str, Any]:
    """Apply one op in its own transaction; the answer is stored so a repeat gets it again."""
    with transaction.atomic():
        done = AppliedOp.objects.filter(op_id=op.op_id).first()
        if done is not None:
            return {**done.result, "outcome": "duplicate"}
        result = _apply(op, user)
        if result["outcome"] != "missing":   # a missing record may appear later: not final
            AppliedOp.objects.create(op_id=op.op_id, user=user, result=result)
        return result


def _answer(op: Op, outcome: str, rec: SharedRecord, fields: dict[str, Any] | None,
            conflicts: list[dict[str, Any]] | None = None, detail: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {"op_id": str(op.op_id), "kind": op.kind, "key": op.key, "outcome": outcome,
                           "version": rec.version, "exists": fields is not None, "fields": fields or {},
                           "conflicts": conflicts or []}
    if detail:
        out["detail"] = detail
    return out


def _apply(op: Op, user: Any) -> dict[str, Any]:
    kind = KINDS[op.kind]
    why_not = kind.may_write(op.key, user, op.delete)
    rec = _locked(op.kind, op.key)
    theirs = kind.read(op.key)
    if why_not:
        return _answer(op, "refused", rec, theirs, detail=why_not)
    if op.delete:
        if kind.delete is None:
            return _answer(op, "refused", rec, theirs, detail=f"a {op.kind} cannot be deleted")
        if theirs is None:
            return _answer(op, "applied", rec, None)
        edited = rec.version > op.base_version and any(not same(op.base.get(f), theirs.get(f)) for f in theirs)
        if edited:
            return _answer(op, "edited_on_server", rec, theirs,
                           detail="changed on the server since this workstation last synced it; nothing deleted")
        kind.delete(op.key, user)
        _log(rec, "delete", {}, user, [])
        return _answer(op, "applied", rec, None)
    if theirs is None and rec.deleted and op.base_version < rec.version:
        return _answer(op, "deleted_on_server", rec, None,
                       detail="deleted on the server since this workstation last synced it; nothing applied")
    if op.kind == "ack" and theirs is not None and theirs.get("acknowledged_at"):
        # the first acknowledgement stands; a later one is kept as a comment
        note = str(op.set.get("comment") or "").strip()
        if note:
            append_ack_comment(op.key, f"{user.get_username()} {timezone.now():%Y-%m-%d %H:%M}Z: {note}")
            now = kind.read(op.key) or {}
            _log(rec, "upsert", now, user, ["comment"])
        return _answer(op, "merged", rec, kind.read(op.key))
    result = merge(op.base, op.set, theirs or {})
    if not result.changed:
        return _answer(op, "applied", rec, theirs)
    try:
        with transaction.atomic():
            kind.write(op.key, result.changed, user)
    except Missing as exc:
        return _answer(op, "missing", rec, theirs, detail=str(exc))
    except Refused as exc:
        return _answer(op, "refused", rec, theirs, detail=str(exc))
    now_fields = kind.read(op.key) or {}
    editors = dict(rec.editors)
    change = _log(rec, "upsert", now_fields, user, list(result.changed))
    conflicts = []
    for c in result.conflicts:
        lost_by, lost_at = (editors.get(c.field) or [None, None])
        lost_at = parse_datetime(lost_at) if lost_at else None
        row = Conflict.objects.create(kind=op.kind, key=op.key, name=kind.name(op.key, now_fields), field=c.field,
                                      lost_value=c.theirs, lost_by_id=lost_by, lost_at=lost_at,
                                      won_value=c.mine, won_by=user, won_at=change.at, change=change)
        conflicts.append(describe(row))
    return _answer(op, "merged" if conflicts else "applied", rec, now_fields, conflicts)


def describe(c: Conflict) -> dict[str, Any]:
    """A conflict as JSON, with the sentence the loser reads."""
    lost_by = c.lost_by.get_username() if c.lost_by else "someone"
    won_by = c.won_by.get_username() if c.won_by else "someone"
    return {"id": c.id, "kind": c.kind, "key": c.key, "name": c.name, "field": c.field,
            "lost_value": c.lost_value, "lost_by": lost_by, "lost_at": c.lost_at.isoformat() if c.lost_at else None,
            "won_value": c.won_value, "won_by": won_by, "won_at": c.won_at.isoformat(), "seen": c.seen,
            "message": f"your {c.field.replace('_', ' ')} on {c.name} ({c.lost_value!r}) was replaced by "
                       f"{won_by}'s edit ({c.won_value!r}) at {timezone.localtime(c.won_at):%Y-%m-%d %H:%M}"}
