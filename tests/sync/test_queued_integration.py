"""Queued uploads end to end (#17): the real server on PostgreSQL with a Celery worker on Redis,
the desktop's sync engine and the CLI. A file above the server's size threshold answers 202; the
client waits for the import, is killed (SIGKILL) while waiting, and the next sync polls the same
import instead of sending the file again; a file the worker refuses ends failed with the server's
error_log. Also pins down what the server alone guarantees: a re-send of the same client_id is
the same import (202, same id) while queued and the same dataset (200, created false) once done."""
from __future__ import annotations

import signal
import sqlite3
import subprocess
import time

import pytest
import requests

from chemviz_desktop.core.store import FAILED, PENDING, SYNCED, pending_imports
from chemviz_desktop.core.sync.account import sign_in
from chemviz_desktop.core.sync.api_client import RetryPolicy
from chemviz_desktop.core.sync.import_wait import WaitPolicy
from chemviz_desktop.core.sync.syncer import SyncEngine
from tests.celery_stack import celery_stack

from .conftest import PYTHON, ROOT, cli_env, import_csv, make_csv

PW = "Correct-horse-9"
THRESHOLD = 4096                       # bytes: uploads at least this big are queued
FAST = RetryPolicy(total=1, backoff_factor=0.05, backoff_max=0.2, connect_timeout=2, read_timeout=30)
REFUSED = b"Name,Colour\n" + b"".join(b"tank-%d,blue\n" % i for i in range(600))


def _resend(stack, name: str, data: bytes, client_id: str) -> requests.Response:
    return requests.post(stack.api + "analytics/csv/upload/", auth=("alice", PW), timeout=60,
                         files={"file": (name, data, "text/csv")}, data={"client_id": client_id})


def _waiting(store_path, uid: str) -> int | None:
    db = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT import_id FROM outbox_imports WHERE dataset_uuid=?", (uid,)).fetchone()
        return None if row is None else int(row[0])
    except sqlite3.OperationalError:      # the CLI is upgrading the store right now
        return None
    finally:
        db.close()


@pytest.mark.slow
def test_a_queued_upload_survives_a_kill_while_waiting_and_completes_without_a_second_upload(tmp_path, store):
    small, big = make_csv("SMALL", 6), make_csv("BIG", 400)
    assert len(small) < THRESHOLD <= len(big) and len(REFUSED) >= THRESHOLD
    with celery_stack(tmp_path / "server", THRESHOLD) as stack:
        stack.start()
        stack.add_user("alice", PW, "engineer")
        small_id = import_csv(store, "small.csv", small)
        big_id = import_csv(store, "big.csv", big)
        refused_id = import_csv(store, "refused.csv", make_csv("REFUSED", 400))
        store.db.execute("UPDATE dataset_rows SET csv_bytes=? WHERE dataset_id=?",
                         (REFUSED, store.by_uuid(refused_id).id))

        # 1. the CLI syncs: small.csv answers 200; big.csv 202, and no worker runs yet: it waits
        cli = subprocess.Popen([PYTHON, "main.py", "sync", "--server", stack.url, "--user", "alice", "--wait", "600"],
                               cwd=ROOT, env=cli_env(CHEMVIZ_PASSWORD=PW), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 120
        while _waiting(store.path, big_id) is None:
            assert cli.poll() is None, cli.stdout.read() if cli.stdout else ""
            assert time.monotonic() < deadline, "the CLI never got an import id for big.csv"
            time.sleep(0.1)
        time.sleep(1.0)                               # polling now
        cli.send_signal(signal.SIGKILL)
        out = cli.communicate(timeout=30)[0]
        assert cli.returncode == -signal.SIGKILL
        assert "pushed  small.csv" in out, out

        import_id = _waiting(store.path, big_id)
        assert store.by_uuid(small_id).sync_state == SYNCED
        assert store.by_uuid(big_id).sync_state == PENDING
        assert stack.sql("SELECT id, status FROM imports_importjob") == [(import_id, "pending")]

        # the server alone would also not make a second import of a re-sent client_id
        again = _resend(stack, "big.csv", big, big_id)
        assert again.status_code == 202, again.text
        assert (again.json()["import_id"], again.json()["created"]) == (import_id, False)
        assert len(stack.sql("SELECT id FROM imports_importjob")) == 1

        # 2. a worker starts; the next sync (a restart: new store connection, new session) polls
        stack.start_worker("w1")
        session, _ = sign_in(stack.url, "alice", PW, policy=FAST)
        client = session.client(FAST)
        sent: list[str] = []
        real_upload = client.upload
        client.upload = lambda name, *args: sent.append(name) or real_upload(name, *args)
        try:
            rep = SyncEngine(store, client, "alice", wait=WaitPolicy(budget=180)).push(force=True)
        finally:
            client.close()
        assert sent == ["refused.csv"], sent          # big.csv was polled, never sent again
        assert rep.pushed == ["big.csv"], (rep, stack.worker_log("w1"))

        (dataset_id, job_status, job_dataset), = stack.sql(
            "SELECT d.id, j.status, j.dataset_id FROM analytics_csvdataset d JOIN imports_importjob j "
            "ON j.client_id = d.client_id WHERE d.client_id = %s", big_id)
        assert (job_status, job_dataset) == ("completed", dataset_id)
        info = store.by_uuid(big_id)
        assert (info.sync_state, info.server_id, info.server_owner) == (SYNCED, dataset_id, "alice")
        assert pending_imports.recall(store.db, big_id, stack.url) is None
        (rows,), = stack.sql("SELECT count(*) FROM equipment_parameterhistory WHERE dataset_id = %s", dataset_id)
        assert rows == 400

        # 3. the refused file: failed, in the server's words
        (error_log,), = stack.sql("SELECT error_log FROM imports_importjob WHERE client_id = %s", refused_id)
        refused = store.by_uuid(refused_id)
        assert refused.sync_state == FAILED and error_log and error_log.splitlines()[0] in refused.sync_error
        assert refused.sync_error.startswith("the server could not import it")
        assert [name for name, _ in rep.failed] == ["refused.csv"]
        assert store.pending_count() == 0

        # once completed, a re-send of the client_id is the dataset itself (200, created false)
        done = _resend(stack, "big.csv", big, big_id)
        assert done.status_code == 200, done.text
        assert (done.json()["id"], done.json()["created"]) == (dataset_id, False)
