"""GET audit/: the audit log, newest first, for admins only.

Filters (all optional, combined): `user` (a user name, or an id), `model` ("app.model" such as
"analytics.csvdataset", or the model name alone), `action` (create/update/delete), `object_id`,
`since` / `until` (ISO 8601 date or date-time, UTC when no zone is given; `until` as a date
includes that day). Pages: `page`, `page_size` (default 50, at most 500) ->
{count, next, previous, results}."""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission

from server.api.pagination import AuditPagination
from server.api.query import MAX_ID, given
from server.users.models import Role, role_of

from .models import Action, AuditEntry
from .serializers import AuditEntrySerializer


class IsAdminRole(BasePermission):
    message = "Only an admin can read the audit log."

    def has_permission(self, request, view) -> bool:
        return role_of(request.user) == Role.ADMIN


def _when(request, name: str, *, end: bool = False) -> datetime | None:
    raw = given(request, name)
    if raw is None:
        return None
    raw = raw.replace(" ", "+") if len(raw) > 10 and raw[-6] == " " else raw   # unencoded "+02:00"
    day = parse_date(raw) if len(raw) == 10 else None
    if day is not None:
        start = datetime.combine(day, time.min, tzinfo=UTC)
        return start + timedelta(days=1) if end else start
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        raise ValidationError({"detail": f"'{name}' must be an ISO 8601 date or date-time, e.g. 2025-01-31 "
                                         "or 2025-01-31T08:00:00Z."})
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


FILTERS = [
    OpenApiParameter("user", OpenApiTypes.STR, description="user name, or user id"),
    OpenApiParameter("model", OpenApiTypes.STR, description='"app.model" (e.g. analytics.csvdataset) or model name'),
    OpenApiParameter("action", OpenApiTypes.STR, enum=Action.values),
    OpenApiParameter("object_id", OpenApiTypes.STR),
    OpenApiParameter("since", OpenApiTypes.DATETIME, description="from this time (inclusive)"),
    OpenApiParameter("until", OpenApiTypes.DATETIME, description="before this time; a date includes the day"),
]


class AuditLogView(generics.ListAPIView):
    permission_classes = [IsAdminRole]
    serializer_class = AuditEntrySerializer
    pagination_class = AuditPagination

    @extend_schema(parameters=FILTERS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = AuditEntry.objects.all()
        p = self.request.query_params
        user = (p.get("user") or "").strip()
        if user:
            by_id = user.isdigit() and int(user) <= MAX_ID
            qs = qs.filter(Q(user_id=int(user)) | Q(username=user)) if by_id else qs.filter(username=user)
        model = (p.get("model") or "").strip().lower()
        if model:
            qs = qs.filter(model=model) if "." in model else qs.filter(model__endswith="." + model)
        action = (given(self.request, "action") or "").lower()
        if action:
            if action not in Action.values:
                raise ValidationError({"detail": f"'action' must be one of {', '.join(Action.values)}."})
            qs = qs.filter(action=action)
        object_id = (p.get("object_id") or "").strip()
        if object_id:
            qs = qs.filter(object_id=object_id)
        since, until = _when(self.request, "since"), _when(self.request, "until", end=True)
        if since is not None:
            qs = qs.filter(at__gte=since)
        if until is not None:
            qs = qs.filter(at__lt=until)
        return qs.order_by("-at", "-id")
