"""Seed §2.3.3 `analytics_csvimport` (the async job the seed kept for Phase 3), with what the
worker needs to redo it exactly: the stored file, who sent it, client_id, the snapshot time."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


TERMINAL = (JobStatus.COMPLETED, JobStatus.FAILED)


class ImportJob(models.Model):
    file_name = models.CharField(max_length=255)
    # the upload's bytes in the default storage (STORAGES["default"]: local disk, or S3 through
    # django-storages) until the job ends; the dataset keeps its own copy
    file = models.FileField(upload_to="imports/", max_length=500, blank=True)
    file_size = models.BigIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64, blank=True, default="")
    client_id = models.UUIDField(null=True, blank=True)
    # snapshot rows are stored at this time (fixed when the job is made, so a re-run writes the
    # same readings rather than a second set at a later time)
    taken_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING,
                              db_index=True)
    records_imported = models.IntegerField(default=0)
    records_failed = models.IntegerField(default=0)
    error_log = models.TextField(blank=True, default="")
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="import_jobs")
    dataset = models.ForeignKey("analytics.CSVDataset", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="import_jobs")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)    # last sent to the workers
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0)      # times a worker (or the web process) took it up
    worker = models.CharField(max_length=200, blank=True, default="")   # who took it up last

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["imported_by", "client_id"], name="importjob_unique_client_id"),
        ]
        verbose_name = "upload import"

    def __str__(self) -> str:
        return f"import #{self.pk} {self.file_name} ({self.status})"
