"""Django settings, all from environment variables with production-safe defaults.

DJANGO_SECRET_KEY (else generated once into the server dir), DJANGO_DEBUG (off unless "1"/"true"),
ALLOWED_HOSTS (comma separated; default localhost names), DATABASE_URL (e.g. postgres://...;
default SQLite in the server dir), CHEMVIZ_SERVER_DIR (database + uploaded files),
CHEMVIZ_KEEP_PER_USER (datasets kept per user, default 5), CHEMVIZ_THROTTLE_LOGIN / _TOKEN /
_UPLOAD (DRF rates such as "60/min").
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url

from .paths import private_dir, private_file, secret_key, server_dir

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
if str(REPO_ROOT) not in sys.path:  # `server/manage.py` and gunicorn must find the engine package
    sys.path.insert(0, str(REPO_ROOT))

from engine import schema  # noqa: E402
from engine.version import __version__  # noqa: E402


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [h.strip() for h in os.environ.get(name, default).split(",") if h.strip()]


SERVER_DIR = private_dir(server_dir())   # 0700 when created here; files below 0600

SECRET_KEY = secret_key(SERVER_DIR)
DEBUG = _flag("DJANGO_DEBUG")
ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",   # Swagger UI assets served from the package, never a CDN
    "server.users",
    "server.analytics",
    "server.audit",
    "server.equipment",
    "server.imports",   # upload import jobs, Celery queue (server/imports/conf.py for its settings)
    "server.alerting",  # alert rules and alerts, evaluated by the engine on upload
    "server.sharing",   # two-way sync of shared records (docs/sync_shared_records.md)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "server.api.middleware.SecurityHeadersMiddleware",   # no-store on the API, CSP on HTML
    "server.api.middleware.OneValuePerParameterMiddleware",   # ?a=1&a=2 is a 400
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "server.chemviz_server.urls"
WSGI_APPLICATION = "server.chemviz_server.wsgi.application"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]

_default_db = f"sqlite:///{(SERVER_DIR / 'db.sqlite3').as_posix()}"
DATABASES = {"default": dj_database_url.config(default=_default_db, conn_max_age=60)}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    if DATABASES["default"]["NAME"] and ":memory:" not in str(DATABASES["default"]["NAME"]):
        private_file(Path(DATABASES["default"]["NAME"]))   # created 0600 before SQLite opens it
    # Threaded server: wait for the write lock instead of failing; WAL is switched on in
    # server.analytics.apps so readers never block behind an upload. A transaction takes the
    # write lock when it begins (IMMEDIATE): a deferred one that had read first cannot wait for
    # it, and SQLite failed it at once with "database is locked" (a 500 under concurrent edits).
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [{"NAME": f"django.contrib.auth.password_validation.{name}"} for name in (
    "UserAttributeSimilarityValidator", "MinimumLengthValidator", "CommonPasswordValidator",
    "NumericPasswordValidator")]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = SERVER_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = SERVER_DIR / "media"
FILE_UPLOAD_PERMISSIONS = 0o600            # stored CSV files: the server's user only
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Uploads: the API refuses CSV files over CHEMVIZ_MAX_UPLOAD_BYTES with 413 (seed §6.1: 10 MB).
CHEMVIZ_MAX_UPLOAD_BYTES = int(os.environ.get("CHEMVIZ_MAX_UPLOAD_BYTES", schema.SERVER_UPLOAD_LIMIT_BYTES))
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024    # non-file form/JSON fields
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024    # larger files spool to a temp file
# spooled uploads on the media's disk, so a queued upload is moved into storage, never copied
FILE_UPLOAD_TEMP_DIR = str(private_dir(SERVER_DIR / "upload-tmp"))
# the upload view parses multipart with server.analytics.upload_parser (1 MiB reads, no copies),
# feeding Django's default upload handlers (memory up to FILE_UPLOAD_MAX_MEMORY_SIZE, else temp file)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 100
DATA_UPLOAD_MAX_NUMBER_FILES = 5
CHEMVIZ_KEEP_PER_USER = max(1, int(os.environ.get("CHEMVIZ_KEEP_PER_USER", 5)))
# Refused before parsing: a header line longer than this, or more columns than this.
CHEMVIZ_MAX_HEADER_BYTES = int(os.environ.get("CHEMVIZ_MAX_HEADER_BYTES", 64 * 1024))
CHEMVIZ_MAX_COLUMNS = int(os.environ.get("CHEMVIZ_MAX_COLUMNS", 256))
# Uploads (and exports) parsed at once, per server process and per user; more get 429 + Retry-After.
CHEMVIZ_UPLOADS_AT_ONCE = max(1, int(os.environ.get("CHEMVIZ_UPLOADS_AT_ONCE", 2)))
CHEMVIZ_UPLOADS_PER_USER = max(1, int(os.environ.get("CHEMVIZ_UPLOADS_PER_USER", 1)))

# Sign-in protection (server.users.guard): failures per account / per client address within
# CHEMVIZ_LOCKOUT_SECONDS lock that account / address for as long; checked before any hashing.
CHEMVIZ_TRUSTED_PROXIES = max(0, int(os.environ.get("CHEMVIZ_TRUSTED_PROXIES", 0)))
CHEMVIZ_LOCKOUT_FAILURES = max(1, int(os.environ.get("CHEMVIZ_LOCKOUT_FAILURES", 10)))
CHEMVIZ_LOCKOUT_ADDRESS_FAILURES = max(1, int(os.environ.get("CHEMVIZ_LOCKOUT_ADDRESS_FAILURES", 30)))
CHEMVIZ_LOCKOUT_SECONDS = max(1, int(os.environ.get("CHEMVIZ_LOCKOUT_SECONDS", 900)))
CHEMVIZ_BASIC_CACHE_SECONDS = max(0, int(os.environ.get("CHEMVIZ_BASIC_CACHE_SECONDS", 60)))
CHEMVIZ_HASHES_AT_ONCE = max(1, int(os.environ.get("CHEMVIZ_HASHES_AT_ONCE", 2)))
CHEMVIZ_TOKEN_DAYS = max(1, int(os.environ.get("CHEMVIZ_TOKEN_DAYS", 30)))
AUTHENTICATION_BACKENDS = ["server.users.backends.GuardedModelBackend"]

REST_FRAMEWORK = {
    # Basic first: DRF takes WWW-Authenticate from the first class, so a 401 names a scheme.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "server.users.authentication.CachedBasicAuthentication",
        "server.users.authentication.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_SCHEMA_CLASS": "server.api.openapi.ErrorDocumentingAutoSchema",   # documents every error
    "EXCEPTION_HANDLER": "server.api.errors.exception_handler",
    # X-Forwarded-For is trusted only through this many proxies (0: the socket address counts)
    "NUM_PROXIES": CHEMVIZ_TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("CHEMVIZ_THROTTLE_LOGIN", "60/min"),
        "token": os.environ.get("CHEMVIZ_THROTTLE_TOKEN", "60/min"),
        "upload": os.environ.get("CHEMVIZ_THROTTLE_UPLOAD", "600/min"),
        "export": os.environ.get("CHEMVIZ_THROTTLE_EXPORT", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ChemViz API",
    "DESCRIPTION": "Chemical equipment CSV upload, validation and statistics (base /api/v1/).",
    "VERSION": __version__,
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",          # from drf-spectacular-sidecar: pinned, offline, same origin
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["server.api.openapi.load_extensions"],
    # two choice sets share the field name "status": named here rather than by a hash
    "ENUM_NAME_OVERRIDES": {
        "EquipmentStatusEnum": "server.equipment.models.STATUSES",
        "DatasetStatusEnum": "server.analytics.models.Status",
        "ImportJobStatusEnum": "server.imports.models.JobStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "server.api.openapi.document_integer_bounds",
    ],
}

# Throttle counters; per process. Behind several gunicorn workers point this at a shared cache.
# "signin" holds the lockout counters and the Basic cache apart from the throttle histories, and
# large enough that a flood of new names or addresses cannot push a lock out (LocMem culls a third
# of its entries when full; 200,000 small entries are ~40 MB at most).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 20_000}},
    "signin": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "chemviz-signin",
               "OPTIONS": {"MAX_ENTRIES": 200_000}},
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if _flag("CHEMVIZ_HTTPS"):  # behind TLS: secure cookies and HSTS
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 3600

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line": {"()": "server.chemviz_server.logfilters.OneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"},
                 "console_one_line": {"class": "logging.StreamHandler", "filters": ["one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHEMVIZ_LOG_LEVEL", "WARNING")},
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
                # wrong Host headers and odd paths come from scanners: one line each, no traceback
                "django.security": {"handlers": ["console_one_line"], "level": "WARNING",
                                    "propagate": False}},
}
