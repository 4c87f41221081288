"""POST analytics/csv/upload/: validate with the engine, store, apply retention (seed §3.4)."""
from __future__ import annotations

import engine
from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.permissions import CanUpload
from server.api.throttles import ScopedThrottle

from . import services
from .serializers import UploadErrorSerializer, UploadRequestSerializer, upload_response

MULTIPART_SLACK = 1024 * 1024     # room for multipart boundaries and small form fields
DRAIN_LIMIT = 64 * 1024 * 1024    # read (and drop) at most this much of a refused body


def _too_large(limit: int) -> Response:
    mb = limit / (1024 * 1024)
    return Response({"detail": f"The file is larger than the limit of {mb:g} MB.",
                     "issues": [{"row": None, "column": None, "code": "file_too_large",
                                 "message": f"The file is larger than the limit of {mb:g} MB.",
                                 "severity": "error"}]},
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def _drain(request, length: int) -> None:
    """Read a refused body so the client gets our 413 instead of a reset connection."""
    remaining = min(length, DRAIN_LIMIT)
    try:
        while remaining > 0:
            chunk = request._request.read(min(remaining, 256 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except Exception:  # the client went away; nothing to answer
        pass


class UploadView(APIView):
    permission_classes = [IsAuthenticated, CanUpload]
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "upload"

    @extend_schema(
        request={"multipart/form-data": UploadRequestSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="repeat-safe upload key (alternative to client_id)")],
        responses={201: OpenApiResponse(description="dataset created"),
                   200: OpenApiResponse(description="repeat of an earlier upload: existing dataset"),
                   400: UploadErrorSerializer, 413: UploadErrorSerializer})
    def post(self, request):
        limit = settings.CHEMVIZ_MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_SLACK:
            _drain(request, length)
            return _too_large(limit)
        try:
            upload = request.FILES.get("file")
            fields = request.data
        except ParseError:
            return Response({"detail": "The upload could not be read as multipart/form-data."},
                            status=status.HTTP_400_BAD_REQUEST)
        if upload is None:
            return Response({"detail": "Attach the CSV file in the multipart field 'file'."},
                            status=status.HTTP_400_BAD_REQUEST)
        if upload.size > limit:
            return _too_large(limit)
        try:
            client_id = services.parse_client_id(fields.get("client_id"),
                                                 request.headers.get("Idempotency-Key"))
        except ValueError:
            return Response({"detail": "client_id must be a UUID."}, status=status.HTTP_400_BAD_REQUEST)

        existing = services.find_existing(request.user, client_id)
        if existing is not None:
            return Response(upload_response(existing, created=False), status=status.HTTP_200_OK)

        file_name = services.safe_file_name(upload.name)
        data = upload.read()
        result = engine.load(data, file_name=file_name, max_bytes=limit)
        report = result.report
        if not result.accepted:
            if any(i.code == "file_too_large" for i in report.file_errors):
                return _too_large(limit)
            return Response({"detail": report.summary(), "issues": [i.to_dict() for i in report.issues]},
                            status=status.HTTP_400_BAD_REQUEST)
        outcome = services.store_upload(request.user, data, file_name, client_id, result)
        return Response(upload_response(outcome.dataset, created=outcome.created),
                        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)
