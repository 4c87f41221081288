"""Dataset JSON shapes of seed §3.4 (list item, detail, upload response)."""
from __future__ import annotations

from typing import Any

from rest_framework import serializers

from server.api.errors import ErrorSerializer

from .models import CSVDataset


class UploaderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class DatasetListSerializer(serializers.ModelSerializer):
    uploaded_by = UploaderSerializer(allow_null=True)

    class Meta:
        model = CSVDataset
        fields = ["id", "file_name", "uploaded_by", "uploaded_at", "row_count", "rows_accepted",
                  "rows_excluded", "status", "processed_at", "client_id", "content_sha256"]


class DatasetDetailSerializer(DatasetListSerializer):
    file_path = serializers.SerializerMethodField()

    class Meta(DatasetListSerializer.Meta):
        fields = ["id", "file_name", "file_path", "uploaded_by", "uploaded_at", "row_count",
                  "rows_accepted", "rows_excluded", "status", "error_log", "statistics", "processed_at",
                  "report", "client_id", "content_sha256"]

    def get_file_path(self, ds: CSVDataset) -> str:
        # where the file lives under MEDIA_URL (not served publicly: files need the API + auth)
        return ("/media/" + ds.file.name) if ds.file else ""


def upload_statistics(stats: dict[str, Any]) -> dict[str, Any]:
    """The engine's statistics plus the seed upload example's flat averages
    (flowrate_avg, pressure_avg, temperature_avg) taken from `overall`."""
    overall = stats.get("overall", {})
    flat = {f"{k}_avg": overall.get(f"avg_{k}") for k in ("flowrate", "pressure", "temperature")}
    return {**stats, **flat}


def upload_response(ds: CSVDataset, created: bool, recorded: dict[str, int] | None = None) -> dict[str, Any]:
    """Seed upload response (dataset_id, file_name, status, message, row_count, statistics,
    created_at) plus id, `created` (false for a repeat of a client_id), client_id, the readings
    and equipment this upload stored, and the validation report."""
    if recorded is None:       # a repeat: what this dataset still holds
        recorded = {"readings": ds.readings.count(), "equipment_created": 0, "equipment_updated": 0}
    summary = (ds.report or {}).get("summary", "")
    if not created:
        message = "This upload was already received; returning the existing dataset."
    elif (ds.report or {}).get("rows_excluded"):
        message = f"CSV processed with excluded rows: {summary}"
    else:
        message = "CSV processed successfully."
    return {
        "id": ds.pk,
        "dataset_id": ds.pk,
        "created": created,
        "file_name": ds.file_name,
        "status": ds.status,
        "message": message,
        "row_count": ds.row_count,
        "rows_accepted": ds.rows_accepted,
        "rows_excluded": ds.rows_excluded,
        "content_sha256": ds.content_sha256,
        "statistics": upload_statistics(ds.statistics or {}),
        "created_at": serializers.DateTimeField().to_representation(ds.uploaded_at),
        "client_id": str(ds.client_id) if ds.client_id else None,
        "uploaded_by": ({"id": ds.uploaded_by_id, "username": ds.uploaded_by.get_username()}
                        if ds.uploaded_by_id else None),
        "uploaded_at": serializers.DateTimeField().to_representation(ds.uploaded_at),
        "readings_recorded": recorded["readings"],
        "equipment_created": recorded["equipment_created"],
        "equipment_updated": recorded["equipment_updated"],
        "report": ds.report,
    }


class UploadRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    client_id = serializers.UUIDField(required=False)
    taken_at = serializers.DateTimeField(required=False, help_text="when a snapshot's readings were "
                                         "taken (default: now); time-series rows keep their Timestamp")


# the upload's errors are the API's one error body (server.api.errors), under the name the
# upload view imports
UploadErrorSerializer = ErrorSerializer
