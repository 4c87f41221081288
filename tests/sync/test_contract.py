"""One contract, two implementations: the same assertions run against the in-process FakeApi and
the real server (tests/server_process.py), so the fake cannot drift from what the server says
(issue 11: the fake once counted `row_count` as accepted rows, like the client's bug)."""
from __future__ import annotations

import hashlib
import uuid

import pytest

from chemviz_desktop.core.sync.api_client import ApiClient, ApiError, RetryPolicy

from .fake_api import FakeApi

PW = "Correct-horse-9"
FAST = RetryPolicy(total=2, backoff_factor=0.05, connect_timeout=1, read_timeout=15)
# 4 data rows: 2 accepted, 2 excluded (non-numeric flowrate, repeated name)
MIXED = (b"Equipment Name,Type,Flowrate,Pressure,Temperature\n"
         b"P-1,Pump,10,2,80\nP-2,Valve,12,3,81\nP-3,Pump,x,2,80\nP-1,Pump,11,2,80\n")


@pytest.fixture(params=["fake", "server"])
def api(request):
    if request.param == "fake":
        yield FakeApi("alice")
        return
    server = request.getfixturevalue("server")
    server.add_user("alice", PW, "engineer")
    client = ApiClient(server.url, policy=FAST)
    client.sign_in("alice", PW)
    yield client
    client.close()


def test_row_counts_identity_filters_and_delete_follow_the_server_contract(api):
    cid = str(uuid.uuid4())
    status, body = api.upload("mixed.csv", MIXED, cid)
    assert status == 200 and body["created"] is True and str(body["client_id"]) == cid
    sid = int(body["id"])
    status2, again = api.upload("mixed.csv", MIXED, cid)
    assert status2 == 200 and again["created"] is False and int(again["id"]) == sid
    with pytest.raises(ApiError) as clash:          # the same key with other bytes
        api.upload("mixed.csv", MIXED + b"\n", cid)
    assert clash.value.status == 409 and clash.value.permanent

    (item,) = [d for d in api.datasets(limit=100) if int(d["id"]) == sid]
    # row_count counts every data row; rows_accepted / rows_excluded split it
    assert (item["row_count"], item["rows_accepted"], item["rows_excluded"]) == (4, 2, 2)
    assert item["content_sha256"] == hashlib.sha256(MIXED).hexdigest()
    assert item["uploaded_by"]["username"] == "alice" and str(item["client_id"]) == cid

    assert [int(d["id"]) for d in api.datasets(limit=100, client_ids=[cid])] == [sid]
    assert api.datasets(limit=100, client_ids=[str(uuid.uuid4())]) == []
    found = api.datasets(limit=5, content_sha256=hashlib.sha256(MIXED).hexdigest(), mine=True)
    assert [int(d["id"]) for d in found] == [sid]
    assert api.datasets(limit=5, content_sha256=hashlib.sha256(b"other").hexdigest()) == []

    detail = api.dataset(sid)
    assert (detail["row_count"], detail["rows_accepted"], detail["rows_excluded"]) == (4, 2, 2)
    assert detail["report"]["rows_accepted"] == 2
    assert api.export(sid).decode().strip().count("\n") == 2      # header + 2 accepted rows

    api.delete(sid)
    with pytest.raises(ApiError) as ei:
        api.dataset(sid)
    assert ei.value.status == 404
    assert api.datasets(limit=100, client_ids=[cid]) == []
