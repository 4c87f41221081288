"""Fault tests for the shared records (#19, docs/sync_shared_records.md): a workstation's outbox
holds a mix of changes (equipment notes, status and dates on several equipment; limits added,
changed and deleted; acknowledgements of alerts the server has) and syncs while

- the server process is SIGKILLed 20 times at varied moments and restarted, or
- the CLI `main.py sync` is killed with kill -9 10 times mid-sync, then runs once cleanly.

Either way every change must be applied exactly once: the server's AppliedOp ids are exactly
the ops written here; its change log has one version per op and record (every op changes
something); no conflict was recorded (an op applied again after a later op on the same field
would show as a conflict and an extra version); each acknowledgement comment appears once in
the alert's comment (a second application would append it twice); the server's state equals
the workstation's for every record, at the same version; the outbox is empty.

The first test needs no kill: it pins the two outbox shapes the kills first exposed (edits of
one record split over push requests; a limit deleted and added again before a sync)."""
from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import engine
from chemviz_desktop.core.store import Store, alerts, equipment, limits, shared, shared_apply
from chemviz_desktop.core.sync import shared_sync
from chemviz_desktop.core.sync.api_client import ApiClient, RetryPolicy
from chemviz_desktop.core.sync.syncer import SyncEngine
from engine.limits import Limit

from .conftest import PYTHON, ROOT, cli_env
from .test_shared_records import PW
from .test_shared_records import Workstation as SharedWorkstation

FAST = RetryPolicy(total=2, backoff_factor=0.05, backoff_max=0.5, connect_timeout=0.5, read_timeout=15)
PUMPS = [f"P-{i:02d}" for i in range(1, 13)]      # pressure 5.6 .. 6.7: all above the Pump limit
VALVES = [f"V-{i}" for i in range(1, 7)]          # never beyond a limit
PLANT = ("Equipment Name,Type,Flowrate,Pressure,Temperature\n"
         + "".join(f"{n},Pump,{100 + i},{5.6 + 0.1 * i:.1f},{90 + i}\n" for i, n in enumerate(PUMPS))
         + "".join(f"{n},Valve,{50 + i},4.0,{70 + i}\n" for i, n in enumerate(VALVES))).encode()
TAKEN = datetime(2026, 3, 1, 8, tzinfo=timezone.utc)
NOW = "2026-03-01T10:00:00+00:00"
EDITED = PUMPS[:4] + VALVES[:4]                  # the equipment the faults tests edit
LIMIT_NAMES = [("type", "Valve")] + [("equipment", v) for v in VALVES[:4]]   # temperature limits
STATUSES = ("active", "maintenance", "inactive")
ACK_RE = re.compile(r"^ana first: (?P<eq>P-\d\d)\nbob \d{4}-\d\d-\d\d \d\d:\d\dZ: (?P<c>bob ack [^\n]+)$")


class Workstation(SharedWorkstation):
    """test_shared_records' workstation with this file's quick retry policy (kills are expected)."""

    def __init__(self, server, path: Path, user: str):
        super().__init__(server, path, user, policy=FAST)


def plant(server, a_path: Path, b_path: Path) -> tuple[Workstation, Workstation]:
    """ana and bob hold the same snapshot; ana's Pump pressure limit raised 12 alerts on the
    server and (after bob's pull) on bob's machine; ana then acknowledged the first 6 on the
    server, which bob has not pulled: bob's 12 acknowledgements are 6 firsts and 6 later ones,
    whose comments the server appends (so an ack applied twice would show twice)."""
    server.add_user("ana", PW, "engineer")
    server.add_user("bob", PW, "admin")
    a, b = Workstation(server, a_path, "ana"), Workstation(server, b_path, "bob")
    for ws in (a, b):
        res = engine.load(PLANT, file_name="plant.csv")
        ws.store.add(res, file_name="plant.csv", csv_bytes=PLANT, queue=True, taken_at=TAKEN)
    with a.store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.5)], NOW)
    a.sync()
    b.sync()
    assert len(alerts.listing(b.store.db)) == len(PUMPS)
    with a.store.transaction() as db:
        for x in alerts.listing(db):
            if x.equipment in PUMPS[:6]:
                alerts.acknowledge(db, [x.id], "ana", f"ana first: {x.equipment}", TAKEN + timedelta(hours=1))
    a.sync()
    return a, b


class Edits:
    """Mixed local edits on bob's machine, each through the store API; every one changes a value
    (so each op makes exactly one server version). Values never repeat: a stale op replayed over
    a later one would be visible as a conflict and a changed value."""

    def __init__(self, ws: Workstation, rng: random.Random):
        self.ws, self.rng, self.n = ws, rng, 0
        self.made: Counter[str] = Counter()    # what was made, for the summary

    def equipment(self, db: sqlite3.Connection) -> None:
        self.n += 1
        name = self.rng.choice(EDITED)
        current = next(e for e in equipment.listing(db, name) if e.name == name)
        values: dict[str, str] = {"notes": f"{name} note {self.n}"}
        roll = self.rng.random()
        if roll < 0.3:
            values["status"] = self.rng.choice([s for s in STATUSES if s != current.status])
        elif roll < 0.5:
            values["last_maintenance_date"] = (date(2020, 1, 1) + timedelta(days=self.n)).isoformat()
        elif roll < 0.6:
            values = {"installation_date": (date(2000, 1, 1) + timedelta(days=self.n)).isoformat()}
        equipment.update(db, name, NOW, **values)
        self.made["equipment edited"] += 1

    def limit(self, db: sqlite3.Connection) -> None:
        """Add, change or delete a temperature limit far outside the readings (no alert moves)."""
        self.n += 1
        scope, name = self.rng.choice(LIMIT_NAMES)
        have = [x for x in limits.listing(db) if (x.scope, x.name, x.parameter) == (scope, name, "temperature")]
        if have and self.rng.random() < 0.35:
            assert limits.delete(db, scope, name, "temperature")
            self.made["limit deleted"] += 1
        else:
            self.made["limit changed" if have else "limit added"] += 1
            hi = 500 + self.n * 0.5
            lo = -50.0 - self.n if self.rng.random() < 0.5 else (have[0].lo if have else None)
            assert limits.put(db, [Limit(scope, name, "temperature", lo=lo, hi=hi)], NOW) == 1

    def acks(self, db: sqlite3.Connection, count: int) -> None:
        """Acknowledge the first `count` unacknowledged alerts by equipment name (P-01 first: the
        ones ana acknowledged on the server come first)."""
        todo = sorted((x for x in alerts.listing(db) if x.acknowledged_at is None), key=lambda x: x.equipment)[:count]
        for x in todo:
            alerts.acknowledge(db, [x.id], "bob", f"bob ack {x.equipment}", TAKEN + timedelta(hours=2))
            self.made["acknowledged"] += 1

    def mixed(self, count: int, acks: int = 0) -> None:
        """`count` equipment/limit edits (about one in six a limit) and `acks` acknowledgements,
        each in its own transaction, in a random order."""
        steps = ["equipment" if self.rng.random() < 0.83 else "limit" for _ in range(count)] + ["ack"] * acks
        self.rng.shuffle(steps)
        for step in steps:
            with self.ws.store.transaction() as db:
                if step == "ack":
                    self.acks(db, 1)
                else:
                    getattr(self, step)(db)

    def bulk(self, count: int) -> None:
        """Many edits in one transaction (cheap to make a long outbox)."""
        with self.ws.store.transaction() as db:
            for _ in range(count):
                (self.equipment if self.rng.random() < 0.9 else self.limit)(db)


def record_ops(monkeypatch) -> list[tuple[str, str, str]]:
    """(op_id, kind, key) of every op queued by a local edit in this process."""
    written: list[tuple[str, str, str]] = []
    real = shared.record_edit

    def recording(db, kind, key, *args, **kw):
        op_id = real(db, kind, key, *args, **kw)
        if op_id is not None:
            written.append((op_id, kind, key))
        return op_id
    monkeypatch.setattr(shared, "record_edit", recording)
    return written


# -- the server's side, read as it is --------------------------------------------------------------
def server_db(server) -> sqlite3.Connection:
    return sqlite3.connect(server.server_dir / "db.sqlite3", timeout=30)


def applied_op_ids(server) -> dict[str, str]:
    """op_id (hex) -> stored outcome of every op the server applied (committed)."""
    import json
    db = server_db(server)
    try:
        return {uuid.UUID(str(op_id)).hex: json.loads(result).get("outcome")
                for op_id, result in db.execute("SELECT op_id, result FROM sharing_appliedop")}
    finally:
        db.close()


def server_count(server, table: str) -> int:
    db = server_db(server)
    try:
        return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    finally:
        db.close()


def last_seq(server) -> int:
    db = server_db(server)
    try:
        return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM sharing_change").fetchone()[0])
    finally:
        db.close()


def record_versions(server) -> dict[tuple[str, str], int]:
    db = server_db(server)
    try:
        return {(k, key): int(v) for k, key, v in db.execute("SELECT kind, key, version FROM sharing_sharedrecord")}
    finally:
        db.close()


def change_log(client: ApiClient, since: int = 0) -> list[dict]:
    """GET sync/changes/ paged (small pages, so the paging is exercised too)."""
    out: list[dict] = []
    while True:
        body = client.sync_changes(since, 50)
        out += body["changes"]
        since = body["cursor"]
        if not body["more"]:
            return out


def assert_exactly_once(server, b: Workstation, written: list[tuple[str, str, str]], since: int,
                        applied_before: dict[str, str]) -> str:
    """The checks the module docstring lists; returns a one-line summary."""
    assert shared.counts(b.store.db) == {"pending": 0, "needs_decision": 0, "failed": 0, "conflicts": 0}, \
        "\n".join(str(c) for c in shared.conflicts(b.store.db)[-4:])
    assert shared.listing(b.store.db) == [], "the outbox is empty"
    op_ids = [uuid.UUID(op_id).hex for op_id, _k, _key in written]
    assert len(set(op_ids)) == len(op_ids)
    applied = applied_op_ids(server)
    new = {k: v for k, v in applied.items() if k not in applied_before}
    assert sorted(new) == sorted(op_ids), "the server applied exactly the ops written here"
    assert set(new.values()) <= {"applied", "merged"}, Counter(new.values())

    changes = change_log(b.client, since)
    per_record = Counter((c["kind"], c["key"]) for c in changes)
    wanted = Counter((kind, key) for _op, kind, key in written)
    assert per_record == wanted, "one server version per op and record"
    assert {c["user"] for c in changes} == {"bob"}
    assert server_count(server, "sharing_conflict") == 0, "no op replayed over a later one"

    everything = change_log(b.client, 0)
    latest: dict[tuple[str, str], dict] = {}
    for c in everything:
        latest[(c["kind"], c["key"])] = c
    versions = record_versions(server)
    for (kind, key), c in latest.items():
        assert versions[(kind, key)] == c["version"], (kind, key)
    for kind, key in wanted:
        c = latest[(kind, key)]
        assert shared.state(b.store.db, kind, key)[0] == c["version"], (kind, key)
        here = shared_apply.local_fields(b.store.db, kind, key)
        if c["op"] == "delete":
            assert here is None, (kind, key, here)
        elif kind == "ack":
            assert here is not None and here["acknowledged_at"] and here["comment"] == c["fields"]["comment"]
        else:
            assert here == c["fields"], (kind, key)

    server_alerts = {x["equipment"]: x for x in b.client._json("GET", "alerts/?limit=100")["results"]}
    assert sorted(server_alerts) == PUMPS
    for name, x in server_alerts.items():
        if name in PUMPS[:6]:          # ana acknowledged first; bob's comment appended once
            m = ACK_RE.match(x["comment"])
            assert x["acknowledged_by"] == "ana" and m and m["eq"] == name and m["c"] == f"bob ack {name}", x
        else:
            assert x["acknowledged_by"] == "bob" and x["comment"] == f"bob ack {name}", x
    kinds = Counter(kind for _op, kind, _key in written)
    deletes = sum(c["op"] == "delete" for c in changes)
    return (f"{len(written)} ops ({kinds['equipment']} equipment, {kinds['limit']} limit incl. {deletes} "
            f"deletes, {kinds['ack']} acks) applied once")


def server_cursor(client: ApiClient) -> int:
    return max((c["seq"] for c in change_log(client, 0)), default=0)


# -- 0. two shapes of the outbox that kills (and busy pushes) produce, without a kill --------------
def test_edits_split_over_push_requests_and_a_limit_deleted_then_added_again_apply_without_questions(
        server, tmp_path, monkeypatch):
    """(1) Edits of V-1 pushed two per request, [V-2, V-1 first] then [V-1 second, V-1 third]:
    the answer to the first request must not make 'third' look based on 'first' (a conflict of
    bob with himself). A kill between requests, or an edit made while a push is under way,
    leaves the outbox in this shape too. (2) A limit deleted, added again and changed offline:
    the add must not read as an edit of a limit deleted on the server (this workstation's own
    delete, answered in the same request), and the change after it must not make half a limit."""
    a, b = plant(server, tmp_path / "a" / "store.sqlite3", tmp_path / "b" / "store.sqlite3")
    a.close()
    with b.store.transaction() as db:
        limits.put(db, [Limit("type", "Valve", "temperature", hi=500)], NOW)
    b.sync()
    since = server_cursor(b.client)
    monkeypatch.setattr(shared_sync, "PUSH_BATCH", 2)
    for name, notes in [("V-2", "other"), ("V-1", "first"), ("V-1", "second"), ("V-1", "third")]:
        with b.store.transaction() as db:
            equipment.update(db, name, NOW, notes=notes)
    rep = b.sync()
    assert rep.pushed == 4 and rep.conflicts == [] and server_count(server, "sharing_conflict") == 0, rep
    assert [(c["key"], c["fields"]["notes"]) for c in change_log(b.client, since)] == [
        ("v-2", "other"), ("v-1", "first"), ("v-1", "second"), ("v-1", "third")]
    assert shared_apply.local_fields(b.store.db, "equipment", "v-1")["notes"] == "third"

    monkeypatch.setattr(shared_sync, "PUSH_BATCH", 100)
    since = server_cursor(b.client)
    with b.store.transaction() as db:
        assert limits.delete(db, "type", "Valve", "temperature")
    for hi in (600, 650):
        with b.store.transaction() as db:
            limits.put(db, [Limit("type", "Valve", "temperature", lo=-40, hi=hi)], NOW)
    rep = b.sync()
    assert rep.decisions == [] and rep.conflicts == [] and rep.pushed == 3, rep
    assert [(c["op"], c["fields"].get("lo"), c["fields"].get("hi")) for c in change_log(b.client, since)] == [
        ("delete", None, None), ("upsert", -40.0, 600.0), ("upsert", -40.0, 650.0)]
    assert shared.counts(b.store.db)["pending"] == 0 and server_count(server, "sharing_conflict") == 0
    b.close()


# -- 1. the server killed ---------------------------------------------------------------------------
SERVER_KILLS = 20


@pytest.mark.slow
def test_server_killed_20_times_while_mixed_changes_sync_applies_each_change_once(server, tmp_path, monkeypatch):
    t0 = time.monotonic()
    a, b = plant(server, tmp_path / "a" / "store.sqlite3", tmp_path / "b" / "store.sqlite3")
    a.close()
    written = record_ops(monkeypatch)
    # small pushes and pages: a pass makes many requests, so kills land between them as well as in them
    monkeypatch.setattr(shared_sync, "PUSH_BATCH", 5)
    monkeypatch.setattr(shared_sync, "PULL_PAGE", 10)
    since, applied_before = server_cursor(b.client), applied_op_ids(server)
    rng = random.Random(int(os.environ.get("CHEMVIZ_FAULT_SEED", "19")))
    edits = Edits(b, rng)
    # bob's acknowledgements of the 6 alerts ana acknowledged first are queued before the syncer
    # starts: once a pull brings ana's, bob's machine shows them acknowledged and offers no
    # acknowledgement to make (the test then waited for a comment bob never wrote: it raced the pull)
    edits.mixed(10, acks=4)
    with b.store.transaction() as db:   # (no draw from rng: the kills' timing stays as it was)
        edits.acks(db, 2)
    done, errors, passes, clean = threading.Event(), [], [0], [0]
    settled = threading.Condition()

    def syncer() -> None:
        st = Store(b.store.path)
        client = ApiClient(server.url, token=b.client.token, policy=FAST)
        engine_ = SyncEngine(st, client, "bob")
        try:
            while not done.is_set():
                passes[0] += 1
                rep = engine_.sync(force=True)
                if rep.offline:
                    time.sleep(0.02)
                elif shared.counts(st.db)["pending"] == 0:
                    with settled:
                        clean[0] += 1
                        settled.notify_all()
                    time.sleep(0.02)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            client.close()
            st.close()

    def pending() -> int:
        return shared.counts(b.store.db)["pending"]

    t1 = time.monotonic()
    thread = threading.Thread(target=syncer, daemon=True)
    thread.start()
    kills = with_pending = unanswered = 0
    for k in range(SERVER_KILLS):
        if rng.random() < 0.5:   # just after a push answer was stored: mid-way through the next request
            before, wait_until = pending(), time.monotonic() + rng.uniform(0.05, 0.5)
            while pending() == before and before and time.monotonic() < wait_until:
                time.sleep(0.005)
            time.sleep(rng.uniform(0.0, 0.03))
        else:                    # anywhere: reconnecting, mid-push, between pages, mid-pull
            time.sleep(rng.uniform(0.0, 0.3))
        server.kill()
        kills += 1
        left = {uuid.UUID(o.op_id).hex for o in shared.listing(b.store.db)}
        with_pending += bool(left)
        unanswered += len(left & set(applied_op_ids(server)))   # applied there, not yet known here
        # more edits while the server is down: a backlog for the next kill (12 acknowledgements in all: the last two find none left to make)
        edits.mixed(rng.randint(5, 10), acks=1 if k < 8 else 0)
        server.start()
    t2 = time.monotonic()
    deadline = time.monotonic() + 90
    while pending() and time.monotonic() < deadline and not errors:
        time.sleep(0.05)
    with settled:   # a whole pass after the last op went: its pull has brought everything
        seen = clean[0]
        settled.wait_for(lambda: clean[0] > seen or bool(errors), timeout=60)
    done.set()
    thread.join(60)
    assert not errors, errors
    t3 = time.monotonic()
    summary = assert_exactly_once(server, b, written, since, applied_before)
    print(f"\n[setup {t1 - t0:.1f} s, kills {t2 - t1:.1f} s, settle {t3 - t2:.1f} s, checks {time.monotonic() - t3:.1f} s]"
          f" shared server kills: {kills} SIGKILLs ({with_pending} with changes in the outbox, {unanswered} "
          f"ops applied by the server but not yet answered at a kill), {passes[0]} sync passes; {summary}; "
          f"made: {dict(edits.made)}")
    assert kills == SERVER_KILLS and with_pending >= 15
    b.close()


# -- 2. the CLI killed ------------------------------------------------------------------------------
CLI_KILLS = 10


@pytest.mark.slow
def test_cli_sync_killed_10_times_with_mixed_changes_applies_each_change_once(server, tmp_path, monkeypatch):
    from chemviz_desktop.core.paths import store_path
    b_path = store_path()    # the data dir the CLI uses (CHEMVIZ_DATA_DIR)
    a, b = plant(server, tmp_path / "a" / "store.sqlite3", b_path)
    a.close()
    written = record_ops(monkeypatch)
    since, applied_before = server_cursor(b.client), applied_op_ids(server)
    b.client.close()           # the CLI's sign-ins replace this client's token
    b.client = ApiClient(server.url, policy=FAST)   # (signed in again for the checks)
    rng = random.Random(int(os.environ.get("CHEMVIZ_FAULT_SEED", "23")))
    edits = Edits(b, rng)
    edits.mixed(30, acks=len(PUMPS))
    edits.bulk(250)
    env = cli_env(CHEMVIZ_PASSWORD=PW)
    cmd = [PYTHON, "main.py", "sync", "--server", server.url, "--user", "bob"]

    def pending() -> int:
        return shared.counts(b.store.db)["pending"]

    def cursor() -> int:
        row = b.store.db.execute("SELECT value FROM settings WHERE key=?", (shared.CURSOR_SETTING,)).fetchone()
        return int(row[0]) if row else 0

    modes = ["server applying"] * 4 + ["after a settled push"] * 4 + ["pulling"] * 2
    rng.shuffle(modes)
    if modes[-1] == "pulling":   # the last killed run leaves changes for the final clean run
        i = modes.index("server applying")
        modes[i], modes[-1] = modes[-1], modes[i]
    killed, with_outbox, mid_pull = 0, 0, 0
    for mode in modes:
        if pending() < 100:
            edits.bulk(150)
        start_pending, start_applied = pending(), server_count(server, "sharing_appliedop")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        if mode == "server applying":     # the server has applied some ops of a push not yet answered
            target = start_applied + rng.randint(1, 80)
            while (server_count(server, "sharing_appliedop") < target and proc.poll() is None
                   and time.monotonic() < deadline):
                time.sleep(0.01)
        else:   # a push answer stored: mid next push or settling it; or all pushed: mid-pull
            target = start_pending - rng.randint(1, min(150, start_pending - 1)) if mode != "pulling" else 0
            while pending() > target and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0.0, 0.3 if mode != "pulling" else 0.04))
        proc.send_signal(signal.SIGKILL)    # (nothing if it has already ended)
        proc.wait(10)
        killed += proc.returncode == -signal.SIGKILL       # still running: killed mid-sync
        with_outbox += pending() > 0
        mid_pull += mode == "pulling" and cursor() < last_seq(server)
    final = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert final.returncode == 0, final.stdout + final.stderr
    assert re.search(r"shared changes: [1-9]\d* sent", final.stdout), final.stdout   # the clean run had work left
    b.close()
    check = sqlite3.connect(b_path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        check.close()
    b.store = Store(b_path)    # opens fine after ten kill -9
    b.client.sign_in("bob", PW)
    summary = assert_exactly_once(server, b, written, since, applied_before)
    print(f"\nshared CLI kill -9: {killed} runs killed mid-sync ({with_outbox} mid-push with changes in the "
          f"outbox, {mid_pull} of 2 mid-pull with the cursor short of the log), final run: "
          f"{final.stdout.strip().splitlines()[-1]}; {summary}; made: {dict(edits.made)}")
    assert killed == CLI_KILLS and with_outbox == 8
    b.close()
