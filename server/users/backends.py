"""Django's ModelBackend behind the sign-in lock (see guard.py): a locked account or address is
refused before the password hash is computed, and at most CHEMVIZ_HASHES_AT_ONCE hashes run at
once per process (default 2; the hash is slow on purpose). A sign-in that finds them all busy for
a second is answered 429, so a flood of wrong passwords cannot occupy every server thread.
The user a password or a session is accepted for becomes the request's actor (audit log)."""
from __future__ import annotations

import threading

from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from . import actor, guard

_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()
WAIT_SECONDS = 0.05   # waiting would hold a server thread: a busy answer frees it


def _hash_slots() -> threading.BoundedSemaphore:
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.CHEMVIZ_HASHES_AT_ONCE)
        return _slots


class GuardedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        guard.check(username, request)
        slots = _hash_slots()
        if not slots.acquire(timeout=WAIT_SECONDS):
            raise guard.SignInBusy()
        try:
            user = super().authenticate(request, username=username, password=password, **kwargs)
        finally:
            slots.release()
        if user is not None:
            guard.record_success(username)
            actor.set_user(user, "password")
        return user

    def get_user(self, user_id):
        """The session's user (Django's auth middleware and DRF's SessionAuthentication ask the
        backend the session names). A Token or Basic user already accepted for this request wins."""
        user = super().get_user(user_id)
        if user is not None:
            actor.set_user(user, "session", only_if_unset=True)
        return user
