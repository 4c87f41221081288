"""Alerts follow the data, the desktop's rules (chemviz_desktop/core/store/alerts.py), all in the
transaction of the change that causes them:

- Alerts are derived from the stored readings and the current rules, re-derived when either
  changes: an upload (`after_upload`, called by equipment.services.record_upload), a deleted
  dataset (`after_forget`), a rule created, changed or deleted (`reevaluate` of the equipment
  the old and new rule apply to).
- Only readings taken while running count (status active).
- Snapshot readings (an upload without timestamps: every row at the upload's time, noted in
  PointTime) give point alerts starting and ending at that time. All other readings of an
  equipment are its time series: its alerts are the excursions (deadband, on-delay, worst level)
  over ALL of them in time order, whatever upload they came from. Both are computed by
  `engine.alerts.point_rows` / `series_rows`, the core the desktop store calls too.
- Identity is (equipment, parameter, level, start): re-evaluating finds the same alerts and keeps
  their id and acknowledgement, updating end, last, peak and limit.
- An alert no longer found is deleted when unacknowledged; an acknowledged one stays, closed at
  its last reading beyond the limit if it was active.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Iterable

import numpy as np
import pandas as pd
from django.db.models import F

from engine.alerts import point_rows, series_rows
from engine.limits import PARAMETERS, LimitSet, limited_equipment, name_key
from engine.readings import ACTIVE
from engine.schema import display_type
from server.equipment.models import Equipment, ParameterHistory

from .models import Alert, AlertRule, PointTime

BATCH = 900
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

# (equipment id, parameter, level, limit, start µs, end µs | None, last µs, peak)
Row = tuple[int, str, str, float, int, "int | None", int, float]


def _us(dt: datetime) -> int:
    return (dt - _EPOCH) // _US


def _dt(us: int | None) -> datetime | None:
    return None if us is None else _EPOCH + timedelta(microseconds=int(us))


def dormant() -> bool:
    """No rules and no alerts: nothing can change, uploads skip the work."""
    return not AlertRule.objects.exists() and not Alert.objects.exists()


def limit_set() -> LimitSet:
    return LimitSet(r.limit() for r in AlertRule.objects.all())


def _batches(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted({int(i) for i in ids})
    for i in range(0, len(ids), BATCH):
        yield ids[i:i + BATCH]


def _registry(ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    out: dict[int, tuple[str, str]] = {}
    for part in _batches(ids):
        out.update({int(i): (str(n), str(t)) for i, n, t in
                    Equipment.objects.filter(id__in=part).values_list("id", "equipment_name", "equipment_type")})
    return out




def _readings(ids: set[int], point: bool, times: set[int] | None = None) -> pd.DataFrame:
    """Running readings (eq, us, flowrate, pressure, temperature) of these equipment: the
    snapshot ones (at PointTime times, or only at `times`) or the time-series ones (all others)."""
    cols = ["eq", "us", *PARAMETERS]
    rows: list[tuple] = []
    points = PointTime.objects.values("taken_at")
    for part in _batches(ids):
        qs = ParameterHistory.objects.filter(equipment_id__in=part, status=ACTIVE)
        if point:
            qs = qs.filter(timestamp__in=[_dt(t) for t in times]) if times is not None \
                else qs.filter(timestamp__in=points)
        else:
            qs = qs.exclude(timestamp__in=points)
        rows.extend(qs.values_list("equipment_id", "timestamp", *PARAMETERS))
    if not rows:
        return pd.DataFrame(columns=cols)
    frame = pd.DataFrame(rows, columns=["eq", "ts", *PARAMETERS])
    frame["us"] = [_us(t) for t in frame["ts"]]
    frame = frame.astype({p: float for p in PARAMETERS})
    return frame[cols].sort_values(["eq", "us"], kind="stable").reset_index(drop=True)


def _desired(frame: pd.DataFrame, registry: dict[int, tuple[str, str]], limits: LimitSet, point: bool) -> list[Row]:
    """The alert rows the readings should have: engine.alerts, the desktop store's core too."""
    eq, us = frame["eq"].to_numpy(dtype=np.int64), frame["us"].to_numpy(dtype=np.int64)
    values = {p: frame[p].to_numpy(dtype=float) for p in PARAMETERS}
    rows = (point_rows(eq, us, values, registry, limits) if point
            else series_rows(eq, us, values, registry, limits, unit_ns=1000))
    return [r[:8] for r in rows]


def _reconcile(kind: str, desired: list[Row], equipment_ids: set[int], times: set[int] | None) -> None:
    """Upsert the alerts found (acknowledgements untouched); delete the unacknowledged ones of
    this kind, equipment (and times) no longer found; close the acknowledged active ones."""
    if desired:
        Alert.objects.bulk_create(
            [Alert(equipment_id=r[0], parameter=r[1], level=r[2], limit_value=r[3], start=_dt(r[4]), end=_dt(r[5]),
                   last=_dt(r[6]), peak=r[7], kind=kind) for r in desired],
            batch_size=500, update_conflicts=True, unique_fields=["equipment", "parameter", "level", "start"],
            update_fields=["limit_value", "end", "last", "peak", "kind"])
    keep = {(r[0], r[1], r[2], r[4]) for r in desired}
    gone, close = [], []
    for part in _batches(equipment_ids):
        qs = Alert.objects.filter(kind=kind, equipment_id__in=part)
        if times is not None:
            qs = qs.filter(start__in=[_dt(t) for t in times])
        for aid, eid, p, level, start, end, acked in qs.values_list(
                "id", "equipment_id", "parameter", "level", "start", "end", "acknowledged_at"):
            if (int(eid), p, level, _us(start)) in keep:
                continue
            if acked is None:
                gone.append(aid)
            elif end is None:
                close.append(aid)
    for part in _batches(gone):
        Alert.objects.filter(id__in=part).delete()
    for part in _batches(close):
        Alert.objects.filter(id__in=part).update(end=F("last"))


def evaluate(equipment_ids: Iterable[int], *, series: bool, point_times: set[int] | None = None,
             all_points: bool = False) -> None:
    """Re-derive the alerts of these equipment: their series alerts (when `series`) and their
    point alerts at `point_times` (epoch µs), or at every snapshot time (`all_points`)."""
    ids = {int(i) for i in equipment_ids}
    if not ids or dormant():
        return
    limits = limit_set()
    registry = _registry(ids)
    relevant = limited_equipment(registry, limits)
    if series:
        _reconcile("series", _desired(_readings(relevant, False), registry, limits, False), ids, None)
    if all_points or point_times:
        times = None if all_points else point_times
        _reconcile("point", _desired(_readings(relevant, True, times), registry, limits, True), ids, times)


def after_upload(equipment_ids: Iterable[int], snapshot_us: int | None) -> None:
    """An upload stored readings of these equipment: a snapshot at `snapshot_us` (epoch µs) or
    time-series readings (None). Call inside the upload's transaction, after the readings."""
    if snapshot_us is not None:
        PointTime.objects.get_or_create(taken_at=_dt(snapshot_us))
        evaluate(equipment_ids, series=False, point_times={int(snapshot_us)})
    else:
        evaluate(equipment_ids, series=True)


def after_forget(equipment_ids: Iterable[int]) -> None:
    """Readings of these equipment were deleted (a dataset deleted)."""
    reevaluate(equipment_ids)


def reevaluate(equipment_ids: Iterable[int]) -> None:
    """Re-derive every alert (series and snapshot) of these equipment, e.g. after a rule change."""
    evaluate(equipment_ids, series=True, all_points=True)


def equipment_for(keys: Iterable[tuple[str, str]]) -> set[int]:
    """The equipment rules with these (scope, name_key) apply to: by name, or by type (spellings
    of a type as LimitSet.for_type matches them)."""
    keys = set(keys)
    names = {k for s, k in keys if s == "equipment"}
    kinds = {k for s, k in keys if s == "type"}
    ids: set[int] = set()
    if names:
        for part in _batches_str(names):
            ids |= set(Equipment.objects.filter(name_key__in=part).values_list("id", flat=True))
    if kinds:
        types = [t for t in Equipment.objects.values_list("equipment_type", flat=True).distinct()
                 if name_key(t) in kinds or name_key(display_type(t)) in kinds]
        if types:
            ids |= set(Equipment.objects.filter(equipment_type__in=types).values_list("id", flat=True))
    return ids


def _batches_str(items: set[str]) -> Iterable[list[str]]:
    items_l = sorted(items)
    for i in range(0, len(items_l), BATCH):
        yield items_l[i:i + BATCH]
