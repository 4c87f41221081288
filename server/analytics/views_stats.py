"""GET analytics/statistics/ and analytics/comparison/ (engine statistics, never recomputed)."""
from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

import engine

from .models import CSVDataset, Status


def _dataset_id(raw: str | None, name: str) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"'{name}' must be a dataset id (a positive whole number).")
    return value


def _stats_of(pk: int):
    row = (CSVDataset.objects.filter(pk=pk, status=Status.COMPLETED)
           .values_list("id", "file_name", "statistics").first())
    return row


class StatisticsView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("equipment_type", str, description="restrict to one type (e.g. Pump)"),
        OpenApiParameter("dataset", int, description="dataset id (default: the latest upload)")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        raw = request.query_params.get("dataset")
        qs = CSVDataset.objects.filter(status=Status.COMPLETED)
        if raw not in (None, ""):
            try:
                qs = qs.filter(pk=_dataset_id(raw, "dataset"))
            except ValueError as exc:
                return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
            missing = "Dataset not found."
        else:
            qs = qs.order_by("-uploaded_at", "-id")
            missing = "No dataset has been uploaded yet."
        row = qs.values_list("id", "statistics").first()
        if row is None:
            return Response({"detail": missing}, status=status.HTTP_404_NOT_FOUND)
        stats = row[1] or {}
        equipment_type = request.query_params.get("equipment_type", "").strip()
        if equipment_type:
            stats = engine.filter_by_type(stats, equipment_type)
        return Response({**stats, "dataset_id": row[0]})


class ComparisonView(APIView):
    @extend_schema(parameters=[OpenApiParameter("a", int, required=True, description="dataset id A"),
                               OpenApiParameter("b", int, required=True, description="dataset id B")],
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        try:
            ids = [_dataset_id(request.query_params.get(k), k) for k in ("a", "b")]
        except ValueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        rows = [_stats_of(pk) for pk in ids]
        for key, pk, row in zip("ab", ids, rows, strict=True):
            if row is None:
                return Response({"detail": f"Dataset {pk} ('{key}') not found."},
                                status=status.HTTP_404_NOT_FOUND)
        result = engine.compare_statistics(rows[0][2], rows[1][2])
        result["datasets"] = {k: {"id": r[0], "file_name": r[1]} for k, r in zip("ab", rows, strict=True)}
        return Response(result)
