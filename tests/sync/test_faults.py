"""Fault tests: the server SIGKILLed and restarted at random points while 20 datasets sync, and
the CLI sync itself killed with kill -9 mid-sync. Either way the end state must be: the server
holds every dataset exactly once, every local copy is synced, the outbox is empty."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time

import pytest
import requests

from chemviz_desktop.core.store import SYNCED, Store
from chemviz_desktop.core.sync.account import sign_in
from chemviz_desktop.core.sync.api_client import ApiClient, RetryPolicy
from chemviz_desktop.core.sync.syncer import SyncEngine

from .conftest import PYTHON, ROOT, cli_env, import_csv, make_csv

PW = "Correct-horse-9"
N_DATASETS = 20
MIN_KILLS = 20
KILL9_RUNS = 6
ROWS = 6000   # big enough that an upload takes a while, so kills land mid-request too
FAST = RetryPolicy(total=2, backoff_factor=0.05, backoff_max=0.5, connect_timeout=0.5, read_timeout=10)


def server_rows(server) -> list[dict]:
    r = requests.get(server.api + "analytics/csv/datasets/?limit=100&mine=1", auth=("alice", PW), timeout=10)
    r.raise_for_status()
    return r.json()["results"]


def server_db_count(server) -> int:
    """Datasets in the (dead) server's own database: what it committed before the kill."""
    import sqlite3
    db = sqlite3.connect(server.server_dir / "db.sqlite3", timeout=10)
    try:
        return db.execute("SELECT COUNT(*) FROM analytics_csvdataset").fetchone()[0]
    finally:
        db.close()


def assert_settled(server, store: Store, uids: list[str]) -> None:
    rows = server_rows(server)
    ids = [row["client_id"] for row in rows]
    assert sorted(ids) == sorted(uids), "each dataset exactly once on the server"
    by_cid = {row["client_id"]: row["id"] for row in rows}
    for uid in uids:
        info = store.by_uuid(uid)
        assert info.sync_state == SYNCED and info.server_id == by_cid[uid]
    assert store.pending_count() == 0 and store.outbox() == []


@pytest.mark.slow
def test_server_killed_and_restarted_during_sync_of_20_datasets(server, store):
    server.add_user("alice", PW, "engineer")
    session, _ = sign_in(server.url, "alice", PW, policy=FAST)
    uids = [import_csv(store, f"unit{i:02d}.csv", make_csv(f"U{i:02d}", rows=ROWS)) for i in range(N_DATASETS)]
    rng = random.Random(int(os.environ.get("CHEMVIZ_FAULT_SEED", "5")))
    done, errors, passes = threading.Event(), [], [0]
    settled = threading.Condition()   # notified after every pass that ended with an empty outbox
    clean_passes = [0]

    def syncer() -> None:
        st = Store(store.path)
        client = ApiClient(server.url, token=session.token, policy=FAST)
        sync = SyncEngine(st, client, "alice")
        try:
            while not done.is_set():
                passes[0] += 1
                # a pause after each upload stands for a slower network: the sync stays under
                # way long enough for 20+ kills to land in it
                rep = sync.sync(force=True, on_item=lambda *_: time.sleep(0.1))
                if rep.offline:
                    time.sleep(0.05)
                elif st.pending_count() == 0:
                    with settled:
                        clean_passes[0] += 1
                        settled.notify_all()
                    time.sleep(0.05)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            client.close()
            st.close()

    thread = threading.Thread(target=syncer, daemon=True)
    thread.start()
    kills = kills_while_pending = unconfirmed = 0
    started = time.monotonic()
    while kills < MIN_KILLS or (store.pending_count() and kills_while_pending < MIN_KILLS
                                and time.monotonic() - started < 120):
        if rng.random() < 0.5:   # just after an upload landed: often mid-way through the next one
            before, wait_until = store.pending_count(), time.monotonic() + rng.uniform(0.05, 0.5)
            while store.pending_count() == before and before and time.monotonic() < wait_until:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.03))
        else:                    # anywhere: reconnecting, mid-upload, mid-pull
            time.sleep(rng.uniform(0.0, 0.25))
        kills_while_pending += bool(store.pending_count())
        server.kill()
        kills += 1
        unconfirmed += max(0, server_db_count(server) - sum(i.sync_state == SYNCED for i in store.list()))
        time.sleep(rng.uniform(0.0, 0.3))
        server.start()
    deadline = time.monotonic() + 60
    while store.pending_count() and time.monotonic() < deadline:
        time.sleep(0.1)
    with settled:   # the pass in flight may still be pulling: wait for a whole pass to end clean
        seen = clean_passes[0]
        settled.wait_for(lambda: clean_passes[0] > seen or bool(errors), timeout=60)
    done.set()
    thread.join(30)
    assert not errors, errors
    print(f"\nfault: {kills} SIGKILLs ({kills_while_pending} with uploads pending, {unconfirmed} with an upload "
          f"stored by the server but not confirmed here), {passes[0]} sync passes, "
          f"{N_DATASETS} datasets, outbox {store.pending_count()}")
    assert kills >= MIN_KILLS
    assert kills_while_pending >= 15
    assert_settled(server, store, uids)


@pytest.mark.slow
def test_cli_sync_killed_with_kill_9_mid_sync_then_restarted(server, store):
    server.add_user("alice", PW, "engineer")
    uids = [import_csv(store, f"cli{i:02d}.csv", make_csv(f"C{i:02d}", rows=ROWS), queue=False)
            for i in range(N_DATASETS)]
    rng = random.Random(11)
    env = cli_env(CHEMVIZ_PASSWORD=PW)
    cmd = [PYTHON, "main.py", "sync", "--server", server.url, "--user", "alice"]
    killed_mid_sync = lost_answers = runs = 0
    for _run in range(KILL9_RUNS):
        if sum(i.sync_state != SYNCED for i in store.list()) < 4:
            break  # leave work for the final, unkilled run
        runs += 1
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
        wanted, seen = rng.randint(1, 2), 0
        for line in proc.stdout:
            if line.startswith("pushed  "):
                seen += 1
                if seen >= wanted:
                    break
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
        if proc.returncode == -signal.SIGKILL and store.pending_count() > 0:
            killed_mid_sync += 1
        synced_here = sum(i.sync_state == SYNCED for i in store.list())
        lost_answers += len(server_rows(server)) - synced_here   # on the server, still pending here
    final = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    print(f"\nkill -9: {killed_mid_sync} CLI runs killed mid-sync ({lost_answers} with an upload on the "
          f"server but not yet confirmed here), final run exit {final.returncode}: "
          f"{final.stdout.strip().splitlines()[-1]}")
    assert final.returncode == 0, final.stdout + final.stderr
    assert runs >= 3 and killed_mid_sync == runs
    assert "pushed  cli" in final.stdout  # the restarted run had work left
    assert_settled(server, store, uids)


@pytest.mark.slow
def test_desktop_app_killed_with_kill_9_mid_sync_then_restarted(server, store, tmp_path):
    """The real window (offscreen), signed in from a remembered token, syncing in the background."""
    import json

    from chemviz_desktop.core.sync import credentials
    server.add_user("alice", PW, "engineer")
    session, _ = sign_in(server.url, "alice", PW, remember=True, policy=FAST)
    keyring_file = tmp_path / "keyring.json"
    keyring_file.write_text(json.dumps({credentials.SERVICE: {f"alice@{server.url}": session.token}}))
    uids = [import_csv(store, f"app{i:02d}.csv", make_csv(f"A{i:02d}", rows=ROWS), queue=False)
            for i in range(N_DATASETS)]
    env = cli_env(QT_QPA_PLATFORM="offscreen", CHEMVIZ_TEST_KEYRING=str(keyring_file))
    env["PYTHON_KEYRING_BACKEND"] = "tests.sync.file_keyring.FileKeyring"
    rng = random.Random(23)

    def synced() -> int:
        return sum(i.sync_state == SYNCED for i in store.list())

    killed_mid_sync = 0
    for _run in range(4):
        proc = subprocess.Popen([PYTHON, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        start, target = synced(), synced() + rng.randint(1, 3)
        deadline = time.monotonic() + 60
        while synced() < target and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.03))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert synced() > start, "the app made progress before the kill"
        killed_mid_sync += synced() < N_DATASETS
    proc = subprocess.Popen([PYTHON, "main.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while (synced() < N_DATASETS or store.pending_count()) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\ndesktop kill -9: {killed_mid_sync} app runs killed mid-sync, then a clean run settled")
    assert killed_mid_sync == 4
    assert_settled(server, store, uids)
