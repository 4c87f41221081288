"""The real `main.py serve` process on a free 127.0.0.1 port, spoken to with `requests`:
adduser, token, upload (idempotent), statistics, 413, kill -9 and restart on the same data."""
from __future__ import annotations

import uuid

import requests
from srv_helpers import CLEAN_CSV, PARTLY_BAD_CSV

from tests.server_process import ServerProcess

PW = "Live-test-pass-7"


def test_real_server_process(tmp_path):
    with ServerProcess(tmp_path / "live") as srv:
        assert srv.url.startswith("http://127.0.0.1:") and srv.api == srv.url + "/api/v1/"
        health = requests.get(srv.api + "health/", timeout=5).json()
        assert health["status"] == "ok"
        srv.add_user("lena", PW, "engineer")
        srv.add_user("otto", PW, "viewer")

        r = requests.get(srv.api + "analytics/csv/datasets/", timeout=5)
        assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Basic")

        login = requests.post(srv.api + "auth/login/", json={"username": "lena", "password": PW}, timeout=10)
        assert login.status_code == 200 and login.json()["user"]["role"] == "engineer"
        token = requests.post(srv.api + "auth/token/", json={"username": "lena", "password": PW},
                              timeout=10).json()["token"]
        s = requests.Session()
        s.headers["Authorization"] = f"Token {token}"

        key = str(uuid.uuid4())
        files = {"file": ("plant.csv", PARTLY_BAD_CSV, "text/csv")}
        first = s.post(srv.api + "analytics/csv/upload/", files=files, data={"client_id": key},
                       headers={"Idempotency-Key": key}, timeout=10)
        assert first.status_code == 200 and first.json()["created"], first.text
        again = s.post(srv.api + "analytics/csv/upload/", files=files, data={"client_id": key}, timeout=10)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        s.post(srv.api + "analytics/csv/upload/", files={"file": ("b.csv", CLEAN_CSV)}, timeout=10)

        huge = b"Equipment Name,Type,Flowrate,Pressure,Temperature\n" + b"P,Pump,1,1,1\n" * 900_000
        r = s.post(srv.api + "analytics/csv/upload/", files={"file": ("huge.csv", huge)}, timeout=30)
        assert r.status_code == 413 and r.json()["issues"][0]["code"] == "file_too_large"
        r = s.post(srv.api + "analytics/csv/upload/", files={"file": ("x.bin", bytes(range(256)) * 10)}, timeout=10)
        assert r.status_code == 400 and r.json()["detail"]

        stats = s.get(srv.api + "analytics/statistics/", timeout=5).json()
        assert stats["total_equipment"] == 4 and stats["by_type"]["Pump"]["count"] == 2

        viewer = requests.post(srv.api + "analytics/csv/upload/", files={"file": ("v.csv", CLEAN_CSV)},
                               auth=("otto", PW), timeout=10)
        assert viewer.status_code == 403

        srv.kill()
        assert not srv.running
        srv.start()                                          # same port, same server dir
        listing = s.get(srv.api + "analytics/csv/datasets/", timeout=5).json()
        assert listing["count"] == 2 and listing["results"][1]["client_id"] == key
        export = s.get(srv.api + f"analytics/csv/datasets/{first.json()['id']}/export/", timeout=5)
        assert export.status_code == 200 and export.text.splitlines()[0] == \
            "Equipment Name,Type,Flowrate,Pressure,Temperature"
        assert s.post(srv.api + "auth/logout/", timeout=5).json() == {"message": "Logout successful"}
        assert s.get(srv.api + "auth/user/me/", timeout=5).status_code == 401   # token revoked
    assert not srv.running
