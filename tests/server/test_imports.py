"""Upload import jobs (server.imports): the seed's `analytics/csv/import/{id}/` shape, the 202
branch of the upload, the task body run in-process (no broker), idempotence, all-or-nothing
writes, stale `processing` jobs put back or failed. The Celery/Redis/PostgreSQL fault test is in
test_postgres_celery.py."""
from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from srv_helpers import API, CLEAN_CSV, PARTLY_BAD_CSV, big_csv, upload

from server.analytics.models import CSVDataset
from server.equipment.models import Equipment, ParameterHistory
from server.imports import jobs
from server.imports.models import ImportJob, JobStatus

SEED_KEYS = {"id", "file_name", "status", "records_imported", "records_failed", "error_log", "imported_by",
             "created_at", "completed_at"}


@pytest.fixture
def queue(settings, monkeypatch):
    """A broker 'configured' (every upload queued); what would be sent to it is recorded."""
    settings.CELERY_BROKER_URL = "redis://broker.invalid:6379/0"
    settings.CHEMVIZ_ASYNC_UPLOAD_BYTES = 0
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", lambda job_id: sent.append(job_id) or True)
    return sent


def test_without_a_broker_uploads_stay_synchronous_and_submit_runs_in_process(
        users, client_for, django_capture_on_commit_callbacks):
    assert not jobs.queue_enabled() and not jobs.defers(10**9)
    r = upload(client_for("engineer"))
    assert r.status_code == 200, r.content                  # the view's synchronous path, unchanged
    with django_capture_on_commit_callbacks(execute=True):
        sub = jobs.submit_upload(users["eve"], CLEAN_CSV, "plant.csv")
    assert not list((Path(settings.MEDIA_ROOT) / "imports").iterdir())
    assert not sub.queued and sub.created
    job = sub.job
    assert job.status == JobStatus.COMPLETED and job.records_imported == 4 and job.records_failed == 0
    assert job.attempts == 1 and job.worker.startswith("in-process@")
    assert job.dataset.readings.count() == 4 and not job.file      # the job's copy of the file is gone
    body = client_for("viewer").get(f"{API}analytics/csv/import/{job.pk}/").json()
    assert SEED_KEYS <= set(body)
    assert body["status"] == "completed" and body["records_imported"] == 4
    assert body["imported_by"] == {"id": users["eve"].pk, "username": "eve"}
    assert body["dataset_id"] == job.dataset_id and body["completed_at"]


def test_rows_excluded_are_records_failed_with_the_row_errors(users):
    job = jobs.submit_upload(users["eve"], PARTLY_BAD_CSV, "partly.csv").job
    assert job.status == "completed" and (job.records_imported, job.records_failed) == (2, 2)
    assert "Row " in job.error_log


def test_a_rejected_file_fails_with_the_reason(users):
    job = jobs.submit_upload(users["eve"], b"just,some,columns\n1,2,3\n", "bad.csv").job
    assert job.status == JobStatus.FAILED and job.error_log and job.completed_at
    assert job.dataset_id is None and not CSVDataset.objects.exists()


def test_large_upload_answers_202_with_location_and_the_job_completes(users, client_for, queue):
    cid = str(uuid.uuid4())
    eve = client_for("engineer")
    r = upload(eve, fields={"client_id": cid})
    assert r.status_code == 202, r.content
    body = r.json()
    job_id = body["import_id"]
    assert queue == [job_id] and body["status"] == "pending" and body["created"] is True
    assert r["Location"].endswith(f"/api/v1/analytics/csv/import/{job_id}/")
    assert eve.get(r["Location"]).json()["status"] == "pending"
    # the same client_id and bytes: the same job; other bytes: 409
    again = upload(eve, fields={"client_id": cid})
    assert again.status_code == 202 and again.json()["import_id"] == job_id and again.json()["created"] is False
    assert upload(eve, PARTLY_BAD_CSV, fields={"client_id": cid}).status_code == 409
    assert queue == [job_id]
    assert ImportJob.objects.get(pk=job_id).content_sha256 == ""     # hashed by the task, not the request
    assert jobs.run_import(job_id, worker="test") == "completed"
    assert ImportJob.objects.get(pk=job_id).content_sha256 == hashlib.sha256(CLEAN_CSV).hexdigest()
    done = eve.get(f"{API}analytics/csv/import/{job_id}/").json()
    assert done["status"] == "completed" and done["records_imported"] == 4
    ds = CSVDataset.objects.get(pk=done["dataset_id"])
    assert str(ds.client_id) == cid and ds.readings.count() == 4
    # the finished dataset now answers the client_id, as a synchronous upload's would
    assert upload(eve, fields={"client_id": cid}).json()["dataset_id"] == ds.pk


def test_a_large_queued_upload_is_stored_as_sent_and_a_repeat_with_other_bytes_is_409(users, client_for, queue):
    """Over FILE_UPLOAD_MAX_MEMORY_SIZE the upload spools to a temporary file, which becomes the
    job's file (moved, not read into memory); a repeat of its client_id is compared by content."""
    data = big_csv(60_000)
    assert len(data) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    cid = str(uuid.uuid4())
    eve = client_for("engineer")
    r = upload(eve, data, fields={"client_id": cid})
    assert r.status_code == 202, r.content
    job = ImportJob.objects.get(pk=r.json()["import_id"])
    with job.file.open("rb") as fh:
        assert fh.read() == data and job.file_size == len(data)
    assert upload(eve, data, fields={"client_id": cid}).status_code == 202
    assert upload(eve, data[:-40] + data[-40:].replace(b"5", b"6"), fields={"client_id": cid}).status_code == 409
    assert jobs.run_import(job.pk, worker="test") == "completed"
    assert ImportJob.objects.get(pk=job.pk).records_imported == 60_000


def test_a_viewer_cannot_upload_and_an_unknown_import_is_404(users, client_for, queue):
    assert upload(client_for("viewer")).status_code == 403
    assert client_for("viewer").get(f"{API}analytics/csv/import/999999/").status_code == 404


def test_a_finished_job_is_never_redone(users, queue):
    job = jobs.submit_upload(users["eve"], CLEAN_CSV, "a.csv", queue=True).job
    assert jobs.run_import(job.pk) == "completed"
    before = (CSVDataset.objects.count(), ParameterHistory.objects.count())
    assert jobs.run_import(job.pk) == "completed"            # a duplicate delivery
    job.refresh_from_db()
    assert job.attempts == 1 and (CSVDataset.objects.count(), ParameterHistory.objects.count()) == before


def test_a_crash_mid_write_leaves_no_rows_and_the_rerun_writes_each_reading_once(users, queue, monkeypatch):
    """The failure comes after the readings were inserted: the one transaction rolls all back,
    the job goes back to pending; the re-run stores the dataset, equipment and readings once."""
    from server.equipment import services as eq_services
    data = big_csv(300)
    job = jobs.submit_upload(users["eve"], data, "big.csv", queue=True).job
    real = eq_services._take_newest

    def crash(*args, **kwargs):
        assert ParameterHistory.objects.count() == 300         # written, not yet committed
        raise ConnectionError("worker lost the database")
    monkeypatch.setattr(eq_services, "_take_newest", crash)
    with pytest.raises(ConnectionError):
        jobs.run_import(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and "ConnectionError" in job.error_log
    assert (CSVDataset.objects.count(), Equipment.objects.count(), ParameterHistory.objects.count()) == (0, 0, 0)
    monkeypatch.setattr(eq_services, "_take_newest", real)
    assert jobs.run_import(job.pk) == "completed"
    job.refresh_from_db()
    assert job.attempts == 2 and job.records_imported == 300
    assert (CSVDataset.objects.count(), Equipment.objects.count(), ParameterHistory.objects.count()) == (1, 300, 300)
    assert set(ParameterHistory.objects.values_list("timestamp", flat=True)) == {job.taken_at}


def _abandon(job: ImportJob, attempts: int, seconds_ago: int) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.PROCESSING, attempts=attempts, worker="w1@gone",
                                               started_at=timezone.now() - timedelta(seconds=seconds_ago))


def test_a_job_left_processing_by_a_dead_worker_is_queued_again_then_completes(users, client_for, queue, settings):
    settings.CHEMVIZ_IMPORT_STALE_SECONDS = 60
    job = jobs.submit_upload(users["eve"], CLEAN_CSV, "a.csv", queue=True).job
    _abandon(job, attempts=1, seconds_ago=2)
    assert jobs.reap_stale() == []      # just started (SQLite: stale by age; PostgreSQL: unlocked for 5 s)
    _abandon(job, attempts=1, seconds_ago=120)
    body = client_for("engineer").get(f"{API}analytics/csv/import/{job.pk}/").json()   # polling reaps it
    assert body["status"] == "pending" and "interrupted" in body["error_log"]
    assert queue == [job.pk, job.pk]
    assert jobs.run_import(job.pk) == "completed"
    job.refresh_from_db()
    assert job.attempts == 2 and job.dataset.readings.count() == 4


def test_a_job_whose_workers_keep_dying_fails_with_the_reason(users, client_for, queue, settings):
    settings.CHEMVIZ_IMPORT_STALE_SECONDS = 60
    settings.CHEMVIZ_IMPORT_MAX_ATTEMPTS = 3
    job = jobs.submit_upload(users["eve"], CLEAN_CSV, "a.csv", queue=True).job
    _abandon(job, attempts=3, seconds_ago=120)
    body = client_for("engineer").get(f"{API}analytics/csv/import/{job.pk}/").json()
    assert body["status"] == "failed" and "3 attempts" in body["error_log"] and "interrupted" in body["error_log"]
    assert not CSVDataset.objects.exists()


def test_without_a_broker_an_abandoned_job_fails_instead_of_waiting_forever(users, settings):
    settings.CHEMVIZ_IMPORT_STALE_SECONDS = 60
    job = jobs.submit_upload(users["eve"], CLEAN_CSV, "a.csv").job
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.COMPLETED)   # finished ones are left alone
    _abandon(jobs.submit_upload(users["ed"], CLEAN_CSV, "b.csv").job, attempts=1, seconds_ago=120)
    jobs.reap_stale()
    states = dict(ImportJob.objects.values_list("imported_by__username", "status"))
    assert states == {"eve": "completed", "ed": "failed"}
    assert "no task queue" in ImportJob.objects.get(imported_by__username="ed").error_log


def test_the_task_is_late_acknowledged_and_given_back_when_its_worker_dies():
    pytest.importorskip("celery")
    from server.chemviz_server.celery_app import app
    from server.imports.tasks import process_import
    assert process_import.acks_late and process_import.reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
