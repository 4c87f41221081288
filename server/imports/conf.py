"""The import queue's settings: each from Django settings when set there, else the environment.

CELERY_BROKER_URL      redis://host:6379/0 — unset: no queue, every upload is processed in the
                       web process (the embedded `main.py serve` default)
CELERY_RESULT_BACKEND  default: the broker URL (task results are not used; job state is in the DB)
CHEMVIZ_ASYNC_UPLOAD_BYTES   uploads of at least this many bytes go to the queue (202) when a
                       broker is set [1 MiB, about 20,000 rows]; smaller ones stay synchronous (200)
CHEMVIZ_IMPORT_STALE_SECONDS a job in `processing` this long is taken as abandoned by a dead
                       worker on databases without row locks (SQLite) [900]; on PostgreSQL a
                       job is abandoned as soon as no transaction holds its row lock
CHEMVIZ_IMPORT_MAX_ATTEMPTS  a job whose worker died this many times fails with the reason [3]
CELERY_VISIBILITY_TIMEOUT    seconds before Redis hands an unacknowledged task to another worker [3600]
CHEMVIZ_CELERY_QUEUE   queue name [chemviz] (servers sharing one Redis keep apart by name or db)
"""
from __future__ import annotations

import os

from django.conf import settings

LOCK_GRACE_SECONDS = 5   # PostgreSQL: a claimed job takes its row lock within this


def _get(name: str, default: str | None = None) -> str | None:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return None if value in (None, "") else str(value)


def broker_url() -> str | None:
    return _get("CELERY_BROKER_URL")


def result_backend() -> str | None:
    return _get("CELERY_RESULT_BACKEND") or broker_url()


def async_bytes() -> int:
    return max(0, int(_get("CHEMVIZ_ASYNC_UPLOAD_BYTES", str(1024 * 1024)) or 0))


def stale_seconds() -> int:
    return max(1, int(_get("CHEMVIZ_IMPORT_STALE_SECONDS", "900") or 900))


def max_attempts() -> int:
    return max(1, int(_get("CHEMVIZ_IMPORT_MAX_ATTEMPTS", "3") or 3))


def visibility_timeout() -> int:
    return max(1, int(_get("CELERY_VISIBILITY_TIMEOUT", "3600") or 3600))


def queue_name() -> str:
    return _get("CHEMVIZ_CELERY_QUEUE", "chemviz") or "chemviz"
