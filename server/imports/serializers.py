"""Seed §3 `GET analytics/csv/import/{id}/` shape (id, file_name, status, records_imported,
records_failed, error_log, imported_by, created_at, completed_at), plus dataset_id, started_at
and attempts."""
from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from server.analytics.serializers import UploaderSerializer

from .models import ImportJob


class ImportJobSerializer(serializers.ModelSerializer):
    imported_by = UploaderSerializer(allow_null=True)

    class Meta:
        model = ImportJob
        fields = ["id", "file_name", "status", "records_imported", "records_failed", "error_log",
                  "imported_by", "created_at", "completed_at", "dataset_id", "started_at", "attempts"]


def job_path(job: ImportJob) -> str:
    return reverse("csv-import", args=[job.pk])


def accepted_body(job: ImportJob, created: bool = True) -> dict[str, Any]:
    """202 body of a queued upload: where to poll and what it is."""
    return {"import_id": job.pk, "id": job.pk, "status": job.status, "created": created,
            "file_name": job.file_name, "status_url": job_path(job),
            "message": "Upload received; it is processed in the background. Poll status_url.",
            "created_at": serializers.DateTimeField().to_representation(job.created_at)}
