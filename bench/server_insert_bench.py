"""Readings stored per second by a server upload (issue 17: bulk insert; COPY on PostgreSQL).

    python bench/server_insert_bench.py [--db postgresql|sqlite] [--readings 100000] [--runs 3]
                                        [--database-url postgres://user:pw@host/db]

In-process (no HTTP): a time-series CSV of --readings readings (200 equipment, one reading a
minute each) is validated once by the engine, then stored --runs times with
analytics.services.store_upload (dataset + equipment + readings + alerts, one transaction) into
empty tables. Prints the median seconds and readings/s, and, as the baseline in the same run, the
same readings written the way uploads wrote them before (executemany of 2,000-row batches of
INSERT ... ON CONFLICT) with the ratio. PostgreSQL: a throwaway database next to
--database-url (default $CHEMVIZ_TEST_DATABASE_URL), dropped at the end.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EQUIPMENT = 200


def series_csv(readings: int) -> bytes:
    per = max(1, readings // EQUIPMENT)
    lines = ["Timestamp,Equipment Name,Type,Flowrate,Pressure,Temperature,Status"]
    for t in range(per):
        stamp = f"2026-01-{1 + t // 1440:02d}T{t // 60 % 24:02d}:{t % 60:02d}:00Z"
        lines += [f"{stamp},TS-{e:04d},Pump,{50 + (e + t) % 90}.5,{1 + e % 20}.25,{20 + t % 300}.0,Running"
                  for e in range(EQUIPMENT)]
    return ("\n".join(lines) + "\n").encode()


def _setup(db: str, url: str | None) -> str | None:
    """Django on a fresh database; returns the PostgreSQL database made (to drop), if any."""
    os.environ["CHEMVIZ_SERVER_DIR"] = tempfile.mkdtemp(prefix="chemviz-insertbench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "server.chemviz_server.settings"
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "z" * 40)
    made = None
    if db == "postgresql":
        import psycopg
        if not url:
            raise SystemExit("PostgreSQL: pass --database-url or set CHEMVIZ_TEST_DATABASE_URL")
        made = f"chemviz_insertbench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{made}"')
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path="/" + made))
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    return made


def _empty() -> None:
    from server.analytics.models import CSVDataset
    from server.equipment.models import Equipment, ParameterHistory
    ParameterHistory.objects.all().delete()
    Equipment.objects.all().delete()
    CSVDataset.objects.all().delete()


def _baseline(rows: list[tuple]) -> float:
    """The former write: executemany of INSERT ... ON CONFLICT in 2,000-row batches (readings only,
    equipment made first and not timed)."""
    from django.db import connection, transaction
    q = connection.ops.quote_name
    cols = ["equipment_id", "timestamp", "flowrate", "pressure", "temperature", "status", "recorded_by_id",
            "dataset_id"]
    sql = (f"INSERT INTO {q('equipment_parameterhistory')} ({', '.join(q(c) for c in cols)}) VALUES "
           f"({', '.join(['%s'] * len(cols))}) ON CONFLICT ({q('equipment_id')}, {q('timestamp')}) DO UPDATE SET "
           + ", ".join(f"{q(c)} = excluded.{q(c)}" for c in cols[2:]))
    with transaction.atomic():
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            for i in range(0, len(rows), 2000):
                cur.executemany(sql, rows[i:i + 2000])
        return time.perf_counter() - t0


def _baseline_rows(user) -> list[tuple]:
    from django.db import connection

    from server.equipment.models import Equipment, ParameterHistory
    readings = list(ParameterHistory.objects.values_list("equipment__equipment_name", "timestamp", "flowrate",
                                                         "pressure", "temperature", "status"))
    _empty()
    names = sorted({r[0] for r in readings})
    Equipment.objects.bulk_create([Equipment(equipment_name=n, name_key=n.lower()) for n in names])
    ids = dict(Equipment.objects.values_list("equipment_name", "id"))
    adapt = connection.ops.adapt_datetimefield_value
    return [(ids[n], adapt(t), f, p, tc, s, user.pk, None) for n, t, f, p, tc, s in readings]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--readings", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--database-url", default=os.environ.get("CHEMVIZ_TEST_DATABASE_URL", ""))
    args = ap.parse_args()
    made = _setup(args.db, args.database_url)
    try:
        from django.contrib.auth import get_user_model

        import engine
        from server.analytics import services
        user = get_user_model().objects.create_user(f"bench{uuid.uuid4().hex[:6]}", password="x")
        data = series_csv(args.readings)
        new, stored = [], 0
        for _ in range(args.runs):
            _empty()
            result = engine.load(data, file_name="series.csv")       # store_upload lets the frame go
            assert result.accepted, result.report.summary()
            t0 = time.perf_counter()
            outcome = services.store_upload(user, data, "series.csv", None, result)
            new.append(time.perf_counter() - t0)
            stored = outcome.recorded["readings"]
        rows = _baseline_rows(user)
        old = []
        for _ in range(args.runs):
            _empty_readings()
            old.append(_baseline(rows))
        med_new, med_old = statistics.median(new), statistics.median(old)
        print(f"{args.db}: {stored:,} readings of {EQUIPMENT} equipment, median of {args.runs}")
        print(f"  upload store (dataset + equipment + readings + alerts): {med_new:.2f} s = "
              f"{stored / med_new:,.0f} readings/s")
        print(f"  baseline, former executemany INSERT of the readings alone: {med_old:.2f} s = "
              f"{len(rows) / med_old:,.0f} readings/s")
        print(f"  ratio (whole store vs baseline readings-only): {med_old / med_new:.1f}x faster")
    finally:
        if made:
            from django.db import connections
            connections.close_all()
            _drop(args.database_url, made)
    return 0


def _drop(url: str, name: str) -> None:
    """Drop the throwaway database; autovacuum may still be on it for a moment (not ours to end)."""
    import psycopg
    for _ in range(30):
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            time.sleep(1)
    print(f"could not drop database {name} (still in use); drop it by hand", file=sys.stderr)


def _empty_readings() -> None:
    from server.equipment.models import ParameterHistory
    ParameterHistory.objects.all().delete()


if __name__ == "__main__":
    sys.exit(main())
