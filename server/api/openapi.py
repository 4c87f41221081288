"""Every error the API can answer is in the OpenAPI document, so clients (and schemathesis)
know a 401 or a 429 is part of the contract, not a surprise: ErrorDocumentingAutoSchema (the
schema class in settings) adds each operation's error codes with the one `Error` body
(server.api.errors.ErrorSerializer). The schema is generated without warnings
(`spectacular --validate --fail-on-warn`): the extensions below describe classes the generator
cannot read on its own; `load_extensions` (a preprocessing hook) imports this module before any
view is read, which is what registers them."""
from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import BasicScheme
from drf_spectacular.extensions import OpenApiSerializerExtension, OpenApiViewExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view

from server.api.errors import ErrorSerializer
from server.api.query import MAX_ID


class CachedBasicScheme(BasicScheme):
    """The server's Basic authentication (a cache in front of the password hash) is plain HTTP
    Basic on the wire."""
    target_class = "server.users.authentication.CachedBasicAuthentication"


class DatasetListOperation(OpenApiViewExtension):
    """`GET analytics/csv/datasets/` lists; without this its operationId would be `..._retrieve`,
    the same as the detail's, and the generator would number them."""
    target_class = "server.analytics.views_datasets.DatasetListView"

    def view_replacement(self):
        @extend_schema_view(get=extend_schema(operation_id="analytics_csv_datasets_list"))
        class DatasetList(self.target_class):  # type: ignore[name-defined]
            pass
        return DatasetList


def load_extensions(endpoints: list) -> list:
    """Preprocessing hook: importing this module registered the extensions above."""
    return endpoints


_REASONS = {
    "400": "the request or the uploaded file is invalid (`detail` says why; a rejected body also "
           "lists each field's messages under the field's name)",
    "401": "not authenticated (Basic, Token or session)",
    "403": "authenticated, but the role does not allow it",
    "404": "no such object",
    "409": "conflicts with what the server has (a client_id reused for other bytes, a second "
           "reading at the same time)",
    "411": "a chunked body without Content-Length (send the length)",
    "413": "the upload is larger than the limit",
    "415": "the body's Content-Type is not one this operation takes",
    "429": "too many requests; retry after the Retry-After header",
}
_PAGE_404 = "no such object, or a page past the last one"
_OPEN = ("/health/", "/schema/", "/docs/")


def _codes(path: str, method: str, paginated: bool) -> list[str]:
    if path.endswith(_OPEN):
        return []
    codes = ["400"]
    if not path.endswith(("/auth/login/", "/auth/token/")):
        codes += ["401", "403"]
    if paginated or "{" in path or path.endswith(("/statistics/", "/comparison/", "/compare/", "/trends/")):
        codes.append("404")
    if path.endswith("/upload/"):
        codes += ["409", "411", "413"]
    if path.endswith("/history/") and method == "post":
        codes.append("409")
    if method in ("post", "put", "patch"):
        codes.append("415")
    codes.append("429")   # rate throttles, busy upload/export slots, or a locked account/address
    return codes


class ErrorSerializerExtension(OpenApiSerializerExtension):
    """The `Error` component is ErrorSerializer's fields plus the field errors of a rejected
    body, which a serializer cannot declare: any other key is a field's messages."""
    target_class = "server.api.errors.ErrorSerializer"

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = {
            "description": "the messages for the field of that name (a list of strings; an object "
                           "for a nested field)"}
        return schema


class ErrorDocumentingAutoSchema(AutoSchema):
    """Every operation documents the errors it can answer, each with the one `Error` body
    (ErrorSerializer), unless the view documents that code itself."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.lower()
        paginated = method == "get" and getattr(self.view, "pagination_class", None) is not None \
            and self._is_list_view()
        for code in _codes(self.path, method, paginated):
            if code not in responses:
                reason = _PAGE_404 if code == "404" and paginated else _REASONS[code]
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=reason), code, direction=direction)
        return responses


# Integer parameters that name a row or a count: the server answers 400 below 1 or above MAX_ID.
_POSITIVE_INTS = {"id", "a", "b", "dataset", "limit", "equipment_id", "page", "page_size"}
_NON_NEGATIVE_INTS = {"since"}       # a sync cursor: 0 is the start


def document_integer_bounds(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """Postprocessing hook: the lower bounds the views enforce on integer parameters."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                if schema.get("type") != "integer":
                    continue
                if param.get("name") in _POSITIVE_INTS:
                    schema.update(minimum=1, maximum=MAX_ID)
                elif param.get("name") in _NON_NEGATIVE_INTS:
                    schema.update(minimum=0, maximum=MAX_ID)
    return result
