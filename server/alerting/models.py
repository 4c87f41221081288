"""Alert rules (team-shared limits, the desktop's limits columns) and alerts derived from the
readings and the rules (the desktop's alerts table, chemviz_desktop/core/store/alerts.py)."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from engine.limits import LEVELS, PARAMETERS, SCOPES, Limit

KINDS = ("series", "point")


class AlertRule(models.Model):
    """One limit row: scope type|equipment, name (a type or an equipment name; compared trimmed
    and case-insensitively through name_key), parameter, lolo, lo, hi, hihi, deadband, delay_s.
    An equipment's own rule overrides its type's (engine.limits.LimitSet)."""
    scope = models.CharField(max_length=16, choices=[(s, s) for s in SCOPES])
    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=600, editable=False)
    parameter = models.CharField(max_length=16, choices=[(p, p) for p in PARAMETERS])
    lolo = models.FloatField(null=True, blank=True)
    lo = models.FloatField(null=True, blank=True)
    hi = models.FloatField(null=True, blank=True)
    hihi = models.FloatField(null=True, blank=True)
    deadband = models.FloatField(default=0.0)
    delay_s = models.FloatField(default=0.0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="alert_rules_created")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="alert_rules_updated")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope", "name_key", "parameter", "id"]
        constraints = [models.UniqueConstraint(fields=["scope", "name_key", "parameter"],
                                               name="alert_rule_one_per_key")]

    def limit(self) -> Limit:
        return Limit(self.scope, self.name, self.parameter, self.lolo, self.lo, self.hi, self.hihi,
                     deadband=float(self.deadband), delay_s=float(self.delay_s))

    def __str__(self) -> str:
        return f"{self.scope} {self.name} {self.parameter}"


class PointTime(models.Model):
    """A time at which a snapshot upload put readings: readings at these times are snapshot
    readings (point alerts), all others belong to the equipment's time series (series alerts).
    The desktop's reading_sets, kept by time because retention unlinks readings from datasets."""
    taken_at = models.DateTimeField(unique=True)


class Alert(models.Model):
    """One excursion beyond a limit; identity (equipment, parameter, level, start)."""
    equipment = models.ForeignKey("equipment.Equipment", on_delete=models.CASCADE, related_name="alerts")
    parameter = models.CharField(max_length=16)
    level = models.CharField(max_length=8, choices=[(lv, lv) for lv in LEVELS])
    limit_value = models.FloatField()
    start = models.DateTimeField()
    end = models.DateTimeField(null=True, blank=True)          # None while active
    last = models.DateTimeField()                               # last reading beyond the limit
    peak = models.FloatField()
    kind = models.CharField(max_length=8, choices=[(k, k) for k in KINDS])
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                        blank=True, related_name="alerts_acknowledged")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-start", "-id"]
        constraints = [models.UniqueConstraint(fields=["equipment", "parameter", "level", "start"],
                                               name="alert_identity")]
        indexes = [models.Index(fields=["start"], name="alert_start")]

    def __str__(self) -> str:
        return f"{self.equipment_id} {self.parameter} {self.level} @ {self.start:%Y-%m-%dT%H:%M:%SZ}"
