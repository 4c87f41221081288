"""A real `main.py serve` process for tests that need the server over HTTP (server and sync tests).

    from tests.server_process import ServerProcess   # the repo root is on sys.path (tests/conftest.py)

    with ServerProcess(tmp_path / "server") as srv:
        srv.add_user("alice", "Correct-horse-9", "engineer")   # Django password rules apply
        requests.get(srv.api + "health/")
        srv.kill()      # SIGKILL, like a crash
        srv.start()     # same port, same data dir

Passwords go through Django's validators (8+ characters, not common, not all digits).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, server_dir: Path, port: int | None = None):
        self.server_dir = Path(server_dir)
        self.server_dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = self.url + "/api/v1/"
        self.log_path = self.server_dir / "serve.log"
        self.proc: subprocess.Popen | None = None
        self._log = None

    # -- environment shared by serve and adduser ---------------------------------------------
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["CHEMVIZ_SERVER_DIR"] = str(self.server_dir)
        env.pop("DJANGO_SETTINGS_MODULE", None)   # a test session's settings must not leak in
        env.pop("DATABASE_URL", None)
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "ServerProcess":
        """Start (again) on the same port and server dir; wait until health/ answers."""
        if self.running:
            return self
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "main.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=ROOT, env=self.env(), stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if requests.get(self.api + "health/", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"server did not answer on {self.url} within {START_TIMEOUT:.0f} s:\n{self.log()}")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the server dies without cleanup, as in a crash or power cut."""
        if self.running:
            self.proc.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        """Polite stop (SIGTERM, then SIGKILL after 5 s)."""
        if self.running:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._reap()

    def _reap(self) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    # -- users -------------------------------------------------------------------------------
    def add_user(self, name: str, password: str, role: str = "engineer") -> None:
        """`main.py adduser NAME --role ROLE --password-stdin` against this server's dir.
        Works whether or not the server is running."""
        res = subprocess.run(
            [sys.executable, "main.py", "adduser", name, "--role", role, "--password-stdin"],
            cwd=ROOT, env=self.env(), input=password + "\n", capture_output=True, text=True,
            timeout=60)
        if res.returncode != 0:
            raise RuntimeError(f"adduser {name} failed ({res.returncode}): {res.stderr.strip()}")

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
