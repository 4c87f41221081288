"""Seed §2.2 analytics_csvdataset, plus the validation report and the desktop's client_id."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Status(models.TextChoices):
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class CSVDataset(models.Model):
    file_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="csv_uploads/", max_length=500)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="datasets")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    row_count = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROCESSING)
    error_log = models.TextField(blank=True, default="")
    statistics = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    client_id = models.UUIDField(null=True, blank=True)
    # row_count counts every data row; these split it as the engine's report did (issue 11)
    rows_accepted = models.IntegerField(null=True, blank=True)
    rows_excluded = models.IntegerField(null=True, blank=True)
    # SHA-256 of the uploaded bytes: the same file from a second machine is recognised
    content_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    # the name the team gave the dataset on a workstation (History's rename), synced as a shared
    # record (#19); empty: the file name
    display_name = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [
            models.Index(fields=["-uploaded_at"], name="dataset_uploaded_desc"),
            models.Index(fields=["uploaded_by", "uploaded_at"], name="dataset_user_uploaded"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["uploaded_by", "client_id"], name="dataset_unique_client_id"),
        ]
        verbose_name = "CSV dataset"

    def __str__(self) -> str:
        return f"{self.file_name} (#{self.pk})"
