"""GET health/ (no auth), metadata/equipment-types/ and metadata/status-choices/ (seed §3.5)."""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import engine


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("Health", {
        "status": serializers.CharField(), "version": serializers.CharField(),
        "time": serializers.DateTimeField()}))
    def get(self, request):
        return Response({"status": "ok", "version": engine.__version__,
                         "time": timezone.now().isoformat().replace("+00:00", "Z")})


class EquipmentTypesView(APIView):
    @extend_schema(responses=inline_serializer("EquipmentTypes", {
        "types": serializers.ListField(child=serializers.CharField())}))
    def get(self, request):
        return Response({"types": list(engine.schema.CANONICAL_TYPES)})


class StatusChoicesView(APIView):
    @extend_schema(responses=inline_serializer("StatusChoices", {
        "statuses": serializers.ListField(child=serializers.DictField(child=serializers.CharField()))}))
    def get(self, request):
        from engine.readings import STATUS_CHOICES
        return Response({"statuses": [dict(c) for c in STATUS_CHOICES]})
