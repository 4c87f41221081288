"""API tokens (seed §2.3.4): one per user and client type, stored as a SHA-256 digest.

A key is 40 random hex digits (160 bits, the format DRF's tokens had, so clients and keychains
keep working); only `digest(key)` is stored, so a copy of the database cannot be used to sign in.
A plain SHA-256 is enough for random keys of this size (no dictionary to guess from) and keeps
the per-request check cheap. Issuing a token for a client replaces that client's previous token;
other clients keep theirs. Tokens expire CHEMVIZ_TOKEN_DAYS after issue (default 30); `last_used`
is written at most once per CHEMVIZ_TOKEN_TOUCH_SECONDS (default 60) per token, so reads do not
turn into a database write each."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import APIToken, ClientType


def digest(key: str) -> str:
    """What the database stores for `key` (also used by the migration of the old DRF tokens)."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


def new_key() -> str:
    return secrets.token_hex(20)


def lifetime() -> timedelta:
    return timedelta(days=settings.CHEMVIZ_TOKEN_DAYS)


def issue(user, client_type: str = ClientType.DESKTOP) -> tuple[str, APIToken]:
    """A fresh key for this user's `client_type`, replacing the one that client had.
    Returns (key, row); the key is not stored and cannot be shown again."""
    for _ in range(3):   # a concurrent sign-in of the same client may win the unique constraint
        key = new_key()
        try:
            with transaction.atomic():
                # queryset delete still sends the per-row signals the audit log listens to
                APIToken.objects.filter(user=user, client_type=client_type).delete()
                row = APIToken.objects.create(user=user, client_type=client_type, token=digest(key),
                                              expires_at=timezone.now() + lifetime())
            return key, row
        except IntegrityError:
            continue
    raise IntegrityError("could not issue a token: concurrent sign-ins of the same client")


def find(key: str) -> APIToken | None:
    """The token row for a presented key, with its user; None when unknown."""
    if not key or len(key) > 256:
        return None
    return APIToken.objects.select_related("user").filter(token=digest(key)).first()


def expired(token: APIToken, now=None) -> bool:
    return token.expires_at is not None and token.expires_at <= (now or timezone.now())


def touch(token: APIToken, now=None) -> None:
    """Record a use, at most once per CHEMVIZ_TOKEN_TOUCH_SECONDS (an UPDATE: no audit entry)."""
    now = now or timezone.now()
    every = timedelta(seconds=getattr(settings, "CHEMVIZ_TOKEN_TOUCH_SECONDS", 60))
    if token.last_used is None or now - token.last_used >= every:
        APIToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def revoke_all(user_or_id) -> int:
    """Delete every token of a user (new password, Basic sign-out). Returns how many."""
    user_id = getattr(user_or_id, "pk", user_or_id)
    return APIToken.objects.filter(user_id=user_id).delete()[1].get(APIToken._meta.label, 0)
