"""Password guessing and hashing load against a live `main.py serve` (issue 18). Loopback only,
bounded in time.

    python bench/server_auth_guard.py [--root DIR] [--seconds 5]

  1. 75 wrong logins, each with a different X-Forwarded-For, then the right password:
     how many were answered 400 (a password was checked) and what the right password got;
  2. Basic auth with the right password, sequential for --seconds: requests/s (hash per request
     unless cached);
  3. 20 clients sending wrong Basic passwords (or, with --attack token, wrong tokens) for
     --seconds while one client makes Token requests: the Token requests' p50 / p95.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server_harness import free_port, pct  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PW = "Guard-bench-pass-1"






def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="checkout whose main.py to run")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--attack", choices=["basic", "token"], default="basic",
                    help="wrong Basic passwords (hashing), or wrong tokens (no hashing: the floor of a "
                         "plain request flood)")
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="chemviz-guardbench-"))
    env = dict(os.environ, CHEMVIZ_SERVER_DIR=str(data_dir))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    for name in ("victim", "reader", "basic"):
        subprocess.run([sys.executable, "main.py", "adduser", name, "--role", "viewer", "--password-stdin"],
                       cwd=args.root, env=env, input=PW + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1/"
    log = open(data_dir / "serve.log", "wb")
    proc = subprocess.Popen([sys.executable, "main.py", "serve", "--port", str(port)], cwd=args.root,
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(api + "health/", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.2)
        print(f"server: {args.root}")

        codes = [requests.post(api + "auth/login/", json={"username": "victim", "password": f"guess-{i}"},
                               headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=30).status_code
                 for i in range(75)]
        right = requests.post(api + "auth/login/", json={"username": "victim", "password": PW},
                              headers={"X-Forwarded-For": "198.51.100.1"}, timeout=30)
        print(f"1. 75 wrong logins, rotating X-Forwarded-For: {codes.count(400)} checked (400), "
              f"{codes.count(429)} refused (429); then the right password: {right.status_code}")

        s = requests.Session()
        s.auth = ("basic", PW)
        n, end = 0, time.perf_counter() + args.seconds
        while time.perf_counter() < end:
            s.get(api + "auth/user/me/", timeout=30)
            n += 1
        print(f"2. Basic auth, right password, sequential: {n / args.seconds:.0f} req/s")

        token = requests.post(api + "auth/token/", json={"username": "reader", "password": PW},
                              timeout=30).json()["token"]
        calm = requests.Session()
        calm.headers["Authorization"] = f"Token {token}"
        quiet = []
        for _ in range(50):
            t0 = time.perf_counter()
            calm.get(api + "auth/user/me/", timeout=30)
            quiet.append(time.perf_counter() - t0)
        print(f"   Token requests alone: p50 {pct(quiet, 50) * 1000:.0f} ms, p95 {pct(quiet, 95) * 1000:.0f} ms")
        stop = threading.Event()
        sent = [0]

        def attacker(i: int) -> None:
            a = requests.Session()
            if args.attack == "basic":
                a.auth = ("basic", f"wrong-{i}")
            else:
                a.headers["Authorization"] = f"Token {i:040x}"
            while not stop.is_set():
                try:
                    a.get(api + "auth/user/me/", timeout=30)
                    sent[0] += 1
                except requests.RequestException:
                    pass
        threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(20)]
        for t in threads:
            t.start()
        r = requests.Session()
        r.headers["Authorization"] = f"Token {token}"
        lat, end = [], time.perf_counter() + args.seconds
        while time.perf_counter() < end:
            t0 = time.perf_counter()
            r.get(api + "auth/user/me/", timeout=30)
            lat.append(time.perf_counter() - t0)
        stop.set()
        for t in threads:
            t.join(timeout=35)
        print(f"3. Token requests during 20 wrong-{args.attack} clients ({sent[0]} wrong requests): "
              f"p50 {pct(lat, 50) * 1000:.0f} ms, p95 {pct(lat, 95) * 1000:.0f} ms")
    finally:
        stop(proc, data_dir, log)
    return 0


if __name__ == "__main__":
    sys.exit(main())
