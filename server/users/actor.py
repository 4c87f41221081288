"""Who is acting in the current request: the user an authentication class or the session
accepted, and the client address. Read by the audit log (server.audit) so that writes made
anywhere below a request (views, services, signals) are attributed without passing the request
around. Cleared when each request starts and finishes (the server reuses threads); outside a
request (CLI, shell, migrations) it is empty unless `acting_as` sets it."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from django.core.signals import request_finished, request_started


@dataclass(frozen=True)
class Actor:
    user: object | None = None     # a User, or None for the system / an anonymous request
    ip: str = ""
    via: str = ""                  # "token", "basic", "session", "password", "cli" ...


_NOBODY = Actor()
_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("chemviz_actor", default=None)


def current() -> Actor:
    return _current.get() or _NOBODY


def set_user(user, via: str, *, only_if_unset: bool = False) -> None:
    now = current()
    if only_if_unset and now.user is not None:
        return
    _current.set(Actor(user, now.ip, via))


@contextmanager
def acting_as(user, via: str = "cli", ip: str = ""):
    """Attribute the writes inside the block to `user` (management commands, scripts, tests)."""
    token = _current.set(Actor(user, ip, via))
    try:
        yield
    finally:
        _current.reset(token)


def _start(sender, environ=None, **kwargs):
    from .guard import client_ip

    class _Meta:   # guard.client_ip reads request.META; the WSGI environ is that dict
        META = environ or {}
    _current.set(Actor(None, client_ip(_Meta) if environ else "", ""))


def _finish(sender, **kwargs):
    _current.set(None)


request_started.connect(_start, dispatch_uid="chemviz-actor-start")
request_finished.connect(_finish, dispatch_uid="chemviz-actor-finish")
