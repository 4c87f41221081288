"""The shared kinds (equipment, limit, ack): how each is named, read, written and deleted on the
server's own models, so the merge in push.py never knows a model. Values travel as JSON: dates
and times as ISO text, numbers as numbers, empty as null."""
from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable

from django.utils.dateparse import parse_date, parse_datetime

from engine.limits import LEVELS, PARAMETERS, SCOPES, Limit, name_key
from engine.readings import STATUS_CHOICES
from server.users.models import Role, role_of

STATUSES = tuple(c["value"] for c in STATUS_CHOICES)


class Refused(Exception):
    """An operation the server will not apply (bad value, no permission); the words go back."""


class Missing(Exception):
    """The record an operation needs is not on the server (yet): e.g. an acknowledgement for an
    alert whose readings have not been uploaded. The client tries again later."""


@dataclass(frozen=True)
class Kind:
    """One shared kind. `read` gives the synced fields or None when absent; `write` applies
    changed fields (creating the record when absent); `delete` removes it; `name` is what a
    person calls it; `may_write` says whether this user may change it (None: yes, else why not)."""
    fields: tuple[str, ...]
    read: Callable[[str], dict[str, Any] | None]
    write: Callable[[str, dict[str, Any], Any], None]
    delete: Callable[[str, Any], None] | None
    name: Callable[[str, dict[str, Any] | None], str]
    may_write: Callable[[str, Any, bool], str | None]


def _iso_date(v: date | None) -> str | None:
    return v.isoformat() if v else None


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    parsed = parse_date(str(value)) if isinstance(value, str) else None
    if parsed is None:
        raise Refused(f"{field} must be a date YYYY-MM-DD, not {value!r}")
    return parsed


def _number(value: Any, field: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise Refused(f"{field} must be a number or null, not {value!r}")
    return float(value)


# -- equipment ---------------------------------------------------------------------------------
EQUIPMENT_FIELDS = ("name", "type", "status", "installation_date", "last_maintenance_date", "notes")


def _equipment(key: str) -> Any:
    from server.equipment.models import Equipment
    return Equipment.objects.filter(name_key=key).first()


def _read_equipment(key: str) -> dict[str, Any] | None:
    e = _equipment(key)
    if e is None:
        return None
    return {"name": e.equipment_name, "type": e.equipment_type, "status": e.status,
            "installation_date": _iso_date(e.installation_date),
            "last_maintenance_date": _iso_date(e.last_maintenance_date), "notes": e.notes}


def _write_equipment(key: str, changed: dict[str, Any], user: Any) -> None:
    from server.alerting import services
    from server.equipment.models import Equipment
    e = _equipment(key)
    if e is None:
        name = str(changed.get("name") or "").strip()
        if not name or name_key(name) != key:
            raise Refused(f"a new equipment needs its name (one whose key is {key!r})")
        e = Equipment(equipment_name=name, name_key=key, created_by=user)
    retyped = False
    for field, value in changed.items():
        if field == "name":
            if name_key(str(value)) != key:
                raise Refused("renaming equipment is not shared (the name is its identity)")
            e.equipment_name = str(value).strip()
        elif field == "type":
            text = str(value or "").strip()
            if not text or len(text) > 50:
                raise Refused("type must be 1 to 50 characters")
            retyped = retyped or text != e.equipment_type
            e.equipment_type = text
        elif field == "status":
            if value not in STATUSES:
                raise Refused(f"status must be one of {', '.join(STATUSES)}, not {value!r}")
            e.status = value
        elif field in ("installation_date", "last_maintenance_date"):
            setattr(e, field, _date(value, field))
        elif field == "notes":
            e.notes = "" if value is None else str(value)
    e.save()
    if retyped:   # type limits now apply differently
        services.reevaluate([e.pk])


def _may_write_equipment(key: str, user: Any, deleting: bool) -> str | None:
    """The REST rule (server.api.permissions.EquipmentAccess): admins; engineers their own
    equipment or a new one; deleting is for admins."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    if role != Role.ENGINEER:
        return "your role (viewer) can only read"
    if deleting:
        return "only an admin can delete equipment"
    e = _equipment(key)
    if e is not None and e.created_by_id != user.pk:
        return "only an admin or the engineer who created this equipment can change it"
    return None


def _delete_equipment(key: str, user: Any) -> None:
    e = _equipment(key)
    if e is not None:
        e.delete()


# -- limits ------------------------------------------------------------------------------------
LIMIT_FIELDS = ("name", "lolo", "lo", "hi", "hihi", "deadband", "delay_s")


def limit_key(scope: str, name: str, parameter: str) -> str:
    return f"{scope}|{name_key(name)}|{parameter}"


def _split_limit(key: str) -> tuple[str, str, str]:
    parts = key.split("|")
    if len(parts) != 3 or parts[0] not in SCOPES or parts[2] not in PARAMETERS or not parts[1]:
        raise Refused(f"a limit key is scope|name|parameter, not {key!r}")
    return parts[0], parts[1], parts[2]


def _rule(key: str) -> Any:
    from server.alerting.models import AlertRule
    scope, nkey, parameter = _split_limit(key)
    return AlertRule.objects.filter(scope=scope, name_key=nkey, parameter=parameter).first()


def _read_limit(key: str) -> dict[str, Any] | None:
    r = _rule(key)
    if r is None:
        return None
    return {"name": r.name, "lolo": r.lolo, "lo": r.lo, "hi": r.hi, "hihi": r.hihi,
            "deadband": r.deadband, "delay_s": r.delay_s}


def _write_limit(key: str, changed: dict[str, Any], user: Any) -> None:
    from server.alerting import services
    from server.alerting.models import AlertRule
    scope, nkey, parameter = _split_limit(key)
    rule = _rule(key)
    if rule is None:
        name = str(changed.get("name") or "").strip()
        if not name or name_key(name) != nkey:
            raise Refused(f"a new limit needs its name (one whose key is {nkey!r})")
        rule = AlertRule(scope=scope, name=name, name_key=nkey, parameter=parameter, created_by=user)
    for field, value in changed.items():
        if field == "name":
            if name_key(str(value)) != nkey:
                raise Refused("a limit's name is part of its identity")
            rule.name = str(value).strip()
        elif field in ("lolo", "lo", "hi", "hihi"):
            setattr(rule, field, _number(value, field))
        elif field in ("deadband", "delay_s"):
            setattr(rule, field, _number(value, field) or 0.0)
    problems = Limit(scope, rule.name, parameter, rule.lolo, rule.lo, rule.hi, rule.hihi,
                     deadband=float(rule.deadband), delay_s=float(rule.delay_s)).problems()
    if problems:
        raise Refused("; ".join(problems))
    rule.updated_by = user
    rule.save()
    services.reevaluate(services.equipment_for({(scope, nkey)}))


def _delete_limit(key: str, user: Any) -> None:
    from server.alerting import services
    rule = _rule(key)
    if rule is not None:
        scope, nkey = rule.scope, rule.name_key
        rule.delete()
        services.reevaluate(services.equipment_for({(scope, nkey)}))


def _team_write(key: str, user: Any, deleting: bool) -> str | None:
    """Limits and acknowledgements are team-shared (alerting's rule): engineers and admins."""
    return None if role_of(user) in (Role.ENGINEER, Role.ADMIN) else "your role (viewer) can only read"


# -- acknowledgements --------------------------------------------------------------------------
ACK_FIELDS = ("acknowledged_by", "acknowledged_at", "comment")


def ack_key(equipment: str, parameter: str, level: str, start: datetime) -> str:
    """The alert identity both sides use: name_key|parameter|level|start in UTC microseconds."""
    us = int(round(start.astimezone(timezone.utc).timestamp() * 1_000_000))
    return f"{name_key(equipment)}|{parameter}|{level}|{us}"


def _alert(key: str) -> Any:
    from server.alerting.models import Alert
    parts = key.split("|")
    if len(parts) != 4 or parts[1] not in PARAMETERS or parts[2] not in LEVELS or not parts[3].lstrip("-").isdigit():
        raise Refused(f"an acknowledgement key is equipment|parameter|level|start_us, not {key!r}")
    start = datetime.fromtimestamp(int(parts[3]) / 1_000_000, tz=timezone.utc)
    return Alert.objects.select_related("equipment", "acknowledged_by").filter(
        equipment__name_key=parts[0], parameter=parts[1], level=parts[2], start=start).first()


def _read_ack(key: str) -> dict[str, Any] | None:
    a = _alert(key)
    if a is None:
        return None
    return {"acknowledged_by": a.acknowledged_by.get_username() if a.acknowledged_by else None,
            "acknowledged_at": a.acknowledged_at.isoformat().replace("+00:00", "Z") if a.acknowledged_at else None,
            "comment": a.comment}


def _write_ack(key: str, changed: dict[str, Any], user: Any) -> None:
    """Called only for an alert not yet acknowledged (push.py keeps the first acknowledgement)."""
    a = _alert(key)
    if a is None:
        raise Missing("the server has no such alert yet (its readings may not be uploaded)")
    when = changed.get("acknowledged_at")
    parsed = parse_datetime(str(when)) if when else None
    if when and parsed is None:
        raise Refused(f"acknowledged_at must be an ISO 8601 time, not {when!r}")
    a.acknowledged_by = user
    a.acknowledged_at = parsed or datetime.now(timezone.utc)
    a.comment = str(changed.get("comment") or "")
    a.save(update_fields=["acknowledged_by", "acknowledged_at", "comment"])


def append_ack_comment(key: str, text: str) -> None:
    """A later acknowledgement never replaces the first: its comment is appended."""
    a = _alert(key)
    if a is not None and text:
        a.comment = f"{a.comment}\n{text}" if a.comment else text
        a.save(update_fields=["comment"])


# -- datasets (renames, and deletions queued offline; online ones use the datasets endpoint) ----
DATASET_FIELDS = ("name",)


def _dataset(key: str) -> Any:
    from server.analytics.models import CSVDataset
    try:
        uuid_key = str(uuid.UUID(key))
    except ValueError:
        raise Refused(f"a dataset key is its client_id (a UUID), not {key!r}") from None
    return CSVDataset.objects.filter(client_id=uuid_key).order_by("id").first()


def _read_dataset(key: str) -> dict[str, Any] | None:
    d = _dataset(key)
    return None if d is None else {"name": d.display_name or d.file_name}


def _write_dataset(key: str, changed: dict[str, Any], user: Any) -> None:
    d = _dataset(key)
    if d is None:
        raise Missing("the dataset is not on the server yet (it is uploaded by the same sync)")
    name = " ".join(str(changed.get("name") or "").split())
    if not name or len(name) > 255:
        raise Refused("a dataset name must be 1 to 255 characters")
    d.display_name = name
    d.save(update_fields=["display_name"])


def _may_write_dataset(key: str, user: Any, deleting: bool) -> str | None:
    """The datasets rule (server.api.permissions.DatasetAccess): admins, or the engineer who
    uploaded it (to rename it or delete it)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return None
    d = _owned_dataset(key, user)
    if role != Role.ENGINEER or (d is not None and d.uploaded_by_id != user.pk):
        return f"only an admin or the engineer who uploaded this dataset can {'delete' if deleting else 'rename'} it"
    return None


def _owned_dataset(key: str, user: Any) -> Any:
    """The dataset with this client_id that `user` uploaded, else the first one (an admin's
    delete of another engineer's dataset)."""
    d = _dataset(key)
    if d is not None and d.uploaded_by_id != getattr(user, "pk", None):
        from server.analytics.models import CSVDataset
        d = CSVDataset.objects.filter(client_id=d.client_id, uploaded_by=user).first() or d
    return d


def _delete_dataset(key: str, user: Any) -> None:
    """A delete queued on a workstation while offline ("delete it on the server too"): the
    dataset and the readings it brought go, as with the datasets endpoint."""
    from server.analytics import services
    d = _owned_dataset(key, user)
    if d is not None:
        services.delete_dataset(d)


KINDS: dict[str, Kind] = {
    "equipment": Kind(EQUIPMENT_FIELDS, _read_equipment, _write_equipment, _delete_equipment,
                      lambda key, f: (f or {}).get("name") or key, _may_write_equipment),
    "limit": Kind(LIMIT_FIELDS, _read_limit, _write_limit, _delete_limit,
                  lambda key, f: f"{key.split('|')[0]} {(f or {}).get('name') or key.split('|')[1]} "
                                 f"{key.split('|')[-1]} limits", _team_write),
    "dataset": Kind(DATASET_FIELDS, _read_dataset, _write_dataset, _delete_dataset,
                    lambda key, f: f"dataset {(f or {}).get('name') or key}", _may_write_dataset),
    "ack": Kind(ACK_FIELDS, _read_ack, _write_ack, None,
                lambda key, f: f"acknowledgement of {key.split('|')[0]} {key.split('|')[1]}", _team_write),
}
