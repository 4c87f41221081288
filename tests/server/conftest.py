"""Django set up for the server tests (pytest-django supplies the test database).

Settings are read once per session, so the server dir here is a session temp dir; each test
still gets its own MEDIA_ROOT, a cleared throttle cache and fast password hashing.

Database: SQLite (or DATABASE_URL when set). `CHEMVIZ_TEST_DB=postgresql` runs the tests on
PostgreSQL at CHEMVIZ_TEST_DATABASE_URL (postgres://user:pw@host/db; the role needs CREATEDB:
pytest-django makes and drops test_<db>); without that URL every test is skipped with the reason:

    CHEMVIZ_TEST_DB=postgresql CHEMVIZ_TEST_DATABASE_URL=postgres://... pytest tests/server
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="chemviz-server-tests-"))
ON_POSTGRES = os.environ.get("CHEMVIZ_TEST_DB", "").strip().lower() in {"postgresql", "postgres", "pg"}
_PG_URL = os.environ.get("CHEMVIZ_TEST_DATABASE_URL", "").strip()
if ON_POSTGRES and _PG_URL:
    os.environ["DATABASE_URL"] = _PG_URL
os.environ["DJANGO_SETTINGS_MODULE"] = "server.chemviz_server.settings"
os.environ.setdefault("DJANGO_SECRET_KEY", "tests-only-secret-key-" + "x" * 40)
_saved_dir = os.environ.get("CHEMVIZ_SERVER_DIR")
os.environ["CHEMVIZ_SERVER_DIR"] = str(_SESSION_DIR)

import django  # noqa: E402

django.setup()
if _saved_dir is None:
    os.environ.pop("CHEMVIZ_SERVER_DIR", None)
else:
    os.environ["CHEMVIZ_SERVER_DIR"] = _saved_dir

import pytest  # noqa: E402
from django.core.cache import caches  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402
from srv_helpers import basic, make_user  # noqa: E402


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES and not _PG_URL:
        skip = pytest.mark.skip(reason="CHEMVIZ_TEST_DB=postgresql needs CHEMVIZ_TEST_DATABASE_URL "
                                       "(postgres://user:pw@host/db, a role with CREATEDB)")
        for item in items:
            if "tests/server/" in item.nodeid.replace("\\", "/"):
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _server_isolation(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    for alias in ("default", "signin"):
        caches[alias].clear()
    yield
    for alias in ("default", "signin"):
        caches[alias].clear()


@pytest.fixture
def users(db):
    """ada admin, eve and ed engineers, vic viewer (all with PASSWORD)."""
    return {name: make_user(name, role, department="Operations")
            for name, role in (("ada", "admin"), ("eve", "engineer"), ("ed", "engineer"), ("vic", "viewer"))}


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def client_for(users):
    """client_for("engineer") -> an APIClient authenticated with Basic auth as that user."""
    def make(who: str) -> APIClient:
        name = {"admin": "ada", "engineer": "eve", "engineer2": "ed", "viewer": "vic"}.get(who, who)
        c = APIClient()
        c.credentials(HTTP_AUTHORIZATION=basic(name))
        return c
    return make
