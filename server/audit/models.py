"""Seed "Audit Logging": every create, update and delete of the audited models, with who (user and
a snapshot of the name, the client address, how they signed in) and when. Written by
server.audit.log in the same transaction as the change; read by admins only (GET audit/ and the
Django admin); never edited."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and nothing done on delete: an entry keeps the id (and the name
    # below) of a user deleted later, and deleting a user never rewrites the log.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                             null=True, blank=True, related_name="+")
    username = models.CharField(max_length=150, blank=True, default="")
    ip = models.CharField(max_length=64, blank=True, default="")
    via = models.CharField(max_length=16, blank=True, default="",
                           help_text="how the user was signed in: token, basic, session, password, cli; "
                                     "empty for the system")
    action = models.CharField(max_length=8, choices=Action.choices)
    model = models.CharField(max_length=100, help_text="app_label.modelname, e.g. analytics.csvdataset")
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=200, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True,
                               help_text="update: {field: [old, new]}; secrets show as \"(changed)\"")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["model", "object_id"], name="audit_model_object"),
            models.Index(fields=["user", "at"], name="audit_user_at"),
        ]

    def __str__(self) -> str:
        who = self.username or "(system)"
        return f"{self.at:%Y-%m-%d %H:%M:%S} {who} {self.action} {self.model} {self.object_repr}"
