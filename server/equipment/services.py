"""Equipment and readings from uploads, the desktop registry's rules (chemviz_desktop/core/store/
equipment.py `record`): names unique trimmed and case-insensitive (engine.limits.name_key), a
known equipment keeps its type unless the file names one (never overwritten by Unassigned), new
equipment starts with its latest reading's status, one reading per equipment per time (the first
row of the file for that time; a later upload at the same time replaces it). Rows with their own
Timestamp use it; a snapshot's rows all take the upload's time. Readings go in with bulk_create in
batches. An equipment's three values are those of its newest reading (`refresh_current`)."""
from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from engine import schema
from engine.frames import accepted_rows
from engine.limits import name_key
from engine.readings import ACTIVE, STATUS, TIMESTAMP, UNASSIGNED_TYPE
from engine.units import ATMOSPHERE_BAR

from .models import PARAMETERS, STATUSES, Equipment, ParameterHistory

BATCH = 2000          # rows per INSERT (SQLite's variable limit is respected by Django as well)
KEY_BATCH = 900       # names per IN (...) lookup
_COLUMN = {"flowrate": schema.FLOWRATE, "pressure": schema.PRESSURE, "temperature": schema.TEMPERATURE}
VACUUM_TOLERANCE_BAR = 1e-5   # as engine/validate.py


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
    out: dict[str, tuple[int, str]] = {}
    for i in range(0, len(keys), KEY_BATCH):
        for k, pk, t in Equipment.objects.filter(name_key__in=keys[i:i + KEY_BATCH]).values_list(
                "name_key", "id", "equipment_type"):
            out[k] = (pk, t)
    return out


def record_upload(dataset, frame: pd.DataFrame, taken_at: datetime, user) -> dict[str, int]:
    """Create/update the equipment of an accepted upload's rows and insert their readings; call
    inside the upload's transaction. Returns counts (equipment_created, equipment_updated,
    readings)."""
    ok = accepted_rows(frame)
    counts = {"equipment_created": 0, "equipment_updated": 0, "readings": 0}
    if not len(ok):
        return counts
    names = ok[schema.NAME].astype(str).to_numpy(dtype=object)
    types = (ok[schema.TYPE].astype(str).to_numpy(dtype=object) if schema.TYPE in ok
             else np.full(len(ok), UNASSIGNED_TYPE, dtype=object))
    codes, distinct = pd.factorize(names, sort=False)          # name_key once per distinct spelling
    dkeys = np.array([name_key(n) for n in distinct], dtype=object)
    kcodes, ukeys = pd.factorize(dkeys[codes], sort=False)      # row -> distinct key
    ukeys = [str(k) for k in ukeys]
    first = np.full(len(ukeys), -1, dtype=np.int64)
    first[kcodes[::-1]] = np.arange(len(kcodes))[::-1]          # first row of each key

    if TIMESTAMP in ok:
        ns = pd.DatetimeIndex(pd.to_datetime(ok[TIMESTAMP], utc=True)).as_unit("ns").asi8
    else:
        ns = np.full(len(ok), pd.Timestamp(taken_at).tz_convert("UTC").value
                     if pd.Timestamp(taken_at).tzinfo else pd.Timestamp(taken_at, tz="UTC").value, dtype=np.int64)
    us = ns // 1000                                              # the database keeps microseconds
    status = (ok[STATUS].to_numpy(dtype=object) if STATUS in ok
              else np.full(len(ok), ACTIVE, dtype=object))
    values = {p: (pd.to_numeric(ok[c], errors="coerce").to_numpy(dtype=float) if c in ok
                  else np.full(len(ok), np.nan)) for p, c in _COLUMN.items()}

    # one reading per equipment per time: the first row of the file for it
    order = np.lexsort((np.arange(len(ok)), us, kcodes))
    k_s, us_s = kcodes[order], us[order]
    keep = np.concatenate(([True], (k_s[1:] != k_s[:-1]) | (us_s[1:] != us_s[:-1])))
    rows = order[keep]

    known = _known(ukeys)
    now = timezone.now()
    new = [j for j, k in enumerate(ukeys) if k not in known]
    if new:
        # latest reading of each new equipment (rows sorted by key, time): its status to start with
        last_row = {}
        for r in rows:
            last_row[int(kcodes[r])] = int(r)
        fresh = []
        for j in new:
            st = status[last_row[j]] if STATUS in ok else ACTIVE
            kind = str(types[first[j]]).strip() or UNASSIGNED_TYPE   # the engine's display form
            fresh.append(Equipment(equipment_name=tidy_name(names[first[j]]), name_key=ukeys[j],
                                   equipment_type=kind[:50] or UNASSIGNED_TYPE,
                                   status=st if st in STATUSES else ACTIVE, created_by=user))
        Equipment.objects.bulk_create(fresh, batch_size=BATCH, ignore_conflicts=True)
        added = _known([ukeys[j] for j in new])
        counts["equipment_created"] = len(added)
        known.update(added)
        fresh_keys = set(added)
    else:
        fresh_keys = set()
    retype: dict[str, list[int]] = {}
    for j, k in enumerate(ukeys):
        if k in fresh_keys:
            continue
        t = str(types[first[j]]).strip()
        if t and t != UNASSIGNED_TYPE:
            t = t[:50]
            if t != known[k][1]:
                retype.setdefault(t, []).append(known[k][0])
    for t, ids in retype.items():
        for i in range(0, len(ids), KEY_BATCH):
            Equipment.objects.filter(id__in=ids[i:i + KEY_BATCH]).update(equipment_type=t, updated_at=now)
    counts["equipment_updated"] = sum(len(v) for v in retype.values())

    eq_id = np.fromiter((known[k][0] for k in ukeys), dtype=np.int64, count=len(ukeys))
    times = pd.to_datetime(us[rows] * 1000, utc=True).to_pydatetime()
    objs = []
    for n, r in enumerate(rows):
        st = status[r]
        objs.append(ParameterHistory(
            equipment_id=int(eq_id[kcodes[r]]), timestamp=times[n], status=None if st is None else str(st),
            recorded_by=user, dataset=dataset,
            **{p: (None if np.isnan(values[p][r]) else float(values[p][r])) for p in PARAMETERS}))
        if len(objs) >= BATCH:
            _insert(objs)
            objs = []
    if objs:
        _insert(objs)
    counts["readings"] = len(rows)
    refresh_current(eq_id.tolist())
    return counts


def _insert(objs: list[ParameterHistory]) -> None:
    ParameterHistory.objects.bulk_create(
        objs, batch_size=BATCH, update_conflicts=True, unique_fields=["equipment", "timestamp"],
        update_fields=["flowrate", "pressure", "temperature", "status", "recorded_by", "dataset"])


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
