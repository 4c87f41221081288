"""The production server stack for tests: `main.py serve` on a fresh PostgreSQL database plus
`main.py worker` processes on a Redis queue of its own (uploads of at least `async_bytes` are
queued: 202). Used by tests/server/test_postgres_celery.py (a worker killed mid-task) and
tests/sync/test_queued_integration.py (clients following 202). Skips with the reason when
PostgreSQL or Redis is not configured or not answering (.ci/services.sh sets
CHEMVIZ_TEST_DATABASE_URL and CHEMVIZ_TEST_REDIS_URL)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.server_process import ROOT, ServerProcess

PG_URL = os.environ.get("CHEMVIZ_TEST_DATABASE_URL", "").strip()
REDIS_URL = os.environ.get("CHEMVIZ_TEST_REDIS_URL", "").strip()


def need_postgres() -> str:
    if not PG_URL:
        pytest.skip("PostgreSQL tests need CHEMVIZ_TEST_DATABASE_URL (postgres://user:pw@host/db, "
                    "a role with CREATEDB); .ci/run sets it")
    psycopg = pytest.importorskip("psycopg", reason="the PostgreSQL driver (psycopg) is not installed")
    try:
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL at CHEMVIZ_TEST_DATABASE_URL does not answer: {str(exc).strip()[:200]}")
    return PG_URL


def need_redis() -> str:
    if not REDIS_URL:
        pytest.skip("Celery worker tests need CHEMVIZ_TEST_REDIS_URL (redis://host:6379/N); .ci/run sets it")
    redis = pytest.importorskip("redis", reason="the Redis client (celery[redis]) is not installed")
    pytest.importorskip("celery", reason="Celery is not installed")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at CHEMVIZ_TEST_REDIS_URL does not answer: {exc}")
    return REDIS_URL


def with_db(url: str, name: str) -> str:
    """The same server and role, another database."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


class CeleryStack(ServerProcess):
    def __init__(self, server_dir: Path, db_url: str, redis_url: str, queue: str, async_bytes: int):
        super().__init__(server_dir)
        self.db_url, self.redis_url, self.queue, self.async_bytes = db_url, redis_url, queue, async_bytes
        self.workers: dict[str, subprocess.Popen] = {}

    def env(self) -> dict[str, str]:
        env = super().env()
        env.update(DATABASE_URL=self.db_url, CELERY_BROKER_URL=self.redis_url, CHEMVIZ_CELERY_QUEUE=self.queue,
                   CHEMVIZ_ASYNC_UPLOAD_BYTES=str(self.async_bytes), CELERY_VISIBILITY_TIMEOUT="30",
                   DJANGO_SECRET_KEY="tests-only-secret-key-" + "q" * 40, CHEMVIZ_THROTTLE_UPLOAD="10000/min",
                   CHEMVIZ_THROTTLE_LOGIN="10000/min", CHEMVIZ_THROTTLE_TOKEN="10000/min",
                   CHEMVIZ_KEEP_PER_USER="1000")
        return env

    def start_worker(self, name: str = "w1", pool: str = "solo", *, wait: bool = True) -> None:
        """Start `main.py worker`; `wait`: until it says it is ready (else see wait_workers_ready)."""
        log_path = self.server_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            self.workers[name] = subprocess.Popen(
                [sys.executable, "main.py", "worker", "--pool", pool, "--concurrency", "1",
                 "--hostname", f"{name}@%h", "--loglevel", "INFO"],
                cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if wait:
            self.wait_workers_ready()

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

    def worker_log(self, name: str) -> str:
        try:
            return (self.server_dir / f"{name}.log").read_text(errors="replace")[-3000:]
        except FileNotFoundError:
            return ""

    def sql(self, query: str, *args) -> list[tuple]:
        import psycopg
        with psycopg.connect(self.db_url, autocommit=True) as conn:
            return conn.execute(query, args).fetchall()

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


@contextmanager
def celery_stack(server_dir: Path, async_bytes: int, prefix: str = "chemviz_sync") -> Iterator[CeleryStack]:
    """A fresh database <prefix>_<hex> (dropped after) and a Redis queue of its own; migrated,
    not started (no workers yet: uploads stay queued until `start_worker`)."""
    base, redis_url = need_postgres(), need_redis()
    import psycopg
    import redis
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    queue = f"{prefix.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
    stack = CeleryStack(server_dir, with_db(base, name), redis_url, queue, async_bytes)
    try:
        res = subprocess.run([sys.executable, "server/manage.py", "migrate", "-v", "0"], cwd=ROOT,
                             env=stack.env(), capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr[-3000:]
        yield stack
    finally:
        stack.stop_all()
        redis.Redis.from_url(redis_url).delete(queue)
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
