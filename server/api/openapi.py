"""Every error the API can answer is in the OpenAPI document, so clients (and schemathesis)
know a 401 or a 429 is part of the contract, not a surprise. The schema is generated without
warnings (`spectacular --validate --fail-on-warn`): the extensions below describe classes the
generator cannot read on its own; `load_extensions` (a preprocessing hook) imports this module
before any view is read, which is what registers them."""
from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import BasicScheme
from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.utils import extend_schema, extend_schema_view


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

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"},
                   "issues": {"type": "array", "items": {"type": "object"}}},
    "required": ["detail"],
}
_REASONS = {
    "400": "the request or the uploaded file is invalid",
    "401": "not authenticated (Basic, Token or session)",
    "403": "authenticated, but the role does not allow it",
    "404": "no such object",
    "409": "conflicts with what the server has (a client_id reused for other bytes, a second "
           "reading at the same time)",
    "411": "a chunked body without Content-Length (send the length)",
    "413": "the upload is larger than the limit",
    "429": "too many requests; retry after the Retry-After header",
}
_OPEN = ("/health/", "/schema/", "/docs/")


def _codes(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    codes = ["400"]
    if not path.endswith(_OPEN) and not path.endswith(("/auth/login/", "/auth/token/")):
        codes += ["401", "403"]
    if "{" in path or path.endswith(("/statistics/", "/comparison/", "/compare/", "/trends/")):
        codes.append("404")
    if path.endswith("/upload/"):
        codes += ["409", "411", "413"]
    if path.endswith("/history/") and method == "post":
        codes.append("409")
    codes.append("429")   # rate throttles, busy upload/export slots, or a locked account/address
    if path.endswith(_OPEN):
        codes = []
    return codes


# Integer parameters that name a dataset or a count: the server answers 400 below 1.
_POSITIVE_INTS = {"id", "a", "b", "dataset", "limit", "equipment_id", "page", "page_size"}


def document_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for param in operation.get("parameters", []):
                schema = param.get("schema", {})
                if param.get("name") in _POSITIVE_INTS and schema.get("type") == "integer":
                    schema["minimum"] = 1
            for code in _codes(path, method, operation):
                operation["responses"].setdefault(code, {
                    "description": _REASONS[code],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                })
    return result
