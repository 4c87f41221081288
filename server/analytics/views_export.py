"""GET analytics/csv/datasets/{id}/export/: the accepted rows as CSV (5 columns, formula-safe).
Built once per dataset (export_cache), streamed from disk, throttled per user (scope "export")
and at most a few builds at once (the same slots as uploads)."""
from __future__ import annotations

from django.conf import settings
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.slots import EXPORTS
from server.api.throttles import ScopedThrottle

from . import export_cache
from .models import CSVDataset


class DatasetExportView(APIView):
    throttle_classes = [ScopedThrottle]
    throttle_scope = "export"

    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="accepted rows as CSV")})
    def get(self, request, pk: int):
        ds = get_object_or_404(CSVDataset, pk=pk)
        path = export_cache.path_for(ds)
        try:
            if not path.exists():
                with EXPORTS.hold(request.user.pk, settings.CHEMVIZ_UPLOADS_PER_USER,
                                  settings.CHEMVIZ_UPLOADS_AT_ONCE, "export"):
                    export_cache.build(ds, path)
            handle = open(path, "rb")
        except (FileNotFoundError, ValueError):
            return Response({"detail": "The stored file of this dataset is missing."},
                            status=status.HTTP_404_NOT_FOUND)
        stem = ds.file_name.rsplit(".", 1)[0] or "dataset"
        return FileResponse(handle, as_attachment=True, filename=f"{stem}_clean.csv",
                            content_type="text/csv; charset=utf-8")
