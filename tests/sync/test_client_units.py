"""API client helpers, retries (against a tiny stdlib HTTP server), keychain handling,
connectivity backoff and the status-bar wording."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import keyring
import pytest
from keyring.backends import fail

from chemviz_desktop.core.sync import credentials
from chemviz_desktop.core.sync.api_client import (
    ApiClient,
    ApiError,
    AuthError,
    RetryPolicy,
    Unreachable,
    api_base,
    insecure_http_warning,
)
from chemviz_desktop.core.sync.connectivity import OFFLINE, ONLINE, SIGNED_OUT, SYNCING, Connectivity, status_text

FAST = RetryPolicy(total=3, backoff_factor=0.01, connect_timeout=0.5, read_timeout=2)


@pytest.mark.parametrize("typed, base", [
    ("example.org:8000", "http://example.org:8000/api/v1/"),
    ("https://x.org/", "https://x.org/api/v1/"),
    ("https://x.org/api/v1", "https://x.org/api/v1/"),
    ("http://127.0.0.1:5/api/v1/", "http://127.0.0.1:5/api/v1/"),
])
def test_api_base_normalises_what_users_type(typed, base):
    assert api_base(typed) == base


@pytest.mark.parametrize("url, warns", [
    ("http://chem.example.org", True), ("chem.example.org:8000", True), ("https://chem.example.org", False),
    ("http://127.0.0.1:8000", False), ("http://localhost:8000", False), ("http://[::1]:8000", False),
])
def test_plain_http_to_another_host_warns(url, warns):
    assert (insecure_http_warning(url) is not None) == warns


class Script(BaseHTTPRequestHandler):
    """Answers from a per-server list of (status, body); the last entry repeats."""

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        srv = self.server
        srv.seen.append((self.command, self.path, self.headers.get("Authorization")))
        status, body = srv.script.pop(0) if len(srv.script) > 1 else srv.script[0]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *a):
        pass


@pytest.fixture
def http():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Script)
    srv.script, srv.seen = [(200, {})], []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def url_of(srv) -> str:
    return f"http://127.0.0.1:{srv.server_address[1]}"


def test_upload_retries_503_then_succeeds_with_token_and_client_id(http):
    http.script = [(503, {"detail": "busy"}), (503, {"detail": "busy"}), (201, {"id": 7})]
    client = ApiClient(url_of(http), token="tok", policy=FAST)
    status, body = client.upload("a.csv", b"x", "uuid-1")
    assert (status, body) == (201, {"id": 7})
    assert [s[0] for s in http.seen] == ["POST"] * 3
    assert http.seen[-1][1] == "/api/v1/analytics/csv/upload/" and http.seen[-1][2] == "Token tok"


def test_permanent_4xx_is_not_retried_and_carries_the_message(http):
    http.script = [(400, {"detail": "Missing column Pressure", "issues": [{"message": "no Pressure"}]})]
    with pytest.raises(ApiError) as ei:
        ApiClient(url_of(http), token="t", policy=FAST).upload("a.csv", b"x", "u")
    assert ei.value.permanent and ei.value.detail == "Missing column Pressure" and len(http.seen) == 1


def test_401_is_auth_error(http):
    http.script = [(401, {"detail": "Invalid token."})]
    with pytest.raises(AuthError):
        ApiClient(url_of(http), token="t", policy=FAST).datasets()


def test_dead_server_is_unreachable_quickly():
    with pytest.raises(Unreachable):
        ApiClient("http://127.0.0.1:9", policy=FAST).datasets()
    assert ApiClient("http://127.0.0.1:9", policy=FAST).health(timeout=0.5) is False


def test_connectivity_backs_off_while_down_and_resets_when_up():
    t = [0.0]
    answers = [False, False, False, True]
    c = Connectivity(clock=lambda: t[0], interval=30, base=2, cap=60)
    delays = []
    for _ in range(4):
        assert c.due()
        c.record(answers.pop(0))
        delays.append(c.next_at - t[0])
        t[0] = c.next_at
    assert delays == [2, 4, 8, 30] and c.online


def test_status_texts():
    url = "https://chem.example.org"
    assert status_text(SIGNED_OUT) == "Signed out"
    assert status_text(OFFLINE, url) == f"Offline — {url}"
    assert status_text(ONLINE, url) == f"Online — {url}"
    assert status_text(SYNCING, url, 3) == f"Syncing (3 pending) — {url}"


def test_token_goes_to_the_keychain_and_away_again(memory_keyring):
    assert credentials.save_token("http://s", "ann", "tok") is None
    assert credentials.load_token("http://s", "ann") == "tok"
    credentials.delete_token("http://s", "ann")
    assert credentials.load_token("http://s", "ann") is None
    credentials.delete_token("http://s", "ann")  # deleting twice is fine


def test_no_keychain_backend_gives_a_message_not_a_crash():
    keyring.set_keyring(fail.Keyring())
    assert not credentials.keychain_available()
    assert "keychain" in credentials.save_token("http://s", "ann", "tok")
    assert credentials.load_token("http://s", "ann") is None
    credentials.delete_token("http://s", "ann")


def test_account_file_holds_no_secret():
    credentials.AccountFile("http://s", "ann", True, "engineer").save()
    text = credentials.AccountFile.path().read_text()
    assert "ann" in text and "token" not in text.lower()
    assert credentials.AccountFile.load().role == "engineer"
