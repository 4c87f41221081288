"""Seed §2.3.1 equipment_equipment and §2.3.2 equipment_parameterhistory.

Differences from the seed, on purpose: values are floats (the engine's numbers, so trends agree
with the desktop's for the same readings; Decimal(10,2) would round them), nullable (a reading may
lack one parameter); names are unique trimmed and case-insensitively through `name_key`
(engine.limits.name_key, the desktop registry's rule) and may be up to 255 characters (files name
equipment; the seed's 100 is the API's minimum); a reading has its own `timestamp` (uploads of
time series carry one; the seed's auto_now_add is the default), a `status` (was it running) and
the dataset it came from. One reading per equipment per time."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from engine.readings import STATUS_CHOICES
from engine.schema import UNASSIGNED_TYPE

STATUSES = tuple(c["value"] for c in STATUS_CHOICES)
PARAMETERS = ("flowrate", "pressure", "temperature")


class Equipment(models.Model):
    equipment_name = models.CharField(max_length=255)      # unique through name_key (stricter)
    name_key = models.CharField(max_length=600, unique=True, editable=False)
    equipment_type = models.CharField(max_length=50, default=UNASSIGNED_TYPE, db_index=True)
    flowrate = models.FloatField(null=True, blank=True)
    pressure = models.FloatField(null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=[(c["value"], c["label"]) for c in STATUS_CHOICES],
                              default="active", db_index=True)
    installation_date = models.DateField(null=True, blank=True)
    last_maintenance_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="equipment_created")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # time of the reading the three values above come from (the newest reading)
    last_reading_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "equipment"

    def __str__(self) -> str:
        return self.equipment_name


class ParameterHistory(models.Model):
    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="readings")
    flowrate = models.FloatField(null=True, blank=True)
    pressure = models.FloatField(null=True, blank=True)
    temperature = models.FloatField(null=True, blank=True)
    # seed status value of the reading; None when the file's spelling was not recognised
    status = models.CharField(max_length=16, null=True, blank=True, default="active")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="readings_recorded")
    timestamp = models.DateTimeField(default=timezone.now)
    # the upload the reading came from; retention keeps the reading, deleting the dataset does not
    dataset = models.ForeignKey("analytics.CSVDataset", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="readings")

    class Meta:
        ordering = ["timestamp", "id"]
        constraints = [
            models.UniqueConstraint(fields=["equipment", "timestamp"], name="reading_one_per_time"),
        ]
        verbose_name = "parameter reading"

    def __str__(self) -> str:
        return f"{self.equipment_id} @ {self.timestamp:%Y-%m-%dT%H:%M:%SZ}"
