"""POST analytics/csv/upload/: validate with the engine, store the dataset, its equipment and
readings, apply retention (seed §3.4: 200 OK, synchronous processing). With a task broker, an
upload of at least CHEMVIZ_ASYNC_UPLOAD_BYTES is queued instead: 202 + Location of its import job
(server.imports)."""
from __future__ import annotations

from datetime import UTC, datetime, time

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, Throttled
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

import engine
from server.api.permissions import CanUpload
from server.api.slots import UPLOADS
from server.api.throttles import ScopedThrottle
from server.imports import jobs as imports
from server.imports.serializers import accepted_body

from . import services, upload_guard
from .serializers import UploadErrorSerializer, UploadRequestSerializer, upload_response
from .upload_parser import StreamingMultiPartParser

MULTIPART_SLACK = 1024 * 1024     # room for multipart boundaries and small form fields
DRAIN_LIMIT = 64 * 1024 * 1024    # read (and drop) at most this much of a refused body
MESSAGE_LIMIT = 300               # characters of one issue message echoed back (headers can be long)


def _too_large(limit: int) -> Response:
    mb = limit / (1024 * 1024)
    return Response({"detail": f"The file is larger than the limit of {mb:g} MB.",
                     "issues": [{"row": None, "column": None, "code": "file_too_large",
                                 "message": f"The file is larger than the limit of {mb:g} MB.",
                                 "severity": "error"}]},
                    status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)


def _capped(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _rejected(detail: str, issues: list[dict]) -> Response:
    """400 with the engine's findings, each message capped so a long header is not echoed back."""
    issues = [{**i, "message": _capped(str(i.get("message", "")))} for i in issues]
    return Response({"detail": _capped(detail), "issues": issues}, status=status.HTTP_400_BAD_REQUEST)


def _refused(refusal: upload_guard.Refusal) -> Response:
    return _rejected(f"Rejected: {refusal.message}", [{"row": None, "column": None, "code": refusal.code,
                                                      "message": refusal.message, "severity": "error"}])


def _drain(request, length: int) -> None:
    """Read a refused body so the client gets our 413 instead of a reset connection."""
    remaining = min(length, DRAIN_LIMIT)
    try:
        while remaining > 0:
            chunk = request._request.read(min(remaining, 256 * 1024))
            if not chunk:
                break
            remaining -= len(chunk)
    except Exception:  # noqa: BLE001 -- the client went away; nothing to answer
        pass


def _taken_at(raw) -> datetime | None:
    """Optional `taken_at` field: when a snapshot file's readings were taken (ISO 8601; without a
    zone it is UTC). Default: the upload's time. Rows with their own Timestamp keep theirs."""
    raw = str(raw or "").strip()
    if not raw:
        return None
    try:
        t = parse_datetime(raw)
        if t is None and (d := parse_date(raw)) is not None:
            t = datetime.combine(d, time.min)
    except ValueError:
        t = None
    if t is None:
        raise ValueError(f"taken_at must be an ISO 8601 date-time such as 2026-01-29T08:00:00Z, not {raw[:40]!r}.")
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _repeat(existing, data: bytes | UploadedFile) -> Response:
    """A client_id seen before: the same bytes answer 200 with the existing dataset and
    "created": false; different bytes are 409 (a client_id names one upload, never two files)."""
    if not services.same_bytes(existing, data):
        return Response({"detail": f"This client_id was already used for a different file ('{existing.file_name}', "
                                   f"dataset {existing.pk}); send a new client_id for a new upload.",
                         "dataset_id": existing.pk}, status=status.HTTP_409_CONFLICT)
    return Response(upload_response(existing, created=False), status=status.HTTP_200_OK)


def _queued(request, upload: UploadedFile, file_name: str, client_id, taken_at) -> Response:
    """Large upload with a task queue: 202 with the import id and a Location to poll."""
    try:
        sub = imports.submit_upload(request.user, upload, file_name, client_id, taken_at, queue=True)
    except imports.ClientIdConflict as exc:
        return Response({"detail": str(exc), "import_id": exc.job.pk}, status=status.HTTP_409_CONFLICT)
    body = accepted_body(sub.job, created=sub.created)
    return Response(body, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": request.build_absolute_uri(body["status_url"])})


class UploadView(APIView):
    permission_classes = [IsAuthenticated, CanUpload]
    parser_classes = [StreamingMultiPartParser, FormParser]
    throttle_classes = [ScopedThrottle]
    throttle_scope = "upload"

    @extend_schema(
        request={"multipart/form-data": UploadRequestSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                                     description="repeat-safe upload key (alternative to client_id)")],
        responses={200: OpenApiResponse(description="processed (seed: 200 OK, synchronous); "
                                            "\"created\": false for a repeat of a client_id with the same bytes"),
                   202: OpenApiResponse(description="queued (a task broker is set and the file is at least "
                                                    "CHEMVIZ_ASYNC_UPLOAD_BYTES): import_id, Location "
                                                    "analytics/csv/import/{id}/"),
                   409: UploadErrorSerializer,
                   400: UploadErrorSerializer, 411: UploadErrorSerializer, 413: UploadErrorSerializer})
    def post(self, request):
        if "CONTENT_LENGTH" not in request.META and "chunked" in request.headers.get("Transfer-Encoding", ""):
            # servers that pass chunked bodies through (gunicorn, runserver) leave Django no length
            return Response({"detail": "Send the upload with a Content-Length header: this server does "
                                       "not accept chunked request bodies."},
                            status=status.HTTP_411_LENGTH_REQUIRED)
        limit = settings.CHEMVIZ_MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + MULTIPART_SLACK:
            _drain(request, length)
            return _too_large(limit)
        try:  # parsing and the engine's work hold one of a few slots: memory stays bounded
            with UPLOADS.hold(request.user.pk, settings.CHEMVIZ_UPLOADS_PER_USER,
                              settings.CHEMVIZ_UPLOADS_AT_ONCE, "upload"):
                return self._receive(request, limit)
        except Throttled:
            _drain(request, length)
            raise

    def _receive(self, request, limit: int) -> Response:
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

        try:
            taken_at = _taken_at(fields.get("taken_at"))
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)

        file_name = services.safe_file_name(upload.name)
        existing = services.find_existing(request.user, client_id)
        if existing is not None:
            return _repeat(existing, upload)
        if imports.defers(upload.size):   # the file is queued as it is: not read, not copied
            return _queued(request, upload, file_name, client_id, taken_at)
        refusal = upload_guard.check(upload_guard.head(upload))
        if refusal is not None:
            return _refused(refusal)
        # the engine reads the file itself, so its copy of the bytes goes once parsed (this view
        # holding them too kept 10 MB through validation and planning)
        result = engine.load(upload, file_name=file_name, max_bytes=limit)
        report = result.report
        if not result.accepted:
            if any(i.code == "file_too_large" for i in report.file_errors):
                return _too_large(limit)
            return _rejected(report.summary(), [i.to_dict() for i in report.issues])
        upload.seek(0)
        outcome = services.store_upload(request.user, upload, file_name, client_id, result, taken_at)
        if not outcome.created:        # a concurrent repeat of the same client_id won the race
            return _repeat(outcome.dataset, upload)
        return Response(upload_response(outcome.dataset, created=True, recorded=outcome.recorded),
                        status=status.HTTP_200_OK)
