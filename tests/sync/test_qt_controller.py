"""The Qt side against the real server: status texts, sign in/out through the controller,
History integration via attach_sync, the sign-in dialog, and no password on disk."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from PyQt5.QtWidgets import QLabel, QMainWindow

from chemviz_desktop.core.store import SERVER_ONLY, SYNCED
from chemviz_desktop.core.sync.api_client import ApiClient, RetryPolicy
from chemviz_desktop.ui.account_dialog import AccountDialog
from chemviz_desktop.ui.pages.history_page import HistoryPage
from chemviz_desktop.ui.sync_controller import SyncController
from chemviz_desktop.ui.sync_menu import attach_sync

from .conftest import PYTHON, ROOT, cli_env, import_csv, make_csv

PW = "Correct-horse-9"
FAST = RetryPolicy(total=1, backoff_factor=0.05, connect_timeout=0.5, read_timeout=10)


class FakeWindow(QMainWindow):
    """The three hooks MainWindow exposes, nothing else."""

    def __init__(self, store):
        super().__init__()
        self.sync_status_label = QLabel("Offline — not signed in")
        self.statusBar().addPermanentWidget(self.sync_status_label)
        self.account_menu = self.menuBar().addMenu("&Account")
        self.account_menu.addAction("Sign in…").setEnabled(False)
        self.history_page = HistoryPage(store, 100)
        self.setCentralWidget(self.history_page)


def sign_in_with(qtbot, ctl: SyncController, server, user="alice", remember=False):
    with qtbot.waitSignal(ctl.signedIn, timeout=20_000):
        ctl.sign_in(server.url, user, PW, remember)


def wait_status(qtbot, ctl: SyncController, prefix: str, timeout=20_000):
    qtbot.waitUntil(lambda: ctl.status.startswith(prefix), timeout=timeout)


@pytest.fixture
def window(qtbot, store):
    w = FakeWindow(store)
    qtbot.addWidget(w)
    yield w
    ctl = getattr(w, "sync_controller", None)
    if ctl is not None:
        ctl.close()
        from chemviz_desktop.ui.workers import wait_all
        wait_all(10_000)


def test_status_goes_signed_out_syncing_online_offline_signed_out(qtbot, server, window, store):
    server.add_user("alice", PW, "engineer")
    for i in range(3):
        import_csv(store, f"s{i}.csv", make_csv(f"S{i}"), queue=False)
    ctl = attach_sync(window, policy=FAST, interval=600, tick_ms=50)
    assert window.sync_status_label.text() == "Signed out"
    assert [a.text() for a in window.account_menu.actions()] == ["Sign in…", "Sync panel…"]
    assert window.account_menu.actions()[0].isEnabled()
    seen: list[str] = []
    ctl.statusChanged.connect(seen.append)

    sign_in_with(qtbot, ctl, server)
    wait_status(qtbot, ctl, "Online")
    assert window.sync_status_label.text() == f"Online — {server.url}"
    assert "Syncing (3 pending) — " + server.url in seen
    assert all(i.sync_state == SYNCED for i in store.list())
    texts = [a.text() for a in window.account_menu.actions()]
    assert texts == ["Signed in as alice (engineer)", "Sync now", "Sync panel…", "Sign out"]
    assert [i.model.items for i in [window.history_page]][0][0].sync_state == SYNCED  # History refreshed

    server.kill()
    ctl.sync_now()
    wait_status(qtbot, ctl, "Offline")
    assert window.sync_status_label.text() == f"Offline — {server.url}"
    server.start()
    ctl.sync_now()
    wait_status(qtbot, ctl, "Online")

    token = ctl.session.token
    ctl.sign_out()
    assert window.sync_status_label.text() == f"Signed out — {server.url}"
    qtbot.waitUntil(lambda: requests.get(server.api + "auth/user/me/", timeout=5,
                                         headers={"Authorization": f"Token {token}"}).status_code == 401,
                    timeout=10_000)
    assert [a.text() for a in window.account_menu.actions()] == ["Sign in…", "Sync panel…"]


def test_the_ui_thread_is_never_blocked_by_a_dead_server(qtbot, window, store):
    """Sync against a server that accepts connections but never answers: health/ times out on
    the worker while the event loop keeps turning."""
    import socket

    from chemviz_desktop.core.sync.account import Session
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)    # connections queue up, nothing ever answers
    url = f"http://127.0.0.1:{mute.getsockname()[1]}"
    import_csv(store, "a.csv", make_csv("A"))
    slow = RetryPolicy(total=2, backoff_factor=0.5, connect_timeout=1.5, read_timeout=2)
    ctl = SyncController(store.path, window, policy=slow, tick_ms=50,
                         session=Session(url, "alice", "tok"))
    ticks = []
    from PyQt5.QtCore import QTimer
    t = QTimer()
    t.timeout.connect(lambda: ticks.append(1))
    t.start(20)
    ctl.start()
    qtbot.waitUntil(lambda: ctl.status.startswith("Offline") and not ctl.runner.busy, timeout=15_000)
    assert len(ticks) > 20   # the GUI thread kept running while health/ timed out (2 s)
    assert ctl.status == f"Offline (1 pending) — {url}"
    ctl.close()
    mute.close()


def test_the_pending_count_is_read_on_a_worker_and_follows_an_import(qtbot, window, store, monkeypatch):
    """The status bar's "(n pending)" comes from a worker's store read, never the GUI thread's,
    and a new import shows up in it after refresh_status (what History's `changed` calls)."""
    import socket
    import threading

    from chemviz_desktop.core.store import Store
    from chemviz_desktop.core.sync.account import Session
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()                      # nothing listens: every pass is refused at once (Offline)
    import_csv(store, "a.csv", make_csv("A"))
    threads: list[bool] = []
    count = Store.pending_count
    monkeypatch.setattr(Store, "pending_count",
                        lambda self: threads.append(threading.current_thread() is threading.main_thread())
                        or count(self))
    ctl = SyncController(store.path, window, policy=FAST, tick_ms=50, interval=600,
                         session=Session(url, "alice", "tok"))
    ctl.start()
    qtbot.waitUntil(lambda: ctl.status == f"Offline (1 pending) — {url}" and not ctl.runner.busy, timeout=15_000)
    import_csv(store, "b.csv", make_csv("B"))
    with qtbot.waitSignal(ctl.statusChanged, timeout=10_000) as changed:
        ctl.refresh_status()
    assert changed.args == [f"Offline (2 pending) — {url}"]
    assert threads and not any(threads)     # every count ran off the GUI thread
    ctl.close()


def test_revoked_token_signs_the_user_out(qtbot, server, window, store):
    server.add_user("alice", PW, "engineer")
    ctl = attach_sync(window, policy=FAST, interval=600, tick_ms=50)
    sign_in_with(qtbot, ctl, server, remember=True)
    wait_status(qtbot, ctl, "Online")
    ApiClient(server.url, token=ctl.session.token, policy=FAST).logout()   # revoked elsewhere
    import_csv(store, "late.csv", make_csv("L"))
    with qtbot.waitSignal(ctl.message, timeout=20_000) as blocker:
        ctl.sync_now()
    assert "Sign in again" in blocker.args[0]
    assert ctl.status.startswith("Signed out") and ctl.session is None
    assert store.pending_count() == 1   # nothing lost: still waiting for the next sign-in


def test_history_opens_server_only_and_deletes_on_server_when_asked(qtbot, server, window, store):
    server.add_user("alice", PW, "engineer")
    server.add_user("bob", PW, "engineer")
    bob = ApiClient(server.url, policy=FAST)
    bob.sign_in("bob", PW)
    bob.upload("bob.csv", make_csv("B", rows=8), "0b0b0b0b-0000-4000-8000-000000000003")
    mine = import_csv(store, "mine.csv", make_csv("M"))
    ctl = attach_sync(window, policy=FAST, interval=600, tick_ms=50)
    sign_in_with(qtbot, ctl, server)
    wait_status(qtbot, ctl, "Online")
    page = window.history_page
    qtbot.waitUntil(lambda: any(i.file_name == "bob.csv" for i in page.model.items), timeout=10_000)
    bob_info = next(i for i in page.model.items if i.file_name == "bob.csv")
    assert bob_info.sync_state == SERVER_ONLY
    page.select_id(bob_info.id)
    with qtbot.waitSignal(page.openRequested, timeout=20_000) as opened:
        page.open_button.click()
    assert opened.args == [bob_info.id] and store.info(bob_info.id).has_rows

    asked = []
    ctl.ask_delete_scope = lambda parent, name: asked.append(name) or "server"
    page.confirm = lambda q: True

    def delete_bob() -> bool:
        # a background pass may refresh the page (and its selection) between two clicks: select again
        page.select_id(bob_info.id)      # bob's: an engineer may not delete it on the server
        page.delete_button.click()
        return store.info(bob_info.id) is None
    qtbot.waitUntil(delete_bob, timeout=20_000)
    assert asked == []

    mine_id = store.by_uuid(mine).id
    page.select_id(mine_id)
    with qtbot.waitSignal(page.deleted, timeout=20_000):
        page.delete_button.click()
    assert asked == ["mine.csv"] and store.by_uuid(mine) is None
    left = requests.get(server.api + "analytics/csv/datasets/?limit=100", auth=("alice", PW), timeout=5).json()
    assert [r["file_name"] for r in left["results"]] == ["bob.csv"]


def test_sign_in_dialog_warns_about_plain_http_and_forgets_the_password(qtbot):
    dlg = AccountDialog(None, "http://chem.example.org", "ann")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.warning.isVisible() and "unencrypted" in dlg.warning.text()
    dlg.url_edit.setText("https://chem.example.org")
    assert not dlg.warning.isVisible()
    dlg.url_edit.setText("http://127.0.0.1:8000")
    assert not dlg.warning.isVisible()
    requests_seen = []
    dlg.signInRequested.connect(lambda *a: requests_seen.append(a))
    dlg.submit()
    assert requests_seen == [] and dlg.error.isVisible()      # no password typed
    dlg.password_edit.setText("Secret-pass-1")
    dlg.submit()
    assert requests_seen == [("http://127.0.0.1:8000", "ann", "Secret-pass-1", False)]
    dlg.show_error("Wrong user name or password.")
    assert dlg.buttons.buttons()[0].isEnabled()
    dlg.reject()
    assert dlg.password_edit.text() == ""


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            if needle in data or needle.decode().encode("utf-16-le") in data:
                hits.append(p)
    return hits


def test_no_password_is_ever_written_to_disk(qtbot, server, window, store, tmp_path, memory_keyring):
    secret = "Unique-Secret-4711"
    server.add_user("alice", secret, "engineer")
    from chemviz_desktop.ui.settings import AppSettings
    settings = AppSettings()
    settings.theme = "dark"
    ctl = attach_sync(window, policy=FAST, interval=600, tick_ms=50)
    import_csv(store, "p.csv", make_csv("P"))
    dlg_calls = []
    ctl.signedIn.connect(dlg_calls.append)
    with qtbot.waitSignal(ctl.signedIn, timeout=20_000):
        ctl.sign_in(server.url, "alice", secret, True)
    wait_status(qtbot, ctl, "Online")
    settings.sync()
    # and the CLI, remembering its token
    import subprocess
    r = subprocess.run([PYTHON, "main.py", "sync", "--server", server.url, "--user", "alice"],
                       cwd=ROOT, env=cli_env(CHEMVIZ_PASSWORD=secret), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    roots = [Path(os.environ["CHEMVIZ_DATA_DIR"]), Path(os.environ["XDG_CONFIG_HOME"])]
    files = [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "settings.ini" for p in files) and any(p.name == "account.json" for p in files)
    for root in roots:
        if root.exists():
            assert _files_containing(root, secret.encode()) == []
    assert secret not in str(memory_keyring.items)        # the keychain holds the token only
    assert list(memory_keyring.items.values()) == [ctl.session.token]


def test_account_dialog_signs_in_through_the_controller(qtbot, server, window, store):
    from chemviz_desktop.ui.sync_menu import open_account_dialog
    server.add_user("alice", PW, "engineer")
    ctl = attach_sync(window, policy=FAST, interval=600, tick_ms=50)
    dlg = open_account_dialog(ctl, window)
    dlg.url_edit.setText(server.url)
    dlg.user_edit.setText("alice")
    dlg.password_edit.setText("Wrong-password-2")
    with qtbot.waitSignal(ctl.signInFailed, timeout=20_000):
        dlg.submit()
    assert dlg.isVisible() and dlg.error.isVisible() and ctl.session is None
    dlg.password_edit.setText(PW)
    with qtbot.waitSignal(dlg.finished, timeout=20_000):
        dlg.submit()
    assert ctl.session.username == "alice" and dlg.password_edit.text() == ""
    wait_status(qtbot, ctl, "Online")


def test_delete_on_the_server_too_while_offline_is_queued_and_done_at_the_next_sync(qtbot, server, window, store):
    server.add_user("alice", PW, "engineer")
    mine = import_csv(store, "mine.csv", make_csv("M"))
    ctl = attach_sync(window, policy=FAST, interval=600, tick_ms=50)
    sign_in_with(qtbot, ctl, server)
    wait_status(qtbot, ctl, "Online")
    qtbot.waitUntil(lambda: store.by_uuid(mine).sync_state == SYNCED, timeout=10_000)
    server.kill()
    ctl.sync_now()
    wait_status(qtbot, ctl, "Offline")
    page = window.history_page
    ctl.ask_delete_scope = lambda parent, name: "server"
    page.select_id(store.by_uuid(mine).id)
    with qtbot.waitSignal(ctl.message, timeout=20_000) as told:
        page.delete_button.click()
    assert "will be deleted on the server at the next sync" in told.args[0]
    assert store.by_uuid(mine) is None
    qtbot.waitUntil(lambda: ctl.shared_status.startswith("1 change to send"), timeout=10_000)
    server.start()
    ctl.sync_now()
    wait_status(qtbot, ctl, "Online")
    qtbot.waitUntil(lambda: not ctl.shared_status.startswith("1 change"), timeout=20_000)
    left = requests.get(server.api + "analytics/csv/datasets/?limit=100", auth=("alice", PW), timeout=5).json()
    assert left["results"] == [] and store.by_uuid(mine) is None
