"""The Celery task: acknowledged only when it returns (acks_late), given back to the queue when
its worker process dies (reject_on_worker_lost), retried with backoff on an error. Its body is
jobs.run_import, the same code the web process runs without a broker. The number of tries is
the job's (CHEMVIZ_IMPORT_MAX_ATTEMPTS, counted in the database, so a redelivery after a lost
worker counts too): past it the job fails with the last error instead of running again."""
from __future__ import annotations

import os

from server.chemviz_server.celery_app import app

from . import jobs

BUSY_RETRY_SECONDS = 5


@app.task(bind=True, name="chemviz.process_import", acks_late=True, reject_on_worker_lost=True,
          ignore_result=True, max_retries=None)
def process_import(self, job_id: int) -> str:
    try:
        return jobs.run_import(job_id, worker=f"{self.request.hostname or 'worker'} pid {os.getpid()}")
    except jobs.JobBusy as exc:   # another worker has it, or a dead one's connection is closing
        raise self.retry(exc=exc, countdown=BUSY_RETRY_SECONDS) from exc
    except Exception as exc:
        raise self.retry(exc=exc, countdown=min(60, 2 ** min(self.request.retries, 6))) from exc
