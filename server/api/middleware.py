"""Response headers every page should carry: API answers and CSV exports are never cached
(they hold data a shared computer or proxy must not keep); HTML pages (admin, Swagger UI) get a
Content-Security-Policy that allows only this origin's scripts."""
from __future__ import annotations

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
