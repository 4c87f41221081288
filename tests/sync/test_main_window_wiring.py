"""The real MainWindow with sync attached (one call in its constructor)."""
from __future__ import annotations

from chemviz_desktop.core.store import SYNCED
from chemviz_desktop.core.sync.api_client import RetryPolicy
from chemviz_desktop.ui.main_window import MainWindow
from chemviz_desktop.ui.settings import AppSettings

from .conftest import make_csv

PW = "Correct-horse-9"


def test_main_window_shows_signed_out_and_offers_sign_in(qtbot):
    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    assert w.sync_controller is not None
    assert w.sync_status_label.text() == "Signed out"
    actions = w.account_menu.actions()
    assert [a.text() for a in actions] == ["Sign in…", "Sync panel…"] and actions[0].isEnabled()
    w.close()
    assert not w.sync_controller.timer.isActive()


def test_main_window_import_then_sign_in_pushes_it(qtbot, server, tmp_path):
    server.add_user("alice", PW, "engineer")
    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    ctl = w.sync_controller
    ctl.policy = RetryPolicy(total=1, backoff_factor=0.05, connect_timeout=0.5, read_timeout=10)
    path = tmp_path / "ui.csv"
    path.write_bytes(make_csv("UI"))
    with qtbot.waitSignal(w.import_page.finished, timeout=30_000):
        w.open_file(str(path))
    qtbot.waitUntil(lambda: len(w.history_page.model.items) == 1, timeout=10_000)
    with qtbot.waitSignal(ctl.signedIn, timeout=20_000):
        ctl.sign_in(server.url, "alice", PW, False)
    qtbot.waitUntil(lambda: w.sync_status_label.text() == f"Online — {server.url}", timeout=20_000)
    qtbot.waitUntil(lambda: w.history_page.model.items[0].sync_state == SYNCED, timeout=10_000)
    assert [a.text() for a in w.account_menu.actions()][-1] == "Sign out"
    w.close()
