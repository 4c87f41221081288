"""Seed §3.4 analytics over the equipment registry: trends (engine.trends), equipment comparison,
and the registry export as CSV."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
from django.db import connection
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from pyarrow import csv as pa_csv
from rest_framework.response import Response
from rest_framework.views import APIView

from engine.formula import neutralise
from engine.readings import ACTIVE
from engine.trends import bucket, data_points
from server.api.query import MAX_ID
from server.api.throttles import ScopedThrottle

from . import params
from .models import PARAMETERS, Equipment, ParameterHistory
from .serializers import READING_FIRST, READING_LAST
from .views import filtered_equipment

INTERVALS = ("hourly", "daily", "weekly", "raw")   # the seed's three, plus every reading as it is
MAX_COMPARE = 100
CHUNK = 2000
FETCH = 50_000        # SQLite rows per fetch when reading a trend's window
PAGE = 1_000_000      # PostgreSQL readings per page (one text value of ~25 MB; the limit is 1 GB)
_READ = pa_csv.ReadOptions(column_names=["t", "value"], block_size=8 << 20)
_CONVERT = pa_csv.ConvertOptions(column_types={"t": pa.timestamp("us", tz="UTC"), "value": pa.float64()})


def _window_query(equipment_id: int, parameter: str, start, end, running_only: bool,
                  select: str, after=None, limit: int | None = None) -> tuple[str, list]:
    """SELECT <select> over one equipment's readings in start <= t < end (and t > after), in
    time order (the unique index on equipment + timestamp serves it). `select` names the time
    column {ts} and the value column {v}; names come from the model, the parameter is one of
    PARAMETERS (checked by the caller)."""
    meta, q = ParameterHistory._meta, connection.ops.quote_name
    col = {f: q(meta.get_field(f).column) for f in ("equipment", "timestamp", "status", parameter)}
    where, args = [f"{col['equipment']} = %s"], [int(equipment_id)]
    adapt = connection.ops.adapt_datetimefield_value
    for op, bound in ((">=", start), ("<", end), (">", after)):
        if bound is not None:
            where.append(f"{col['timestamp']} {op} %s")
            args.append(adapt(bound) if isinstance(bound, datetime) else bound)
    if running_only:
        where.append(f"{col['status']} = %s")
        args.append(ACTIVE)
    sql = (f"SELECT {select.format(ts=col['timestamp'], v=col[parameter])} FROM {q(meta.db_table)}"
           f" WHERE {' AND '.join(where)} ORDER BY {col['timestamp']}")
    return sql + (f" LIMIT {int(limit)}" if limit else ""), args


def _postgres(equipment_id: int, parameter: str, start, end, running_only: bool) -> tuple[np.ndarray, np.ndarray]:
    """The window in pages of PAGE readings, each page ONE text value built by the server
    ("time,value" lines, string_agg; a timestamptz as text carries its offset, so it is exact
    whatever the session's zone, and cheaper for the server than an epoch in numeric) and parsed
    by Arrow's CSV reader: no Python object and no driver call per reading (a cursor or COPY
    hands rows over one by one). Order within a page does not matter (engine.trends sorts);
    pages follow the time index."""
    us, values = [], []
    after = None
    while True:
        inner, args = _window_query(
            equipment_id, parameter, start, end, running_only,
            "{ts} AS t, {ts}::text || ',' || COALESCE({v}::text, '') AS line",
            after=after, limit=PAGE)
        with connection.cursor() as cur:
            cur.execute(f"SELECT count(*), max(t), string_agg(line, E'\\n') FROM ({inner}) AS w", args)
            n, after, text = cur.fetchone()
        if n:
            table = pa_csv.read_csv(io.BytesIO(text.encode()), read_options=_READ, convert_options=_CONVERT)
            us.append(table.column("t").cast(pa.int64()).to_numpy())
            values.append(table.column("value").to_numpy(zero_copy_only=False))
        if n < PAGE:
            break
    if not us:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
    return np.concatenate(us), np.concatenate(values).astype(float, copy=False)


def _text_us(texts: tuple) -> np.ndarray:
    """Django's SQLite times ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC) as epoch µs; any other ISO
    spelling (an offset) through pandas."""
    try:
        return pa.array(texts, pa.string()).cast(pa.timestamp("us")).cast(pa.int64()).to_numpy()
    except pa.ArrowInvalid:
        return pd.DatetimeIndex(pd.to_datetime(list(texts), utc=True, format="ISO8601")).as_unit("us").asi8


def _sqlite(sql: str, args: list) -> tuple[np.ndarray, np.ndarray]:
    """Rows in pieces; times as text (no datetime object per reading), parsed by Arrow."""
    us, values = [], []
    with connection.cursor() as cur:
        cur.execute(sql, args)
        while rows := cur.fetchmany(FETCH):
            texts, vals = zip(*rows, strict=True)
            us.append(_text_us(texts))
            values.append(np.array(vals, dtype=float))       # None (no value) -> NaN
    if not us:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
    return np.concatenate(us), np.concatenate(values)


_TRENDS_END = READING_LAST + timedelta(days=1)     # exclusive: READING_LAST itself is a reading's time


def readings_frame(equipment: Equipment, parameter: str, start=None, end=None,
                   running_only: bool = True) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """One equipment's readings of one parameter in start <= t < end (running ones only unless
    told otherwise: an Offline reading of 0.0 is not a flow of zero, the desktop's rule), read
    as columns straight from the database (no model instance, no datetime per reading): a
    trend over millions of readings costs the transfer and engine.trends' vectorised work.
    Only times the API accepts for a reading count (READING_FIRST..READING_LAST): readings stored
    before that range was enforced (one from the year 339) made every trend of their equipment
    a 500; they stay in the equipment's history."""
    start = READING_FIRST if start is None or start < READING_FIRST else start
    end = _TRENDS_END if end is None or end > _TRENDS_END else end
    if connection.vendor == "postgresql":
        us, values = _postgres(equipment.pk, parameter, start, end, running_only)
    elif connection.vendor == "sqlite":
        us, values = _sqlite(*_window_query(equipment.pk, parameter, start, end, running_only,
                                            "CAST({ts} AS TEXT), {v}"))
    else:   # other databases: the ORM's values (slower, same result)
        qs = ParameterHistory.objects.filter(equipment=equipment)
        if start is not None:
            qs = qs.filter(timestamp__gte=start)
        if end is not None:
            qs = qs.filter(timestamp__lt=end)
        if running_only:
            qs = qs.filter(status=ACTIVE)
        rows = list(qs.order_by("timestamp").values_list("timestamp", parameter))
        times = pd.DatetimeIndex(pd.to_datetime([r[0] for r in rows], utc=True))
        return times, np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)
    return pd.DatetimeIndex(pd.to_datetime(us, unit="us", utc=True)), values


class TrendsView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("equipment_id", int, required=True),
        OpenApiParameter("parameter", str, required=True, enum=list(PARAMETERS)),
        OpenApiParameter("start_date", str, description="ISO 8601 date or date-time (UTC without a zone)"),
        OpenApiParameter("end_date", str, description="ISO 8601 date or date-time; a date includes its day"),
        OpenApiParameter("interval", str, enum=list(INTERVALS), description="default daily"),
        OpenApiParameter("all_status", bool, description="include readings taken while not running")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        q = request.query_params
        ident = params.positive_int(q.get("equipment_id"), "equipment_id")
        parameter = (q.get("parameter") or "").strip().lower()
        if parameter not in PARAMETERS:
            raise params.bad("parameter", f"must be one of {', '.join(PARAMETERS)}.")
        interval = (params.given(request, "interval") or "daily").lower()
        if interval not in INTERVALS:
            raise params.bad("interval", f"must be one of {', '.join(INTERVALS)}.")
        start, end = params.window(request)
        running_only = not params.flag(request, "all_status")
        eq = get_object_or_404(Equipment, pk=ident)
        times, values = readings_frame(eq, parameter, start, end, running_only)
        points = data_points(bucket(times, values, interval))
        return Response({"equipment_id": eq.pk, "equipment_name": eq.equipment_name, "parameter": parameter,
                         "interval": interval, "data_points": points})


def _ids(raw: str | None) -> list[int]:
    parts = [p.strip() for p in (raw or "").split(",") if p.strip()]
    out: list[int] = []
    for p in parts:
        try:
            value = int(p)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_ID:
            raise params.bad("equipment_ids", "must be equipment ids separated by commas, e.g. 1,2,3.")
        if value not in out:
            out.append(value)
    if len(out) < 2:
        raise params.bad("equipment_ids", "needs at least two different equipment ids, e.g. 1,2.")
    if len(out) > MAX_COMPARE:
        raise params.bad("equipment_ids", f"takes at most {MAX_COMPARE} ids.")
    return out


def highest_lowest(items: list[dict], parameter: str) -> dict:
    """Highest and lowest value of one parameter among the equipment (equipment without a value
    are left out; on a tie the first in the order asked wins)."""
    have = [(e["id"], e[parameter]) for e in items if e[parameter] is not None]
    if not have:
        return {"highest": None, "lowest": None}
    hi = max(have, key=lambda x: x[1])       # max/min keep the first of equal values
    lo = min(have, key=lambda x: x[1])
    return {"highest": {"equipment_id": hi[0], "value": hi[1]},
            "lowest": {"equipment_id": lo[0], "value": lo[1]}}


class ComparisonView(APIView):
    """GET analytics/comparison/?equipment_ids=1,2,3 (seed §3.4). Dataset against dataset moved
    to analytics/csv/datasets/compare/?a=&b=."""

    @extend_schema(parameters=[OpenApiParameter("equipment_ids", str, required=True,
                                                description="comma separated ids, e.g. 1,2,3")],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        q = request.query_params
        if "equipment_ids" not in q and ("a" in q or "b" in q):
            raise params.bad("equipment_ids", "is required: this endpoint compares equipment. Datasets are "
                             "compared at analytics/csv/datasets/compare/?a=ID&b=ID.")
        ids = _ids(q.get("equipment_ids"))
        found = {e["id"]: e for e in Equipment.objects.filter(id__in=ids).values(
            "id", "equipment_name", "equipment_type", *PARAMETERS, "status")}
        missing = [i for i in ids if i not in found]
        if missing:
            return Response({"detail": f"Equipment not found: {', '.join(map(str, missing))}."}, status=404)
        items = [found[i] for i in ids]
        return Response({"equipment": items,
                         "comparison": {p: highest_lowest(items, p) for p in PARAMETERS}})


def _num(v: float | None) -> str:
    return "" if v is None else repr(float(v))


def _iso(t: datetime | None) -> str:
    if t is None:
        return ""
    t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if t.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def _text(v) -> str:
    return "" if v is None else str(neutralise(str(v)))


REGISTRY_HEADER = ["Equipment Name", "Type", "Flowrate", "Pressure", "Temperature", "Status",
                   "Installation Date", "Last Maintenance Date", "Notes", "Last Reading At"]
HISTORY_HEADER = ["Timestamp", "Equipment Name", "Type", "Flowrate", "Pressure", "Temperature", "Status"]


def _lines(header: list[str], rows):
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\r\n")
    out.writerow(header)
    n = 0
    for row in rows:
        out.writerow(row)
        n += 1
        if n % CHUNK == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


class ExportView(APIView):
    """GET analytics/csv/export/ (seed §3.4): the equipment registry as CSV (filters
    equipment_type, status); with include_history=true one row per reading instead (a time series
    the engine reads back). Text cells are formula-safe (engine.neutralise). Streamed."""
    throttle_classes = [ScopedThrottle]
    throttle_scope = "export"

    @extend_schema(parameters=[
        OpenApiParameter("equipment_type", str), OpenApiParameter("status", str,
                                                                  enum=["active", "maintenance", "inactive"]),
        OpenApiParameter("include_history", bool, description="one row per reading (default false)")],
        responses={(200, "text/csv"): OpenApiResponse(description="equipment (or readings) as CSV")})
    def get(self, request):
        history = params.flag(request, "include_history")
        qs = filtered_equipment(request)
        if history:
            readings = (ParameterHistory.objects.filter(equipment__in=qs)
                        .order_by("equipment__name_key", "timestamp", "id")
                        .values_list("timestamp", "equipment__equipment_name", "equipment__equipment_type",
                                     *PARAMETERS, "status"))
            rows = ([_iso(t), _text(n), _text(k), _num(f), _num(p), _num(c), _text(s)]
                    for t, n, k, f, p, c, s in readings.iterator(chunk_size=CHUNK))
            body = _lines(HISTORY_HEADER, rows)
        else:
            items = qs.order_by("name_key").values_list(
                "equipment_name", "equipment_type", *PARAMETERS, "status", "installation_date",
                "last_maintenance_date", "notes", "last_reading_at")
            rows = ([_text(n), _text(k), _num(f), _num(p), _num(c), _text(s),
                     d1.isoformat() if d1 else "", d2.isoformat() if d2 else "", _text(notes), _iso(last)]
                    for n, k, f, p, c, s, d1, d2, notes, last in items.iterator(chunk_size=CHUNK))
            body = _lines(REGISTRY_HEADER, rows)
        day = timezone.now().astimezone(UTC).date().isoformat()
        resp = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="equipment_export_{day}.csv"'
        return resp


