"""Seed §3.2 equipment CRUD and §3.3 parameter history."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from engine.limits import name_key
from engine.schema import display_type
from server.api.pagination import Pagination
from server.api.parsers import JSON_ONLY
from server.api.permissions import EquipmentAccess, ReadingAccess
from server.sharing.push import log_change

from . import params
from .models import Equipment, ParameterHistory
from .serializers import EquipmentListSerializer, EquipmentSerializer, ReadingSerializer, reevaluate_alerts
from .services import refresh_current


def filtered_equipment(request):
    """Equipment filtered by `equipment_type` (case-insensitive, synonyms as in files),
    `status` and `search` (in the name, trimmed and case-insensitive)."""
    qs = Equipment.objects.all()
    kind = (request.query_params.get("equipment_type") or "").strip()
    if kind:
        qs = qs.filter(equipment_type__iexact=display_type(kind))
    st = params.status_param(request)
    if st:
        qs = qs.filter(status=st)
    search = (request.query_params.get("search") or "").strip()
    if search:
        qs = qs.filter(name_key__contains=name_key(search))
    return qs


class EquipmentListView(generics.ListCreateAPIView):
    parser_classes = JSON_ONLY
    permission_classes = [IsAuthenticated, EquipmentAccess]
    pagination_class = Pagination

    def get_queryset(self):
        return filtered_equipment(self.request).order_by("id")

    def get_serializer_class(self):
        return EquipmentListSerializer if self.request.method == "GET" else EquipmentSerializer

    def perform_create(self, serializer):
        with transaction.atomic():
            eq = serializer.save()
            log_change("equipment", eq.name_key, self.request.user)   # workstations pull it (#19)

    @extend_schema(parameters=[
        OpenApiParameter("equipment_type", str, description="only this type (e.g. Pump)"),
        OpenApiParameter("status", str, enum=["active", "maintenance", "inactive"]),
        OpenApiParameter("search", str, description="text in the equipment name")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class EquipmentDetailView(generics.RetrieveUpdateDestroyAPIView):
    """A change of the shared fields (type, status, dates, notes) or a deletion is logged for the
    workstations' pull (#19, docs/sync_shared_records.md); a rename is a new record."""
    parser_classes = JSON_ONLY
    permission_classes = [IsAuthenticated, EquipmentAccess]
    serializer_class = EquipmentSerializer
    queryset = Equipment.objects.select_related("created_by")

    def perform_update(self, serializer):
        old_key = serializer.instance.name_key
        with transaction.atomic():
            eq = serializer.save()
            if eq.name_key != old_key:
                log_change("equipment", old_key, self.request.user, deleted=True)
            log_change("equipment", eq.name_key, self.request.user)

    def perform_destroy(self, instance):
        key = instance.name_key
        with transaction.atomic():
            instance.delete()
            log_change("equipment", key, self.request.user, deleted=True)


class HistoryView(generics.ListCreateAPIView):
    """GET: the readings in time order (`start_date` <= t < `end_date`, paginated). POST: one
    reading (201); a reading at a time the equipment already has is 409. The equipment's alerts
    are derived again in the reading's transaction (a value beyond a rule's limit is an alert in
    alerts/ as soon as the POST answers)."""
    parser_classes = JSON_ONLY
    permission_classes = [IsAuthenticated, ReadingAccess]
    serializer_class = ReadingSerializer
    pagination_class = Pagination

    def equipment(self) -> Equipment:
        if not hasattr(self, "_equipment"):
            self._equipment = get_object_or_404(Equipment, pk=self.kwargs["pk"])
        return self._equipment

    def get_queryset(self):
        start, end = params.window(self.request)
        qs = ParameterHistory.objects.filter(equipment=self.equipment()).select_related("recorded_by")
        if start is not None:
            qs = qs.filter(timestamp__gte=start)
        if end is not None:
            qs = qs.filter(timestamp__lt=end)
        return qs.order_by("timestamp", "id")

    @extend_schema(parameters=[OpenApiParameter("start_date", str, description="ISO 8601 date or date-time"),
                               OpenApiParameter("end_date", str, description="ISO 8601 date or date-time "
                                                "(a date includes its whole day)")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        eq = self.equipment()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        data.setdefault("timestamp", timezone.now())
        try:
            with transaction.atomic():
                reading = ParameterHistory.objects.create(equipment=eq, recorded_by=request.user, **data)
                refresh_current([eq.pk])
                reevaluate_alerts(eq.pk)
        except IntegrityError:
            return Response({"detail": f"{eq.equipment_name} already has a reading at "
                                       f"{serializer.fields['timestamp'].to_representation(data['timestamp'])};"
                                       " one reading per equipment per time."},
                            status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(reading).data, status=status.HTTP_201_CREATED)
