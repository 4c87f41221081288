"""The push/pull engine against an in-process fake of the server contract (no network)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chemviz_desktop.core.store import FAILED, LOCAL, PENDING, SERVER_ONLY, SYNCED
from chemviz_desktop.core.sync.api_client import ApiError, AuthError
from chemviz_desktop.core.sync.server_datasets import can_delete_on_server, server_uuid
from chemviz_desktop.core.sync.syncer import SyncEngine, outbox_delay

from .conftest import BAD_CSV, import_csv, make_csv
from .fake_api import FakeApi


def engine_for(store, api, clock=None):
    return SyncEngine(store, api, api.username, now=clock or (lambda: datetime.now(timezone.utc)))


def test_push_uploads_pending_with_uuid_as_client_id_and_empties_outbox(store):
    api = FakeApi()
    uids = [import_csv(store, f"f{i}.csv", make_csv(f"F{i}")) for i in range(3)]
    rep = engine_for(store, api).push()
    assert rep.pushed == ["f0.csv", "f1.csv", "f2.csv"] and rep.ok
    assert store.pending_count() == 0
    for uid in uids:
        assert api.count(uid) == 1
        info = store.by_uuid(uid)
        assert info.sync_state == SYNCED and info.server_id is not None and info.server_owner == "alice"


def test_upload_sends_the_users_original_bytes(store):
    api = FakeApi()
    data = make_csv("ORIG")
    uid = import_csv(store, "orig.csv", data)
    seen = {}
    real = api.upload
    api.upload = lambda name, body, cid, *taken: seen.update(body=body, cid=cid) or real(name, body, cid, *taken)
    engine_for(store, api).push()
    assert seen == {"body": data, "cid": uid}


def test_lost_answer_is_retried_without_a_second_copy(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    api.lose_answer_next = True
    rep = engine_for(store, api).push()
    assert rep.offline and store.pending_count() == 1 and api.count(uid) == 1
    rep = engine_for(store, api).push(force=True)
    assert rep.pushed == ["a.csv"] and api.count(uid) == 1 and store.pending_count() == 0


def test_pull_confirms_an_upload_whose_answer_was_lost(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    api.lose_answer_next = True
    engine_for(store, api).push()
    engine_for(store, api).pull()
    assert store.by_uuid(uid).sync_state == SYNCED and store.pending_count() == 0


def test_offline_defers_with_backoff_and_keeps_the_outbox(store):
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    api = FakeApi()
    api.down = True
    import_csv(store, "a.csv", make_csv("A"))
    import_csv(store, "b.csv", make_csv("B"))
    sync = engine_for(store, api, clock=lambda: now)
    rep = sync.sync()
    assert rep.offline and not rep.pushed and api.calls == ["lookup"]  # stops at the first failure
    row = store.outbox()[0]
    assert row["attempts"] == 1 and "down" in row["last_error"] and row["next_attempt_at"] > now.isoformat()
    assert sync.due() == [store.outbox()[1]["dataset_uuid"]]  # the failed one waits its backoff
    api.down = False
    later = now + timedelta(hours=1)
    rep = engine_for(store, api, clock=lambda: later).sync()
    assert len(rep.pushed) == 2 and store.pending_count() == 0


def test_backoff_grows_and_is_capped():
    assert outbox_delay(1) <= 5 and outbox_delay(4) >= 20 and outbox_delay(50) <= 600


def test_validation_error_marks_failed_with_server_message_and_stops_retrying(store):
    api = FakeApi()
    uid = import_csv(store, "ok.csv", make_csv("OK"))
    store.db.execute("UPDATE dataset_rows SET csv_bytes=?", (BAD_CSV,))  # server will refuse it
    rep = engine_for(store, api).push()
    assert rep.failed and rep.failed[0][0] == "ok.csv"
    info = store.by_uuid(uid)
    assert info.sync_state == FAILED and "HTTP 400" in info.sync_error
    assert store.pending_count() == 0
    api.calls.clear()
    engine_for(store, api).push(force=True)
    assert api.calls == []


def test_viewer_gets_a_clear_failed_state(store):
    api = FakeApi(role="viewer")
    uid = import_csv(store, "v.csv", make_csv("V"))
    engine_for(store, api).push()
    info = store.by_uuid(uid)
    assert info.sync_state == FAILED and "permission" in info.sync_error and "403" in info.sync_error


def test_transient_server_error_defers_not_fails(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    api.fail_next = [ApiError(503, "busy")]
    rep = engine_for(store, api).push()
    assert rep.deferred and store.by_uuid(uid).sync_state == PENDING


def test_revoked_token_raises_auth_error_and_keeps_pending(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    api.token_valid = False
    with pytest.raises(AuthError):
        engine_for(store, api).sync()
    assert store.by_uuid(uid).sync_state == PENDING


def test_pull_lists_other_users_datasets_as_server_only_and_fetch_brings_rows(store):
    api = FakeApi()
    sid = api.add_foreign("bob.csv", make_csv("BOB", rows=9), owner="bob")
    web = api.add_foreign("web.csv", make_csv("WEB"), owner="carol", client_id=None)
    rep = engine_for(store, api).sync()
    assert sorted(rep.pulled) == ["bob.csv", "web.csv"]
    items = {i.file_name: i for i in store.list()}
    assert items["bob.csv"].sync_state == SERVER_ONLY and not items["bob.csv"].has_rows
    assert items["bob.csv"].server_owner == "bob"
    assert items["web.csv"].uuid == server_uuid(api.server_url, web, "carol", api.rows[web]["uploaded_at"])
    engine_for(store, api).fetch_rows(items["bob.csv"].id)
    ds = store.open(items["bob.csv"].id)
    assert ds.info.sync_state == SYNCED and ds.info.has_rows and len(ds.frame) == 9
    assert ds.statistics["total_equipment"] == 9 and ds.report.rows_accepted == 9
    # a second pull adds nothing new
    assert engine_for(store, api).pull().pulled == []
    assert sid in api.rows


def test_delete_on_server_only_when_role_allows(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    sync = engine_for(store, api)
    sync.push()
    info = store.by_uuid(uid)
    assert can_delete_on_server(info, "engineer", "alice")
    assert not can_delete_on_server(info, "engineer", "bob")
    assert not can_delete_on_server(info, "viewer", "alice")
    assert can_delete_on_server(info, "admin", "bob")
    sync.delete(info.id, on_server=True)
    assert store.info(info.id) is None and api.rows == {}


def test_refused_server_delete_keeps_the_local_copy(store):
    api = FakeApi()
    uid = import_csv(store, "a.csv", make_csv("A"))
    sync = engine_for(store, api)
    sync.push()
    info = store.by_uuid(uid)
    api.fail_next = [ApiError(403, "not yours")]
    with pytest.raises(ApiError):
        sync.delete(info.id, on_server=True)
    assert store.info(info.id) is not None


def test_local_datasets_are_queued_on_sign_in(store):
    uid = import_csv(store, "a.csv", make_csv("A"), queue=False)
    assert store.by_uuid(uid).sync_state == LOCAL
    store.enqueue_all_local()
    api = FakeApi()
    engine_for(store, api).push()
    assert api.count(uid) == 1
