"""Equipment and readings from uploads, the desktop registry's rules (chemviz_desktop/core/store/
equipment.py `record`): names unique trimmed and case-insensitive (engine.limits.name_key), a
known equipment keeps its type unless the file names one (never overwritten by Unassigned), new
equipment starts with its latest reading's status, one reading per equipment per time (the first
row of the file for that time; a later upload at the same time replaces it). Rows with their own
Timestamp use it; a snapshot's rows all take the upload's time. Readings go in as a bulk insert,
batches of plain INSERT ... ON CONFLICT statements. An equipment's three values are those of its
newest reading."""
from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import repeat

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from engine import schema
from engine.frames import accepted_rows
from engine.limits import names_and_keys
from engine.readings import ACTIVE, STATUS, TIMESTAMP, UNASSIGNED_TYPE
from engine.units import ATMOSPHERE_BAR
from server.alerting.services import after_forget, after_upload

from .models import PARAMETERS, STATUSES, Equipment, ParameterHistory

BATCH = 2000          # rows per executemany
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
    """Registry id and type of those of the name keys that are known (plain SQL: the ORM's
    per-value preparation of big IN lists cost seconds for 50,000 names)."""
    out: dict[str, tuple[int, str]] = {}
    table = _q(Equipment._meta.db_table)
    with connection.cursor() as cur:
        for i in range(0, len(keys), KEY_BATCH):
            part = keys[i:i + KEY_BATCH]
            cur.execute(f"SELECT {_q('name_key')}, {_q('id')}, {_q('equipment_type')} FROM {table}"
                        f" WHERE {_q('name_key')} IN ({', '.join(['%s'] * len(part))})", part)
            for k, pk, t in cur.fetchall():
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
    shown, dkeys = names_and_keys(np.asarray(distinct, dtype=object))
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

    # each equipment's newest reading in this file (rows are sorted by key, then time)
    rk = kcodes[rows]
    is_last = np.concatenate((rk[1:] != rk[:-1], [True]))
    newest_row = np.empty(len(ukeys), dtype=np.int64)
    newest_row[rk[is_last]] = rows[is_last]

    known = _known(ukeys)
    now = timezone.now()
    new = [j for j, k in enumerate(ukeys) if k not in known]
    has_status = STATUS in ok
    fresh_keys: set[str] = set()
    if new:
        new_rows = newest_row[new]
        first_rows = first[new]
        shown_row = shown[codes[first_rows]]                      # the file's first spelling, tidied
        kinds = [(str(t).strip() or UNASSIGNED_TYPE)[:50] for t in types[first_rows]]   # the engine's form
        sts = [st if st in STATUSES else ACTIVE for st in
               (status[new_rows] if has_status else np.full(len(new), ACTIVE, dtype=object))]
        fresh = list(zip(shown_row.tolist(), [ukeys[j] for j in new], kinds, sts,
                         *(_nullable(values[p][new_rows]) for p in PARAMETERS), _times(us[new_rows]),
                         strict=True))
        _insert_equipment(fresh, user, now)
        added = _known([ukeys[j] for j in new])
        counts["equipment_created"] = len(added)
        known.update(added)
        fresh_keys = set(added)
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
    _insert_readings(eq_id[kcodes[rows]], us[rows], status[rows], {p: v[rows] for p, v in values.items()},
                     user, dataset)
    counts["readings"] = len(rows)
    # the others show this upload's newest reading if it is at least as new as what they show
    old = np.array([k not in fresh_keys for k in ukeys], dtype=bool)
    newest = newest_row[old]
    _take_newest(eq_id[old], us[newest], {p: v[newest] for p, v in values.items()})
    after_upload(eq_id.tolist(), None if TIMESTAMP in ok else int(us[0]))   # alerts, same transaction
    return counts


# Plain parameterised SQL through the driver's executemany, in batches: the ORM's bulk_create
# built a model instance and prepared every value per row (~0.5 ms a row on a busy 2-core
# machine, a minute for 50,000 rows); this is the same statement, valid on SQLite (3.24+) and
# PostgreSQL: INSERT ... ON CONFLICT.

def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _times(us: np.ndarray) -> list:
    """Epoch microseconds as the driver's datetime values, all at once: SQLite gets Django's text
    form (str() of the naive UTC datetime, no fraction when it is zero), so comparisons in SQL agree
    with the ORM's; other databases get aware datetimes."""
    if connection.vendor != "sqlite":
        return [datetime.fromtimestamp(0, UTC) + timedelta(microseconds=int(u)) for u in us.tolist()]
    import pyarrow as pa
    import pyarrow.compute as pc
    text = pa.array(np.datetime_as_string(np.asarray(us, dtype=np.int64).astype("datetime64[us]"), unit="us"))
    return pc.replace_substring_regex(pc.replace_substring(text, "T", " "), r"\.000000$", "").to_pylist()


def _nullable(v: np.ndarray) -> list:
    """Floats with NaN as None (NULL), for a whole column at once."""
    out = np.asarray(v, dtype=float).astype(object)
    out[np.isnan(np.asarray(v, dtype=float))] = None
    return out.tolist()


def _opt(v: float) -> float | None:
    return None if v != v else float(v)          # NaN -> NULL


def _insert_equipment(fresh: list[tuple], user, now) -> None:
    """Rows of (name, key, type, status, flowrate, pressure, temperature, last_reading_at)."""
    table = _q(Equipment._meta.db_table)
    cols = ["equipment_name", "name_key", "equipment_type", "status", *PARAMETERS, "last_reading_at", "notes",
            "created_by_id", "created_at", "updated_at"]
    sql = (f"INSERT INTO {table} ({', '.join(_q(c) for c in cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
           f" ON CONFLICT ({_q('name_key')}) DO NOTHING")
    stamp = connection.ops.adapt_datetimefield_value(now)
    uid = getattr(user, "pk", None)
    with connection.cursor() as cur:
        for i in range(0, len(fresh), BATCH):
            cur.executemany(sql, [(*row, "", uid, stamp, stamp) for row in fresh[i:i + BATCH]])


def _insert_readings(eq: np.ndarray, us: np.ndarray, status: np.ndarray, values: dict[str, np.ndarray],
                     user, dataset) -> None:
    """One reading per row; a reading already at that equipment and time is replaced (the newer
    upload wins, as on the desktop)."""
    table = _q(ParameterHistory._meta.db_table)
    cols = ["equipment_id", "timestamp", *PARAMETERS, "status", "recorded_by_id", "dataset_id"]
    updated = [*PARAMETERS, "status", "recorded_by_id", "dataset_id"]
    sql = (f"INSERT INTO {table} ({', '.join(_q(c) for c in cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
           f" ON CONFLICT ({_q('equipment_id')}, {_q('timestamp')}) DO UPDATE SET "
           + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in updated))
    uid, did = getattr(user, "pk", None), getattr(dataset, "pk", None)
    sts = [None if x is None else str(x) for x in status.tolist()]
    rows = list(zip(eq.tolist(), _times(us), *(_nullable(values[p]) for p in PARAMETERS), sts,
                    repeat(uid), repeat(did)))
    with connection.cursor() as cur:
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, rows[i:i + BATCH])


def _take_newest(eq: np.ndarray, us: np.ndarray, values: dict[str, np.ndarray]) -> None:
    table = _q(Equipment._meta.db_table)
    last = _q("last_reading_at")
    sql = (f"UPDATE {table} SET {', '.join(f'{_q(p)} = %s' for p in PARAMETERS)}, {last} = %s"
           f" WHERE {_q('id')} = %s AND ({last} IS NULL OR {last} <= %s)")
    tss = _times(us)
    rows = list(zip(*(_nullable(values[p]) for p in PARAMETERS), tss, eq.tolist(), tss, strict=True))
    with connection.cursor() as cur:
        for i in range(0, len(rows), BATCH):
            cur.executemany(sql, rows[i:i + BATCH])


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
