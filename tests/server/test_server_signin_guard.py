"""Issue 18: password guessing. Failed sign-ins are counted per account and per real client
address (X-Forwarded-For only through CHEMVIZ_TRUSTED_PROXIES), on every path (login, token, Basic,
admin); a locked account/address is refused before hashing; failures are logged. Also the Basic
cache and the token lifecycle (logout with Basic, new password, expiry)."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient
from srv_helpers import API, PASSWORD, basic

from server.users import guard
from server.users.models import APIToken
from server.users.tokens import digest

User = get_user_model()


def login(client, username="eve", password="wrong-guess", **extra):
    return client.post(API + "auth/login/", {"username": username, "password": password}, format="json", **extra)


@pytest.fixture
def count_hashing(monkeypatch):
    calls = []
    real = User.check_password

    def counting(self, raw):
        calls.append(self.username)
        return real(self, raw)
    monkeypatch.setattr(User, "check_password", counting)
    return calls


def test_rotating_x_forwarded_for_does_not_bypass_the_throttle(users, anon, settings):
    answers = [login(anon, HTTP_X_FORWARDED_FOR=f"203.0.113.{i}") for i in range(75)]
    codes = [r.status_code for r in answers]
    assert codes.count(400) == settings.CHEMVIZ_LOCKOUT_FAILURES and set(codes[10:]) == {429}
    locked = answers[10]
    assert "Too many failed sign-ins for this account" in locked.json()["detail"]
    assert int(locked["Retry-After"]) > 0
    r = login(anon, password=PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert r.status_code == 429                 # the right password no longer gets in


def test_the_rate_throttle_counts_the_socket_address_not_the_header(users, anon, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], login="5/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    codes = [login(anon, username=f"u{i}", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
             for i in range(7)]
    assert codes == [400] * 5 + [429] * 2


def test_forwarded_address_is_trusted_only_through_the_named_proxies(settings):
    rf = RequestFactory()
    req = rf.get("/", HTTP_X_FORWARDED_FOR="1.1.1.1, 10.0.0.5", REMOTE_ADDR="127.0.0.1")
    settings.CHEMVIZ_TRUSTED_PROXIES = 0
    assert guard.client_ip(req) == "127.0.0.1"
    settings.CHEMVIZ_TRUSTED_PROXIES = 1
    assert guard.client_ip(req) == "10.0.0.5"
    settings.CHEMVIZ_TRUSTED_PROXIES = 2
    assert guard.client_ip(req) == "1.1.1.1"


def test_account_lock_is_per_account_and_address_lock_covers_everyone(users, anon, settings):
    settings.CHEMVIZ_LOCKOUT_FAILURES, settings.CHEMVIZ_LOCKOUT_ADDRESS_FAILURES = 3, 6
    assert [login(anon).status_code for _ in range(4)] == [400, 400, 400, 429]
    assert login(anon, "ed", PASSWORD).status_code == 200          # another account still signs in
    assert [login(anon, f"ghost{i}").status_code for i in range(3)] == [400, 400, 400]
    r = login(anon, "ed", PASSWORD)                                  # 6 failures from this address
    assert r.status_code == 429 and "this address" in r.json()["detail"]
    other = APIClient(REMOTE_ADDR="192.0.2.9")                       # another address is not locked
    assert login(other, "ed", PASSWORD).status_code == 200


def test_basic_auth_counts_and_is_refused_before_hashing(users, settings, count_hashing):
    settings.CHEMVIZ_LOCKOUT_FAILURES = 5
    c = APIClient()
    codes = []
    for i in range(8):
        c.credentials(HTTP_AUTHORIZATION=basic("eve", f"guess-{i}"))
        codes.append(c.get(API + "auth/user/me/").status_code)
    assert codes == [401] * 5 + [429] * 3
    assert len(count_hashing) == 5                                   # no hash once locked
    c.credentials(HTTP_AUTHORIZATION=basic("eve"))
    r = c.get(API + "auth/user/me/")
    assert r.status_code == 429 and "Retry-After" in r and "account" in r.json()["detail"]


def test_a_repeated_wrong_basic_password_is_not_hashed_again(users, settings, count_hashing):
    settings.CHEMVIZ_LOCKOUT_FAILURES = 3
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=basic("eve", "old-password-1"))    # a client with a stale password
    assert [c.get(API + "auth/user/me/").status_code for _ in range(6)] == [401] * 6
    assert len(count_hashing) == 1                                    # and it is one guess, not six
    eve = users["eve"]
    eve.set_password("old-password-1")                                # that pair becomes right
    eve.save()
    assert c.get(API + "auth/user/me/").status_code == 200


def test_password_checks_at_once_are_bounded(users, anon, monkeypatch):
    import threading

    from server.users import backends
    full = threading.BoundedSemaphore(1)
    full.acquire()
    monkeypatch.setattr(backends, "_slots", full)
    monkeypatch.setattr(backends, "WAIT_SECONDS", 0.05)
    r = login(anon, password=PASSWORD)
    assert r.status_code == 429 and "busy" in r.json()["detail"] and "Retry-After" in r
    full.release()
    assert login(anon, password=PASSWORD).status_code == 200


def test_token_endpoint_shares_the_account_lock(users, anon, settings):
    settings.CHEMVIZ_LOCKOUT_FAILURES = 2
    login(anon), login(anon)
    r = anon.post(API + "auth/token/", {"username": "eve", "password": PASSWORD}, format="json")
    assert r.status_code == 429


def test_admin_login_is_locked_too(users, settings):
    settings.CHEMVIZ_LOCKOUT_FAILURES = 3
    c = APIClient()
    for _ in range(3):
        r = c.post("/admin/login/", {"username": "ada", "password": "wrong-guess", "next": "/admin/"})
        assert r.status_code == 200
    r = c.post("/admin/login/", {"username": "ada", "password": PASSWORD, "next": "/admin/"})
    assert r.status_code == 200 and b"Too many failed sign-ins" in r.content
    assert "sessionid" not in r.cookies


def test_failures_are_logged(users, anon, caplog):
    with caplog.at_level(logging.WARNING, logger="server.auth"):
        login(anon, "eve", "bad-guess-1")
    assert any("failed sign-in for 'eve'" in m for m in caplog.messages)


def test_success_resets_the_account_count(users, anon, settings):
    settings.CHEMVIZ_LOCKOUT_FAILURES = 3
    login(anon), login(anon)
    assert login(anon, password=PASSWORD).status_code == 200
    assert [login(anon).status_code for _ in range(2)] == [400, 400]


def test_good_basic_credentials_are_cached_until_the_password_changes(users, count_hashing):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=basic("eve"))
    assert [c.get(API + "auth/user/me/").status_code for _ in range(5)] == [200] * 5
    assert len(count_hashing) == 1
    eve = users["eve"]
    eve.set_password("Another-pass-42")
    eve.save()
    assert c.get(API + "auth/user/me/").status_code == 401         # the old password is over at once


# -- tokens -----------------------------------------------------------------------------------

def _token(anon, name="eve") -> str:
    return anon.post(API + "auth/token/", {"username": name, "password": PASSWORD}, format="json").json()["token"]


def test_logout_with_basic_revokes_the_token(users, anon, client_for):
    key = _token(anon)
    assert client_for("engineer").post(API + "auth/logout/").status_code == 200
    assert not APIToken.objects.filter(token=digest(key)).exists()


def test_new_password_revokes_the_token(users, anon):
    key = _token(anon)
    eve = User.objects.get(username="eve")
    eve.set_password("Another-pass-42")
    eve.save()
    assert not APIToken.objects.filter(token=digest(key)).exists()
    eve.last_login = timezone.now()
    key = _token(anon, "vic")
    User.objects.get(username="vic").save(update_fields=["last_login"])   # other saves keep it
    assert APIToken.objects.filter(token=digest(key)).exists()


def test_tokens_expire(users, anon, settings):
    settings.CHEMVIZ_TOKEN_DAYS = 7
    key = _token(anon)
    row = APIToken.objects.get(token=digest(key))
    assert timedelta(days=7) - timedelta(minutes=1) < row.expires_at - row.created_at <= timedelta(days=7)
    APIToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    r = c.get(API + "auth/user/me/")
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    fresh = _token(anon)
    assert fresh != key
    c.credentials(HTTP_AUTHORIZATION=f"Token {fresh}")
    assert c.get(API + "auth/user/me/").status_code == 200


def test_expired_token_is_replaced_by_the_token_endpoint(users, anon, settings):
    key = _token(anon)
    APIToken.objects.filter(token=digest(key)).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _token(anon) != key
    assert not APIToken.objects.filter(token=digest(key)).exists()


def test_adduser_password_reset_revokes_the_token(users, anon, monkeypatch):
    import io

    import cli
    import cli.server_commands as sc
    monkeypatch.setattr(sc, "_migrate", lambda: None)
    key = _token(anon)
    monkeypatch.setattr("sys.stdin", io.StringIO("Brand-new-pass-8\n"))
    assert cli.main(["adduser", "eve", "--role", "engineer", "--password-stdin"]) == 0
    assert not APIToken.objects.filter(token=digest(key)).exists()


def test_a_flood_of_new_names_does_not_push_a_lock_out(users, settings):
    settings.CHEMVIZ_LOCKOUT_FAILURES = 3
    rf = RequestFactory()
    me = rf.post("/", REMOTE_ADDR="192.0.2.1")
    for _ in range(3):
        guard.record_failure("eve", me)
    for i in range(2000):      # LocMem's default of 300 entries would have culled the lock
        guard.record_failure(f"ghost{i}", rf.post("/", REMOTE_ADDR=f"10.{i // 250}.{i % 250}.1"))
    with pytest.raises(guard.LockedOut):
        guard.check("eve", rf.post("/", REMOTE_ADDR="198.51.100.3"))
