"""What the server benches share: a free loopback port, percentiles, and stopping a server
process and its scratch directory whatever happened."""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank); NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def stop(proc: subprocess.Popen, data_dir: Path, log: IO[bytes] | None = None) -> None:
    """Terminate (then kill) the server, close its log, remove its scratch directory."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    if log is not None:
        log.close()
    shutil.rmtree(data_dir, ignore_errors=True)


# -- the production stack (PostgreSQL, Redis, Celery workers) ------------------------------------

ROOT = Path(__file__).resolve().parent.parent


def throwaway_database(base_url: str, prefix: str = "chemviz_bench") -> str:
    """CREATE a fresh database on the server of `base_url` (its role needs CREATEDB); its URL."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(base_url)._replace(path="/" + name))


def drop_database(base_url: str, url: str) -> None:
    from urllib.parse import urlsplit

    import psycopg
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Sql:
    """Plain SQL on the bench server's database (PostgreSQL URL or the SQLite file), `%s` params."""

    def __init__(self, database_url: str | None, sqlite_path: Path):
        self.url, self.path = database_url, sqlite_path

    def run(self, query: str, *args, fetch: bool = True) -> list[tuple]:
        if self.url:
            import psycopg
            with psycopg.connect(self.url, autocommit=True) as conn:
                cur = conn.execute(query, args)
                return cur.fetchall() if fetch and cur.description else []
        import sqlite3
        db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        try:
            cur = db.execute(query.replace("%s", "?"), args)
            return cur.fetchall() if fetch else []
        finally:
            db.close()


def start_worker(env: dict, processes: int, log_path: Path, timeout: float = 120) -> tuple[subprocess.Popen, float]:
    """`main.py worker` with `processes` prefork children; returns it and when it said ready
    (time.perf_counter())."""
    import sys
    import time
    log = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, "main.py", "worker", "--pool", "prefork", "--concurrency",
                             str(processes), "--hostname", f"bench{processes}@%h", "--loglevel", "INFO"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("worker exited: " + log_path.read_text(errors="replace")[-2000:])
        if " ready." in log_path.read_text(errors="replace"):
            return proc, time.perf_counter()
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("worker not ready: " + log_path.read_text(errors="replace")[-2000:])


def stop_worker(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def multipart(file_name: str, data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body built once (so a timed POST measures sending and the server,
    not the client encoding 50 MB)."""
    import uuid
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode())
    parts.append(data)
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (gunicorn workers) so far (Linux;
    0.0 elsewhere). On a shared machine it stretches less than wall time with the others' load."""
    import os
    try:
        pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        ticks = 0
        for p in pids:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])       # utime, stime (fields 14 and 15)
        return ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
