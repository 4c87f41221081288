"""What `main.py serve` runs: waitress (pure Python, Windows/macOS/Linux) in front of the Django
app, with a connection cap, idle timeouts and body/header limits, and static files served by the
process itself (admin CSS, Swagger UI from drf-spectacular-sidecar; no collectstatic needed).

waitress reads requests in one event loop and hands only complete ones to a fixed pool of
threads, so half-sent or idle connections cost a socket, never a thread.

Settings from the environment: CHEMVIZ_SERVE_THREADS (default 6), CHEMVIZ_SERVE_CONNECTIONS
(default 2000, kept below the process's descriptor limit, which is raised towards 8192 first),
CHEMVIZ_SERVE_TIMEOUT (seconds a connection may sit idle or half-sent, default 30). Past the
connection limit new connections wait in the kernel's listen queue until idle ones time out."""
from __future__ import annotations

import logging
import os
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse

log = logging.getLogger("server.serve")

BODY_SLACK = 16 * 1024 * 1024      # room above the upload limit so the API can answer its own JSON 413
WANTED_DESCRIPTORS = 8192
RECV_BYTES = 256 * 1024           # per socket read (waitress reads 8 KiB by default: a 50 MB upload took
                                   # 6,400 reads and buffer writes in the event loop before Django saw it)
SPARE_DESCRIPTORS = 64             # database, log, uploads being read: kept free of connections


class SafeStaticFilesHandler(StaticFilesHandler):
    """Django's static handler, answering 400 (one log line, no traceback) to paths such as
    /static/../../etc/passwd instead of a 500."""

    def get_response(self, request):
        try:
            return super().get_response(request)
        except SuspiciousOperation:
            log.warning("refused static path %r from %s", request.path[:200], request.META.get("REMOTE_ADDR"))
            return JsonResponse({"detail": "Bad request."}, status=400)


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def raise_descriptor_limit(wanted: int = WANTED_DESCRIPTORS) -> int | None:
    """Raise the soft open-files limit towards `wanted` (never above the hard limit); the limit in
    force, or None where there is no such limit (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return None if soft == resource.RLIM_INFINITY else soft


def waitress_options() -> dict[str, Any]:
    """Keyword arguments for waitress.serve (besides the app, host and port)."""
    timeout = _env_int("CHEMVIZ_SERVE_TIMEOUT", 30)
    connections = _env_int("CHEMVIZ_SERVE_CONNECTIONS", 2000)
    descriptors = raise_descriptor_limit()
    if descriptors is not None:
        connections = max(10, min(connections, descriptors - SPARE_DESCRIPTORS))
    return {
        "threads": _env_int("CHEMVIZ_SERVE_THREADS", 6),
        "connection_limit": connections,
        "channel_timeout": timeout,            # idle / half-sent connections are closed after this
        "cleanup_interval": max(1, min(10, timeout // 2)),
        "max_request_header_size": 64 * 1024,
        "max_request_body_size": settings.CHEMVIZ_MAX_UPLOAD_BYTES + BODY_SLACK,
        "recv_bytes": RECV_BYTES,
        "ident": "ChemViz",                    # the Server header names no versions
        "asyncore_use_poll": True,             # no select() limit of 1024 descriptors
        "expose_tracebacks": False,
        "clear_untrusted_proxy_headers": True,
    }


def application():
    """The WSGI app `serve` runs: Django with static files."""
    from django.core.wsgi import get_wsgi_application
    return SafeStaticFilesHandler(get_wsgi_application())
