"""Issue 18: export built once, streamed, throttled and bounded; response headers (no-store on the
API, CSP on HTML), Swagger UI assets from the package (no CDN), login refused from a foreign
origin, files 0600/0700, formula neutralisation after NFKC."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from rest_framework.test import APIClient
from srv_helpers import API, PASSWORD, upload

import engine
from server.analytics import export_cache
from server.analytics.models import CSVDataset
from server.api.slots import EXPORTS


def _export(client, sid: int):
    return client.get(API + f"analytics/csv/datasets/{sid}/export/")


def test_export_is_built_once_and_streamed(client_for, monkeypatch):
    sid = upload(client_for("engineer")).json()["id"]
    calls = []
    real = export_cache.engine.load
    monkeypatch.setattr(export_cache.engine, "load", lambda *a, **k: calls.append(1) or real(*a, **k))
    viewer = client_for("viewer")
    bodies = []
    for _ in range(3):
        r = _export(viewer, sid)
        assert r.status_code == 200 and r.streaming and r["Cache-Control"] == "no-store"
        bodies.append(b"".join(r.streaming_content))
    assert len(calls) == 1 and bodies[0] == bodies[2]
    assert bodies[0].startswith(b"Equipment Name,Type,Flowrate,Pressure,Temperature\r\n")


def test_export_cache_goes_with_the_dataset(client_for, django_capture_on_commit_callbacks):
    c = client_for("engineer")
    sid = upload(c).json()["id"]
    _export(c, sid)
    cached = export_cache.path_for(CSVDataset.objects.get(pk=sid))
    assert cached.exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert c.delete(API + f"analytics/csv/datasets/{sid}/").status_code == 204
    assert not cached.exists()


def test_export_is_throttled_per_user(client_for, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], export="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    sid = upload(client_for("engineer")).json()["id"]
    viewer = client_for("viewer")
    assert [_export(viewer, sid).status_code for _ in range(3)] == [200, 200, 429]
    assert _export(client_for("admin"), sid).status_code == 200      # per user


def test_export_builds_are_bounded(client_for, users):
    sid = upload(client_for("engineer")).json()["id"]
    assert EXPORTS.acquire(users["vic"].pk, 1, 2)
    try:
        r = _export(client_for("viewer"), sid)
        assert r.status_code == 429 and "Retry-After" in r
    finally:
        EXPORTS.release(users["vic"].pk)
    assert _export(client_for("viewer"), sid).status_code == 200


def test_api_answers_are_not_cached(client_for, anon):
    assert anon.get(API + "health/")["Cache-Control"] == "no-store"
    assert client_for("viewer").get(API + "analytics/csv/datasets/")["Cache-Control"] == "no-store"
    assert anon.get(API + "analytics/statistics/")["Cache-Control"] == "no-store"      # 401 too


def test_docs_use_packaged_assets_and_a_csp(db, anon):
    r = anon.get(API + "docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "cdn" not in html.lower() and "@latest" not in html and "https://" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html                                     # the init script is a file
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    script = anon.get(API + "docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


def test_admin_login_page_has_a_csp(db, anon):
    assert "default-src 'self'" in anon.get("/admin/login/")["Content-Security-Policy"]


@pytest.mark.parametrize("content", ["form", "json"])
def test_login_from_a_foreign_origin_is_refused(users, content):
    c = APIClient()
    data = {"username": "eve", "password": PASSWORD}
    kw = {"format": "json"} if content == "json" else {}
    r = c.post(API + "auth/login/", data, HTTP_ORIGIN="http://evil.example", **kw)
    assert r.status_code == 403 and "sessionid" not in r.cookies and "origin" in r.json()["detail"].lower()
    r = c.post(API + "auth/login/", data, HTTP_ORIGIN="null", **kw)
    assert r.status_code == 403
    r = c.post(API + "auth/login/", data, HTTP_SEC_FETCH_SITE="cross-site", **kw)
    assert r.status_code == 403


def test_login_from_the_same_origin_or_a_non_browser_works(users, settings):
    c = APIClient()
    data = {"username": "eve", "password": PASSWORD}
    assert c.post(API + "auth/login/", data, format="json", HTTP_ORIGIN="http://testserver").status_code == 200
    assert c.post(API + "auth/login/", data, format="json").status_code == 200     # desktop, curl
    settings.CSRF_TRUSTED_ORIGINS = ["https://chemviz.example"]
    assert c.post(API + "auth/login/", data, format="json",
                  HTTP_ORIGIN="https://chemviz.example").status_code == 200


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_server_files_are_private(client_for, tmp_path):
    from server.chemviz_server.paths import private_dir, private_file
    d = private_dir(tmp_path / "srv" / "data")
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    f = private_file(d / "db.sqlite3")
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    os.chmod(f, 0o644)
    assert stat.S_IMODE(private_file(f).stat().st_mode) == 0o600
    sid = upload(client_for("engineer")).json()["id"]
    stored = Path(CSVDataset.objects.get(pk=sid).file.path)
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert dj_settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700


@pytest.mark.parametrize("text", ["\uff1dHYPERLINK(1)", "\uff0b1", "\uff0d1", "\uff20SUM(A1)", "\ufe62cmd",
                                  "\ufe6bx", "\u207a1"])
def test_fullwidth_formula_prefixes_are_neutralised(text):
    assert engine.neutralise(text) == "'" + text
    import pandas as pd
    out = engine.neutralise_frame(pd.DataFrame({"Equipment Name": [text, "Pump-1"]}))
    assert out["Equipment Name"].tolist() == ["'" + text, "Pump-1"]
