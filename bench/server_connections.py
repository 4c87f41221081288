"""Threads, descriptors and latency of `main.py serve` under many slow or idle connections
(issue 18). Loopback only; every step is bounded.

    python bench/server_connections.py [--half 500] [--idle 1000] [--nofile 1024] [--root DIR]

Starts `main.py serve` (from --root, default this checkout) with the soft RLIMIT_NOFILE at --nofile
(the usual Linux default of 1,024, as on the reviewed machine; --hard caps the hard limit too) and
CHEMVIZ_SERVE_TIMEOUT=5, then:
  1. opens --half connections that send headers and half a body, and never finish;
  2. opens --idle connections that send nothing;
after each: server threads and open descriptors, and the time a new client needs for health/
(timeout 5 s). Finally waits for the idle timeout and counts descriptors again.
Exit code 0 when new clients are answered within 1 s throughout.
"""
from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_harness import free_port, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent




def counts(pid: int) -> tuple[int, int]:
    return len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd"))


def probe(url: str) -> str:
    t0 = time.perf_counter()
    try:
        requests.get(url, timeout=5)
        return f"{(time.perf_counter() - t0) * 1000:.0f} ms"
    except requests.RequestException as exc:
        return f"FAILED after {time.perf_counter() - t0:.1f} s ({type(exc).__name__})"


def open_many(port: int, n: int, payload: bytes) -> tuple[list[socket.socket], int]:
    held, failed = [], 0
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            if payload:
                s.sendall(payload)
            held.append(s)
        except OSError:
            failed += 1
            if failed >= 10:   # the server stopped accepting: do not wait for the rest
                break
    return held, failed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--half", type=int, default=500)
    ap.add_argument("--idle", type=int, default=1000)
    ap.add_argument("--nofile", type=int, default=1024)
    ap.add_argument("--hard", action="store_true", help="make --nofile the hard limit too")
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose main.py to run")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="chemviz-connbench-"))
    env = dict(os.environ, CHEMVIZ_SERVER_DIR=str(data_dir), CHEMVIZ_SERVE_TIMEOUT="5")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api/v1/health/"

    def limit() -> None:
        hard = args.nofile if args.hard else resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (args.nofile, hard))
    log = open(data_dir / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "main.py", "serve", "--port", str(port)], cwd=args.root,
                            env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=limit)
    ok = True
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        threads, fds = counts(proc.pid)
        print(f"server {args.root} (nofile {args.nofile}): idle {threads} threads, {fds} fds; "
              f"health {probe(url)}")
        half = (b"POST /api/v1/auth/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{\"username\":")
        held, failed = open_many(port, args.half, half)
        time.sleep(1)
        threads, fds = counts(proc.pid)
        p = probe(url)
        ok &= p.endswith("ms") and float(p.split()[0]) < 1000
        print(f"{args.half} half-sent requests ({failed} not connected): {threads} threads, {fds} fds; health {p}")
        for s in held:
            s.close()
        held = []
        time.sleep(1)
        held, failed = open_many(port, args.idle, b"")
        time.sleep(1)
        threads, fds = counts(proc.pid)
        p = probe(url)
        ok &= p.endswith("ms") and float(p.split()[0]) < 1000
        print(f"{args.idle} idle connections ({failed} not connected): {threads} threads, {fds} fds; health {p}")
        time.sleep(8)
        threads, fds = counts(proc.pid)
        print(f"8 s later (idle timeout 5 s): {threads} threads, {fds} fds; health {probe(url)}")
    finally:
        for s in held:
            s.close()
        stop(proc, data_dir, log)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
