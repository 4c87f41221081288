"""Issue 11 against the real server (tests/server_process.py): datasets are identified by
client_id + owner, never by a bare server id; datasets that vanish from the server are noticed
and their local copy is kept; the same file from two machines is one server dataset; row counts
mean what the server means. Clocks are injected, never slept on."""
from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from chemviz_desktop.core.store import PENDING, REMOVED, SERVER_ONLY, SYNCED, Store
from chemviz_desktop.core.sync.api_client import ApiClient, RetryPolicy
from chemviz_desktop.core.sync.syncer import NotOnServer, SyncEngine

from .conftest import PYTHON, ROOT, cli_env, import_csv, make_csv
from .fake_api import FakeApi

PW = "Correct-horse-9"
FAST = RetryPolicy(total=2, backoff_factor=0.05, connect_timeout=1, read_timeout=15)
MIXED = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
         b"P-1,Pump,10,2,80\nP-2,Valve,12,3,81\nP-3,Pump,x,2,80\nP-1,Pump,11,2,80\n")


def client(server, user: str) -> ApiClient:
    c = ApiClient(server.url, policy=FAST)
    c.sign_in(user, PW)
    return c


def server_rows(server, user: str = "alice") -> list[dict]:
    r = requests.get(server.api + "analytics/csv/datasets/?limit=100", auth=(user, PW), timeout=10)
    r.raise_for_status()
    return r.json()["results"]


def wipe(server) -> None:
    """The server's database is reset (restored from an empty backup): ids start again."""
    server.stop()
    for name in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"):
        (server.server_dir / name).unlink(missing_ok=True)
    server.start()


@pytest.fixture
def keep5_server(tmp_path, monkeypatch):
    """The real server with its default retention of 5 datasets per user."""
    monkeypatch.setenv("CHEMVIZ_KEEP_PER_USER", "5")
    for scope in ("UPLOAD", "LOGIN", "TOKEN"):
        monkeypatch.setenv(f"CHEMVIZ_THROTTLE_{scope}", "100000/min")
    from tests.server_process import ServerProcess
    with ServerProcess(Path(os.environ["CHEMVIZ_SERVER_DIR"])) as srv:
        yield srv


def test_case4_server_retention_for_machine_b_never_loses_machine_a_datasets(keep5_server, tmp_path):
    srv = keep5_server
    srv.add_user("alice", PW, "engineer")
    a, b = Store(tmp_path / "a.sqlite3"), Store(tmp_path / "b.sqlite3")
    try:
        a.set_keep(5)
        a_uids = [import_csv(a, f"a{i}.csv", make_csv(f"A{i}")) for i in range(3)]
        assert SyncEngine(a, client(srv, "alice"), "alice").sync().pushed == ["a0.csv", "a1.csv", "a2.csv"]
        for i in range(5):
            import_csv(b, f"b{i}.csv", make_csv(f"B{i}"))
        SyncEngine(b, client(srv, "alice"), "alice").sync()
        assert {r["file_name"] for r in server_rows(srv)} == {f"b{i}.csv" for i in range(5)}  # A's are gone

        sync_a = SyncEngine(a, client(srv, "alice"), "alice")
        rep = sync_a.sync()
        assert sorted(rep.vanished) == ["a0.csv", "a1.csv", "a2.csv"]
        for uid in a_uids:
            info = a.by_uuid(uid)
            assert info.sync_state == REMOVED and info.has_rows and info.server_id is None
            assert "removed from the server" in info.sync_error
        # local retention (keep 5) runs at the next import: the only copies survive it
        a.add(__import__("engine").load(make_csv("NEW"), file_name="new.csv"), file_name="new.csv")
        assert all(a.by_uuid(u) is not None for u in a_uids)
        assert all(len(a.open(a.by_uuid(u).id).frame) == 6 for u in a_uids)
        # the user re-queues one: it goes back to the server
        a.enqueue(a_uids[0])
        assert "a0.csv" in sync_a.sync().pushed and a.by_uuid(a_uids[0]).sync_state == SYNCED
    finally:
        a.close()
        b.close()


def test_case5_after_a_server_wipe_nothing_of_another_user_is_deleted_or_shown_as_ours(server, store):
    server.add_user("alice", PW, "engineer")
    server.add_user("carol", PW, "engineer")
    import_csv(store, "mine.csv", make_csv("MINE"))
    import_csv(store, "other.csv", make_csv("OTHER"))
    carol = client(server, "carol")
    carol.upload("carol.csv", make_csv("CAROL", rows=3), "0c0c0c0c-0000-4000-8000-000000000003")
    rep = SyncEngine(store, client(server, "alice"), "alice").sync()
    assert rep.ok and rep.pulled == ["carol.csv"]
    ids = {i.file_name: i for i in store.list()}
    assert {ids[n].server_id for n in ("mine.csv", "carol.csv")} <= {1, 2, 3}   # ids bob gets next

    wipe(server)
    server.add_user("alice", PW, "engineer")
    server.add_user("bob", PW, "engineer")
    bob = client(server, "bob")
    for i in range(3):      # bob's datasets take ids 1, 2, 3
        bob.upload(f"bob{i}.csv", make_csv(f"BOB{i}", rows=4 + i), f"0b0b0b0b-0000-4000-8000-00000000000{i}")
    sync = SyncEngine(store, client(server, "alice"), "alice")

    # "Delete on the server too" for mine.csv (its stale server id is one of bob's now): bob's stays
    note = sync.delete(ids["mine.csv"].id, on_server=True)
    assert "no longer on the server" in note
    assert {r["file_name"] for r in server_rows(server, "bob")} == {"bob0.csv", "bob1.csv", "bob2.csv"}
    # opening carol's placeholder (stale id: bob's now) never downloads bob's rows
    with pytest.raises(NotOnServer):
        sync.fetch_rows(ids["carol.csv"].id)
    assert store.info(ids["carol.csv"].id) is None

    # the next pull says what happened and hides nothing of bob's
    rep = sync.sync()
    assert rep.vanished == ["other.csv"] and sorted(rep.pulled) == ["bob0.csv", "bob1.csv", "bob2.csv"]
    items = {i.file_name: i for i in store.list()}
    assert items["other.csv"].sync_state == REMOVED and items["other.csv"].has_rows
    assert all(items[f"bob{i}.csv"].sync_state == SERVER_ONLY and items[f"bob{i}.csv"].server_owner == "bob"
               for i in range(3))


def test_cli_sync_after_a_server_wipe_reports_what_vanished(server, store):
    server.add_user("alice", PW, "engineer")
    import_csv(store, "kept.csv", make_csv("KEPT"))
    SyncEngine(store, client(server, "alice"), "alice").sync()
    wipe(server)
    server.add_user("alice", PW, "engineer")
    r = subprocess.run([PYTHON, "main.py", "sync", "--server", server.url, "--user", "alice"], cwd=ROOT,
                       env=cli_env(CHEMVIZ_PASSWORD=PW), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "removed kept.csv" in r.stdout and "removed from the server 1" in r.stdout
    assert store.list()[0].sync_state == REMOVED


def test_dataset_deleted_on_the_server_while_offline_is_noticed(server, store):
    server.add_user("alice", PW, "engineer")
    uid = import_csv(store, "gone.csv", make_csv("GONE"))
    SyncEngine(store, client(server, "alice"), "alice").sync()
    sid = store.by_uuid(uid).server_id
    # deleted from another machine (or the web) while this one was offline
    requests.delete(server.api + f"analytics/csv/datasets/{sid}/", auth=("alice", PW), timeout=10).raise_for_status()
    rep = SyncEngine(store, client(server, "alice"), "alice").pull()
    assert rep.vanished == ["gone.csv"] and store.by_uuid(uid).sync_state == REMOVED


def test_same_file_imported_on_two_machines_is_one_server_dataset(server, tmp_path):
    server.add_user("alice", PW, "engineer")
    a, b = Store(tmp_path / "a.sqlite3"), Store(tmp_path / "b.sqlite3")
    try:
        data = make_csv("SAME")
        ua, ub = import_csv(a, "same.csv", data), import_csv(b, "same-copy.csv", data)
        assert SyncEngine(a, client(server, "alice"), "alice").sync().pushed == ["same.csv"]
        rep = SyncEngine(b, client(server, "alice"), "alice").sync()
        assert rep.recognised == ["same-copy.csv"] and rep.ok
        assert len(server_rows(server)) == 1
        info = b.list()[0]
        assert len(b.list()) == 1 and info.uuid == ua != ub and info.sync_state == SYNCED and info.has_rows
    finally:
        a.close()
        b.close()


def test_row_counts_from_the_server_keep_their_meaning(server, tmp_path):
    server.add_user("alice", PW, "engineer")
    server.add_user("bob", PW, "engineer")
    client(server, "bob").upload("mixed.csv", MIXED, "0b0b0b0b-0000-4000-8000-0000000000aa")
    store = Store(tmp_path / "a.sqlite3")
    try:
        sync = SyncEngine(store, client(server, "alice"), "alice")
        sync.pull()
        info = store.list()[0]
        assert (info.rows_total, info.rows_accepted, info.rows_excluded) == (4, 2, 2)   # not "4 accepted"
        sync.fetch_rows(info.id)
        ds = store.open(info.id)
        assert (ds.info.rows_accepted, ds.info.rows_excluded) == (2, 2) and len(ds.frame) == 2
    finally:
        store.close()


def test_retry_time_stamped_by_a_clock_that_ran_ahead_does_not_stall_uploads(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    ahead = datetime(2031, 6, 1, tzinfo=timezone.utc)
    api.down = True
    SyncEngine(store, api, "alice", now=lambda: ahead).push()      # stamped with the wrong clock
    assert store.outbox()[0]["next_attempt_at"] > "2031"
    api.down = False
    today = datetime(2026, 11, 25, tzinfo=timezone.utc)
    sync = SyncEngine(store, api, "alice", now=lambda: today)
    assert sync.due() == [uid]                                    # not stalled until 2031
    assert sync.push().pushed == ["a.csv"]
    # a normal backoff (within the cap) is still respected
    uid2 = import_csv(store, "b.csv", make_csv("B"))
    api.down = True
    sync.push()
    api.down = False
    assert store.by_uuid(uid2).sync_state == PENDING and sync.due() == []
    later = SyncEngine(store, api, "alice", now=lambda: today + timedelta(hours=1))
    assert later.due() == [uid2]


def test_the_window_is_told_which_datasets_vanished_from_the_server(qtbot, store):
    from chemviz_desktop.core.sync.account import Session
    from chemviz_desktop.core.sync.background import PassResult
    from chemviz_desktop.core.sync.syncer import SyncReport
    from chemviz_desktop.ui.sync_controller import SyncController
    ctl = SyncController(store.path, restore_session=False)
    ctl.session = Session("http://127.0.0.1:9", "alice", "t", "engineer", False)
    said: list[tuple[str, str]] = []
    ctl.message.connect(lambda text, level: said.append((text, level)))
    ctl._pass_done(PassResult(online=True, report=SyncReport(vanished=["a.csv", "b.csv"])))
    ctl.close()
    assert said and said[0][1] == "warning" and "2 dataset(s) are no longer on the server" in said[0][0]
    assert "a.csv" in said[0][0] and "Upload again" in said[0][0]
