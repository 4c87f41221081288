"""JSON errors everywhere: DRF's handler plus 413 for oversized bodies, 400 for suspicious
input and a generic 500 that never shows a stack trace. Every error body is the OpenAPI
document's one `Error` shape: a `detail` string a client can always show, and, for a rejected
body, each field's messages under the field's name (DRF's shape, which clients read)."""
from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import JsonResponse
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from server.users.guard import SignInRefused

log = logging.getLogger("server.api")


class ErrorSerializer(serializers.Serializer):
    """The one error body of the API (the OpenAPI component `Error`), for every 4xx/5xx."""
    detail = serializers.CharField(help_text="what went wrong, for a person to read")
    issues = serializers.ListField(child=serializers.DictField(), required=False,
                                   help_text="validation issues, when an uploaded file itself was read")


def exception_handler(exc, context):
    if isinstance(exc, SignInRefused):   # locked out, or too many password checks at once
        return Response({"detail": exc.message}, status=status.HTTP_429_TOO_MANY_REQUESTS,
                        headers={"Retry-After": str(exc.wait)})
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": "The request body is too large."}, status=413)
    if isinstance(exc, (SuspiciousOperation, TooManyFilesSent)):
        return Response({"detail": "The request could not be read."}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        log.exception("unhandled error in %s", context.get("view").__class__.__name__)
        return Response({"detail": "Internal server error."}, status=500)
    response.data = with_detail(response.data)
    return response


def _messages(value: Any, prefix: str = "") -> list[str]:
    """Flatten DRF's nested errors ({"field": ["msg"]}, lists of them) into "field: msg" lines."""
    if isinstance(value, dict):
        return [m for k, v in value.items()
                for m in _messages(v, "" if k in ("non_field_errors", "detail") else f"{prefix}{k}: ")]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _messages(v, prefix)]
    return [f"{prefix}{value}"]


def with_detail(data: Any) -> dict:
    """DRF error data with `detail` a string: a list (`ValidationError("...")`, or a serializer's
    `{"detail": [...]}`) is joined; field errors keep their keys and gain a summary `detail`."""
    if isinstance(data, dict) and isinstance(data.get("detail"), str):
        return data
    if not isinstance(data, dict):
        return {"detail": " ".join(_messages(data)) or "Invalid request."}
    fields = {k: v for k, v in data.items() if k != "detail"}
    summary = "; ".join(_messages(data.get("detail", []))
                        + _messages({k: v for k, v in fields.items() if k != "non_field_errors"})
                        + _messages(fields.get("non_field_errors", [])))
    return {"detail": summary or "Invalid request.", **fields}


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "Permission denied."}, status=403)
