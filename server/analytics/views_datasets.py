"""Dataset history (seed §3.4): list of the newest, detail, delete and CSV export."""
from __future__ import annotations

import engine
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.permissions import DatasetAccess

from .models import CSVDataset
from .serializers import DatasetDetailSerializer, DatasetListSerializer

DEFAULT_LIMIT, MAX_LIMIT = 5, 100
_BOOLEAN = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _int_param(request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 1:
        raise ValueError(f"'{name}' must be a positive whole number.")
    return value


class DatasetListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description=f"how many (default {DEFAULT_LIMIT}, "
                                     f"max {MAX_LIMIT})"),
                    OpenApiParameter("mine", bool, description="only datasets I uploaded")],
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
        results = DatasetListSerializer(qs.order_by("-uploaded_at", "-id")[:limit], many=True).data
        return Response({"count": len(results), "results": results})


class DatasetDetailView(generics.RetrieveDestroyAPIView):
    queryset = CSVDataset.objects.select_related("uploaded_by")
    serializer_class = DatasetDetailSerializer
    permission_classes = [IsAuthenticated, DatasetAccess]


class DatasetExportView(APIView):
    @extend_schema(responses={(200, "text/csv"): OpenApiResponse(description="accepted rows as CSV")})
    def get(self, request, pk: int):
        ds = get_object_or_404(CSVDataset, pk=pk)
        try:
            with ds.file.open("rb") as fh:
                data = fh.read()
        except (FileNotFoundError, ValueError):
            return Response({"detail": "The stored file of this dataset is missing."},
                            status=status.HTTP_404_NOT_FOUND)
        result = engine.load(data, file_name=ds.file_name)
        frame = engine.neutralise_frame(result.clean()[list(engine.schema.REQUIRED_COLUMNS)])
        body = frame.to_csv(index=False, lineterminator="\r\n")
        stem = ds.file_name.rsplit(".", 1)[0] or "dataset"
        response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{stem}_clean.csv"'
        return response
