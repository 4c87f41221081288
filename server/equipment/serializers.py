"""JSON shapes of seed §3.2 (equipment list item, detail) and §3.3 (parameter history)."""
from __future__ import annotations

from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import serializers

from engine import schema
from engine.limits import name_key
from engine.readings import ACTIVE
from server.alerting import services as alerting
from server.api.strict import StrictJSONTypes

from .models import PARAMETERS, STATUSES, Equipment, ParameterHistory
from .services import tidy_name, value_problem

NAME_MAX, TYPE_MAX = 255, 50
# the times the engine computes with (pandas nanoseconds: 1677-09-21 .. 2262-04-11), a day inside
# them; a file's time cell outside them is a bad cell (engine.timestamps), a posted one a 400
READING_FIRST = datetime(1677, 9, 22, tzinfo=UTC)
READING_LAST = datetime(2262, 4, 10, tzinfo=UTC)


def reevaluate_alerts(equipment_id: int) -> None:
    """A reading of this equipment was added or changed, or its name or type (which rules apply)
    changed: its alerts are derived again, in the caller's transaction, as after an upload."""
    alerting.reevaluate([equipment_id])


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class _Values(serializers.Serializer):
    def _value(self, parameter: str, value):
        problem = value_problem(parameter, value)
        if problem:
            raise serializers.ValidationError(problem)
        return value

    def validate_flowrate(self, value):
        return self._value("flowrate", value)

    def validate_pressure(self, value):
        return self._value("pressure", value)

    def validate_temperature(self, value):
        return self._value("temperature", value)


class EquipmentSerializer(StrictJSONTypes, _Values, serializers.ModelSerializer):
    """Detail, POST, PUT, PATCH (seed §3.2). The values are the newest reading's; changing them
    through the API records a reading at that moment (recorded_by the caller), so history and
    trends see every value the equipment had."""
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    equipment_name = serializers.CharField(max_length=NAME_MAX)
    equipment_type = serializers.CharField(max_length=TYPE_MAX)
    flowrate = serializers.FloatField(allow_null=True, required=False)
    pressure = serializers.FloatField(allow_null=True, required=False)
    temperature = serializers.FloatField(allow_null=True, required=False)
    status = serializers.ChoiceField(choices=STATUSES, required=False)

    class Meta:
        model = Equipment
        fields = ["id", "equipment_name", "equipment_type", "flowrate", "pressure", "temperature", "status",
                  "installation_date", "last_maintenance_date", "notes", "created_by", "created_at",
                  "updated_at"]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def validate_equipment_name(self, value: str) -> str:
        value = tidy_name(value)
        if not value:
            raise serializers.ValidationError("equipment_name cannot be empty.")
        clash = Equipment.objects.filter(name_key=name_key(value))
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                f"An equipment named '{value}' already exists (names are compared trimmed and "
                "case-insensitively).")
        return value

    def validate_equipment_type(self, value: str) -> str:
        value = tidy_name(value)
        if not value:
            raise serializers.ValidationError("equipment_type cannot be empty.")
        shown = schema.display_type(value)[:TYPE_MAX]     # "pump" -> "Pump", as files are read
        if not shown:      # "-" or "--" reads as no type at all: refused, not stored as ""
            raise serializers.ValidationError(f"equipment_type {value[:40]!r} is not a type name.")
        return shown

    def _save(self, fn, *args):
        try:
            with transaction.atomic():
                return fn(*args)
        except IntegrityError:
            raise serializers.ValidationError(
                {"equipment_name": ["An equipment with this name already exists."]}) from None

    def create(self, validated):
        validated["name_key"] = name_key(validated["equipment_name"])
        validated["created_by"] = self.context["request"].user

        def make():
            eq = Equipment.objects.create(**validated)
            self._reading(eq, validated)
            reevaluate_alerts(eq.pk)
            return eq
        return self._save(make)

    def update(self, instance, validated):
        if "equipment_name" in validated:
            validated["name_key"] = name_key(validated["equipment_name"])
        changed = any(p in validated and validated[p] != getattr(instance, p) for p in PARAMETERS)
        renamed = any(f in validated and validated[f] != getattr(instance, f)
                      for f in ("equipment_name", "equipment_type"))

        def change():
            eq = super(EquipmentSerializer, self).update(instance, validated)
            if changed:
                self._reading(eq, validated)
            if changed or renamed:
                reevaluate_alerts(eq.pk)
            return eq
        return self._save(change)

    def _reading(self, eq: Equipment, validated) -> None:
        if all(getattr(eq, p) is None for p in PARAMETERS) or not any(p in validated for p in PARAMETERS):
            return
        now = timezone.now()
        ParameterHistory.objects.update_or_create(
            equipment=eq, timestamp=now,
            defaults={**{p: getattr(eq, p) for p in PARAMETERS}, "status": eq.status,
                      "recorded_by": self.context["request"].user})
        Equipment.objects.filter(pk=eq.pk).update(last_reading_at=now)


class EquipmentListSerializer(EquipmentSerializer):
    """A list item (seed §3.2 list example: no created_by)."""

    class Meta(EquipmentSerializer.Meta):
        fields = [f for f in EquipmentSerializer.Meta.fields if f != "created_by"]


class ReadingSerializer(StrictJSONTypes, _Values, serializers.ModelSerializer):
    """A reading (seed §3.3) plus its `status`. POST: flowrate, pressure, temperature (at least
    one), optional timestamp (default now) and status (default active)."""
    equipment = serializers.PrimaryKeyRelatedField(read_only=True)
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)
    flowrate = serializers.FloatField(allow_null=True, required=False)
    pressure = serializers.FloatField(allow_null=True, required=False)
    temperature = serializers.FloatField(allow_null=True, required=False)
    timestamp = serializers.DateTimeField(required=False, help_text="default now; from 1677-09-22 to "
                                          "2262-04-10 UTC (the times trends are computed over)")
    status = serializers.ChoiceField(choices=STATUSES, required=False, default=ACTIVE)

    class Meta:
        model = ParameterHistory
        fields = ["id", "equipment", "flowrate", "pressure", "temperature", "timestamp", "recorded_by", "status"]
        read_only_fields = ["id", "equipment", "recorded_by"]

    def validate_timestamp(self, value: datetime) -> datetime:
        if not READING_FIRST <= value <= READING_LAST:
            raise serializers.ValidationError(
                f"{value.isoformat()} is outside the times readings can have (1677-09-22 to 2262-04-10 UTC).")
        return value

    def validate(self, attrs):
        if all(attrs.get(p) is None for p in PARAMETERS):
            raise serializers.ValidationError("Give at least one of flowrate, pressure, temperature.")
        return attrs
