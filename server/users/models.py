"""Seed §2.1: Django's auth_user plus users_userprofile (role, department)."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    ENGINEER = "engineer", "Engineer"
    VIEWER = "viewer", "Viewer"


class UserProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    department = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.role})"


def role_of(user) -> str | None:
    """The user's role; superusers count as admin. None for anonymous users."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    profile = getattr(user, "profile", None)
    return profile.role if profile is not None else Role.VIEWER


class ClientType(models.TextChoices):
    DESKTOP = "desktop", "Desktop"
    WEB = "web", "Web"


class APIToken(models.Model):
    """Seed §2.3.4 users_apitoken: one token per user and client type. `token` holds the SHA-256
    of the key (64 hex digits), never the key itself: the key is shown once, when issued
    (server.users.tokens)."""
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    token = models.CharField(max_length=64, unique=True, editable=False)
    client_type = models.CharField(max_length=16, choices=ClientType.choices, default=ClientType.DESKTOP)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        constraints = [
            models.UniqueConstraint(fields=["user", "client_type"], name="apitoken_one_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.client_type})"
