"""The Celery app for upload imports (server.imports.tasks). Broker and result store from
CELERY_BROKER_URL / CELERY_RESULT_BACKEND (redis://...; see server/imports/conf.py); started by
`python main.py worker`, or `celery -A server.chemviz_server.celery_app worker`.

Tasks are acknowledged after they run (acks_late) and given back when a worker process dies
(task_reject_on_worker_lost); a worker takes one task at a time (prefetch 1), so a killed worker
holds back no other job. Redis hands an unacknowledged task to another worker after
CELERY_VISIBILITY_TIMEOUT seconds (the import's own reaper usually takes it up sooner)."""
from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.chemviz_server.settings")


class _Config:
    """Read when Celery first needs its configuration (Django settings are loaded by then)."""

    task_acks_late = True
    task_reject_on_worker_lost = True
    task_serializer = "json"
    accept_content = ["json"]
    result_serializer = "json"
    task_ignore_result = True
    worker_prefetch_multiplier = 1
    broker_connection_retry_on_startup = True
    worker_hijack_root_logger = False
    timezone = "UTC"

    @property
    def broker_url(self):
        from server.imports import conf
        return conf.broker_url()

    @property
    def result_backend(self):
        from server.imports import conf
        return conf.result_backend()

    @property
    def task_default_queue(self):
        from server.imports import conf
        return conf.queue_name()

    @property
    def broker_transport_options(self):
        from server.imports import conf
        return {"visibility_timeout": conf.visibility_timeout()}


app = Celery("chemviz")
app.config_from_object(_Config())
app.conf.include = ["server.imports.tasks"]


@worker_ready.connect
def _reap_on_start(**_kwargs) -> None:
    """A worker that starts takes up the jobs a dead worker left in `processing`."""
    from server.imports import jobs
    jobs.reap_stale()
