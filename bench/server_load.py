"""Load test of the ChemViz server on loopback (issue 4 targets).

    python bench/server_load.py [--server gunicorn|serve] [--uploads 40] [--seconds 10]

Starts its own server on a free 127.0.0.1 port with a throwaway data dir (gunicorn with 2 sync
workers when installed, else `main.py serve`), creates an engineer, takes a token, then measures:
  1. upload of a 5,000-row CSV, sequentially: p50 / p95 / max latency (target p95 < 300 ms);
  2. GET analytics/statistics/ from 2 concurrent client processes for --seconds:
     requests/s and p50 / p95 latency (targets > 200 req/s, p95 < 50 ms).
Exit code 0 when every target is met, 1 otherwise.
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
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_harness import free_port, pct, stop  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "bench", "Bench-load-pass-1"
TYPES = ["Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser"]


def csv_rows(n: int) -> bytes:
    lines = ["Equipment Name,Type,Flowrate,Pressure,Temperature"]
    lines += [f"EQ-{i:06d},{TYPES[i % 6]},{50 + i % 200}.5,{1 + i % 20}.25,{20 + i % 300}.0" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()






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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    have_gunicorn = importlib.util.find_spec("gunicorn") is not None and os.name == "posix"
    ap.add_argument("--server", choices=["gunicorn", "serve"], default="gunicorn" if have_gunicorn else "serve")
    ap.add_argument("--uploads", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2, help="concurrent statistics clients")
    args = ap.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="chemviz-bench-"))
    env = dict(os.environ, CHEMVIZ_SERVER_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    env.pop("DJANGO_DEBUG", None)
    subprocess.run([sys.executable, "main.py", "adduser", USER, "--role", "engineer", "--password-stdin"],
                   cwd=ROOT, env=env, input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    proc = start_server(args.server, port, env)
    api = f"http://127.0.0.1:{port}/api/v1/"
    ok = True
    try:
        token = requests.post(api + "auth/token/", json={"username": USER, "password": PASSWORD},
                              timeout=30).json()["token"]
        s = requests.Session()
        s.headers["Authorization"] = f"Token {token}"
        body = csv_rows(5000)
        print(f"server: {args.server} on 127.0.0.1:{port}  ({'2 gthread workers' if args.server == 'gunicorn' else 'waitress'})")
        print(f"upload: 5,000-row CSV ({len(body) / 1024:.0f} KiB) x {args.uploads}, sequential")
        for _ in range(3):  # warm-up (imports, first connections)
            s.post(api + "analytics/csv/upload/", files={"file": ("warm.csv", body)}, timeout=30)
        lat = []
        for i in range(args.uploads):
            t0 = time.perf_counter()
            r = s.post(api + "analytics/csv/upload/", files={"file": (f"run{i}.csv", body)},
                       data={"client_id": str(uuid.uuid4())}, timeout=30)
            lat.append(time.perf_counter() - t0)
            if r.status_code != 201:
                raise SystemExit(f"upload failed: {r.status_code} {r.text[:300]}")
        p95 = pct(lat, 95) * 1000
        ok &= p95 < 300
        print(f"  p50 {pct(lat, 50) * 1000:.1f} ms   p95 {p95:.1f} ms   max {max(lat) * 1000:.1f} ms"
              f"   -> target p95 < 300 ms: {'PASS' if p95 < 300 else 'FAIL'}")

        url = api + "analytics/statistics/"
        for _ in range(20):
            s.get(url, timeout=10)
        print(f"statistics: GET analytics/statistics/, {args.workers} concurrent clients, {args.seconds:g} s")
        ctx = mp.get_context("spawn")
        q = ctx.Queue()
        procs = [ctx.Process(target=stats_worker, args=(url, token, args.seconds, q)) for _ in range(args.workers)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = [q.get() for _ in procs]
        for p in procs:
            p.join()
        lat = [x for r in results for x in r[0]]
        errors = sum(r[1] for r in results)
        rps = len(lat) / args.seconds
        p95 = pct(lat, 95) * 1000
        met = rps > 200 and p95 < 50 and errors == 0
        ok &= met
        print(f"  {len(lat)} requests, {errors} errors, {rps:.0f} req/s   p50 {pct(lat, 50) * 1000:.1f} ms"
              f"   p95 {p95:.1f} ms   (mean {pystats.mean(lat) * 1000:.1f} ms; wall {time.perf_counter() - t0:.1f} s)"
              f"   -> target > 200 req/s, p95 < 50 ms: {'PASS' if met else 'FAIL'}")
    finally:
        stop(proc, data_dir)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
