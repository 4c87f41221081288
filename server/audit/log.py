"""Writing the audit log.

Automatic: every `save()` and `delete()` of an audited model is recorded through Django's model
signals (API views, services, the Django admin, the CLI alike), attributed to the request's actor
(server.users.actor: the user a Token, Basic, session or password sign-in accepted; the system
outside requests, or whoever `acting_as` names). Audited by default: auth.User and every model of
the users, analytics and equipment apps, so models added there later are covered without a change
here. A model can narrow that with a class attribute, e.g. `audit_actions = ("create", "update")`,
or opt out with `audit_actions = ()`. Readings (equipment.ParameterHistory) are recorded on create
and update only: a delete of equipment or of a dataset removes its readings in bulk, and listening
to their deletes would make Django load every reading to send the signal.

Not seen by signals: `QuerySet.update()`, `bulk_create()`, `bulk_update()` and raw SQL. Code that
writes that way records what it did with one call, in the same transaction:

    from server.audit.log import record
    record("create", Equipment, object_repr=f"{n} equipment from upload #{ds.pk}",
           changes={"ids": ids[:1000], "count": n})
    record("update", equipment_instance, changes={"status": ["normal", "warning"]})

Fields that change on their own (auto_now, last_login, last_used) are left out; an update that
changes only those is not recorded. Secrets (password, token) show as "(changed)"."""
from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save, pre_save

from server.users import actor

from .models import Action, AuditEntry

AUDITED_APPS = ("users", "analytics", "equipment")
AUDITED_MODELS = (settings.AUTH_USER_MODEL,)
# label_lower -> actions, for models of other apps that cannot carry `audit_actions` themselves
DEFAULT_ACTIONS: dict[str, tuple[str, ...]] = {
    "equipment.parameterhistory": ("create", "update"),
}
IGNORED_FIELDS = {"last_login", "last_used"}
SECRET_FIELDS = {"password", "token"}
CHANGED = "(changed)"
MAX_TEXT = 200
MAX_JSON = 500

_registered: dict[type[models.Model], tuple[str, ...]] = {}


def label(target) -> str:
    if isinstance(target, str):
        return target.lower()
    return target._meta.label_lower


def record(action: str, target, *, object_id: Any = None, object_repr: str | None = None,
           changes: dict | None = None, user: Any = ...) -> AuditEntry:
    """Write one entry. `target` is a model instance, a model class or an "app.model" label;
    `user` defaults to the request's actor (pass None for the system)."""
    if action not in Action.values:
        raise ValueError(f"audit action must be one of {Action.values}, not {action!r}")
    now = actor.current()
    who = now.user if user is ... else user
    if isinstance(target, models.Model):
        if object_id is None:
            object_id = target.pk
        if object_repr is None:
            object_repr = _repr(target)
    user_id = getattr(who, "pk", None)
    return AuditEntry.objects.create(
        user_id=user_id, username=who.get_username() if user_id is not None else "",
        ip=now.ip[:64], via=(now.via if user is ... else "")[:16], action=action, model=label(target),
        object_id="" if object_id is None else str(object_id)[:64], object_repr=(object_repr or "")[:200],
        changes=_json_safe(changes or {}))


def register(model: type[models.Model], actions: tuple[str, ...] = tuple(Action.values)) -> None:
    """Record `actions` of `model` through its signals (idempotent)."""
    actions = tuple(a for a in actions if a in Action.values)
    _registered[model] = actions
    uid = f"chemviz-audit-{model._meta.label_lower}"
    if Action.UPDATE in actions:
        pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-pre")
    if Action.CREATE in actions or Action.UPDATE in actions:
        post_save.connect(_after_save, sender=model, dispatch_uid=uid + "-post")
    if Action.DELETE in actions:
        post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + "-delete")


def register_defaults() -> None:
    wanted = [apps.get_model(name) for name in AUDITED_MODELS]
    for app_label in AUDITED_APPS:
        try:
            wanted.extend(apps.get_app_config(app_label).get_models())
        except LookupError:   # app not installed (yet)
            continue
    for model in wanted:
        actions = getattr(model, "audit_actions", None)
        if actions is None:
            actions = DEFAULT_ACTIONS.get(model._meta.label_lower, tuple(Action.values))
        if actions:
            register(model, tuple(actions))


def audited() -> dict[str, tuple[str, ...]]:
    return {m._meta.label_lower: a for m, a in _registered.items()}


# -- signal handlers -----------------------------------------------------------------------------

def _fields(model, only=None) -> list[models.Field]:
    out = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in IGNORED_FIELDS or getattr(f, "auto_now", False):
            continue
        if only is not None and f.name not in only and f.attname not in only:
            continue
        out.append(f)
    return out


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or instance._state.adding or instance.pk is None:
        return
    fields = _fields(sender, set(update_fields) if update_fields is not None else None)
    if not fields:
        instance._audit_old = {}
        return
    row = sender._base_manager.using(instance._state.db or "default").filter(pk=instance.pk) \
        .values(*[f.attname for f in fields]).first()
    instance._audit_old = row   # None: the row is not there (saved with an explicit new pk)


def _after_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    actions = _registered.get(sender, ())
    old = instance.__dict__.pop("_audit_old", None)
    if created or old is None:
        if Action.CREATE in actions and (created or Action.UPDATE in actions):
            record(Action.CREATE, instance)
        return
    if Action.UPDATE not in actions:
        return
    changes = {}
    for f in _fields(sender, set(old)):
        before, after = _norm(f, old[f.attname]), _norm(f, getattr(instance, f.attname))
        if before == after:
            continue
        if f.name in SECRET_FIELDS:
            changes[f.name] = CHANGED
        else:
            changes[f.name] = [_show(before), _show(after)]
    if changes:
        record(Action.UPDATE, instance, changes=changes)


def _after_delete(sender, instance, **kwargs):
    record(Action.DELETE, instance)


def _norm(field, value):
    if isinstance(value, FieldFile):
        return value.name or ""
    try:
        return field.to_python(value)
    except Exception:   # noqa: BLE001 - a value the field cannot read is compared as it is
        return value


def _show(value):
    """A JSON-safe, bounded form of a field value for the log."""
    safe = _json_safe(value)
    if isinstance(safe, str) and len(safe) > MAX_TEXT:
        return safe[:MAX_TEXT] + "…"
    if isinstance(safe, dict | list) and len(json.dumps(safe)) > MAX_JSON:
        return CHANGED
    return safe


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _json_safe(value):
    return json.loads(json.dumps(value, cls=_Encoder))


def _repr(instance) -> str:
    try:
        return str(instance)[:200]
    except Exception:   # noqa: BLE001 - __str__ of a half-deleted object may fail
        return f"{instance._meta.object_name} #{instance.pk}"
