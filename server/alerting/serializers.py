from __future__ import annotations

from rest_framework import serializers

from engine.alerts import state
from engine.excursions import iso_z
from engine.limits import LEVELS, PARAMETERS, SCOPES, Limit, name_key
from server.api.strict import StrictJSONTypes

from .models import Alert, AlertRule


def _tidy(name: str) -> str:
    return " ".join(str(name).split())


class AlertRuleSerializer(StrictJSONTypes, serializers.ModelSerializer):
    """The desktop's limits columns (scope, name, parameter, lolo, lo, hi, hihi, deadband, delay_s)
    checked by engine.limits.Limit.problems (lolo <= lo <= hi <= hihi, at least one level,
    deadband and delay_s not negative)."""
    scope = serializers.ChoiceField(choices=SCOPES)
    parameter = serializers.ChoiceField(choices=PARAMETERS)
    name = serializers.CharField(max_length=255)
    deadband = serializers.FloatField(required=False, default=0.0)
    delay_s = serializers.FloatField(required=False, default=0.0)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = AlertRule
        fields = ["id", "scope", "name", "parameter", *LEVELS, "deadband", "delay_s", "created_by", "updated_by",
                  "created_at", "updated_at"]
        read_only_fields = ["id", "created_by", "updated_by", "created_at", "updated_at"]
        validators: list = []          # uniqueness by name_key, checked in validate

    def validate(self, attrs):
        merged = {f: getattr(self.instance, f) for f in ("scope", "name", "parameter", *LEVELS, "deadband",
                                                          "delay_s")} if self.instance else {}
        merged.update(attrs)
        merged["name"] = _tidy(merged.get("name", ""))
        for f in ("deadband", "delay_s"):
            merged[f] = float(merged.get(f) or 0.0)
        limit = Limit(merged["scope"], merged["name"], merged["parameter"],
                      *(merged.get(lv) for lv in LEVELS), deadband=merged["deadband"], delay_s=merged["delay_s"])
        problems = limit.problems()
        if problems:
            raise serializers.ValidationError({"detail": "; ".join(problems)})
        key = name_key(limit.name)
        clash = AlertRule.objects.filter(scope=limit.scope, name_key=key, parameter=limit.parameter)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                {"detail": f"a {limit.scope} rule for {limit.name!r} {limit.parameter} already exists "
                           f"(id {clash.first().pk}); change that one."})
        attrs["name"] = limit.name
        attrs["name_key"] = key
        return attrs


class AlertSerializer(serializers.ModelSerializer):
    """The desktop's alert shape (StoredAlert.to_dict) plus equipment_id, equipment_type, last;
    times UTC ISO 8601 with Z."""

    class Meta:
        model = Alert
        fields = ["id"]

    def to_representation(self, a: Alert) -> dict:
        end_or_last = a.end if a.end is not None else a.last
        return {"id": a.id, "equipment_id": a.equipment_id, "equipment": a.equipment.equipment_name,
                "equipment_type": a.equipment.equipment_type, "parameter": a.parameter, "level": a.level,
                "limit": a.limit_value, "start": iso_z(a.start), "end": iso_z(a.end), "last": iso_z(a.last),
                "peak": a.peak, "duration_s": (end_or_last - a.start).total_seconds(),
                "state": state(a.end is None, a.acknowledged_at is not None),
                "acknowledged_by": a.acknowledged_by.username if a.acknowledged_by_id else None,
                "acknowledged_at": iso_z(a.acknowledged_at), "comment": a.comment}


class AcknowledgeSerializer(StrictJSONTypes, serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
