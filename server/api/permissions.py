"""Seed §4.1 roles: viewer reads, engineer uploads and deletes own datasets, admin everything."""
from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from server.users.models import Role, role_of


class CanUpload(BasePermission):
    message = "Your role (viewer) can only read; uploading needs an engineer or admin account."

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) in (Role.ENGINEER, Role.ADMIN)


class DatasetAccess(BasePermission):
    """Every authenticated user reads; deleting needs admin, or engineer on own datasets."""
    message = "Only an admin or the engineer who uploaded this dataset can delete it."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        role = role_of(request.user)
        if role not in (Role.ENGINEER, Role.ADMIN):
            self.message = "Your role (viewer) can only read."
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        role = role_of(request.user)
        return role == Role.ADMIN or (role == Role.ENGINEER and obj.uploaded_by_id == request.user.pk)


class EquipmentAccess(BasePermission):
    """Seed §3.2/§4.1: every authenticated user reads; engineers and admins create; updating needs
    admin or the engineer who created the equipment (uploads create it for the uploader);
    deleting needs admin (seed: "403: Permission denied (only admin)")."""
    message = "Your role (viewer) can only read."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        role = role_of(request.user)
        if request.method == "DELETE" and role != Role.ADMIN:
            self.message = "Only an admin can delete equipment."
            return False
        if role not in (Role.ENGINEER, Role.ADMIN):
            self.message = "Your role (viewer) can only read."
            return False
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        role = role_of(request.user)
        if role == Role.ADMIN:
            return True
        self.message = "Only an admin or the engineer who created this equipment can change it."
        return request.method != "DELETE" and role == Role.ENGINEER and obj.created_by_id == request.user.pk


class ReadingAccess(BasePermission):
    """Readings: everyone reads; engineers and admins record readings (their own rows, with
    recorded_by) on any equipment."""
    message = "Your role (viewer) can only read; recording a reading needs an engineer or admin account."

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return role_of(request.user) in (Role.ENGINEER, Role.ADMIN)
