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
from typing import Iterator

import pytest
import requests
from srv_helpers import PASSWORD, big_csv

from tests.celery_stack import CeleryStack, celery_stack, need_postgres
from tests.server_process import ROOT

KEY_TESTS = ["test_server_upload.py", "test_equipment_api.py", "test_conformance.py", "test_imports.py",
             "test_upload_bulk_write.py"]
READINGS_TABLE = "equipment_parameterhistory"


@pytest.mark.slow
def test_key_server_tests_pass_on_postgresql():
    need_postgres()
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

@pytest.fixture
def stack(tmp_path) -> Iterator[CeleryStack]:
    """A fresh database chemviz_fault_<hex> (dropped after), a Redis queue of its own, every
    upload queued; eve (engineer) may upload."""
    with celery_stack(tmp_path / "server", async_bytes=1, prefix="chemviz_fault") as s:
        s.add_user("eve", PASSWORD, "engineer")
        yield s


def _upload(s: CeleryStack, data: bytes, name: str) -> int:
    r = requests.post(s.api + "analytics/csv/upload/", auth=("eve", PASSWORD), timeout=60,
                      files={"file": (name, data, "text/csv")}, data={"client_id": str(uuid.uuid4())})
    assert r.status_code == 202, r.text
    assert r.headers["Location"].endswith(f"/api/v1/analytics/csv/import/{r.json()['import_id']}/")
    return r.json()["import_id"]


def _job(s: CeleryStack, job_id: int) -> dict:
    r = requests.get(s.api + f"analytics/csv/import/{job_id}/", auth=("eve", PASSWORD), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _writer_of_readings(s: CeleryStack) -> bool:
    """A backend of the test database is inside a transaction that is writing readings: its
    last statement copied a piece into the readings' staging table or inserted one
    (server/imports/bulk.py)."""
    rows = s.sql("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
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
    s.start_worker("w1", pool, wait=False)
    s.start_worker("w2", pool, wait=False)
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
                job = s.sql("SELECT worker FROM imports_importjob WHERE id = %s AND status = 'processing'", job_id)
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
    datasets = s.sql("SELECT id FROM analytics_csvdataset ORDER BY id")
    assert sorted(d[0] for d in datasets) == sorted(j["dataset_id"] for j in completed)
    for j in completed:
        (n,), = s.sql(f'SELECT count(*) FROM "{READINGS_TABLE}" WHERE dataset_id = %s', j["dataset_id"])
        assert n == rows, (j, n)
    (total,), = s.sql(f'SELECT count(*) FROM "{READINGS_TABLE}"')
    (equipment,), = s.sql("SELECT count(*) FROM equipment_equipment")
    assert total == equipment == rows * len(completed)
    if os.environ.get("CHEMVIZ_TEST_SHOW_WORKERS"):
        print(s.worker_log("w1"), s.worker_log("w2"), s.log())
    print(f"\n[{kill}] killed {worker} during import {killed_job}; all {len(ids)} jobs finished "
          f"{took:.1f} s later; killed job: attempts {killed['attempts']}; statuses seen {sorted(seen_statuses)}")
