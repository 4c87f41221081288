"""Upload imports as jobs: `submit_upload` stores the bytes (Django STORAGES) and an ImportJob,
then either queues it for a Celery worker (a broker is set and the upload is large) or runs it
here; `run_import` is the one task body either way, and it processes the bytes with the same
calls as the synchronous upload (upload_guard.check -> engine.load -> analytics
services.store_upload).

Guarantees (issue 17, "Scaling out"):
* idempotent: a job already completed or failed is never redone; a duplicate delivery of a job
  another worker is processing right now is dropped (PostgreSQL row lock, NOWAIT);
* all or nothing: the dataset, its equipment, its readings and the job's `completed` are written
  in ONE transaction, so a worker killed mid-write leaves no rows (the database rolls the
  transaction back when the connection drops) and a re-run writes the same readings (snapshot rows
  at the job's fixed `taken_at`; readings are upserts on equipment + time);
* never stuck in `processing`: `reap_stale` puts a job whose worker died back to `pending` and
  queues it again (or fails it, with the reason, after CHEMVIZ_IMPORT_MAX_ATTEMPTS tries). On
  PostgreSQL a processing job whose row lock nobody holds has lost its worker; on SQLite, a job
  processing for CHEMVIZ_IMPORT_STALE_SECONDS. It runs when a worker starts, before each task
  and when a client polls `analytics/csv/import/{id}/`. The broker also redelivers a task whose
  worker died (acks_late, reject_on_worker_lost, Redis visibility timeout).
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import engine
from server.analytics import services, upload_guard

from . import conf
from .models import TERMINAL, ImportJob, JobStatus

log = logging.getLogger("server.imports")
ERROR_LOG_LIMIT = 64 * 1024      # characters of error_log kept


class JobBusy(Exception):
    """Another process holds the job's row lock (it is processing it, or its connection is still
    being closed after it died): try again in a few seconds."""


class ClientIdConflict(Exception):
    """A client_id already names an import of different bytes (the upload view answers 409)."""

    def __init__(self, job: ImportJob):
        super().__init__(f"This client_id was already used for a different file ('{job.file_name}', "
                         f"import {job.pk}); send a new client_id for a new upload.")
        self.job = job


@dataclass
class Submitted:
    job: ImportJob
    created: bool          # False: a repeat of a client_id with the same bytes (the existing job)
    queued: bool           # True: a worker will process it (answer 202); False: done here


def queue_enabled() -> bool:
    return conf.broker_url() is not None


def defers(size: int) -> bool:
    """Whether an upload of `size` bytes is queued (202) rather than processed in the request."""
    return queue_enabled() and size >= conf.async_bytes()


def submit_upload(user, data: bytes | File, file_name: str, client_id: uuid.UUID | None = None,
                  taken_at: datetime | None = None, *, queue: bool | None = None) -> Submitted:
    """Store the upload and make its ImportJob; queue it when `queue` (default: `defers(size)`)
    else process it now, in this process, with the same task code. A client_id seen before with
    the same bytes returns that job; with other bytes raises ClientIdConflict. An uploaded file
    is stored as it is (a temporary upload is moved into the storage, not copied)."""
    size = len(data) if isinstance(data, bytes) else int(data.size or 0)
    if queue is None:
        queue = defers(size)
    if client_id is not None:
        existing = ImportJob.objects.filter(imported_by=user, client_id=client_id).first()
        if existing is not None:
            if not _same_bytes(existing, data):
                raise ClientIdConflict(existing)
            return Submitted(existing, False, queue and existing.status not in TERMINAL)
    # the content hash is left to the task (it reads the bytes anyway): hashing 50 MB here took
    # ~70 ms of the 202's time, and only a repeat of the client_id needs it before then
    job = ImportJob(file_name=file_name, imported_by=user, client_id=client_id, file_size=size,
                    taken_at=taken_at or timezone.now())
    job.file.save(f"{uuid.uuid4().hex}_{file_name}", ContentFile(data) if isinstance(data, bytes) else data,
                  save=False)
    try:
        with transaction.atomic():
            job.save()
    except Exception:
        job.file.storage.delete(job.file.name)
        existing = (ImportJob.objects.filter(imported_by=user, client_id=client_id).first()
                    if client_id is not None else None)
        if existing is None:          # not a concurrent repeat of the same client_id
            raise
        if not _same_bytes(existing, data):
            raise ClientIdConflict(existing) from None
        return Submitted(existing, False, queue and existing.status not in TERMINAL)
    if queue and _enqueue(job.pk):
        return Submitted(job, True, True)
    try:
        run_import(job.pk, worker=_here())
    except Exception as exc:  # noqa: BLE001 -- no queue to retry it: the job fails with the reason
        log.exception("import %s failed in-process", job.pk)
        fail_after_retries(job.pk, exc)
    job.refresh_from_db()
    return Submitted(job, True, False)


def _same_bytes(job: ImportJob, data: bytes | File) -> bool:
    """Whether `data` are the bytes `job` was made from: its hash, set by the task, or (not run
    yet) its stored file hashed now. A job whose bytes are gone unhashed cannot tell: the same."""
    theirs = job.content_sha256
    if not theirs and job.file:
        try:
            with job.file.open("rb") as fh:
                theirs = services.content_sha256(File(fh))
        except (FileNotFoundError, OSError, ValueError):
            theirs = ""
    return not theirs or theirs == services.content_sha256(data)


def _here() -> str:
    return f"in-process@{socket.gethostname()}:{os.getpid()}"


def _enqueue(job_id: int) -> bool:
    """Send the job to the workers; False (logged) when the broker cannot be reached."""
    from .tasks import process_import
    ImportJob.objects.filter(pk=job_id).update(queued_at=timezone.now())
    try:
        process_import.apply_async((job_id,), retry=True,
                                   retry_policy={"max_retries": 2, "interval_start": 0.2,
                                                 "interval_step": 0.5, "interval_max": 1})
    except Exception as exc:  # noqa: BLE001 -- any broker failure: process it here instead
        log.warning("import %s: cannot reach the task broker (%s); processing it in the web process",
                    job_id, exc)
        return False
    return True


# -- the task body ---------------------------------------------------------------------------------

def _row_locks() -> bool:
    return connection.features.has_select_for_update_nowait


def _locked(queryset, nowait: bool = False):
    if not _row_locks():
        return queryset
    return queryset.select_for_update(nowait=nowait)


def _capped(text: str) -> str:
    return text if len(text) <= ERROR_LOG_LIMIT else text[:ERROR_LOG_LIMIT - 1] + "…"


def _claim(job_id: int, worker: str) -> ImportJob | None:
    """Mark the job processing (committed, so clients see it) unless it is finished, missing, or
    being processed by a live worker right now (its row is locked). Too many lost workers: failed."""
    try:
        with transaction.atomic():
            job = _locked(ImportJob.objects.filter(pk=job_id), nowait=True).first()
            if job is None or job.status in TERMINAL:
                return None
            if job.attempts >= conf.max_attempts():
                _finish_failed(job, _gave_up(job))
                return None
            job.status = JobStatus.PROCESSING
            job.started_at = timezone.now()
            job.attempts += 1
            job.worker = worker[:200]
            job.save(update_fields=["status", "started_at", "attempts", "worker"])
            return job
    except DatabaseError as exc:
        if _is_lock_busy(exc):
            raise JobBusy(f"import {job_id} is locked by another process") from exc
        raise


def _gave_up(job: ImportJob) -> str:
    last = f" Last: {job.error_log}" if job.error_log else ""
    return f"The import did not finish after {job.attempts} attempts; upload the file again.{last}"


def _is_lock_busy(exc: BaseException) -> bool:
    cause = exc.__cause__
    return type(cause).__name__ == "LockNotAvailable" or "could not obtain lock" in str(exc)


def _finish_failed(job: ImportJob, reason: str, records_failed: int | None = None) -> None:
    job.status = JobStatus.FAILED
    job.error_log = _capped(reason)
    job.completed_at = timezone.now()
    if records_failed is not None:
        job.records_failed = records_failed
    _drop_file_on_commit(job)
    job.save(update_fields=["status", "error_log", "completed_at", "records_failed", "file", "content_sha256"])


def _drop_file_on_commit(job: ImportJob) -> None:
    """A finished job's copy of the upload goes once the outcome is committed (the dataset keeps
    its own)."""
    name, storage = job.file.name, job.file.storage
    job.file = ""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _rejection(report) -> str:
    lines = [report.summary()]
    lines += [(f"Row {i.row}: " if i.row is not None else "") + i.message
              for i in report.issues if i.severity == "error"]
    return "\n".join(lines)


def run_import(job_id: int, *, worker: str = "") -> str:
    """Process one job; returns its status afterwards (a finished job is returned as it is).
    Raises JobBusy when another process holds the job, and any unexpected error after putting the
    job back to `pending` (a retry or the reaper takes it up again; CHEMVIZ_IMPORT_MAX_ATTEMPTS
    attempts in all, then it fails with the last error)."""
    reap_stale()
    job = _claim(job_id, worker or _here())
    if job is None:
        found = ImportJob.objects.filter(pk=job_id).values_list("status", flat=True).first()
        return found or "missing"
    try:
        with transaction.atomic():
            # the row lock is held until the end: it tells other processes this job is alive
            job = _locked(ImportJob.objects.filter(pk=job_id)).get()
            if job.status != JobStatus.PROCESSING:
                return job.status
            _process(job)
        return job.status
    except Exception as exc:
        with transaction.atomic():
            ImportJob.objects.filter(pk=job_id, status=JobStatus.PROCESSING).update(
                status=JobStatus.PENDING, error_log=_capped(f"Attempt {job.attempts} stopped: "
                                                            f"{type(exc).__name__}: {exc}"))
        raise


def _process(job: ImportJob) -> None:
    """Inside the job's transaction: read the stored file, validate, store dataset + equipment
    + readings (the synchronous upload's calls), mark the job completed or failed."""
    try:
        fh = job.file.open("rb")
    except (FileNotFoundError, OSError, ValueError) as exc:
        _finish_failed(job, f"The uploaded file is no longer in storage ({exc}); upload it again.")
        return
    with fh:   # read by the engine itself, so its copy of the bytes goes once parsed
        job.content_sha256 = job.content_sha256 or services.content_sha256(fh)   # saved with the outcome
        refusal = upload_guard.check(upload_guard.head(fh))
        if refusal is not None:
            _finish_failed(job, f"Rejected: {refusal.message}")
            return
        result = engine.load(fh, file_name=job.file_name, max_bytes=settings.CHEMVIZ_MAX_UPLOAD_BYTES)
        report = result.report
        if not result.accepted:
            _finish_failed(job, _rejection(report), records_failed=report.rows_total)
            return
        if job.dataset_id is not None:       # a dataset left by an earlier run is replaced
            services.delete_dataset(job.dataset)
        fh.seek(0)
        outcome = services.store_upload(job.imported_by, fh, job.file_name, job.client_id, result, job.taken_at)
    ds = outcome.dataset
    job.dataset = ds
    job.status = JobStatus.COMPLETED
    job.records_imported = report.rows_accepted
    job.records_failed = report.rows_excluded
    job.error_log = _capped(ds.error_log if ds is not None else "")
    job.completed_at = timezone.now()
    _drop_file_on_commit(job)
    job.save(update_fields=["dataset", "status", "records_imported", "records_failed", "error_log",
                            "completed_at", "file", "content_sha256"])


def fail_after_retries(job_id: int, exc: BaseException) -> None:
    """No more tries (in-process, without a queue): the job fails with the error as its reason."""
    with transaction.atomic():
        job = _locked(ImportJob.objects.filter(pk=job_id)).first()
        if job is not None and job.status not in TERMINAL:
            _finish_failed(job, f"The import failed after {job.attempts} attempts: {type(exc).__name__}: {exc}")


# -- abandoned jobs --------------------------------------------------------------------------------

def reap_stale(job_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Jobs whose worker died: back to `pending` and queued again (failed, with the reason, after
    CHEMVIZ_IMPORT_MAX_ATTEMPTS). A job pending since it was queued over
    CHEMVIZ_IMPORT_STALE_SECONDS ago is queued again (a lost message; a duplicate is harmless).
    Without a broker a job cannot be queued: it fails with the reason. Returns the ids queued."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=conf.stale_seconds())
    locks = connection.features.has_select_for_update_skip_locked
    processing = ImportJob.objects.filter(status=JobStatus.PROCESSING)
    lost = ImportJob.objects.filter(status=JobStatus.PENDING, queued_at__lt=stale)
    if job_id is not None:
        processing, lost = processing.filter(pk=job_id), lost.filter(pk=job_id)
    if locks:   # a live worker holds its job's row lock: those are skipped
        processing = processing.filter(started_at__lt=now - timedelta(seconds=conf.LOCK_GRACE_SECONDS))
        processing = processing.select_for_update(skip_locked=True)
        lost = lost.select_for_update(skip_locked=True)
    else:
        processing = processing.filter(started_at__lt=stale)
    queue = queue_enabled()
    requeue: list[int] = []
    with transaction.atomic():
        for job in list(processing.order_by("started_at")[:100]) + list(lost.order_by("queued_at")[:100]):
            if job.status == JobStatus.PROCESSING:
                job.error_log = _capped(f"Attempt {job.attempts} was interrupted ({job.worker or 'its worker'} "
                                        "stopped or lost the database).")
            if job.attempts >= conf.max_attempts():
                _finish_failed(job, _gave_up(job))
                continue
            if not queue:
                _finish_failed(job, "The server stopped while processing this upload and has no task queue "
                                    f"to retry it; upload the file again. {job.error_log}".strip())
                continue
            job.status = JobStatus.PENDING
            job.queued_at = now
            job.save(update_fields=["status", "error_log", "queued_at"])
            requeue.append(job.pk)
    for pk in requeue:
        log.warning("import %s: its worker was lost or its message is overdue; queued again", pk)
        _enqueue(pk)
    return requeue
