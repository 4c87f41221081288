"""Against the real Django server (tests/server_process.py) on a free loopback port: sign in and
out, push, pull, viewer refusal, and the CLI commands end to end."""
from __future__ import annotations

import subprocess

import pytest
import requests

from chemviz_desktop.core.store import FAILED, SERVER_ONLY, SYNCED
from chemviz_desktop.core.sync import credentials
from chemviz_desktop.core.sync.account import restore, sign_in, sign_out
from chemviz_desktop.core.sync.api_client import ApiClient, ApiError, RetryPolicy
from chemviz_desktop.core.sync.background import sync_pass
from chemviz_desktop.core.sync.syncer import SyncEngine

from .conftest import PYTHON, ROOT, cli_env, import_csv, make_csv

PW = "Correct-horse-9"
FAST = RetryPolicy(total=2, backoff_factor=0.05, connect_timeout=1, read_timeout=15)


def server_rows(server, user="alice", password=PW) -> list[dict]:
    r = requests.get(server.api + "analytics/csv/datasets/?limit=100", auth=(user, password), timeout=10)
    r.raise_for_status()
    return r.json()["results"]


def test_sign_in_remember_then_sign_out_revokes_the_token(server, memory_keyring):
    server.add_user("alice", PW, "engineer")
    session, note = sign_in(server.url, "alice", PW, remember=True, policy=FAST)
    assert note is None and session.role == "engineer" and session.token
    assert credentials.load_token(server.url, "alice") == session.token
    assert restore().token == session.token
    me = requests.get(server.api + "auth/user/me/", headers={"Authorization": f"Token {session.token}"}, timeout=5)
    assert me.status_code == 200 and me.json()["username"] == "alice"

    assert sign_out(session, FAST) is None
    old = requests.get(server.api + "auth/user/me/", headers={"Authorization": f"Token {session.token}"}, timeout=5)
    assert old.status_code == 401
    assert credentials.load_token(server.url, "alice") is None and restore() is None
    assert memory_keyring.items == {}


def test_wrong_password_is_refused_and_nothing_is_remembered(server, memory_keyring):
    server.add_user("alice", PW, "engineer")
    with pytest.raises(ApiError) as ei:
        sign_in(server.url, "alice", "wrong-password-1", remember=True, policy=FAST)
    assert ei.value.status in (400, 401)
    assert memory_keyring.items == {}


def test_push_three_datasets_once_each_even_when_pushed_twice(server, store):
    server.add_user("alice", PW, "engineer")
    session, _ = sign_in(server.url, "alice", PW, policy=FAST)
    uids = [import_csv(store, f"plant{i}.csv", make_csv(f"P{i}")) for i in range(3)]
    sync = SyncEngine(store, session.client(FAST), "alice")
    rep = sync.sync()
    assert sorted(rep.pushed) == ["plant0.csv", "plant1.csv", "plant2.csv"] and rep.ok
    assert store.pending_count() == 0
    # force a re-send of all three: the server answers 200 with the same datasets
    for uid in uids:
        store.enqueue(uid)
    assert len(sync.push().pushed) == 3
    rows = server_rows(server)
    assert sorted(r["client_id"] for r in rows) == sorted(uids)
    for uid in uids:
        info = store.by_uuid(uid)
        assert info.sync_state == SYNCED and info.server_id in {r["id"] for r in rows}


def test_pull_a_dataset_imported_by_another_user_and_open_it(server, store):
    server.add_user("alice", PW, "engineer")
    server.add_user("bob", PW, "engineer")
    bob = ApiClient(server.url, policy=FAST)
    bob.sign_in("bob", PW)
    status, body = bob.upload("bob-site.csv", make_csv("BOB", rows=11), "0b0b0b0b-0000-4000-8000-000000000001")
    assert status == 200 and body["created"] is True
    session, _ = sign_in(server.url, "alice", PW, policy=FAST)
    sync = SyncEngine(store, session.client(FAST), "alice")
    rep = sync.sync()
    assert rep.pulled == ["bob-site.csv"]
    info = next(i for i in store.list() if i.file_name == "bob-site.csv")
    assert info.sync_state == SERVER_ONLY and info.server_owner == "bob" and not info.has_rows
    sync.fetch_rows(info.id)
    ds = store.open(info.id)
    assert ds.info.sync_state == SYNCED and len(ds.frame) == 11
    assert ds.statistics["total_equipment"] == 11 and ds.report.rows_accepted == 11
    assert sync.pull().pulled == []


def test_viewer_upload_ends_in_a_clear_failed_state(server, store):
    server.add_user("vera", PW, "viewer")
    session, _ = sign_in(server.url, "vera", PW, policy=FAST)
    uid = import_csv(store, "v.csv", make_csv("V"))
    res = sync_pass(store, session.client(FAST), "vera")
    assert res.online and res.report.failed
    info = store.by_uuid(uid)
    assert info.sync_state == FAILED and "403" in info.sync_error and store.pending_count() == 0
    assert "viewer" in info.sync_error.lower()


def test_server_validation_message_reaches_the_dataset(server, store):
    server.add_user("alice", PW, "engineer")
    session, _ = sign_in(server.url, "alice", PW, policy=FAST)
    uid = import_csv(store, "x.csv", make_csv("X"))
    store.db.execute("UPDATE dataset_rows SET csv_bytes=?", (b"Name,Colour\nfoo,blue\n",))
    SyncEngine(store, session.client(FAST), "alice").push()
    info = store.by_uuid(uid)
    assert info.sync_state == FAILED and "HTTP 400" in info.sync_error


def test_delete_on_the_server_too(server, store):
    server.add_user("alice", PW, "engineer")
    session, _ = sign_in(server.url, "alice", PW, policy=FAST)
    uid = import_csv(store, "d.csv", make_csv("D"))
    sync = SyncEngine(store, session.client(FAST), "alice")
    sync.push()
    sync.delete(store.by_uuid(uid).id, on_server=True)
    assert server_rows(server) == [] and store.by_uuid(uid) is None


def run_cli(*args, password: str | None = PW, timeout=120):
    env = cli_env(**({"CHEMVIZ_PASSWORD": password} if password else {}))
    if not password:
        env.pop("CHEMVIZ_PASSWORD", None)
    return subprocess.run([PYTHON, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_cli_import_sync_list_end_to_end(server, tmp_path):
    server.add_user("alice", PW, "engineer")
    server.add_user("bob", PW, "engineer")
    bob = ApiClient(server.url, policy=FAST)
    bob.sign_in("bob", PW)
    bob.upload("bob.csv", make_csv("B"), "0b0b0b0b-0000-4000-8000-000000000002")
    for i in range(3):
        f = tmp_path / f"site{i}.csv"
        f.write_bytes(make_csv(f"S{i}"))
        r = run_cli("import", str(f), password=None)
        assert r.returncode == 0, r.stderr
        assert "imported site" in r.stdout and "[local" in r.stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Name,Colour\nfoo,blue\n")
    assert run_cli("import", str(bad), password=None).returncode == 1

    r = run_cli("sync", "--server", server.url, "--user", "alice")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("pushed  site") == 3 and "pulled  bob.csv" in r.stdout
    assert "pushed 3, pulled 1, failed 0, pending 0" in r.stdout

    lines = run_cli("list", password=None).stdout.splitlines()
    states = {ln.split()[2]: ln.split()[1] for ln in lines}
    assert states == {"site0.csv": "synced", "site1.csv": "synced", "site2.csv": "synced",
                      "bob.csv": "server-only"}
    r = run_cli("sync", "--server", server.url, "--user", "alice")
    assert r.returncode == 0 and "pushed 0, pulled 0, failed 0, pending 0" in r.stdout
    assert len(server_rows(server)) == 4


def test_cli_sync_as_viewer_exits_1_with_the_reason(server, tmp_path):
    server.add_user("vera", PW, "viewer")
    f = tmp_path / "v.csv"
    f.write_bytes(make_csv("V"))
    run_cli("import", str(f), password=None)
    r = run_cli("sync", "--server", server.url, "--user", "vera")
    assert r.returncode == 1 and "failed  v.csv" in r.stdout and "403" in r.stdout
    assert "failed" in run_cli("list", password=None).stdout


def test_cli_sync_without_password_or_token_says_how(server):
    r = run_cli("sync", "--server", server.url, "--user", "alice", password=None)
    assert r.returncode == 2 and "CHEMVIZ_PASSWORD" in r.stderr


def test_cli_sync_with_server_down_keeps_pending_and_exits_3(tmp_path):
    f = tmp_path / "a.csv"
    f.write_bytes(make_csv("A"))
    run_cli("import", str(f), password=None)
    r = run_cli("sync", "--server", "http://127.0.0.1:9", "--user", "alice")
    assert r.returncode == 3 and "cannot reach" in r.stderr
    assert "local" in run_cli("list", password=None).stdout


def test_cli_remember_without_a_keychain_says_so_and_still_syncs(server, tmp_path):
    server.add_user("alice", PW, "engineer")
    f = tmp_path / "k.csv"
    f.write_bytes(make_csv("K"))
    run_cli("import", str(f), password=None)
    r = run_cli("sync", "--server", server.url, "--user", "alice", "--remember")
    assert r.returncode == 0 and "No system keychain" in r.stderr and "pushed  k.csv" in r.stdout
