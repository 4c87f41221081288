"""Uploads a server queues (HTTP 202 + import id, #17) against an in-process fake of the import
contract: the client polls `analytics/csv/import/{id}/` with growing pauses on a fake clock,
completed -> synced with the dataset the import made, failed -> the outbox item failed with the
server's error_log, not finished in the pass's budget or cancelled -> still pending with its
import id kept, so the next pass (a restart) polls that import instead of sending the file again."""
from __future__ import annotations

import sqlite3

import pytest

from chemviz_desktop.core.store import FAILED, PENDING, SYNCED, Store, pending_imports, schema
from chemviz_desktop.core.sync.api_client import ApiError
from chemviz_desktop.core.sync.import_wait import WaitPolicy
from chemviz_desktop.core.sync.syncer import SyncEngine
from engine.progress import ProgressState

from .conftest import import_csv, make_csv
from .fake_api import FakeApi

ERROR_LOG = "Rejected: 2 of 6 rows accepted\nRow 3: Flowrate is negative (-5)\nRow 7: Pressure 'abc' is not a number"


class QueuedApi(FakeApi):
    """Every upload is queued: 202 with an import id. Each poll of an import answers the next of
    its scripted statuses; at "completed" the dataset is made (as the worker would)."""

    def __init__(self, script: tuple[str, ...] = ("pending", "processing", "completed"), **kw):
        super().__init__(**kw)
        self.script = script
        self.jobs: dict[int, dict] = {}
        self.polls: list[int] = []

    def upload(self, file_name, data, client_id, taken_at=""):
        self._enter("upload")
        for job in self.jobs.values():   # the server's rule: a repeat of the client_id is the same import
            if job["client_id"] == client_id:
                return 202, {"import_id": job["id"], "id": job["id"], "status": "pending", "created": False}
        job_id = 100 + len(self.jobs)
        self.jobs[job_id] = {"id": job_id, "client_id": client_id, "file_name": file_name, "data": data,
                             "left": list(self.script), "dataset_id": None}
        return 202, {"import_id": job_id, "id": job_id, "status": "pending", "created": True,
                     "status_url": f"/api/v1/analytics/csv/import/{job_id}/"}

    def import_job(self, import_id: int) -> dict:
        self._enter("import_job")
        self.polls.append(import_id)
        job = self.jobs.get(import_id)
        if job is None:
            raise ApiError(404, "Not found.")
        status = job["left"].pop(0) if len(job["left"]) > 1 else job["left"][0]
        if status == "completed" and job["dataset_id"] is None:
            _, body = FakeApi.upload(self, job["file_name"], job["data"], job["client_id"])
            self.calls.pop()                     # the worker's store, not a client request
            job["dataset_id"] = body["id"]
        return {"id": import_id, "file_name": job["file_name"], "status": status,
                "records_imported": 0, "records_failed": 2 if status == "failed" else 0,
                "error_log": ERROR_LOG if status == "failed" else "",
                "dataset_id": job["dataset_id"] if status == "completed" else None}


class Clock:
    """time.monotonic and time.sleep for the poller: sleeping moves the clock, nothing waits."""

    def __init__(self):
        self.t = 0.0
        self.naps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.t += seconds

    def __call__(self) -> float:
        return self.t


def engine_for(store, api, clock: Clock, budget: float = 60.0) -> SyncEngine:
    return SyncEngine(store, api, api.username, wait=WaitPolicy(first=0.5, factor=2.0, cap=4.0, budget=budget),
                      sleep=clock.sleep, clock=clock)


def waiting_import(store: Store, uid: str, api) -> int | None:
    return pending_imports.recall(store.db, uid, api.server_url)


def test_a_queued_upload_is_polled_with_growing_pauses_and_synced_with_its_dataset(store):
    api, clock = QueuedApi(("pending", "pending", "processing", "processing", "completed")), Clock()
    uid = import_csv(store, "big.csv", make_csv("BIG"))
    rep = engine_for(store, api, clock).push()
    assert rep.pushed == ["big.csv"] and rep.ok
    info = store.by_uuid(uid)
    [job] = api.jobs.values()
    assert info.sync_state == SYNCED and info.server_id == job["dataset_id"] and info.server_owner == "alice"
    assert api.count(uid) == 1 and api.calls.count("upload") == 1 and len(api.polls) == 5
    # pauses 0.5, 1, 2, 4 (cap) between the five looks, slept in short slices (cancel stays quick)
    assert sum(clock.naps) == pytest.approx(0.5 + 1 + 2 + 4) and max(clock.naps) <= 0.2 + 1e-9
    assert store.pending_count() == 0 and waiting_import(store, uid, api) is None


def test_a_failed_import_marks_the_item_failed_with_the_servers_error_log(store):
    api, clock = QueuedApi(("processing", "failed")), Clock()
    uid = import_csv(store, "bad-rows.csv", make_csv("BAD"))
    seen: list[tuple[str, str, str]] = []
    rep = engine_for(store, api, clock).push(on_item=lambda *a: seen.append(a))
    info = store.by_uuid(uid)
    assert info.sync_state == FAILED and store.pending_count() == 0
    assert "Row 3: Flowrate is negative (-5)" in info.sync_error
    assert "Row 7: Pressure 'abc' is not a number" in info.sync_error
    assert info.sync_error.startswith("the server could not import it (import 100)")
    [(name, why)] = rep.failed
    assert name == "bad-rows.csv" and why == info.sync_error
    assert seen == [("bad-rows.csv", "failed", info.sync_error)]
    assert waiting_import(store, uid, api) is None and api.count(uid) == 0
    # a failed item is not sent again by later passes
    engine_for(store, api, clock).push(force=True)
    assert api.calls.count("upload") == 1


def test_still_processing_after_the_budget_stays_pending_and_a_restart_polls_without_uploading(store):
    api, clock = QueuedApi(("pending",) * 50 + ("completed",)), Clock()
    uid = import_csv(store, "slow.csv", make_csv("SLOW"))
    rep = engine_for(store, api, clock, budget=10).push()
    [(name, why)] = rep.deferred
    assert name == "slow.csv" and "still processing" in why and "import 100" in why
    assert store.by_uuid(uid).sync_state == PENDING and store.pending_count() == 1
    assert waiting_import(store, uid, api) == 100
    assert clock.t <= 10 + 1e-9                               # the budget bounds the wait

    # "restart": a new store connection and a new engine, as after quitting the app
    again = Store(store.path)
    try:
        rep = engine_for(again, api, Clock(), budget=600).push(force=True)
        assert rep.pushed == ["slow.csv"]
        assert again.by_uuid(uid).sync_state == SYNCED
    finally:
        again.close()
    assert api.calls.count("upload") == 1 and api.count(uid) == 1   # polled, never sent twice


def test_cancel_while_waiting_stops_at_once_and_keeps_the_import_id(store):
    api, clock = QueuedApi(("pending",) * 100), Clock()
    uid = import_csv(store, "c.csv", make_csv("C"))
    state = ProgressState()
    real_sleep = clock.sleep

    def sleep(seconds: float) -> None:       # the user presses Cancel 1.5 s into the wait
        real_sleep(seconds)
        if clock.t >= 1.5:
            state.cancel()
    clock.sleep = sleep
    rep = engine_for(store, api, clock).push(state=state)
    assert rep.pushed == [] and rep.failed == [] and clock.t < 2.0
    assert store.by_uuid(uid).sync_state == PENDING and waiting_import(store, uid, api) == 100
    # nothing counted as a failed attempt: the item is due again at once
    assert store.outbox()[0]["attempts"] == 0


def test_an_import_the_server_forgot_is_sent_again(store):
    api, clock = QueuedApi(("completed",)), Clock()
    uid = import_csv(store, "reset.csv", make_csv("RESET"))
    with store.transaction() as db:                   # remembered before the server was reset
        pending_imports.remember(db, uid, api.server_url, 7, "2026-01-01T00:00:00+00:00")
    rep = engine_for(store, api, clock).push()
    assert rep.pushed == ["reset.csv"] and store.by_uuid(uid).sync_state == SYNCED
    assert api.polls[0] == 7 and api.calls.count("upload") == 1


def test_an_import_id_from_another_server_is_not_polled_here(store):
    api, clock = QueuedApi(("completed",)), Clock()
    uid = import_csv(store, "x.csv", make_csv("X"))
    with store.transaction() as db:
        pending_imports.remember(db, uid, "http://other.test", 5, "2026-01-01T00:00:00+00:00")
    engine_for(store, api, clock).push()
    assert 5 not in api.polls and store.by_uuid(uid).sync_state == SYNCED


def test_a_version_4_store_gains_the_import_table_and_ids_go_with_their_outbox_item(tmp_path):
    path = tmp_path / "v4.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN")
    for step in schema.MIGRATIONS[:4]:
        step(db)
    db.execute("PRAGMA user_version = 4")
    db.execute("COMMIT")
    db.close()
    s = Store(path)
    try:
        assert s.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION >= 5
        uid = import_csv(s, "a.csv", make_csv("A"))
        with s.transaction() as conn:
            pending_imports.remember(conn, uid, "http://fake.test", 3, "2026-01-01T00:00:00+00:00")
        assert pending_imports.recall(s.db, uid, "http://fake.test") == 3
        s.delete(s.by_uuid(uid).id)
        assert s.db.execute("SELECT COUNT(*) FROM outbox_imports").fetchone()[0] == 0
    finally:
        s.close()
