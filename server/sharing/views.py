"""Sync of shared records (issue 19): `sync/changes/` (pull since a cursor), `sync/push/`
(workstation operations, exactly once, merged per field), `sync/conflicts/` (edits this user
lost) and `sync/conflicts/{id}/seen/`. The contract: docs/sync_shared_records.md."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from server.api.parsers import JSON_ONLY
from server.equipment import params

from . import push
from .kinds import Refused
from .models import Change, Conflict

PAGE_MAX = 1000


class ChangesView(APIView):
    """Changes after `since` (a cursor from an earlier answer; 0 = from the start), oldest first,
    at most `limit` (default and maximum 1000): {changes, cursor, more}."""
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("since", int), OpenApiParameter("limit", int)],
                   responses={200: dict})
    def get(self, request):
        raw_since = params.given(request, "since") or "0"
        since = params.positive_int(raw_since, "since", "a cursor") if raw_since != "0" else 0
        raw_limit = params.given(request, "limit")
        limit = min(params.positive_int(raw_limit, "limit", "how many"), PAGE_MAX) if raw_limit else PAGE_MAX
        rows = list(Change.objects.filter(seq__gt=since).select_related("user").order_by("seq")[:limit + 1])
        more = len(rows) > limit
        rows = rows[:limit]
        return Response({
            "changes": [{"seq": c.seq, "kind": c.kind, "key": c.key, "version": c.version, "op": c.op,
                         "fields": c.fields, "user": c.user.get_username() if c.user else None,
                         "at": c.at.isoformat()} for c in rows],
            "cursor": rows[-1].seq if rows else since, "more": more})


class PushView(APIView):
    """{"ops": [...]} (at most 200): one result per op, in order. Each op is applied in its own
    transaction, so one refused op does not undo the others."""
    parser_classes = JSON_ONLY
    permission_classes = [IsAuthenticated]

    @extend_schema(request=dict, responses={200: dict})
    def post(self, request):
        ops = request.data.get("ops") if isinstance(request.data, dict) else None
        if not isinstance(ops, list):
            return Response({"detail": "send {\"ops\": [...]}"}, status=status.HTTP_400_BAD_REQUEST)
        if len(ops) > push.MAX_OPS:
            return Response({"detail": f"at most {push.MAX_OPS} ops per request"},
                            status=status.HTTP_400_BAD_REQUEST)
        results = []
        for raw in ops:
            try:
                op = push.parse(raw)
            except Refused as exc:
                results.append({"op_id": str(raw.get("op_id")) if isinstance(raw, dict) else None,
                                "outcome": "refused", "detail": str(exc)})
                continue
            results.append(push.apply(op, request.user))
        return Response({"results": results})


class ConflictsView(APIView):
    """Edits of the calling user that a later edit replaced (newest first); `unseen=1` for the
    ones not yet marked seen."""
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("unseen", bool)], responses={200: dict})
    def get(self, request):
        qs = Conflict.objects.filter(lost_by=request.user).select_related("lost_by", "won_by")
        if params.flag(request, "unseen"):
            qs = qs.filter(seen=False)
        return Response({"results": [push.describe(c) for c in qs[:500]]})


class ConflictSeenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: dict})
    def post(self, request, pk: int):
        done = Conflict.objects.filter(pk=pk, lost_by=request.user).update(seen=True)
        if not done:
            return Response({"detail": "no such conflict of yours"}, status=status.HTTP_404_NOT_FOUND)
        return Response({"id": pk, "seen": True})
