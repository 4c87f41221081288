"""Failed sign-ins counted per account and per client address; past a limit that account or
address is locked out for a while, before any password hash is computed.

Every sign-in path goes through Django's `authenticate()` (API login and token, Basic auth, the
Django admin), so the backend in `backends.py` checks the lock and the `user_login_failed` signal
counts failures. Counters live in the "signin" cache (per process unless CACHES names a shared
one).

Settings: CHEMVIZ_LOCKOUT_FAILURES (per account, default 10), CHEMVIZ_LOCKOUT_ADDRESS_FAILURES
(per address, default 30), CHEMVIZ_LOCKOUT_SECONDS (window and lock length, default 900),
CHEMVIZ_TRUSTED_PROXIES (how many proxies in front append to X-Forwarded-For; default 0: the
header is ignored and the socket address counts)."""
from __future__ import annotations

import hashlib
import logging
import math
import time

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError

log = logging.getLogger("server.auth")


def _cache():
    return caches["signin"]


class SignInRefused(ValidationError):
    """Raised instead of checking a password. A ValidationError, so the admin login form shows it;
    the API answers 429 with Retry-After (server.api.errors)."""

    def __init__(self, message: str, wait: int, code: str):
        self.wait = wait
        super().__init__(message, code=code)


class LockedOut(SignInRefused):
    def __init__(self, what: str, wait: int):
        minutes = max(1, math.ceil(wait / 60))
        super().__init__(f"Too many failed sign-ins for this {what}; try again in {minutes} "
                         f"minute{'s' if minutes != 1 else ''}.", wait, "locked_out")


class SignInBusy(SignInRefused):
    def __init__(self, wait: int = 2):
        super().__init__("The server is busy checking other sign-ins; try again in a moment.", wait, "busy")


def client_ip(request) -> str:
    """The socket address, or the address the trusted proxies saw (CHEMVIZ_TRUSTED_PROXIES)."""
    meta = getattr(request, "META", None) or {}
    proxies = getattr(settings, "CHEMVIZ_TRUSTED_PROXIES", 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return meta.get("REMOTE_ADDR") or "unknown"


def _keys(username: str | None, ip: str) -> list[tuple[str, str, int]]:
    """(cache key suffix, what, failure limit) for the account and the address."""
    keys = [("ip:" + hashlib.sha256(ip.encode()).hexdigest()[:32], "address",
             settings.CHEMVIZ_LOCKOUT_ADDRESS_FAILURES)]
    if username:
        name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
        keys.append(("user:" + name, "account", settings.CHEMVIZ_LOCKOUT_FAILURES))
    return keys


def check(username: str | None, request) -> None:
    """Raise LockedOut when the account or the client address is locked."""
    now = time.time()
    for suffix, what, _limit in _keys(username, client_ip(request)):
        until = _cache().get("authlock:" + suffix)
        if until and until > now:
            raise LockedOut(what, math.ceil(until - now))


def record_failure(username: str | None, request) -> None:
    """Count one failed sign-in; lock the account/address that reached its limit."""
    ip = client_ip(request)
    window = settings.CHEMVIZ_LOCKOUT_SECONDS
    for suffix, what, limit in _keys(username, ip):
        key = "authfail:" + suffix
        _cache().add(key, 0, window)
        try:
            count = _cache().incr(key)
        except ValueError:   # expired between add and incr
            _cache().set(key, 1, window)
            count = 1
        if count >= limit:
            _cache().set("authlock:" + suffix, time.time() + window, window)
            _cache().delete(key)
            log.warning("sign-in locked for %s s: %s %s after %d failures", window, what,
                        username if what == "account" else ip, count)
    log.warning("failed sign-in for %r from %s", (username or "")[:150], ip)


def record_success(username: str | None) -> None:
    """A correct password resets the account's failure count (the address count stays)."""
    if username:
        _cache().delete("authfail:" + _keys(username, "")[1][0])
