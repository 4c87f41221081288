"""JSON errors everywhere: DRF's handler plus 413 for oversized bodies, 400 for suspicious
input and a generic 500 that never shows a stack trace."""
from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import JsonResponse
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from server.users.guard import SignInRefused

log = logging.getLogger("server.api")


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
    return response


def not_found(request, exception=None):
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request):
    return JsonResponse({"detail": "Internal server error."}, status=500)


def bad_request(request, exception=None):
    return JsonResponse({"detail": "Bad request."}, status=400)


def permission_denied(request, exception=None):
    return JsonResponse({"detail": "Permission denied."}, status=403)
