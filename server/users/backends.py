"""Django's ModelBackend behind the sign-in lock (see guard.py): a locked account or address is
refused before the password hash is computed, so guessing costs the server almost nothing."""
from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from . import guard


class GuardedModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        guard.check(username, request)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            guard.record_success(username)
        return user
