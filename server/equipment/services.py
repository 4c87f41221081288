"""Equipment and readings from uploads, the desktop registry's rules (chemviz_desktop/core/store/
equipment.py `record`): names unique trimmed and case-insensitive (engine.limits.name_key), a
known equipment keeps its type unless the file names one (never overwritten by Unassigned), new
equipment starts with its latest reading's status, one reading per equipment per time (the first
row of the file for that time; a later upload at the same time replaces it). Rows with their own
Timestamp use it; a snapshot's rows all take the upload's time. An equipment's three values are
those of its newest reading.

Writes go in pieces of PIECE rows through server.imports.bulk (PostgreSQL: COPY into a staging
table + INSERT ... ON CONFLICT; SQLite: multi-row INSERT), from the arrays of
server.imports.rows: no Python object per row outlives its piece, so an upload's memory does
not grow with its row count (a 290k-row upload built ~500 MB of tuples before)."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from engine import schema
from engine.readings import ACTIVE, UNASSIGNED_TYPE
from engine.units import ATMOSPHERE_BAR
from server.alerting.services import after_forget, after_upload
from server.imports import bulk
from server.imports.rows import UploadRows, upload_rows

from .models import PARAMETERS, STATUSES, Equipment, ParameterHistory

PIECE = 10_000        # readings (or equipment ids) written per piece
KEY_PIECE = 5_000     # equipment registered per piece: each key is a Python string then (10k held
                      # ~8 MB more at the peak of a 270k-equipment upload)
KEY_BATCH = 900       # names per IN (...) lookup on SQLite, ids per ORM update
VACUUM_TOLERANCE_BAR = 1e-5   # as engine/validate.py
_EQUIPMENT_KINDS = {"id": "int", "equipment_name": "text", "name_key": "text", "equipment_type": "text",
                    "status": "text", **dict.fromkeys(PARAMETERS, "float"), "last_reading_at": "us"}
_READING_KINDS = {"equipment_id": "int", "timestamp": "us", **dict.fromkeys(PARAMETERS, "float"), "status": "text"}


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def tidy_name(name: str) -> str:
    return " ".join(str(name).split())


def value_problem(parameter: str, value: float | None) -> str | None:
    """The engine's value rules for one reading typed into the API (engine/validate.py): finite,
    flowrate not negative, pressure (gauge) not below a perfect vacuum, temperature not below
    absolute zero. None when the value is fine (or absent)."""
    if value is None:
        return None
    if not math.isfinite(value):
        return f"{parameter} must be a finite number."
    if parameter == "flowrate" and value < 0:
        return "flowrate cannot be negative (L/min)."
    if parameter == "pressure" and value < -ATMOSPHERE_BAR - VACUUM_TOLERANCE_BAR:
        return "pressure (bar, gauge) cannot be below a perfect vacuum (-1.01325 bar)."
    if parameter == "temperature" and value < schema.ABSOLUTE_ZERO_C - 1e-9:
        return "temperature cannot be below absolute zero (-273.15 °C)."
    return None


def _known(keys: list[str]) -> dict[str, tuple[int, str]]:
    """Registry id and type of those of the name keys that are known (plain SQL: the ORM's
    per-value preparation of big IN lists cost seconds for 50,000 names)."""
    out: dict[str, tuple[int, str]] = {}
    table = _q(Equipment._meta.db_table)
    head = f"SELECT {_q('name_key')}, {_q('id')}, {_q('equipment_type')} FROM {table} WHERE {_q('name_key')}"
    with connection.cursor() as cur:
        if bulk.on_postgres():     # one array parameter per piece
            cur.execute(f"{head} = ANY(%s)", [keys])
            out.update((k, (pk, t)) for k, pk, t in cur.fetchall())
            return out
        step = bulk.in_batch()
        for i in range(0, len(keys), step):
            part = keys[i:i + step]
            cur.execute(f"{head} IN ({', '.join(['%s'] * len(part))})", part)
            out.update((k, (pk, t)) for k, pk, t in cur.fetchall())
    return out


def record_upload(dataset, rows: UploadRows | pd.DataFrame, taken_at: datetime, user) -> dict[str, int]:
    """Create/update the equipment of an accepted upload's rows and insert their readings; call
    inside the upload's transaction. `rows`: the engine's frame, or better its `upload_rows`
    (then the caller can let the frame go first). Work goes in pieces of PIECE equipment or
    readings: memory stays bounded whatever the file's size. Returns counts (equipment_created,
    equipment_updated, readings)."""
    plan = upload_rows(rows) if isinstance(rows, pd.DataFrame) else rows
    counts = {"equipment_created": 0, "equipment_updated": 0, "readings": 0}
    if not plan.equipment:
        return counts
    stamp = pd.Timestamp(taken_at)
    snapshot_us = (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")).value // 1000
    uid = getattr(user, "pk", None)
    eq_id, fresh, counts["equipment_created"], counts["equipment_updated"] = _register(plan, snapshot_us, uid)
    counts["readings"] = _insert_readings(plan, eq_id, snapshot_us, uid, getattr(dataset, "pk", None))
    # the others show this upload's newest reading if it is at least as new as what they show
    old = np.flatnonzero(~fresh)
    newest = plan.newest[old]
    _take_newest(eq_id[old], plan.times(newest, snapshot_us), {p: v[newest] for p, v in plan.values.items()})
    # alerts, same transaction; per piece of equipment (alerts are per equipment: the same result
    # as one call) so the alert code's id sets stay small
    for lo in range(0, len(eq_id), PIECE):
        after_upload(eq_id[lo:lo + PIECE].tolist(), None if plan.us is not None else snapshot_us)
    return counts


def _status_text(plan: UploadRows, idx: np.ndarray) -> pa.Array:
    return pa.array(plan.statuses, pa.string()).take(pa.array(plan.status[idx]))


def _register(plan: UploadRows, snapshot_us: int, uid: int | None) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Equipment ids per key (new ones inserted with their newest values, a named type set on
    known ones), in pieces of KEY_PIECE keys. Returns (ids, which were created, created, retyped)."""
    eq_id = np.zeros(plan.equipment, dtype=np.int64)
    fresh = np.zeros(plan.equipment, dtype=bool)
    created = retyped = 0
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    storable = pa.array([s if s in STATUSES else ACTIVE for s in plan.statuses], pa.string())
    returning = connection.features.can_return_rows_from_bulk_insert
    for lo in range(0, plan.equipment, KEY_PIECE):
        keys = plan.keys.slice(lo, KEY_PIECE).to_pylist()
        found = _known(keys)
        new = np.array([i for i, k in enumerate(keys) if k not in found], dtype=np.int64)
        if len(new):
            at, newest = lo + new, plan.newest[lo + new]
            piece = pa.table({
                "equipment_name": plan.shown.take(pa.array(at)), "name_key": plan.keys.take(pa.array(at)),
                "equipment_type": pa.array(plan.kinds, pa.string()).take(pa.array(plan.kind[at])),
                "status": storable.take(pa.array(plan.status[newest])),
                **{p: pa.array(plan.values[p][newest]) for p in PARAMETERS},
                "last_reading_at": pa.array(plan.times(newest, snapshot_us))})
            inserted = bulk.insert(Equipment._meta.db_table, piece, _EQUIPMENT_KINDS,
                                   constants=[("notes", "text", ""), ("created_by_id", "int", uid),
                                              ("created_at", "datetime", stamp), ("updated_at", "datetime", stamp)],
                                   conflict=f"ON CONFLICT ({_q('name_key')}) DO NOTHING",
                                   returning=("name_key", "id", "equipment_type") if returning else ())
            del piece
            added = {k: (pk, t) for k, pk, t in inserted}
            missing = [keys[i] for i in new if keys[i] not in added]
            if missing:              # inserted by a concurrent upload (or no RETURNING here)
                found.update(_known(missing))
                if not returning:
                    added = {k: found[k] for k in missing}
            created += len(added)
            found.update(added)
            fresh[lo + new] = [keys[i] in added for i in new]
        ids = np.fromiter((found[k][0] for k in keys), dtype=np.int64, count=len(keys))
        eq_id[lo:lo + len(keys)] = ids
        retype: dict[str, list[int]] = {}
        for i in np.flatnonzero(~fresh[lo:lo + len(keys)]).tolist():
            kind = plan.kinds[plan.kind[lo + i]]
            if kind != UNASSIGNED_TYPE and kind != found[keys[i]][1]:
                retype.setdefault(kind, []).append(int(ids[i]))
        for kind, ids in retype.items():
            for i in range(0, len(ids), KEY_BATCH):
                Equipment.objects.filter(id__in=ids[i:i + KEY_BATCH]).update(equipment_type=kind, updated_at=now)
            retyped += len(ids)
    return eq_id, fresh, created, retyped


def _insert_readings(plan: UploadRows, eq_id: np.ndarray, snapshot_us: int, uid: int | None,
                     did: int | None) -> int:
    """One reading per row kept; a reading already at that equipment and time is replaced (the
    newer upload wins, as on the desktop). In pieces of PIECE readings."""
    table = ParameterHistory._meta.db_table
    updated = [*PARAMETERS, "status", "recorded_by_id", "dataset_id"]
    conflict = (f"ON CONFLICT ({_q('equipment_id')}, {_q('timestamp')}) DO UPDATE SET "
                + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in updated))
    for lo in range(0, len(plan.rows), PIECE):
        idx = plan.rows[lo:lo + PIECE]
        piece = pa.table({"equipment_id": pa.array(eq_id[plan.key[idx]]),
                          "timestamp": pa.array(plan.times(idx, snapshot_us)),
                          **{p: pa.array(plan.values[p][idx]) for p in PARAMETERS},
                          "status": _status_text(plan, idx)})
        bulk.insert(table, piece, _READING_KINDS, constants=[("recorded_by_id", "int", uid), ("dataset_id", "int", did)],
                    conflict=conflict)
    return len(plan.rows)


def _take_newest(eq: np.ndarray, us: np.ndarray, values: dict[str, np.ndarray]) -> None:
    """Known equipment show these values unless they already show a newer reading."""
    for lo in range(0, len(eq), PIECE):
        piece = pa.table({"id": pa.array(eq[lo:lo + PIECE]),
                          **{p: pa.array(values[p][lo:lo + PIECE]) for p in PARAMETERS},
                          "last_reading_at": pa.array(us[lo:lo + PIECE])})
        bulk.update_by_id(Equipment._meta.db_table, piece, _EQUIPMENT_KINDS,
                          set_columns=[*PARAMETERS, "last_reading_at"], unless_newer="last_reading_at")


def refresh_current(ids: list[int]) -> None:
    """Set each equipment's values (and last_reading_at) to its newest reading's; equipment
    without readings keep theirs. One UPDATE per batch of ids."""
    for i in range(0, len(ids), KEY_BATCH):
        part = ids[i:i + KEY_BATCH]
        newest = ParameterHistory.objects.filter(equipment=OuterRef("pk")).order_by("-timestamp", "-id")
        has = Exists(ParameterHistory.objects.filter(equipment=OuterRef("pk")))
        (Equipment.objects.filter(has, id__in=part)
         .update(**{p: Subquery(newest.values(p)[:1]) for p in PARAMETERS},
                 last_reading_at=Subquery(newest.values("timestamp")[:1])))


def forget_dataset(dataset) -> None:
    """Remove the readings a dataset brought (deleting a dataset, as the desktop does) and refresh
    the values of the equipment they belonged to."""
    ids = list(ParameterHistory.objects.filter(dataset=dataset).values_list("equipment_id", flat=True)
               .distinct())
    ParameterHistory.objects.filter(dataset=dataset).delete()
    refresh_current(ids)
    after_forget(ids)
