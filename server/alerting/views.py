"""Alert rules CRUD and the alert history with acknowledgement (seed "Alert Management", 4
endpoints: alerts/rules/, alerts/rules/{id}/, alerts/, alerts/{id}/acknowledge/)."""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from engine.alerts import STATES
from engine.limits import LEVELS, PARAMETERS
from server.api.pagination import Pagination
from server.api.parsers import JSON_ONLY
from server.audit.log import record
from server.equipment import params
from server.sharing.kinds import ack_key
from server.sharing.push import log_change

from . import services
from .models import Alert, AlertRule
from .permissions import AlertingAccess
from .serializers import AcknowledgeSerializer, AlertRuleSerializer, AlertSerializer

STATE_FILTERS = ("all", "active", "unacked", *STATES)
_STATE_Q = {
    "all": Q(), "active": Q(end__isnull=True), "unacked": Q(acknowledged_at__isnull=True),
    "active-unacknowledged": Q(end__isnull=True, acknowledged_at__isnull=True),
    "active-acknowledged": Q(end__isnull=True, acknowledged_at__isnull=False),
    "cleared-unacknowledged": Q(end__isnull=False, acknowledged_at__isnull=True),
    "cleared-acknowledged": Q(end__isnull=False, acknowledged_at__isnull=False),
}


def _key(rule: AlertRule) -> str:
    """The rule's key in the shared-records sync (docs/sync_shared_records.md)."""
    return f"{rule.scope}|{rule.name_key}|{rule.parameter}"


def _conflict(exc: IntegrityError) -> Response:
    return Response({"detail": "a rule with this scope, name and parameter already exists."},
                    status=status.HTTP_409_CONFLICT)


class RuleListView(generics.ListCreateAPIView):
    """GET: every rule (team-shared), paginated. POST: a new rule (201); the alerts of the
    equipment it applies to are re-evaluated in the same transaction."""
    parser_classes = JSON_ONLY
    permission_classes = [AlertingAccess]
    serializer_class = AlertRuleSerializer
    pagination_class = Pagination
    queryset = AlertRule.objects.select_related("created_by", "updated_by")

    def create(self, request, *args, **kwargs):
        try:
            return super().create(request, *args, **kwargs)
        except IntegrityError as exc:
            return _conflict(exc)

    def perform_create(self, serializer):
        with transaction.atomic():
            rule = serializer.save(created_by=self.request.user, updated_by=self.request.user)
            services.reevaluate(services.equipment_for({(rule.scope, rule.name_key)}))
            log_change("limit", _key(rule), self.request.user)   # workstations pull it (#19)


class RuleDetailView(generics.RetrieveUpdateDestroyAPIView):
    """GET, PUT, PATCH, DELETE one rule; a change re-evaluates the alerts of the equipment the old
    and the new rule apply to."""
    parser_classes = JSON_ONLY
    permission_classes = [AlertingAccess]
    serializer_class = AlertRuleSerializer
    queryset = AlertRule.objects.select_related("created_by", "updated_by")

    def update(self, request, *args, **kwargs):
        try:
            return super().update(request, *args, **kwargs)
        except IntegrityError as exc:
            return _conflict(exc)

    def perform_update(self, serializer):
        old = (serializer.instance.scope, serializer.instance.name_key)
        old_key = _key(serializer.instance)
        with transaction.atomic():
            rule = serializer.save(updated_by=self.request.user)
            services.reevaluate(services.equipment_for({old, (rule.scope, rule.name_key)}))
            if _key(rule) != old_key:
                log_change("limit", old_key, self.request.user, deleted=True)
            log_change("limit", _key(rule), self.request.user)

    def perform_destroy(self, instance):
        key = (instance.scope, instance.name_key)
        shared = _key(instance)
        with transaction.atomic():
            instance.delete()
            services.reevaluate(services.equipment_for({key}))
            log_change("limit", shared, self.request.user, deleted=True)


def _choice(request, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    raw = params.given(request, name)
    if raw is None:
        return default
    if raw not in choices:
        raise params.bad(name, f"must be one of {', '.join(choices)}.")
    return raw


class AlertListView(generics.ListAPIView):
    """Alerts, newest start first, paginated {count, next, previous, results}."""
    permission_classes = [AlertingAccess]
    serializer_class = AlertSerializer
    pagination_class = Pagination

    def get_queryset(self):
        r = self.request
        qs = Alert.objects.select_related("equipment", "acknowledged_by").filter(
            _STATE_Q[_choice(r, "state", STATE_FILTERS, "all")])
        equipment_id = params.given(r, "equipment_id")
        if equipment_id is not None:
            qs = qs.filter(equipment_id=params.positive_int(equipment_id, "equipment_id"))
        parameter = _choice(r, "parameter", PARAMETERS)
        if parameter:
            qs = qs.filter(parameter=parameter)
        level = _choice(r, "level", LEVELS)
        if level:
            qs = qs.filter(level=level)
        start, end = params.window(r)              # alerts overlapping [start_date, end_date)
        if start is not None:
            qs = qs.annotate(_to=Coalesce("end", "last")).filter(_to__gte=start)
        if end is not None:
            qs = qs.filter(start__lt=end)
        return qs.order_by("-start", "-id")

    @extend_schema(parameters=[
        OpenApiParameter("state", str, enum=list(STATE_FILTERS), description="default all"),
        OpenApiParameter("equipment_id", int), OpenApiParameter("parameter", str, enum=list(PARAMETERS)),
        OpenApiParameter("level", str, enum=list(LEVELS)),
        OpenApiParameter("start_date", str, description="alerts still going at or after this (ISO 8601)"),
        OpenApiParameter("end_date", str, description="alerts starting before this (a date includes its day)")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class AcknowledgeView(APIView):
    """POST {"comment": "..."}: acknowledge one alert (200, the alert). The first acknowledgement
    stands: acknowledging an acknowledged alert is 409 with the alert as it is (its user, time and
    comment unchanged)."""
    parser_classes = JSON_ONLY
    permission_classes = [AlertingAccess]

    @extend_schema(request=AcknowledgeSerializer, responses={200: AlertSerializer, 409: inline_serializer(
        "AlreadyAcknowledged", {"detail": serializers.CharField(), "alert": AlertSerializer()})})
    def post(self, request, pk: int):
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = get_object_or_404(Alert, pk=pk)
        now = timezone.now()
        comment = body.validated_data["comment"]
        with transaction.atomic():
            done = Alert.objects.filter(pk=pk, acknowledged_at__isnull=True).update(
                acknowledged_by=request.user, acknowledged_at=now, comment=comment)
            if done:
                log_change("ack", ack_key(alert.equipment.equipment_name, alert.parameter, alert.level, alert.start),
                           request.user)
                record("update", alert, changes={"acknowledged_at": [None, now.isoformat()],
                                                 "acknowledged_by": [None, request.user.get_username()],
                                                 "comment": ["", comment]})
        alert = Alert.objects.select_related("equipment", "acknowledged_by").get(pk=pk)
        data = AlertSerializer(alert).data
        if not done:
            return Response({"detail": f"alert {pk} was already acknowledged by {data['acknowledged_by']} at "
                                       f"{data['acknowledged_at']}; the first acknowledgement stands.",
                             "alert": data}, status=status.HTTP_409_CONFLICT)
        return Response(data)
