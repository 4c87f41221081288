"""Issue 18: `main.py serve` is waitress: half-sent connections cost no threads and do not stop
other clients, no versions in the Server header, chunked uploads work, odd paths and wrong Host
headers get a 400 and one log line (no traceback), server files are private. Figures for 500/1,000
connections: bench/server_connections.py."""
from __future__ import annotations

import os
import socket
import stat
import sys
import time
from pathlib import Path

import pytest
import requests
from srv_helpers import CLEAN_CSV

from tests.server_process import ServerProcess

PW = "Serve-test-pass-7"


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(request)
        return s.recv(4096)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts threads in /proc")
def test_serve_is_bounded_and_quiet(tmp_path):
    with ServerProcess(tmp_path / "srv") as srv:
        srv.add_user("sam", PW, "engineer")
        r = requests.get(srv.api + "health/", timeout=5)
        assert r.headers["Server"] == "ChemViz" and "Python" not in r.headers["Server"]
        assert r.headers["Cache-Control"] == "no-store"
        base = _threads(srv.proc.pid)

        held = []
        try:
            for _ in range(150):          # half-sent requests: a thread each under the old server
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                s.sendall(b"POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{")
                held.append(s)
            time.sleep(0.5)
            t0 = time.perf_counter()
            assert requests.get(srv.api + "health/", timeout=5).status_code == 200
            assert time.perf_counter() - t0 < 2
            assert _threads(srv.proc.pid) <= base + 2
        finally:
            for s in held:
                s.close()

        # a chunked upload is read like any other (waitress de-chunks it)
        def chunks():
            yield CLEAN_CSV[:40]
            yield CLEAN_CSV[40:]
        boundary = "xyzzy"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n"
                f"Content-Type: text/csv\r\n\r\n").encode() + CLEAN_CSV + f"\r\n--{boundary}--\r\n".encode()
        r = requests.post(srv.api + "analytics/csv/upload/", data=(body[i:i + 100] for i in range(0, len(body), 100)),
                          headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
                          auth=("sam", PW), timeout=10)
        assert r.status_code == 200 and r.json()["created"], r.text

        assert _raw(srv.port, b"GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") \
            .startswith(b"HTTP/1.1 400")
        r = requests.get(srv.api + "health/", headers={"Host": "evil.example"}, timeout=5)
        assert r.status_code == 400
        time.sleep(0.3)
        log = srv.log()
        assert "Traceback" not in log and "Invalid HTTP_HOST header" in log and "refused static path" in log

        if os.name == "posix":
            assert stat.S_IMODE(Path(srv.server_dir / "db.sqlite3").stat().st_mode) == 0o600
            media = srv.server_dir / "media" / "csv_uploads"
            assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in media.iterdir())
