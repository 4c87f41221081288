"""Auth endpoints (seed §3.1, §4): login, logout, token, me; 401s, CSRF, throttling."""
from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from srv_helpers import API, PASSWORD, basic, make_user

from server.users.models import APIToken
from server.users.tokens import digest

USER_KEYS = {"id", "username", "email", "first_name", "last_name", "role", "department"}


def test_login_returns_seed_shape_and_starts_a_session(users, anon):
    r = anon.post(API + "auth/login/", {"username": "eve", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"user", "message"} and body["message"] == "Login successful"
    assert set(body["user"]) == USER_KEYS
    assert body["user"]["username"] == "eve" and body["user"]["role"] == "engineer"
    assert body["user"]["department"] == "Operations" and body["user"]["email"] == "eve@example.com"
    assert "sessionid" in r.cookies and "csrftoken" in r.cookies
    me = anon.get(API + "auth/user/me/")   # the session now authenticates reads
    assert me.status_code == 200 and me.json()["username"] == "eve"


def test_failed_login_does_not_reveal_whether_the_user_exists(users, anon):
    wrong = anon.post(API + "auth/login/", {"username": "eve", "password": "nope-nope"}, format="json")
    ghost = anon.post(API + "auth/login/", {"username": "nobody", "password": "nope-nope"}, format="json")
    assert wrong.status_code == ghost.status_code == 400
    assert wrong.json() == ghost.json() == {"detail": "Invalid username or password."}


def test_login_missing_fields_is_400(users, anon):
    r = anon.post(API + "auth/login/", {"username": "eve"}, format="json")
    assert r.status_code == 400 and "detail" in r.json()


def test_inactive_account_is_401_only_with_the_right_password(users, anon):
    make_user("sleepy", "engineer", active=False)
    r = anon.post(API + "auth/login/", {"username": "sleepy", "password": PASSWORD}, format="json")
    assert r.status_code == 401 and r.json()["detail"] == "This account is inactive."
    assert "WWW-Authenticate" in r
    r = anon.post(API + "auth/login/", {"username": "sleepy", "password": "wrong-pass"}, format="json")
    assert r.status_code == 400


def test_session_writes_need_csrf(users):
    c = APIClient(enforce_csrf_checks=True)
    r = c.post(API + "auth/login/", {"username": "eve", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    assert c.post(API + "auth/logout/").status_code == 403          # no CSRF token
    token = r.cookies["csrftoken"].value
    assert c.post(API + "auth/logout/", HTTP_X_CSRFTOKEN=token).status_code == 200
    assert c.get(API + "auth/user/me/").status_code == 401           # session gone


def test_logout_seed_shape_with_basic_auth(client_for):
    r = client_for("engineer").post(API + "auth/logout/")
    assert r.status_code == 200 and r.json() == {"message": "Logout successful"}


def test_token_issue_use_and_revoke_on_logout(users, anon):
    r = anon.post(API + "auth/token/", {"username": "vic", "password": PASSWORD}, format="json")
    assert r.status_code == 200
    token = r.json()["token"]
    assert r.json()["user"]["role"] == "viewer"
    again = anon.post(API + "auth/token/", {"username": "vic", "password": PASSWORD}, format="json")
    assert again.json()["token"] != token               # one token per client: a new sign-in replaces it
    old = APIClient()
    old.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert old.get(API + "auth/user/me/").status_code == 401
    token = again.json()["token"]
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert c.get(API + "auth/user/me/").status_code == 200
    assert c.post(API + "auth/logout/").json() == {"message": "Logout successful"}
    assert not APIToken.objects.filter(token=digest(token)).exists()
    r = c.get(API + "auth/user/me/")
    assert r.status_code == 401 and "WWW-Authenticate" in r


def test_token_with_bad_credentials_is_400(users, anon):
    r = anon.post(API + "auth/token/", {"username": "vic", "password": "bad-bad-bad"}, format="json")
    assert r.status_code == 400 and r.json() == {"detail": "Invalid username or password."}


def test_me_shape(client_for):
    r = client_for("admin").get(API + "auth/user/me/")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == USER_KEYS | {"date_joined"}
    assert body["role"] == "admin" and body["username"] == "ada"


def test_superuser_counts_as_admin(db):
    from django.contrib.auth import get_user_model
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=basic("root"))
    assert c.get(API + "auth/user/me/").json()["role"] == "admin"


def test_new_user_gets_a_viewer_profile(db):
    from django.contrib.auth import get_user_model
    user = get_user_model().objects.create_user("newbie", password=PASSWORD)
    assert user.profile.role == "viewer"


PROTECTED = [("get", "auth/user/me/"), ("post", "auth/logout/"), ("post", "analytics/csv/upload/"),
             ("get", "analytics/statistics/"), ("get", "analytics/csv/datasets/"),
             ("get", "analytics/csv/datasets/1/"), ("delete", "analytics/csv/datasets/1/"),
             ("get", "analytics/csv/datasets/1/export/"), ("get", "analytics/csv/datasets/compare/?a=1&b=2"),
             ("get", "analytics/comparison/?equipment_ids=1,2"), ("get", "analytics/trends/?equipment_id=1"),
             ("get", "analytics/csv/export/"), ("get", "equipment/"), ("post", "equipment/"),
             ("get", "equipment/1/"), ("patch", "equipment/1/"), ("delete", "equipment/1/"),
             ("get", "equipment/1/history/"), ("post", "equipment/1/history/"),
             ("get", "metadata/equipment-types/"), ("get", "metadata/status-choices/")]


@pytest.mark.parametrize("method,path", PROTECTED)
def test_unauthenticated_is_401_with_www_authenticate(db, anon, method, path):
    r = getattr(anon, method)(API + path)
    assert r.status_code == 401
    assert r["WWW-Authenticate"].startswith("Basic")
    assert "detail" in r.json()


def test_wrong_basic_password_is_401(users):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=basic("eve", "wrong-password"))
    r = c.get(API + "analytics/csv/datasets/")
    assert r.status_code == 401 and "WWW-Authenticate" in r


def test_repeated_failed_logins_are_throttled(users, anon, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], login="3/min", token="3/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    codes = [anon.post(API + "auth/login/", {"username": "eve", "password": f"guess-{i}"},
                       format="json").status_code for i in range(5)]
    assert codes[:3] == [400, 400, 400] and codes[3:] == [429, 429]
    r = anon.post(API + "auth/login/", {"username": "eve", "password": PASSWORD}, format="json")
    assert r.status_code == 429 and "detail" in r.json() and "Retry-After" in r
    codes = [anon.post(API + "auth/token/", {"username": "eve", "password": "x"}, format="json").status_code
             for _ in range(4)]
    assert codes[-1] == 429
