"""Shared records synced both ways (#19) between two workstations (two stores) through the real
server process: different fields edited offline both survive; the same field edited on both
sides ends with the later arrival and the other user is told; a limit set on one workstation
raises the alert on the other; acknowledgements from both keep the first; an edit of a limit the
other side deleted asks instead of resurrecting it; a pass killed mid-way is applied once; a
dataset deleted offline "on the server too" is deleted there at the next sync."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import engine
from chemviz_desktop.core.store import Store, alerts, equipment, limits, shared
from chemviz_desktop.core.sync.api_client import ApiClient, RetryPolicy
from chemviz_desktop.core.sync.shared_sync import SharedSync
from chemviz_desktop.core.sync.syncer import SyncEngine
from engine.limits import Limit

PW = "Correct-horse-9"
FAST = RetryPolicy(total=2, backoff_factor=0.05, connect_timeout=1, read_timeout=15)
PLANT = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
         b"P-101,Pump,120,5.2,110\nP-102,Pump,132,5.9,119\nV-1,Valve,60,6.1,105\n")
NOW = "2026-03-01T10:00:00+00:00"
TAKEN = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)


class Workstation:
    """One engineer's machine: its own store at `path`, signed in as `user` (also used by
    test_shared_faults.py and test_qt_shared.py)."""

    def __init__(self, server, path: Path, user: str, policy: RetryPolicy = FAST):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.store = Store(path)
        self.store.set_keep(100)
        self.client = ApiClient(server.url, policy=policy)
        self.client.sign_in(user, PW)
        self.user = user

    def sync(self):
        """One sync pass: datasets as today, then the shared records (push, pull, conflicts)."""
        rep = SyncEngine(self.store, self.client, self.user).sync()
        assert rep.shared is not None and not rep.offline
        return rep.shared

    def edit(self, name: str, **values):
        with self.store.transaction() as db:
            equipment.update(db, name, NOW, **values)

    def info(self, name: str):
        return next(e for e in equipment.listing(self.store.db) if e.name == name)

    def close(self):
        self.client.close()
        self.store.close()


@pytest.fixture
def plant(server, tmp_path):
    """ana (engineer) and bob (admin) on two workstations, both holding the same snapshot; ana's
    upload made the equipment on the server (so ana may edit it, bob as admin too)."""
    server.add_user("ana", PW, "engineer")
    server.add_user("bob", PW, "admin")
    a, b = Workstation(server, tmp_path / "a" / "store.sqlite3", "ana"), \
        Workstation(server, tmp_path / "b" / "store.sqlite3", "bob")
    for ws in (a, b):   # one snapshot, taken at one time, imported on both machines
        res = engine.load(PLANT, file_name="plant.csv")
        ws.store.add(res, file_name="plant.csv", csv_bytes=PLANT, queue=True, taken_at=TAKEN)
    a.sync()
    b.sync()
    yield a, b
    a.close()
    b.close()


def test_different_fields_both_survive_and_the_same_field_ends_with_the_later_edit(plant):
    a, b = plant
    a.edit("P-101", notes="seal replaced")           # offline on both
    b.edit("P-101", status="maintenance")
    rep_a, rep_b = a.sync(), b.sync()
    assert rep_a.pushed == 1 and rep_b.pushed == 1 and rep_b.conflicts == []
    a.sync()
    for ws in (a, b):
        e = ws.info("P-101")
        assert (e.notes, e.status) == ("seal replaced", "maintenance"), ws.user

    a.edit("P-101", notes="ana: bearing noisy")       # the same field, offline on both
    b.edit("P-101", notes="bob: checked, fine")
    a.sync()
    b.sync()                                           # arrives later: wins
    rep = a.sync()
    assert a.info("P-101").notes == b.info("P-101").notes == "bob: checked, fine"
    assert len(rep.conflicts) == 1 and rep.conflicts[0].startswith(
        "your notes on P-101 ('ana: bearing noisy') was replaced by bob's edit")
    assert [c["lost_value"] for c in shared.conflicts(a.store.db)] == ["ana: bearing noisy"]
    assert shared.conflicts(b.store.db) == []
    assert shared.counts(a.store.db)["pending"] == shared.counts(b.store.db)["pending"] == 0


def test_a_limit_set_on_one_workstation_raises_the_alert_on_the_other_and_the_first_ack_stands(plant):
    a, b = plant
    with a.store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.5)], NOW)
    assert [x.equipment for x in alerts.listing(a.store.db)] == ["P-102"]
    assert alerts.listing(b.store.db) == []
    a.sync()
    b.sync()
    assert [(x.scope, x.name, x.hi) for x in limits.listing(b.store.db)] == [("type", "Pump", 5.5)]
    [alert_b] = alerts.listing(b.store.db)
    assert alert_b.equipment == "P-102" and alert_b.level == "hi"

    [alert_a] = alerts.listing(a.store.db)
    with a.store.transaction() as db:
        alerts.acknowledge(db, [alert_a.id], "ana", "valve opened", datetime(2026, 3, 1, 11, tzinfo=timezone.utc))
    with b.store.transaction() as db:
        alerts.acknowledge(db, [alert_b.id], "bob", "seen too", datetime(2026, 3, 1, 11, 5, tzinfo=timezone.utc))
    a.sync()
    rep_b = b.sync()
    a.sync()
    assert rep_b.conflicts == []                       # acknowledgements never conflict
    for ws in (a, b):
        [x] = alerts.listing(ws.store.db)
        assert x.acknowledged_at is not None and x.comment.startswith("valve opened"), ws.user
        assert x.comment.rstrip().endswith("seen too"), (ws.user, x.comment)
    # bob's own first acknowledgement is what bob's machine shows as who; the server keeps ana's
    [server_alert] = a.client._json("GET", "alerts/")["results"]
    assert server_alert["acknowledged_by"] == "ana"


def test_editing_a_limit_the_other_side_deleted_asks_instead_of_resurrecting_it(plant):
    a, b = plant
    with a.store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.5)], NOW)
    a.sync()
    b.sync()
    with a.store.transaction() as db:
        limits.delete(db, "type", "Pump", "pressure")
    with b.store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.7)], NOW)
    a.sync()
    rep = b.sync()
    assert rep.decisions == ["Pump pressure limits (type): deleted on the server since you edited it"]
    assert a.client._json("GET", "alerts/rules/")["count"] == 0     # nothing came back to life
    [held] = [o for o in shared.listing(b.store.db) if o.state == "needs_decision"]
    SharedSync(b.store, b.client).decide(held.op_id, keep_mine=True)
    assert [x.hi for x in limits.listing(b.store.db)] == [5.7]   # the pull did not delete it here
    b.sync()
    a.sync()
    assert [x.hi for x in limits.listing(a.store.db)] == [5.7]


def test_a_pass_cut_off_after_the_server_applied_is_not_applied_twice(plant, monkeypatch):
    """The answer to a push is lost (the client died before storing it): the next pass sends
    the same op ids and the server answers `duplicate` without applying anything again."""
    a, _b = plant
    a.edit("P-101", notes="once")
    sync = SharedSync(a.store, a.client)
    real = shared.done
    monkeypatch.setattr(shared, "done", lambda *args, **kw: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        sync.run()
    monkeypatch.setattr(shared, "done", real)
    assert shared.counts(a.store.db)["pending"] == 1          # the store never heard the answer
    before = a.client._json("GET", "sync/changes/")["changes"]
    rep = SharedSync(a.store, a.client).run()
    after = a.client._json("GET", "sync/changes/")["changes"]
    assert rep.pushed == 1 and len(after) == len(before)      # answered again, applied once
    assert shared.counts(a.store.db)["pending"] == 0 and a.info("P-101").notes == "once"


def test_cli_sync_prints_the_shared_summary_and_the_conflict_and_exits_0(server, tmp_path):
    import subprocess

    from .conftest import PYTHON, ROOT, cli_env
    server.add_user("ana", PW, "engineer")
    server.add_user("bob", PW, "admin")
    env = cli_env(CHEMVIZ_DATA_DIR=str(tmp_path / "cli"), CHEMVIZ_PASSWORD=PW)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
    csv = tmp_path / "plant.csv"
    csv.write_bytes(PLANT)
    assert cli("import", str(csv), "--taken-at", "2026-03-01T08:00:00Z").returncode == 0
    sync = ("sync", "--server", server.url, "--user", "ana")
    assert cli(*sync).returncode == 0
    assert cli("equipment", "set", "P-101", "--notes", "ana: seal weeping").returncode == 0
    first = cli(*sync)
    assert first.returncode == 0 and "shared changes: 1 sent" in first.stdout, first.stdout + first.stderr
    b = Workstation(server, tmp_path / "b" / "store.sqlite3", "bob")
    try:
        res = engine.load(PLANT, file_name="plant.csv")
        b.store.add(res, file_name="plant.csv", csv_bytes=PLANT, queue=True, taken_at=TAKEN)
        b.edit("P-101", notes="bob: replaced the seal")   # offline, before seeing ana's note
        b.sync()
    finally:
        b.close()
    again = cli(*sync)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "conflict: your notes on P-101 ('ana: seal weeping') was replaced by bob's edit" in again.stdout
    shown = cli("equipment", "--json")
    assert '"notes": "bob: replaced the seal"' in shown.stdout
    from chemviz_desktop.core.sync.shared_sync import last_sync
    store = Store(tmp_path / "cli" / "chemviz.sqlite3")
    try:   # the window's "synced HH:MM" counts a CLI sync too
        assert last_sync(store.db) is not None
    finally:
        store.close()


def test_a_dataset_renamed_on_one_workstation_is_renamed_on_the_other(plant):
    a, b = plant
    [mine] = [i for i in a.store.list() if i.file_name == "plant.csv"]
    a.store.rename(mine.id, "Unit A morning round")
    rep = a.sync()
    assert rep.pushed == 1, rep
    b.sync()
    seen = {i.uuid: i.display_name for i in b.store.list()}
    assert seen.get(mine.uuid) == "Unit A morning round", seen
    [theirs] = [i for i in b.store.list() if i.uuid == mine.uuid]
    b.store.rename(theirs.id, "bob's name")        # bob (admin) may rename ana's dataset too
    b.sync()
    a.sync()
    assert {i.uuid: i.display_name for i in a.store.list()}[mine.uuid] == "bob's name"


def test_a_dataset_deleted_offline_on_the_server_too_is_deleted_there_at_the_next_sync(plant):
    """The user chose "delete on the server too" while the server could not be reached: the
    delete is queued with the local one, the next sync carries it out, and no pull in between
    brings the dataset back as server-only (on either workstation)."""
    a, b = plant
    [mine] = [i for i in a.store.list() if i.file_name == "plant.csv"]
    assert mine.server_id is not None
    offline = ApiClient("http://127.0.0.1:9", policy=RetryPolicy(total=0, connect_timeout=1))
    note = SyncEngine(a.store, offline, "ana").delete(mine.id, on_server=True)
    offline.close()
    assert "will be deleted on the server at the next sync" in note
    assert mine.uuid not in {i.uuid for i in a.store.list()}
    assert [(o.kind, o.key, o.delete) for o in shared.listing(a.store.db)] == [("dataset", mine.uuid, True)]
    assert mine.uuid in {d["client_id"] for d in b.client.datasets(limit=100)}   # not yet
    whole = SyncEngine(a.store, a.client, "ana").sync()
    rep = whole.shared
    assert whole.pulled == ["plant.csv"]           # bob's upload only: the deleted one is not listed as pulled
    assert rep.pushed == 1 and shared.counts(a.store.db)["pending"] == 0
    assert mine.uuid not in {i.uuid for i in a.store.list()}                   # not pulled back
    assert mine.uuid not in {d["client_id"] for d in b.client.datasets(limit=100)}
    b.sync()
    a.sync()
    assert mine.uuid not in {i.uuid for i in a.store.list()} | {i.uuid for i in b.store.list()}
    assert len(b.store.list()) == 1               # bob's own import of the snapshot stays


def test_a_dataset_renamed_on_the_server_while_deleted_offline_asks_first(plant):
    a, b = plant
    [mine] = [i for i in a.store.list() if i.file_name == "plant.csv"]
    [theirs] = [i for i in b.store.list() if i.uuid == mine.uuid]
    b.store.rename(theirs.id, "kept by bob")
    b.sync()
    a.store.delete(mine.id, on_server=True)         # queued, as when the server was unreachable
    rep = a.sync()
    assert rep.decisions == ["dataset plant.csv: edited on the server since you deleted it"]
    assert mine.uuid not in {i.uuid for i in a.store.list()}      # nothing comes back while asked
    [asked] = [o for o in shared.listing(a.store.db) if o.state == "needs_decision"]
    SharedSync(a.store, a.client).decide(asked.op_id, keep_mine=True)
    a.sync()
    assert mine.uuid not in {d["client_id"] for d in b.client.datasets(limit=100)}


def test_changes_waiting_for_their_record_do_not_hold_back_the_ones_behind_them(plant):
    """More acknowledgements than one push request holds wait for alerts the server does not
    have; the equipment edit queued after them still goes in the same pass."""
    a, b = plant
    with a.store.transaction() as db:
        for i in range(150):
            shared.record_edit(db, "ack", f"p-101|pressure|hi|{i}", {}, {"comment": "x"}, NOW)
        equipment.update(db, "P-101", NOW, notes="behind the acks")
    rep = a.sync()
    assert rep.pushed == 1 and rep.waiting == 150
    b.sync()
    assert b.info("P-101").notes == "behind the acks"
