"""The production path (issue 17, "Scaling out") on real services: the server suite's key tests
(uploads, equipment, trends, conformance, import jobs) on PostgreSQL, and two Celery workers over
Redis processing queued uploads while one of them is killed (SIGKILL) mid-write.

Needs CHEMVIZ_TEST_DATABASE_URL (postgres://user:pw@host/db, a role with CREATEDB) and, for the
workers, CHEMVIZ_TEST_REDIS_URL (redis://host:6379/N); `.ci/run` starts both and sets them.
Without them (or when they do not answer) these tests skip and say why."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from srv_helpers import PASSWORD, big_csv

from tests.server_process import ROOT, ServerProcess

PG_URL = os.environ.get("CHEMVIZ_TEST_DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("CHEMVIZ_TEST_REDIS_URL", "").strip()
KEY_TESTS = ["test_server_upload.py", "test_equipment_api.py", "test_conformance.py", "test_imports.py",
             "test_upload_bulk_write.py"]
READINGS_TABLE = "equipment_parameterhistory"


def _need_postgres() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need CHEMVIZ_TEST_DATABASE_URL (postgres://user:pw@host/db, "
                    "a role with CREATEDB); .ci/run sets it")
    psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL driver (psycopg) is not installed")
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at CHEMVIZ_TEST_DATABASE_URL does not answer: {str(exc).strip()[:200]}")
    return PG_URL


def _need_redis() -> str:
    if not REDIS_URL:
        pytest.skip("the Celery worker test needs CHEMVIZ_TEST_REDIS_URL (redis://host:6379/N); .ci/run sets it")
    redis = pytest.importorskip("redis", reason="the Redis client (celery[redis]) is not installed")
    pytest.importorskip("celery", reason="Celery is not installed")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at CHEMVIZ_TEST_REDIS_URL does not answer: {exc}")
    return REDIS_URL


def _with_db(url: str, name: str) -> str:
    """The same server and role, another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@pytest.mark.slow
def test_key_server_tests_pass_on_postgresql():
    _need_postgres()
    here = Path(__file__).resolve().parent
    files = [str(here / f) for f in KEY_TESTS if (here / f).exists()]
    env = dict(os.environ, CHEMVIZ_TEST_DB="postgresql")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *files],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    tail = (res.stdout + res.stderr)[-4000:]
    assert res.returncode == 0, tail
    summary = res.stdout.strip().splitlines()[-1]
    assert "passed" in summary and "skipped" not in summary, tail


# -- two workers, one killed mid-task -------------------------------------------------------------

class _Stack(ServerProcess):
    """`main.py serve` plus `main.py worker` processes on one PostgreSQL database and one Redis
    queue (both fresh for the test), sharing the server dir (the uploads' FileSystemStorage)."""

    def __init__(self, server_dir: Path, db_url: str, redis_url: str, queue: str):
        super().__init__(server_dir)
        self.db_url, self.redis_url, self.queue = db_url, redis_url, queue
        self.workers: dict[str, subprocess.Popen] = {}

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(DATABASE_URL=self.db_url, CELERY_BROKER_URL=self.redis_url, CHEMVIZ_CELERY_QUEUE=self.queue,
                   CHEMVIZ_ASYNC_UPLOAD_BYTES="1", CELERY_VISIBILITY_TIMEOUT="30",
                   DJANGO_SECRET_KEY="tests-only-secret-key-" + "y" * 40, CHEMVIZ_THROTTLE_UPLOAD="10000/min")
        return env

    def start_worker(self, name: str, pool: str) -> None:
        log = open(self.server_dir / f"{name}.log", "ab")
        self.workers[name] = subprocess.Popen(
            [sys.executable, "main.py", "worker", "--pool", pool, "--concurrency", "1",
             "--hostname", f"{name}@%h", "--loglevel", "INFO"],
            cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def worker_log(self, name: str) -> str:
        return (self.server_dir / f"{name}.log").read_text(errors="replace")[-3000:]

    def wait_workers_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in self.workers.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"worker {name} exited {proc.returncode}:\n{self.worker_log(name)}")
            if all(" ready." in self.worker_log(n) for n in self.workers):
                return
            time.sleep(0.2)
        raise TimeoutError("workers not ready:\n" + "\n".join(self.worker_log(n) for n in self.workers))

    def stop_all(self) -> None:
        for proc in self.workers.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.workers.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        self.stop()


@pytest.fixture
def stack(tmp_path):
    """A fresh database chemviz_fault_<hex> (dropped after) and a Redis queue of its own."""
    base = _need_postgres()
    redis_url = _need_redis()
    import psycopg
    import redis
    name = f"chemviz_fault_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    queue = f"chemviz-test-{uuid.uuid4().hex[:8]}"
    s = _Stack(tmp_path / "server", _with_db(base, name), redis_url, queue)
    try:
        res = subprocess.run([sys.executable, "server/manage.py", "migrate", "-v", "0"], cwd=ROOT, env=s.env(),
                             capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
        s.add_user("eve", PASSWORD, "engineer")
        yield s
    finally:
        s.stop_all()
        redis.Redis.from_url(redis_url).delete(queue)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _upload(s: _Stack, data: bytes, name: str) -> int:
    r = requests.post(s.api + "analytics/csv/upload/", auth=("eve", PASSWORD), timeout=60,
                      files={"file": (name, data, "text/csv")}, data={"client_id": str(uuid.uuid4())})
    assert r.status_code == 202, r.text
    assert r.headers["Location"].endswith(f"/api/v1/analytics/csv/import/{r.json()['import_id']}/")
    return r.json()["import_id"]


def _job(s: _Stack, job_id: int) -> dict:
    r = requests.get(s.api + f"analytics/csv/import/{job_id}/", auth=("eve", PASSWORD), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _sql(s: _Stack, query: str, *args):
    import psycopg
    with psycopg.connect(s.db_url, autocommit=True) as conn:
        return conn.execute(query, args).fetchall()


def _writer_of_readings(s: _Stack) -> bool:
    """A backend of the test database is inside a transaction that is writing readings: its
    last statement copied a piece into the readings' staging table or inserted one
    (server/imports/bulk.py)."""
    rows = _sql(s, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                   "AND backend_xid IS NOT NULL AND (query ILIKE %s OR query ILIKE %s)",
                f'%INSERT INTO "{READINGS_TABLE}"%', f'%COPY "chemviz_stage_{READINGS_TABLE}%')
    return bool(rows)


@pytest.mark.slow
@pytest.mark.parametrize("kill", ["task-process", "whole-worker"])
def test_a_worker_killed_mid_write_leaves_no_half_import_and_the_job_completes(stack, kill):
    """task-process: prefork workers, the child running the task is SIGKILLed (its parent gives the
    task back: reject_on_worker_lost). whole-worker: solo workers, the worker itself is SIGKILLed
    (its task stays unacknowledged; the other worker takes the job up when the client polls it —
    the reaper sees no transaction holding the job's row lock — or after the visibility timeout)."""
    s = stack
    s.start()
    pool = "prefork" if kill == "task-process" else "solo"
    s.start_worker("w1", pool)
    s.start_worker("w2", pool)
    s.wait_workers_ready()
    rows = 10_000
    files = {f"plant-{i}.csv": big_csv(rows).replace(b"EQ-", f"P{i}-".encode()) for i in range(3)}
    ids = [_upload(s, data, name) for name, data in files.items()]

    # wait for a transaction writing readings, then kill the process that holds it
    deadline = time.monotonic() + 120
    victim = None
    while time.monotonic() < deadline and victim is None:
        if _writer_of_readings(s):
            for job_id in ids:
                job = _sql(s, "SELECT worker FROM imports_importjob WHERE id = %s AND status = 'processing'", job_id)
                if job and job[0][0]:
                    victim = (job_id, job[0][0])
                    break
        time.sleep(0.02)
    assert victim is not None, "no import was seen writing readings:\n" + s.worker_log("w1") + s.worker_log("w2")
    killed_job, worker = victim
    pid = int(worker.rsplit(" pid ", 1)[1])
    os.kill(pid, signal.SIGKILL)
    t_kill = time.monotonic()

    # the killed transaction is rolled back: its dataset is nowhere, whatever the others do
    states: dict[int, dict] = {}
    deadline = time.monotonic() + 240
    seen_statuses = set()
    while time.monotonic() < deadline:
        states = {job_id: _job(s, job_id) for job_id in ids}      # polling also reaps dead workers' jobs
        seen_statuses |= {j["status"] for j in states.values()}
        if all(j["status"] in ("completed", "failed") for j in states.values()):
            break
        if os.environ.get("CHEMVIZ_TEST_SHOW_WORKERS"):
            print(round(time.monotonic() - t_kill, 1), {k: (v["status"], v["attempts"]) for k, v in states.items()})
        time.sleep(0.5)
    took = time.monotonic() - t_kill
    assert all(j["status"] in ("completed", "failed") for j in states.values()), (
        f"stuck after {took:.0f} s: {states}\n" + s.worker_log("w1") + s.worker_log("w2"))
    for j in states.values():
        if j["status"] == "failed":           # allowed, but only with the reason
            assert j["error_log"], j
            continue
        assert j["records_imported"] == rows, j
    killed = states[killed_job]
    assert killed["status"] == "completed", killed
    assert killed["attempts"] >= 2, killed

    # no half-written rows: each completed job has exactly one dataset with all its readings;
    # nothing else was left behind (no orphan datasets, equipment or readings)
    completed = [j for j in states.values() if j["status"] == "completed"]
    datasets = _sql(s, "SELECT id FROM analytics_csvdataset ORDER BY id")
    assert sorted(d[0] for d in datasets) == sorted(j["dataset_id"] for j in completed)
    for j in completed:
        (n,), = _sql(s, f'SELECT count(*) FROM "{READINGS_TABLE}" WHERE dataset_id = %s', j["dataset_id"])
        assert n == rows, (j, n)
    (total,), = _sql(s, f'SELECT count(*) FROM "{READINGS_TABLE}"')
    (equipment,), = _sql(s, "SELECT count(*) FROM equipment_equipment")
    assert total == equipment == rows * len(completed)
    if os.environ.get("CHEMVIZ_TEST_SHOW_WORKERS"):
        print(s.worker_log("w1"), s.worker_log("w2"), s.log())
    print(f"\n[{kill}] killed {worker} during import {killed_job}; all {len(ids)} jobs finished "
          f"{took:.1f} s later; killed job: attempts {killed['attempts']}; statuses seen {sorted(seen_statuses)}")
