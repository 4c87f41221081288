"""The window's side of issue 11: a store that cannot be opened is explained in a message box
(not only on stderr); a window left stale by another process refreshes and says what happened;
History's limit, pins, 'Upload again' and the one-time warning."""
from __future__ import annotations

import pytest

from chemviz_desktop.core.store import KEEP_ALL, REMOVED, SYNCED, NewerStoreError, Store, StoreError, schema
from chemviz_desktop.ui import main_window
from chemviz_desktop.ui.main_window import MainWindow
from chemviz_desktop.ui.models.history_model import SYNC_COLUMN
from chemviz_desktop.ui.settings import AppSettings

from .conftest import data_dir, load


@pytest.fixture
def window(qtbot):
    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    yield w
    w.close()


def test_a_store_that_cannot_be_opened_is_explained_in_a_window(qtbot, monkeypatch):
    (data_dir() / "chemviz.sqlite3").write_bytes(b"not a database at all " * 300)
    shown: list[str] = []
    monkeypatch.setattr(main_window, "show_store_error", lambda parent, exc: shown.append(str(exc)))
    with pytest.raises(StoreError):
        MainWindow(AppSettings())
    assert len(shown) == 1 and "chemviz.sqlite3" in shown[0] and "Move it away" in shown[0]


def test_a_newer_store_is_explained_in_a_window_and_left_alone(qtbot, monkeypatch):
    path = data_dir() / "chemviz.sqlite3"
    Store(path).close()
    import sqlite3
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 5}")
    db.close()
    shown: list[str] = []
    monkeypatch.setattr(main_window, "show_store_error", lambda parent, exc: shown.append(str(exc)))
    with pytest.raises(NewerStoreError):
        MainWindow(AppSettings())
    assert "newer version of ChemViz" in shown[0]


def test_stale_window_refreshes_and_says_what_happened(qtbot, window):
    ds_id = window.store.add(load("stale"), file_name="stale.csv")
    page = window.history_page
    page.refresh()
    page.select_id(ds_id)
    other = Store()                     # e.g. `main.py import` trimming, or a second window
    other.delete(ds_id)
    other.close()
    page.open_selected()
    assert page.model.rowCount() == 0
    assert "no longer in the local history" in page.message.text()
    # the same through the open worker (the row vanished after the click)
    ds2 = window.store.add(load("late"), file_name="late.csv")
    window.store.delete(ds2)
    with qtbot.waitSignal(window.open_runner.finished, timeout=10_000):
        window.open_dataset(ds2)
    assert "no longer in the local history" in window.statusBar().currentMessage()
    assert "Could not open: 1" not in window.statusBar().currentMessage()


def test_history_limit_is_stored_in_the_store_and_all_is_possible(qtbot, window):
    page = window.history_page
    page.keep_spin.setValue(12)
    assert Store().keep == 12
    page.keep_spin.setValue(KEEP_ALL)
    assert page.keep_spin.text() == "all" and window.store.keep == KEEP_ALL


def test_pin_and_upload_again(qtbot, window):
    page = window.history_page
    ds_id = window.store.add(load("pin"), file_name="pin.csv", sync_state=SYNCED, server_id=4)
    window.store.mark_removed(window.store.info(ds_id).uuid, "local only — removed from the server")
    page.refresh()
    page.select_id(ds_id)
    assert page.model.data(page.model.index(0, SYNC_COLUMN)) == "local only — removed from the server"
    page.pin_button.click()
    assert window.store.info(ds_id).pinned and page.model.data(page.model.index(0, 0)).endswith("pin.csv")
    assert page.upload_button.isEnabled()
    with qtbot.waitSignal(page.requeued, timeout=2000):
        page.upload_button.click()
    assert window.store.info(ds_id).sync_state == "pending" and window.store.pending_count() == 1
    assert window.store.info(ds_id).sync_state != REMOVED


def test_damaged_settings_warning_is_shown_once_in_history(qtbot):
    (data_dir() / "settings.ini").write_bytes(b"[store]\nkeep=2O\n")
    first = MainWindow(AppSettings())
    qtbot.addWidget(first)
    assert "settings.ini" in first.history_page.message.text()
    first.close()
    second = MainWindow(AppSettings())
    qtbot.addWidget(second)
    assert "settings.ini" not in second.history_page.message.text()
    second.close()
