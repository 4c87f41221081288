"""The one pagination of every paginated list (equipment, history, alerts, rules, audit):
`page`, `page_size` -> {count, next, previous, results}.

A client written from the OpenAPI document sends whole numbers from 1, so anything else is a
400 that names the parameter (DRF's default silently used 20 for `page_size=0` and answered an
undocumented 404 for `page=abc`). A page past the last one is the documented 404; a `page_size`
above the maximum is clamped to it (documented in the parameter's description)."""
from __future__ import annotations

import re

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination

from .query import MAX_ID

_WHOLE = re.compile(r"[0-9]{1,19}")


def _whole_number(request, name: str, meaning: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = int(raw.strip()) if _WHOLE.fullmatch(raw.strip()) else 0
    if not 1 <= value <= MAX_ID:
        raise ValidationError({"detail": f"'{name}' must be a whole number from 1 ({meaning}), not {raw[:40]!r}."})
    return value


class Pagination(PageNumberPagination):
    """Default 20 items per page, at most 1000."""
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()           # `page=last` is not in the schema (an integer from 1)

    def get_page_size(self, request) -> int:
        asked = _whole_number(request, "page_size", "items per page")
        return self.page_size if asked is None else min(asked, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        return _whole_number(request, "page", "the page number") or 1

    def paginate_queryset(self, queryset, request, view=None):
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            pages = self.page_count(queryset, request)
            raise NotFound(f"Page {self.get_page_number(request, None)} does not exist: there "
                           f"{'is 1 page' if pages == 1 else f'are {pages} pages'} at this page_size.") from None

    def page_count(self, queryset, request) -> int:
        return self.django_paginator_class(queryset, self.get_page_size(request)).num_pages

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {"name": "page", "required": False, "in": "query",
             "description": "page number, from 1 (default 1); a page past the last is 404",
             "schema": {"type": "integer", "minimum": 1}},
            {"name": "page_size", "required": False, "in": "query",
             "description": f"items per page, from 1 (default {self.page_size}; above {self.max_page_size} "
                            f"gives {self.max_page_size})",
             "schema": {"type": "integer", "minimum": 1}},
        ]


class AuditPagination(Pagination):
    """The audit log's pages are longer: default 50, at most 500."""
    page_size = 50
    max_page_size = 500
