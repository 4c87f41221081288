"""Dataset history (seed §3.4): list of the newest, detail and delete (export: views_export)."""
from __future__ import annotations

import re
import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.permissions import DatasetAccess
from server.api.query import MAX_ID

from . import services
from .models import CSVDataset
from .serializers import DatasetDetailSerializer, DatasetListSerializer

DEFAULT_LIMIT, MAX_LIMIT = 5, 100
_HEX64 = re.compile(r"[0-9a-f]{64}")
_BOOLEAN = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _int_param(request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"'{name}' must be a whole number from 1 to {MAX_ID}.")
    return value


def _identity_filters(request, qs):
    """`client_id=a,b,…` and `content_sha256=HEX`: how clients find their datasets by identity
    (server ids are reused after a database reset, client ids and file hashes are not)."""
    raw = request.query_params.get("client_id")
    if raw:
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        if len(parts) > MAX_LIMIT:
            raise ValueError(f"at most {MAX_LIMIT} client ids at once.")
        try:
            ids = [uuid.UUID(p) for p in parts]
        except ValueError:
            raise ValueError("'client_id' must be UUIDs separated by commas.") from None
        qs = qs.filter(client_id__in=ids)
    digest = request.query_params.get("content_sha256")
    if digest:
        digest = digest.strip().lower()
        if not _HEX64.fullmatch(digest):
            raise ValueError("'content_sha256' must be 64 hexadecimal digits.")
        qs = qs.filter(content_sha256=digest)
    return qs


class DatasetListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description=f"how many (default {DEFAULT_LIMIT}, "
                                     f"max {MAX_LIMIT})"),
                    OpenApiParameter("mine", bool, description="only datasets I uploaded"),
                    OpenApiParameter("client_id", str, description="only these client ids "
                                     "(comma separated UUIDs, at most 100)"),
                    OpenApiParameter("content_sha256", str, description="only uploads of exactly "
                                     "this file (SHA-256 of its bytes, hex)")],
        responses={200: inline_serializer("DatasetPage", {
            "count": serializers.IntegerField(), "results": DatasetListSerializer(many=True)})})
    def get(self, request):
        try:
            limit = min(_int_param(request, "limit", DEFAULT_LIMIT), MAX_LIMIT)
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        mine = request.query_params.getlist("mine")
        if len(mine) > 1 or (mine and mine[0].lower() not in _BOOLEAN):
            return Response({"detail": "'mine' must be true or false."}, status=status.HTTP_400_BAD_REQUEST)
        qs = CSVDataset.objects.select_related("uploaded_by").defer("statistics", "report", "error_log")
        if mine and _BOOLEAN[mine[0].lower()]:
            qs = qs.filter(uploaded_by=request.user)
        try:
            qs = _identity_filters(request, qs)
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        results = DatasetListSerializer(qs.order_by("-uploaded_at", "-id")[:limit], many=True).data
        return Response({"count": len(results), "results": results})


class DatasetDetailView(generics.RetrieveDestroyAPIView):
    queryset = CSVDataset.objects.select_related("uploaded_by")
    serializer_class = DatasetDetailSerializer
    permission_classes = [IsAuthenticated, DatasetAccess]

    def perform_destroy(self, instance):
        services.delete_dataset(instance)     # its readings go with it, as on the desktop
