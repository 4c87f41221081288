from __future__ import annotations

from rest_framework import serializers

from .models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="username", help_text="the user's name at the time; empty: the system")

    class Meta:
        model = AuditEntry
        fields = ["id", "at", "user", "user_id", "ip", "via", "action", "model", "object_id",
                  "object_repr", "changes"]
