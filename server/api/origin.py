"""Login CSRF guard. The login endpoint takes no session (so no CSRF token exists yet); a browser
on another site could still post a form to it and plant its own session. Browsers name the page's
origin on every cross-site POST (Origin, Sec-Fetch-Site), so a foreign one is refused; clients that
are not browsers (the desktop, curl) send neither and are unaffected."""
from __future__ import annotations

from django.conf import settings


def foreign_origin(request) -> str | None:
    """The foreign origin a browser named (or "cross-site"), None when same-origin or not a browser."""
    origin = request.headers.get("Origin")
    if origin is not None:
        own = f"{request.scheme}://{request.get_host()}"
        if origin == own or origin in settings.CSRF_TRUSTED_ORIGINS:
            return None
        return origin
    site = request.headers.get("Sec-Fetch-Site")
    if site in ("cross-site", "same-site"):
        return site
    return None
