"""Shared records' versions, their change log (the pull feed), the lost sides of merges and the
client operations already applied (exactly once). docs/sync_shared_records.md is the contract."""
from __future__ import annotations

from django.conf import settings
from django.db import models

OPS = ("upsert", "delete")


class SharedRecord(models.Model):
    """One shared record's current version; locked while an operation on it is applied. `editors`
    remembers who last set each field and when (the loser of a later conflict on that field)."""
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=700)
    version = models.PositiveIntegerField(default=0)
    deleted = models.BooleanField(default=False)
    editors = models.JSONField(default=dict, blank=True)   # field -> [user id, ISO time]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="shared_record_identity")]


class Change(models.Model):
    """One change of a shared record; `seq` is the pull cursor."""
    seq = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=700)
    version = models.PositiveIntegerField()
    op = models.CharField(max_length=8, choices=[(o, o) for o in OPS])
    fields = models.JSONField(default=dict, blank=True)     # the record after the change
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["kind", "key", "version"], name="change_one_per_version")]


class Conflict(models.Model):
    """A field changed on two machines: `lost_value` (set by `lost_by`) was replaced by
    `won_value` (the later arrival, `won_by`). Shown to the user who lost until seen."""
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=700)
    name = models.CharField(max_length=255, blank=True, default="")   # the record's display name
    field = models.CharField(max_length=64)
    lost_value = models.JSONField(null=True, blank=True)
    lost_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    lost_at = models.DateTimeField(null=True, blank=True)
    won_value = models.JSONField(null=True, blank=True)
    won_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    won_at = models.DateTimeField()
    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="conflicts")
    seen = models.BooleanField(default=False)

    class Meta:
        ordering = ["-won_at", "-id"]


class AppliedOp(models.Model):
    """A client operation already applied, with the answer it got: a repeat (the client was
    killed before it saw the answer) gets the same answer and changes nothing."""
    op_id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    result = models.JSONField(default=dict)
