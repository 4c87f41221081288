"""Response headers every page should carry: API answers and CSV exports are never cached
(they hold data a shared computer or proxy must not keep); HTML pages (admin, Swagger UI) get a
Content-Security-Policy that allows only this origin's scripts. One value per API query parameter."""
from __future__ import annotations

from django.http import JsonResponse

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/") and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        if response.get("Content-Type", "").startswith("text/html"):
            response.setdefault("Content-Security-Policy", CSP)
            response.setdefault("Cache-Control", "no-store")
        return response


class OneValuePerParameterMiddleware:
    """Every query parameter of the API takes one value (lists are comma separated, as
    `equipment_ids=1,2`). A repeated one (`?dataset=1&dataset=2`) is a 400 naming it, not a
    silent pick of the last value, which is what the views would otherwise read."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            repeated = sorted(k for k, v in request.GET.lists() if len(v) > 1)
            if repeated:
                return JsonResponse({"detail": f"'{repeated[0]}' is given more than once; each query "
                                               "parameter takes one value."}, status=400)
        return self.get_response(request)
