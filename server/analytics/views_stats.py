"""GET analytics/statistics/ (a dataset's engine statistics, never recomputed; with `status`, the
engine's statistics of the equipment registry's current values) and
analytics/csv/datasets/compare/ (dataset against dataset; analytics/comparison/ compares equipment)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

import engine
from server.api.query import MAX_ID, given
from server.equipment.models import STATUSES, Equipment

from .models import CSVDataset, Status


def _dataset_id(raw: str | None, name: str) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_ID:
        raise ValueError(f"'{name}' must be a dataset id (a whole number from 1 to {MAX_ID}).")
    return value


def _stats_of(pk: int):
    row = (CSVDataset.objects.filter(pk=pk, status=Status.COMPLETED)
           .values_list("id", "file_name", "statistics").first())
    return row


def registry_statistics(status_value: str) -> dict:
    """engine.compute_statistics over the current values of the equipment with this status
    (seed §5.5: the statistics of the equipment table, filtered)."""
    rows = list(Equipment.objects.filter(status=status_value).values_list(
        "equipment_name", "equipment_type", "flowrate", "pressure", "temperature"))
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    frame = pd.DataFrame({
        engine.schema.NAME: pd.Series(cols[0], dtype=object),
        engine.schema.TYPE: pd.Series(cols[1], dtype=object),
        **{c: pd.Series([np.nan if v is None else v for v in cols[k + 2]], dtype=float)
           for k, c in enumerate(engine.schema.NUMERIC_COLUMNS)}})
    return engine.compute_statistics(frame)


class StatisticsView(APIView):
    @extend_schema(parameters=[
        OpenApiParameter("equipment_type", str, description="restrict to one type (e.g. Pump)"),
        OpenApiParameter("status", str, enum=["active", "maintenance", "inactive"],
                         description="statistics of the equipment registry's current values of the "
                                     "equipment with this status (instead of a dataset)"),
        OpenApiParameter("dataset", int, description="dataset id (default: the latest upload)")],
        responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        status_value = given(request, "status")
        raw = given(request, "dataset")
        if status_value is not None:
            if status_value not in STATUSES:
                return Response({"detail": f"'status' must be one of {', '.join(STATUSES)}."},
                                status=status.HTTP_400_BAD_REQUEST)
            if raw is not None:
                return Response({"detail": "'status' filters the equipment registry; it cannot be combined "
                                           "with 'dataset'."}, status=status.HTTP_400_BAD_REQUEST)
            stats = registry_statistics(status_value)
            equipment_type = request.query_params.get("equipment_type", "").strip()
            if equipment_type:
                stats = engine.filter_by_type(stats, equipment_type)
            return Response({**stats, "source": "equipment", "status": status_value})
        qs = CSVDataset.objects.filter(status=Status.COMPLETED)
        if raw is not None:
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


class DatasetComparisonView(APIView):
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
