"""Issue 17: API tokens as the seed's users_apitoken: one per user and client type (desktop, web),
stored as a SHA-256 digest, with expires_at and last_used; logout revokes the calling token only;
a new password revokes them all; the plain-text DRF tokens of older installs are hashed by a
data migration."""
from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient
from srv_helpers import API, PASSWORD, basic

from server.users.models import APIToken
from server.users.tokens import digest

User = get_user_model()


def sign_in(anon, client_type=None, name="eve"):
    body = {"username": name, "password": PASSWORD}
    if client_type is not None:
        body["client_type"] = client_type
    return anon.post(API + "auth/token/", body, format="json")


def token_client(key) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


def me(key):
    return token_client(key).get(API + "auth/user/me/")


def test_token_response_names_client_and_expiry(users, anon):
    r = sign_in(anon, "web")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"token", "user", "client_type", "expires_at"}
    assert body["client_type"] == "web" and body["user"]["username"] == "eve"
    assert len(body["token"]) == 40
    row = APIToken.objects.get(user__username="eve", client_type="web")
    assert row.expires_at.isoformat().replace("+00:00", "Z") == body["expires_at"]


def test_no_client_type_means_desktop_as_older_clients_sent(users, anon):
    key = sign_in(anon).json()["token"]
    assert APIToken.objects.get(token=digest(key)).client_type == "desktop"


def test_unknown_client_type_is_400(users, anon):
    r = sign_in(anon, "phone")
    assert r.status_code == 400 and "client_type" in r.json()["detail"]
    assert not APIToken.objects.exists()


def test_desktop_and_web_tokens_coexist_and_logout_revokes_only_the_caller(users, anon):
    desktop = sign_in(anon, "desktop").json()["token"]
    web = sign_in(anon, "web").json()["token"]
    assert desktop != web
    assert me(desktop).status_code == 200 and me(web).status_code == 200
    assert APIToken.objects.filter(user__username="eve").count() == 2
    r = token_client(web).post(API + "auth/logout/")
    assert r.status_code == 200 and r.json() == {"message": "Logout successful"}
    assert me(web).status_code == 401
    assert me(desktop).status_code == 200
    assert list(APIToken.objects.values_list("client_type", flat=True)) == ["desktop"]


def test_a_new_sign_in_replaces_only_that_clients_token(users, anon):
    first = sign_in(anon, "desktop").json()["token"]
    web = sign_in(anon, "web").json()["token"]
    second = sign_in(anon, "desktop").json()["token"]
    assert second != first
    old = me(first)
    assert old.status_code == 401 and "sign in again" in old.json()["detail"]
    assert me(second).status_code == 200 and me(web).status_code == 200
    assert APIToken.objects.filter(user__username="eve", client_type="desktop").count() == 1


def test_users_tokens_are_separate(users, anon):
    eve = sign_in(anon, "desktop").json()["token"]
    vic = sign_in(anon, "desktop", name="vic").json()["token"]
    assert me(eve).json()["username"] == "eve" and me(vic).json()["username"] == "vic"


def test_login_with_a_client_type_also_issues_that_clients_token(users, anon):
    plain = anon.post(API + "auth/login/", {"username": "eve", "password": PASSWORD}, format="json")
    assert set(plain.json()) == {"user", "message"}          # the seed's shape when no client is named
    assert not APIToken.objects.exists()
    r = APIClient().post(API + "auth/login/", {"username": "eve", "password": PASSWORD, "client_type": "web"},
                         format="json")
    assert r.status_code == 200
    assert set(r.json()) == {"user", "message", "token", "client_type", "expires_at"}
    assert r.json()["client_type"] == "web" and me(r.json()["token"]).status_code == 200


def test_the_database_holds_only_the_digest(users, anon):
    key = sign_in(anon, "desktop").json()["token"]
    row = APIToken.objects.get(user__username="eve")
    assert row.token == digest(key) and len(row.token) == 64 and key not in row.token
    with connection.cursor() as cursor:   # no column of any table holds the key
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for found in cursor.fetchall():
                assert key not in repr(found), table


def test_an_expired_token_is_refused_and_deleted(users, anon):
    key = sign_in(anon).json()["token"]
    APIToken.objects.filter(token=digest(key)).update(expires_at=timezone.now() - timedelta(seconds=1))
    r = me(key)
    assert r.status_code == 401 and "expired" in r.json()["detail"] and "sign in again" in r.json()["detail"]
    assert not APIToken.objects.filter(token=digest(key)).exists()


def test_last_used_is_recorded_without_a_write_per_request(users, anon):
    key = sign_in(anon).json()["token"]
    assert APIToken.objects.get(token=digest(key)).last_used is None
    t0 = timezone.now()
    assert me(key).status_code == 200
    first = APIToken.objects.get(token=digest(key)).last_used
    assert first is not None and first >= t0
    assert me(key).status_code == 200      # within CHEMVIZ_TOKEN_TOUCH_SECONDS: not written again
    assert APIToken.objects.get(token=digest(key)).last_used == first
    old = timezone.now() - timedelta(hours=1)
    APIToken.objects.filter(token=digest(key)).update(last_used=old)
    assert me(key).status_code == 200
    assert APIToken.objects.get(token=digest(key)).last_used > old


def test_a_new_password_revokes_every_client(users, anon):
    desktop = sign_in(anon, "desktop").json()["token"]
    web = sign_in(anon, "web").json()["token"]
    vic = sign_in(anon, "web", name="vic").json()["token"]
    eve = User.objects.get(username="eve")
    eve.set_password("Another-pass-42")
    eve.save()
    assert me(desktop).status_code == 401 and me(web).status_code == 401
    assert not APIToken.objects.filter(user=eve).exists()
    assert me(vic).status_code == 200                      # other users keep theirs


def test_basic_logout_revokes_the_named_client_or_all(users, anon):
    desktop = sign_in(anon, "desktop").json()["token"]
    web = sign_in(anon, "web").json()["token"]
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=basic("eve"))
    assert c.post(API + "auth/logout/", {"client_type": "web"}, format="json").status_code == 200
    assert me(web).status_code == 401 and me(desktop).status_code == 200
    assert c.post(API + "auth/logout/").status_code == 200
    assert me(desktop).status_code == 401


def test_inactive_users_token_is_refused(users, anon):
    key = sign_in(anon).json()["token"]
    User.objects.filter(username="eve").update(is_active=False)
    assert me(key).status_code == 401


# -- old plain-text tokens of existing installs ---------------------------------------------------

def _migration():
    return importlib.import_module("server.users.migrations.0003_hash_old_tokens")


def test_old_plain_text_tokens_are_hashed_and_keep_working(users):
    from rest_framework.authtoken.models import Token
    old = Token.objects.create(user=users["eve"])
    stale = Token.objects.create(user=users["vic"])
    Token.objects.filter(pk=stale.pk).update(created=timezone.now() - timedelta(days=365))
    _migration().hash_old_tokens(apps, SimpleNamespace(connection=connection))
    assert not Token.objects.exists()                     # the plain text is gone
    row = APIToken.objects.get(user=users["eve"])
    assert row.token == digest(old.key) and row.client_type == "desktop"
    assert row.created_at == old.created and row.expires_at > timezone.now()
    assert not APIToken.objects.filter(user=users["vic"]).exists()   # already expired: dropped
    assert me(old.key).status_code == 200                 # a signed-in desktop stays signed in
