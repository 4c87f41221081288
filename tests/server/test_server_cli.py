"""`main.py adduser` (in-process, the migrate step stubbed; the live test runs it for real),
`serve` argument checks, concurrency/throttle edges of upload."""
from __future__ import annotations

import io
import uuid

import pytest
from django.contrib.auth import get_user_model
from srv_helpers import API, upload

import cli
import cli.server_commands as sc
from server.analytics import services
from server.analytics.models import CSVDataset


@pytest.fixture
def no_migrate(monkeypatch, db):
    monkeypatch.setattr(sc, "_migrate", lambda: None)


def test_adduser_from_stdin_creates_profile_with_role(no_migrate, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Tank-farm-42\n"))
    assert cli.main(["adduser", "carol", "--role", "engineer", "--password-stdin",
                     "--department", "Utilities"]) == 0
    user = get_user_model().objects.get(username="carol")
    assert user.check_password("Tank-farm-42") and not user.is_staff
    assert user.profile.role == "engineer" and user.profile.department == "Utilities"
    assert "created user 'carol'" in capsys.readouterr().out


def test_adduser_admin_is_staff_and_rerun_updates(no_migrate, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("Tank-farm-42\n"))
    assert cli.main(["adduser", "dora", "--role", "admin", "--password-stdin"]) == 0
    user = get_user_model().objects.get(username="dora")
    assert user.is_staff and user.is_superuser and user.profile.role == "admin"
    monkeypatch.setattr("sys.stdin", io.StringIO("Other-pass-77\n"))
    assert cli.main(["adduser", "dora", "--role", "viewer", "--password-stdin"]) == 0
    user.refresh_from_db()
    assert not user.is_staff and user.profile.role == "viewer" and user.check_password("Other-pass-77")


def test_adduser_prompts_and_refuses_mismatch(no_migrate, monkeypatch, capsys):
    answers = iter(["Tank-farm-42", "Tank-farm-43"])
    monkeypatch.setattr(sc.getpass, "getpass", lambda prompt="": next(answers))
    assert cli.main(["adduser", "erin", "--role", "viewer"]) == 2
    assert "do not match" in capsys.readouterr().err
    assert not get_user_model().objects.filter(username="erin").exists()


@pytest.mark.parametrize("password,why", [("", "empty"), ("short", "too short"), ("password123", "too common")])
def test_adduser_refuses_empty_or_weak_passwords(no_migrate, monkeypatch, capsys, password, why):
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    assert cli.main(["adduser", "frank", "--role", "viewer", "--password-stdin"]) == 2
    assert why in capsys.readouterr().err
    assert not get_user_model().objects.filter(username="frank").exists()


def test_adduser_requires_a_role(capsys):
    with pytest.raises(SystemExit):
        cli.main(["adduser", "gus"])


def test_serve_rejects_bad_port(capsys):
    assert cli.main(["serve", "--port", "70000"]) == 2
    assert "--port" in capsys.readouterr().err


def test_concurrent_repeat_returns_the_other_requests_dataset(client_for, monkeypatch):
    c = client_for("engineer")
    key = str(uuid.uuid4())
    first = upload(c, fields={"client_id": key})
    real, calls = services.find_existing, []

    def racing(user, client_id):  # the view's check misses (the other request has not committed)
        calls.append(client_id)
        return None if len(calls) == 1 else real(user, client_id)
    monkeypatch.setattr(services, "find_existing", racing)
    again = upload(c, fields={"client_id": key})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert CSVDataset.objects.count() == 1 and len(calls) == 2


def test_upload_is_throttled(client_for, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], upload="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    c = client_for("engineer")
    assert [upload(c).status_code for _ in range(3)] == [200, 200, 429]


def test_datasets_of_a_deleted_user_stay_with_null_uploader(client_for, users):
    sid = upload(client_for("engineer2")).json()["id"]
    users["ed"].delete()
    item = client_for("viewer").get(API + "analytics/csv/datasets/").json()["results"][0]
    assert item["id"] == sid and item["uploaded_by"] is None
    assert client_for("viewer").get(API + f"analytics/csv/datasets/{sid}/").json()["uploaded_by"] is None
