"""API authentication: Basic with a short cache of successful checks (the password hash is slow on
purpose; a client sending the same good credentials many times a second should not pay it on every
request), and the per-client API tokens of server.users.tokens (hashed at rest, expiring).
Each class records the accepted user as the request's actor (server.users.actor) for the audit log."""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, TokenAuthentication

from . import actor, guard, tokens


def _basic_key(userid: str, password: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{userid}\0{password}".encode(), hashlib.sha256)
    return "basic-ok:" + digest.hexdigest()


def _stored_hash(userid: str) -> str | None:
    User = get_user_model()
    return User.objects.filter(**{User.USERNAME_FIELD: userid}).values_list("password", flat=True).first()


class CachedBasicAuthentication(BasicAuthentication):
    """The outcome of a Basic check is remembered for CHEMVIZ_BASIC_CACHE_SECONDS (default 60) as
    an HMAC of the pair, together with the stored password hash, so changing the password ends it
    at once. A good pair skips the hash; a wrong pair sent again (a client with an old password
    retrying) is refused without hashing and without counting as a new guess."""

    def authenticate_credentials(self, userid, password, request=None):
        guard.check(userid, request)
        key = _basic_key(userid, password)
        hit = caches["signin"].get(key)
        if hit is not None:
            ok, pk, stored = hit
            if ok:
                user = get_user_model().objects.filter(pk=pk, is_active=True).first()
                if user is not None and user.password == stored:
                    actor.set_user(user, "basic")
                    return user, None
            elif _stored_hash(userid) == stored:
                raise exceptions.AuthenticationFailed("Invalid username/password.")
        ttl = settings.CHEMVIZ_BASIC_CACHE_SECONDS
        try:
            user, auth = super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            caches["signin"].set(key, (False, None, _stored_hash(userid)), ttl)
            raise
        caches["signin"].set(key, (True, user.pk, user.password), ttl)
        actor.set_user(user, "basic")
        return user, auth


SIGN_IN_AGAIN = "sign in again to get a new one (auth/token/)"


class ExpiringTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>` checked against the stored digests (server.users.tokens).
    An expired token is refused and deleted. A key that is unknown (revoked, replaced by a newer
    sign-in of the same client, or never issued) is refused with a message that says what to do."""

    def authenticate_credentials(self, key):
        token = tokens.find(key)
        if token is None:
            raise exceptions.AuthenticationFailed(
                f"Invalid token: it was revoked, replaced by a newer sign-in or never issued; {SIGN_IN_AGAIN}.")
        if tokens.expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed(f"The token has expired; {SIGN_IN_AGAIN}.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        tokens.touch(token)
        actor.set_user(token.user, "token")
        return token.user, token
