"""Roles on the alerting endpoints: every authenticated user reads rules and alerts; engineers
and admins write rules (team-shared: any engineer changes any rule) and acknowledge alerts."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from server.users.models import Role, role_of


class AlertingAccess(BasePermission):
    message = "Your role (viewer) can only read; alert rules and acknowledgements need an engineer or admin account."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or role_of(request.user) in (Role.ENGINEER, Role.ADMIN)
