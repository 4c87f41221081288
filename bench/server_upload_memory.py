"""Memory and time a live server spends on hostile and large uploads (issue 18, Linux: reads /proc).

    python bench/server_upload_memory.py [--server serve|gunicorn] [--cases comma,wide,valid,burst]

Starts `main.py serve` on a free 127.0.0.1 port with a throwaway data dir, then sends, one case at a
time, and samples the server's resident memory every 10 ms:
  comma  a 9 MB CSV whose header is ~9M commas (issue: +550 MB, 9.7 s, wrong message);
  wide   a 9.9 MB CSV of 10,000 columns (issue: accepted after 8.2 s, +310 MB);
  valid  a 9.9 MB valid CSV (~270k rows, unique names): the target is peak growth <= 5x the upload
         size; printed beside it, the engine's share: engine.load alone on the same bytes in a
         fresh warmed process (its peak growth is part of the server's);
  burst  four comma-header uploads at once (issue: 858 -> 2,305 MB, never returned);
  export 8 concurrent exports of a ~330k-row dataset, twice (issue: 18 s, +440 MB).
The server is warmed first with a 1,000-row upload (imports of pandas/pyarrow, first database
connection), so no case measures first-use costs.
Prints status, time, the answer's first words and RSS before / peak / after per case.
Exit code 0 when every refused case is refused within 1 s and growth stays <= 5x the size.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_harness import free_port, stop  # noqa: E402
from server_load import csv_rows, start_server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
USER, PASSWORD = "membench", "Bench-memory-pass-1"
HEADER = b"Equipment Name,Type,Flowrate,Pressure,Temperature"


def comma_header() -> bytes:
    return HEADER + b"," * 9_000_000 + b"\nP-1,Pump,1,2,3\n"


def wide(columns: int = 10_000, size: int = 9_900_000) -> bytes:
    head = HEADER + b"," + b",".join(b"extra%05d" % i for i in range(columns - 5)) + b"\n"
    row = b"P-1,Pump,1.5,2.5,3.5," + b",".join(b"1" for _ in range(columns - 5)) + b"\n"
    return head + row * ((size - len(head)) // len(row))


def valid(size: int = 9_900_000) -> bytes:
    data = csv_rows(300_000)
    return data[: data.rfind(b"\n", 0, size) + 1]


def rss_kib(pid: int) -> int:
    """Resident set of the server and its children (gunicorn workers), in KiB."""
    total = 0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


class Sampler:
    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.01)

    def __enter__(self) -> "Sampler":
        self.peak = rss_kib(self.pid)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


ENGINE_SHARE = """
import sys, threading, time
from pathlib import Path
import engine
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
engine.load(b"Equipment Name,Type,Flowrate,Pressure,Temperature\\nP-1,Pump,1,2,3\\n", file_name="warm.csv")
data = Path(sys.argv[1]).read_bytes()
before, peak, done = rss(), [0], threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.005)
t = threading.Thread(target=sample)
t.start()
result = engine.load(data, file_name="valid.csv", max_bytes=50 * 2**20)
done.set()
t.join()
print(max(peak[0], rss()) - before)
"""


def engine_share(body: bytes) -> int:
    """Peak RSS growth of engine.load alone on these bytes, in a fresh warmed process."""
    with tempfile.NamedTemporaryFile(suffix=".csv") as fh:
        fh.write(body)
        fh.flush()
        out = subprocess.run([sys.executable, "-c", ENGINE_SHARE, fh.name], cwd=ROOT, capture_output=True,
                             text=True, check=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    return int(out.stdout.split()[-1])


def post(api: str, token: str, name: str, body: bytes) -> tuple[int, float, str]:
    t0 = time.perf_counter()
    try:
        r = requests.post(api + "analytics/csv/upload/", files={"file": (name, body, "text/csv")},
                          headers={"Authorization": f"Token {token}"}, timeout=120)
        text = r.json().get("detail") or r.json().get("message") or ""
        return r.status_code, time.perf_counter() - t0, text[:90]
    except (requests.RequestException, ValueError) as exc:
        return -1, time.perf_counter() - t0, type(exc).__name__


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", choices=["serve", "gunicorn"], default="serve")
    ap.add_argument("--cases", default="comma,wide,valid,burst,export")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="chemviz-membench-"))
    env = dict(os.environ, CHEMVIZ_SERVER_DIR=str(data_dir), PYTHONPATH=str(ROOT),
               CHEMVIZ_THROTTLE_UPLOAD="1000/min")
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
        post(api, token, "warm.csv", csv_rows(1000))   # imports, first connection
        cases = {"comma": comma_header, "wide": wide, "valid": valid}
        for name in args.cases.split(","):
            if name == "export":
                body = valid()
                r = requests.post(api + "analytics/csv/upload/", files={"file": ("big.csv", body)},
                                  headers={"Authorization": f"Token {token}"}, timeout=120)
                url = api + f"analytics/csv/datasets/{r.json()['id']}/export/"

                def export(_, url=url):
                    got = requests.get(url, headers={"Authorization": f"Token {token}"}, timeout=120)
                    return got.status_code, len(got.content)
                for round_ in (1, 2):
                    before = rss_kib(proc.pid)
                    with Sampler(proc.pid) as s, ThreadPoolExecutor(8) as pool:
                        t0 = time.perf_counter()
                        results = list(pool.map(export, range(8)))
                        wall = time.perf_counter() - t0
                    codes = sorted(c for c, _ in results)
                    print(f"export round {round_}: 8 x GET export of {r.json()['row_count']:,} rows  codes {codes}  "
                          f"wall {wall:.2f} s  RSS {before / 1024:.0f} -> peak {s.peak / 1024:.0f} "
                          f"-> {rss_kib(proc.pid) / 1024:.0f} MB")
                continue
            if name == "burst":
                body = comma_header()
                before = rss_kib(proc.pid)
                with Sampler(proc.pid) as s, ThreadPoolExecutor(4) as pool:
                    t0 = time.perf_counter()
                    results = list(pool.map(lambda i, body=body: post(api, token, f"b{i}.csv", body), range(4)))
                    wall = time.perf_counter() - t0
                after = rss_kib(proc.pid)
                print(f"burst  4 x {len(body) / 1e6:.1f} MB  codes {[r[0] for r in results]}  wall {wall:.2f} s  "
                      f"RSS {before / 1024:.0f} -> peak {s.peak / 1024:.0f} -> {after / 1024:.0f} MB")
                ok &= all(r[0] in (400, 413, 429) for r in results) and wall < 2
                continue
            body = cases[name]()
            before = rss_kib(proc.pid)
            with Sampler(proc.pid) as s:
                code, secs, text = post(api, token, f"{name}.csv", body)
            after = rss_kib(proc.pid)
            growth = (s.peak - before) * 1024
            ratio = growth / len(body)
            print(f"{name:6} {len(body) / 1e6:.1f} MB  {code}  {secs:.2f} s  RSS {before / 1024:.0f} -> peak "
                  f"{s.peak / 1024:.0f} (+{growth / 1e6:.0f} MB = {ratio:.1f}x) -> {after / 1024:.0f} MB  {text!r}")
            ok &= ratio <= 5
            if name == "valid":
                share = engine_share(body)
                print(f"       of which engine.load alone: +{share / 1e6:.0f} MB = {share / len(body):.1f}x "
                      f"(fresh warmed process); the rest: +{(growth - share) / 1e6:.0f} MB")
            if name != "valid":
                ok &= code == 400 and secs < 1
    finally:
        stop(proc, data_dir)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
