"""API authentication: Basic with a short cache of successful checks (the password hash is slow on
purpose; a client sending the same good credentials many times a second should not pay it on every
request), and tokens that expire (CHEMVIZ_TOKEN_DAYS, default 30)."""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BasicAuthentication, TokenAuthentication

from . import guard


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
        return user, auth


def token_expired(token) -> bool:
    return token.created < timezone.now() - timedelta(days=settings.CHEMVIZ_TOKEN_DAYS)


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token, refused (and deleted) once older than CHEMVIZ_TOKEN_DAYS."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            token.delete()
            raise exceptions.AuthenticationFailed("The token has expired; request a new one at auth/token/.")
        return user, token
