"""Load test of the ChemViz server on loopback (issue 4 and issue 17 targets).

    python bench/server_load.py [--server gunicorn|serve] [--cases upload,statistics,...]
        [--db sqlite|postgresql] [--database-url postgres://...] [--broker redis://...]

Starts its own server on a free 127.0.0.1 port with a throwaway data dir (gunicorn with 2 gthread
workers when installed, else `main.py serve`) and, with --db postgresql, a throwaway database
(CREATE/DROP; default URL CHEMVIZ_TEST_DATABASE_URL); with a broker (default
CHEMVIZ_TEST_REDIS_URL) a queue of its own. Creates an engineer, takes a token, then runs:
  upload      5,000-row CSV uploads one after another: p50 / p95 / max (target p95 < 300 ms);
  statistics  GET analytics/statistics/ from --workers client processes for --seconds: req/s,
              p50 / p95 (targets > 200 req/s, p95 < 50 ms);
  concurrent  --concurrent (20) 5,000-row uploads at once, --rounds times: p50 / p95 / max
              (no target; the upload slots are raised to the number of clients, see output);
  trends      GET analytics/trends/ for one equipment over a history of --trend-readings readings
              (generated in SQL: generate_series on PostgreSQL, a recursive CTE on SQLite) spread
              over --trend-equipment equipment: p50 / p95 per window, and the window read through
              the ORM (model values + a datetime per reading, the code before #17) as the
              baseline, in-process, same database, same run;
  queued      (broker) a --big-mb (50) MB upload accepted with 202: p50 / p95 (target < 300 ms);
              no worker runs meanwhile, so only the acceptance is timed;
  drain       (broker) --drain-jobs queued uploads of --drain-rows rows each, drained by one
              worker with 2, then 4 prefork processes: seconds from "ready" until all completed.
Exit code 0 when every target is met, 1 otherwise. The machine's load average is printed.
"""
from __future__ import annotations

import argparse
import importlib.util
import multiprocessing as mp
import os
import statistics as pystats
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_harness import (  # noqa: E402
    Sql,
    cpu_seconds,
    drop_database,
    free_port,
    multipart,
    pct,
    start_worker,
    stop,
    stop_worker,
    throwaway_database,
)

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "bench", "Bench-load-pass-1"
TYPES = ["Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser"]


def csv_rows(n: int, prefix: str = "EQ") -> bytes:
    lines = ["Equipment Name,Type,Flowrate,Pressure,Temperature"]
    lines += [f"{prefix}-{i:07d},{TYPES[i % 6]},{50 + i % 200}.5,{1 + i % 20}.25,{20 + i % 300}.0" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def summary(lat: list[float]) -> str:
    return (f"p50 {pct(lat, 50) * 1000:.1f} ms   p95 {pct(lat, 95) * 1000:.1f} ms   max {max(lat) * 1000:.1f} ms"
            f"   (n={len(lat)})")


def start_server(kind: str, port: int, env: dict) -> subprocess.Popen:
    if kind == "gunicorn":
        # gthread: HTTP keep-alive (the sync worker closes every connection)
        cmd = [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
               "-b", f"127.0.0.1:{port}",
               "--log-level", "warning", "server.chemviz_server.wsgi"]
    else:
        cmd = [sys.executable, "main.py", "serve", "--host", "127.0.0.1", "--port", str(port)]
    log = open(Path(env["CHEMVIZ_SERVER_DIR"]) / "server.log", "wb")  # a pipe nobody reads would fill up
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited: " + (Path(env["CHEMVIZ_SERVER_DIR"]) / "server.log")
                             .read_text(errors="replace")[-2000:])
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v1/health/", timeout=1).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 30 s")



def stats_worker(url: str, token: str, seconds: float, out: "mp.Queue") -> None:
    s = requests.Session()
    s.headers["Authorization"] = f"Token {token}"
    lat: list[float] = []
    errors = 0
    end = time.perf_counter() + seconds
    while (t0 := time.perf_counter()) < end:
        r = s.get(url, timeout=10)
        lat.append(time.perf_counter() - t0)
        if r.status_code != 200:
            errors += 1
    out.put((lat, errors))


class Bench:
    """One server (and database, and queue) for all the cases of a run."""

    def __init__(self, args: argparse.Namespace, api: str, token: str, env: dict, sql: Sql):
        self.args, self.api, self.token, self.env, self.sql = args, api, token, env, sql
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Token {token}"
        self.server_pid = 0     # set by main(): the server process, for its CPU time

    def post_upload(self, name: str, data: bytes, session: requests.Session | None = None) -> requests.Response:
        return (session or self.s).post(self.api + "analytics/csv/upload/", files={"file": (name, data)},
                                        data={"client_id": str(uuid.uuid4())}, timeout=600)

    # -- issue 4 ----------------------------------------------------------------------------------
    def upload(self) -> bool:
        body = csv_rows(5000)
        print(f"upload: 5,000-row CSV ({len(body) / 1024:.0f} KiB) x {self.args.uploads}, sequential")
        for _ in range(3):  # warm-up (imports, first connections)
            self.post_upload("warm.csv", body)
        lat = []
        for i in range(self.args.uploads):
            t0 = time.perf_counter()
            r = self.post_upload(f"run{i}.csv", body)
            lat.append(time.perf_counter() - t0)
            if r.status_code not in (200, 201):
                raise SystemExit(f"upload failed: {r.status_code} {r.text[:300]}")
        p95 = pct(lat, 95) * 1000
        print(f"  {summary(lat)}   -> target p95 < 300 ms: {'PASS' if p95 < 300 else 'FAIL'}")
        return p95 < 300

    def statistics(self) -> bool:
        url = self.api + "analytics/statistics/"
        for _ in range(20):
            self.s.get(url, timeout=10)
        print(f"statistics: GET analytics/statistics/, {self.args.workers} concurrent clients, {self.args.seconds:g} s")
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        procs = [ctx.Process(target=stats_worker, args=(url, self.token, self.args.seconds, q))
                 for _ in range(self.args.workers)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
        lat = [x for r in results for x in r[0]]
        errors = sum(r[1] for r in results)
        rps = len(lat) / self.args.seconds
        p95 = pct(lat, 95) * 1000
        met = rps > 200 and p95 < 50 and errors == 0
        print(f"  {len(lat)} requests, {errors} errors, {rps:.0f} req/s   p50 {pct(lat, 50) * 1000:.1f} ms"
              f"   p95 {p95:.1f} ms   (mean {pystats.mean(lat) * 1000:.1f} ms; wall {time.perf_counter() - t0:.1f} s)"
              f"   -> target > 200 req/s, p95 < 50 ms: {'PASS' if met else 'FAIL'}")
        return met

    # -- issue 17 ---------------------------------------------------------------------------------
    def concurrent(self) -> bool:
        n, rounds = self.args.concurrent, self.args.rounds
        print(f"concurrent: {n} uploads of 5,000 rows at once (one thread and connection each), {rounds} rounds; "
              f"upload slots {self.env['CHEMVIZ_UPLOADS_AT_ONCE']} per server process")
        lat: list[float] = []
        codes: list[int] = []
        walls: list[float] = []
        for rnd in range(rounds):
            bodies = [csv_rows(5000, f"R{rnd}C{i:02d}") for i in range(n)]
            sessions = [requests.Session() for _ in range(n)]
            for s in sessions:
                s.headers["Authorization"] = f"Token {self.token}"
            go = threading.Barrier(n)

            def one(name: str, body: bytes, session: requests.Session, go: threading.Barrier) -> None:
                go.wait()
                t0 = time.perf_counter()
                r = self.post_upload(name, body, session)
                lat.append(time.perf_counter() - t0)
                codes.append(r.status_code)
            threads = [threading.Thread(target=one, args=(f"c{rnd}-{i}.csv", bodies[i], sessions[i], go))
                       for i in range(n)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            walls.append(time.perf_counter() - t0)
        by_code = {c: codes.count(c) for c in sorted(set(codes))}
        print(f"  {summary(lat)}   wall per round {', '.join(f'{w:.1f} s' for w in walls)}   status codes {by_code}")
        return True

    def queued(self) -> bool:
        if not self.args.broker:
            print("queued: skipped (no broker: --broker or CHEMVIZ_TEST_REDIS_URL)")
            return True
        rows = int(self.args.big_mb * 2**20 / (len(csv_rows(10_000, "BIG")) / 10_000))
        data = csv_rows(rows, "BIG")
        warm, ctype = multipart("warm.csv", csv_rows(40_000, "WARM"), {"client_id": str(uuid.uuid4())})
        self.s.post(self.api + "analytics/csv/upload/", data=warm, headers={"Content-Type": ctype}, timeout=600)
        print(f"queued: {len(data) / 2**20:.1f} MB upload ({rows:,} rows) x {self.args.big_runs}, answered 202 "
              "(no worker running: acceptance only; one 1.5 MB warm-up first)")
        lat, cpu = [], []
        ids = [int(r[0]) for r in self.sql.run("SELECT id FROM imports_importjob WHERE file_name='warm.csv'")]
        for i in range(self.args.big_runs):
            body, ctype = multipart(f"big{i}.csv", data, {"client_id": str(uuid.uuid4())})
            c0, t0 = cpu_seconds(self.server_pid), time.perf_counter()
            r = self.s.post(self.api + "analytics/csv/upload/", data=body, headers={"Content-Type": ctype},
                            timeout=600)
            lat.append(time.perf_counter() - t0)
            cpu.append(cpu_seconds(self.server_pid) - c0)
            if r.status_code != 202:
                raise SystemExit(f"big upload not queued: {r.status_code} {r.text[:300]}")
            ids.append(r.json()["import_id"])
        p95 = pct(lat, 95) * 1000
        print(f"  {summary(lat)}   -> target < 300 ms: {'PASS' if p95 < 300 else 'FAIL'}")
        print(f"  server CPU per upload (all its threads): p50 {pct(cpu, 50) * 1000:.0f} ms   "
              f"max {max(cpu) * 1000:.0f} ms   (wall time stretches with the machine's other load)")
        # these stay out of the drain case: failed by hand, their messages dropped with the queue
        for job_id in ids:
            self.sql.run("UPDATE imports_importjob SET status='failed', error_log='bench: not processed' "
                         "WHERE id=%s", job_id, fetch=False)
        import redis
        redis.Redis.from_url(self.args.broker).delete(self.env["CHEMVIZ_CELERY_QUEUE"])
        return p95 < 300

    def drain(self) -> bool:
        if not self.args.broker:
            print("drain: skipped (no broker)")
            return True
        n, rows = self.args.drain_jobs, self.args.drain_rows
        print(f"drain: {n} queued uploads of {rows:,} rows, one worker with 2 then 4 prefork processes")
        data_dir = Path(self.env["CHEMVIZ_SERVER_DIR"])
        times = {}
        for procs in (2, 4):
            ids = []
            for i in range(n):
                r = self.post_upload(f"d{procs}-{i}.csv", csv_rows(rows, f"D{procs}J{i:02d}"))
                if r.status_code != 202:
                    raise SystemExit(f"drain upload not queued ({len(csv_rows(rows))} bytes): {r.status_code}")
                ids.append(r.json()["import_id"])
            worker, ready = start_worker(self.env, procs, data_dir / f"worker{procs}.log")
            try:
                marks = ",".join(str(int(i)) for i in ids)
                while True:
                    done = self.sql.run(f"SELECT status, count(*) FROM imports_importjob WHERE id IN ({marks}) "
                                        "GROUP BY status")
                    counts = dict(done)
                    if counts.get("completed", 0) + counts.get("failed", 0) >= n:
                        break
                    time.sleep(0.1)
                took = time.perf_counter() - ready
            finally:
                stop_worker(worker)
            times[procs] = took
            print(f"  {procs} processes: {took:.1f} s from ready to all done ({counts})")
        print(f"  ratio 4/2 processes: {times[4] / times[2]:.2f}  (os.cpu_count() = {os.cpu_count()}: more processes "
              "than cores cannot drain faster here)")
        return True

    def trends(self) -> bool:
        a = self.args
        total, kinds = a.trend_readings, a.trend_equipment
        per = total // kinds
        eq_ids = []
        for i in range(kinds):
            r = self.s.post(self.api + "equipment/", json={"equipment_name": f"TREND-{i:02d}", "equipment_type": "Pump"},
                            timeout=30)
            r.raise_for_status()
            eq_ids.append(r.json()["id"])
        t0 = time.perf_counter()
        self._generate(eq_ids, per)
        (count,), = self.sql.run("SELECT count(*) FROM equipment_parameterhistory")
        print(f"trends: {kinds} equipment x {per:,} readings (one a minute) generated in SQL in "
              f"{time.perf_counter() - t0:.0f} s; {count:,} readings in the table with the other cases'; "
              f"requests for one equipment ({per:,} readings)")
        target = eq_ids[0]
        last = self.sql.run("SELECT max(timestamp) FROM equipment_parameterhistory WHERE equipment_id=%s", target)[0][0]
        end = datetime.fromisoformat(last) if isinstance(last, str) else last

        def iso(t: datetime) -> str:
            return t.strftime("%Y-%m-%dT%H:%M:%SZ")
        shapes = [("daily, whole history", "interval=daily", a.trend_requests),
                  ("hourly, last 7 days", f"interval=hourly&start_date={iso(end - timedelta(days=7))}",
                   a.trend_requests * 3),
                  ("raw, last day", f"interval=raw&start_date={iso(end - timedelta(days=1))}", a.trend_requests * 3)]
        url = self.api + f"analytics/trends/?equipment_id={target}&parameter=pressure&"
        for label, query, n in shapes:
            self.s.get(url + query, timeout=600).raise_for_status()       # warm-up
            lat = []
            for _ in range(n):
                t0 = time.perf_counter()
                r = self.s.get(url + query, timeout=600)
                lat.append(time.perf_counter() - t0)
                r.raise_for_status()
            points = len(r.json()["data_points"])
            print(f"  {label:<22} {points:>6} points   {summary(lat)}")
        self._baseline(target)
        return True

    def _generate(self, eq_ids: list[int], per: int) -> None:
        """Readings one a minute from 2024-01-01, 1 in 20 stopped, straight in SQL."""
        cols = "equipment_id, flowrate, pressure, temperature, status, timestamp"
        if self.sql.url:
            self.sql.run(f"INSERT INTO equipment_parameterhistory ({cols}) SELECT e.id, 100 + (g %% 500) * 0.1, "
                         "5 + (g %% 97) * 0.01, 80 + (g %% 300) * 0.1, CASE WHEN g %% 20 = 0 THEN 'inactive' ELSE "
                         "'active' END, timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute' "
                         f"FROM unnest(%s::bigint[]) AS e(id), generate_series(0, {per - 1}) AS g",
                         eq_ids, fetch=False)
            self.sql.run("ANALYZE equipment_parameterhistory", fetch=False)
            return
        for eid in eq_ids:
            self.sql.run(f"WITH RECURSIVE g(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM g WHERE n < {per - 1}) "
                         f"INSERT INTO equipment_parameterhistory ({cols}) SELECT {int(eid)}, 100 + (n % 500) * 0.1, "
                         "5 + (n % 97) * 0.01, 80 + (n % 300) * 0.1, CASE WHEN n % 20 = 0 THEN 'inactive' ELSE "
                         "'active' END, strftime('%Y-%m-%d %H:%M:%S', 1704067200 + n * 60, 'unixepoch') FROM g",
                         fetch=False)

    def _baseline(self, target: int) -> None:
        """The whole-history window read in this process both ways, same database: the column read
        the server now does, and the ORM values + a datetime per reading it did before."""
        os.environ.update({k: v for k, v in self.env.items() if k in ("DATABASE_URL", "CHEMVIZ_SERVER_DIR")})
        os.environ["DJANGO_SETTINGS_MODULE"] = "server.chemviz_server.settings"
        sys.path.insert(0, str(ROOT))
        import django
        django.setup()
        import numpy as np
        import pandas as pd

        from engine.trends import bucket
        from server.equipment.models import Equipment, ParameterHistory
        from server.equipment.views_analytics import readings_frame
        eq = Equipment.objects.get(pk=target)

        def orm() -> tuple:
            rows = list(ParameterHistory.objects.filter(equipment=eq, status="active").order_by("timestamp")
                        .values_list("timestamp", "pressure"))
            times = pd.DatetimeIndex(pd.to_datetime([r[0] for r in rows], utc=True))
            return times, np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)

        def columns() -> tuple:
            return readings_frame(eq, "pressure")
        took = {}
        for name, fn in (("columns", columns), ("orm", orm), ("columns", columns), ("orm", orm)):
            t0 = time.perf_counter()
            times, values = fn()
            bucket(times, values, "daily")
            took.setdefault(name, []).append(time.perf_counter() - t0)
        col, old = min(took["columns"]), min(took["orm"])
        print(f"  in-process, whole history ({len(values):,} running readings) read + engine.trends daily: "
              f"columns {col * 1000:.0f} ms, ORM (before) {old * 1000:.0f} ms, ratio {old / col:.1f}x "
              "(best of 2 each)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    have_gunicorn = importlib.util.find_spec("gunicorn") is not None and os.name == "posix"
    ap.add_argument("--server", choices=["gunicorn", "serve"], default="gunicorn" if have_gunicorn else "serve")
    ap.add_argument("--cases", default="upload,statistics,concurrent,queued,drain,trends")
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default=None,
                    help="default postgresql when --database-url or CHEMVIZ_TEST_DATABASE_URL is set")
    ap.add_argument("--database-url", default=os.environ.get("CHEMVIZ_TEST_DATABASE_URL", ""),
                    help="a PostgreSQL server and role with CREATEDB: the bench makes and drops its own database")
    ap.add_argument("--broker", default=os.environ.get("CHEMVIZ_TEST_REDIS_URL", ""), help="redis://host:6379/N")
    ap.add_argument("--uploads", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2, help="concurrent statistics clients")
    ap.add_argument("--concurrent", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--big-mb", type=float, default=50.0)
    ap.add_argument("--big-runs", type=int, default=5)
    ap.add_argument("--drain-jobs", type=int, default=8)
    ap.add_argument("--drain-rows", type=int, default=30_000)
    ap.add_argument("--trend-readings", type=int, default=10_000_000)
    ap.add_argument("--trend-equipment", type=int, default=10)
    ap.add_argument("--trend-requests", type=int, default=10)
    args = ap.parse_args()
    db = args.db or ("postgresql" if args.database_url else "sqlite")
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]

    data_dir = Path(tempfile.mkdtemp(prefix="chemviz-bench-"))
    env = dict(os.environ, CHEMVIZ_SERVER_DIR=str(data_dir), PYTHONPATH=str(ROOT),
               CHEMVIZ_UPLOADS_AT_ONCE=str(max(2, args.concurrent)), CHEMVIZ_UPLOADS_PER_USER=str(max(1, args.concurrent)),
               CHEMVIZ_MAX_UPLOAD_BYTES=str(int(max(args.big_mb + 8, 10) * 2**20)),
               CHEMVIZ_THROTTLE_UPLOAD="100000/min")
    for key in ("DJANGO_DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "CHEMVIZ_ASYNC_UPLOAD_BYTES"):
        env.pop(key, None)
    db_url = ""
    if db == "postgresql":
        if not args.database_url:
            raise SystemExit("--db postgresql needs --database-url (or CHEMVIZ_TEST_DATABASE_URL)")
        db_url = throwaway_database(args.database_url)
        env["DATABASE_URL"] = db_url
    if args.broker:
        env.update(CELERY_BROKER_URL=args.broker, CHEMVIZ_CELERY_QUEUE=f"chemviz-bench-{uuid.uuid4().hex[:8]}")
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    subprocess.run([sys.executable, "main.py", "adduser", USER, "--role", "engineer", "--password-stdin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    proc = start_server(args.server, port, env)
    api = f"http://127.0.0.1:{port}/api/v1/"
    ok = True
    try:
        token = requests.post(api + "auth/token/", json={"username": USER, "password": PASSWORD},
                              timeout=30).json()["token"]
        print(f"server: {args.server} on 127.0.0.1:{port}  ({'2 gthread workers x 4 threads' if args.server == 'gunicorn' else 'waitress'})"
              f"; database {db}; broker {'yes' if args.broker else 'none'}")
        bench = Bench(args, api, token, env, Sql(db_url or None, data_dir / "db.sqlite3"))
        bench.server_pid = proc.pid
        for case in cases:
            ok &= getattr(bench, case)()
    finally:
        stop(proc, data_dir)
        if db_url:
            drop_database(args.database_url, db_url)
        if args.broker and "CHEMVIZ_CELERY_QUEUE" in env:
            import redis
            redis.Redis.from_url(args.broker).delete(env["CHEMVIZ_CELERY_QUEUE"])
    load = os.getloadavg()
    print(f"machine: load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
