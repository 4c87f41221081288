"""What the user sees of shared-record sync (#19) in the real window, against the real server
process: ana works in the MainWindow, bob on a second workstation (a store and a client, as in
test_shared_records). The status bar counts an edit before the pass and shows the sync time
after it; the Sync panel shows a lost edit with the server's sentence, restores it as a new
change and marks it seen on the server; a limit bob deleted while ana edited it asks Keep mine /
Take theirs, and each answer ends in the expected limits on both machines."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication

import engine
from chemviz_desktop.core.store import Store, limits, shared
from chemviz_desktop.core.sync.api_client import ApiClient
from chemviz_desktop.ui.main_window import MainWindow
from chemviz_desktop.ui.monitoring_wiring import open_limits
from chemviz_desktop.ui.settings import AppSettings
from chemviz_desktop.ui.workers import wait_all
from engine.limits import Limit

from .test_shared_records import FAST, NOW, PLANT, PW, TAKEN, Workstation


def _minutes_ago_or_now(text: str) -> bool:
    """'synced HH:MM' with this machine's time of the pass just made (allowing a minute turn)."""
    m = re.fullmatch(r"synced (\d\d:\d\d)", text)
    now = datetime.now()
    return bool(m) and m.group(1) in {now.strftime("%H:%M"), (now - timedelta(minutes=1)).strftime("%H:%M")}


@pytest.fixture
def desk(qtbot, server, tmp_path):
    """ana's window (signed in, first pass done, background passes far apart) and bob's
    workstation, both holding the same snapshot."""
    server.add_user("ana", PW, "engineer")
    server.add_user("bob", PW, "admin")
    seed = Store()
    seed.set_keep(100)
    seed.add(engine.load(PLANT, file_name="plant.csv"), file_name="plant.csv", csv_bytes=PLANT, queue=True,
             taken_at=TAKEN)
    seed.close()
    w = MainWindow(AppSettings())
    qtbot.addWidget(w)
    ctl = w.sync_controller
    ctl.policy = FAST
    ctl.connectivity.interval = 600          # only the passes the test asks for
    with qtbot.waitSignal(ctl.syncFinished, timeout=30_000):
        ctl.sign_in(server.url, "ana", PW, False)
    b = Workstation(server, tmp_path / "b" / "store.sqlite3", "bob")
    b.store.add(engine.load(PLANT, file_name="plant.csv"), file_name="plant.csv", csv_bytes=PLANT, queue=True,
                taken_at=TAKEN)
    b.sync()
    yield w, ctl, b
    w.close()
    wait_all(10_000)
    b.close()


def sync_pass(qtbot, ctl):
    with qtbot.waitSignal(ctl.syncFinished, timeout=30_000):
        ctl.sync_now()
    qtbot.waitUntil(lambda: not ctl.shared_runner.busy, timeout=10_000)


def edit_equipment(qtbot, w, name: str, **changes):
    """The Equipment page's save (what its edit dialog calls)."""
    with qtbot.waitSignal(w.equipment_page.edited, timeout=10_000):
        w.equipment_page.save(name, changes)


def test_status_label_counts_an_edit_before_the_pass_and_shows_the_sync_time_after(qtbot, desk):
    w, ctl, b = desk
    label = w.shared_status_label
    qtbot.waitUntil(lambda: _minutes_ago_or_now(label.text()), timeout=10_000)
    edit_equipment(qtbot, w, "P-101", notes="seal replaced")
    qtbot.waitUntil(lambda: label.text().startswith("1 change to send · synced "), timeout=10_000)
    assert not label.isHidden()
    sync_pass(qtbot, ctl)
    qtbot.waitUntil(lambda: _minutes_ago_or_now(label.text()), timeout=10_000)
    b.sync()
    assert b.info("P-101").notes == "seal replaced"        # it really went out

    dialog = open_limits(w)                                   # the limits editor: a new limit
    dialog.add_row("type", "Pump", "pressure", hi=5.5)
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        assert dialog.save()
    qtbot.waitUntil(lambda: label.text().startswith("1 change to send · "), timeout=10_000)
    sync_pass(qtbot, ctl)
    qtbot.waitUntil(lambda: _minutes_ago_or_now(label.text()), timeout=10_000)
    page = w.alerts_page                                      # an acknowledgement (P-102 is above 5.5)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=10_000)
    with qtbot.waitSignal(page.acknowledged, timeout=10_000):
        page.acknowledge([page.model.alert_id(0)], "valve opened", "ana")
    qtbot.waitUntil(lambda: label.text().startswith("1 change to send · "), timeout=10_000)


def test_a_lost_edit_is_shown_restored_and_marked_seen_here_and_on_the_server(qtbot, desk):
    w, ctl, b = desk
    edit_equipment(qtbot, w, "P-101", notes="ana: bearing noisy")
    b.edit("P-101", notes="bob: checked, fine")            # offline, before seeing ana's note
    sync_pass(qtbot, ctl)
    b.sync()                                                 # arrives later: wins
    sync_pass(qtbot, ctl)
    label = w.shared_status_label
    qtbot.waitUntil(lambda: label.text().endswith(" · 1 conflict"), timeout=10_000)

    qtbot.mouseClick(label, Qt.LeftButton)                   # the status label opens the panel
    panel = w.sync_panel
    qtbot.waitUntil(lambda: panel.conflicts_model.rowCount() == 1, timeout=10_000)
    sentence = panel.conflicts_model.data(panel.conflicts_model.index(0, 3))
    assert sentence.startswith("your notes on P-101 ('ana: bearing noisy') was replaced by bob's edit ('bob: checked, fine') at ")
    assert not panel.restore_button.isEnabled()
    panel.select_conflict(0)
    assert panel.restore_button.isEnabled() and panel.seen_button.isEnabled()

    with qtbot.waitSignal(ctl.sharedActionDone, timeout=10_000):
        panel.restore_button.click()
    [op] = shared.listing(w.store.db)
    assert (op.kind, op.state, op.set.get("notes")) == ("equipment", "pending", "ana: bearing noisy")
    qtbot.waitUntil(lambda: panel.changes_model.rowCount() == 1, timeout=10_000)
    assert panel.changes_model.data(panel.changes_model.index(0, 0)) == "P-101"
    assert panel.changes_model.data(panel.changes_model.index(0, 1)) == "set notes"
    qtbot.waitUntil(lambda: label.text().startswith("1 change to send"), timeout=10_000)

    panel.select_conflict(0)
    with qtbot.waitSignal(ctl.sharedActionDone, timeout=20_000):
        panel.seen_button.click()
    qtbot.waitUntil(lambda: panel.conflicts_model.rowCount() == 0, timeout=10_000)
    assert "conflict" not in label.text()
    assert b.client._json("GET", "sync/conflicts/", params={"unseen": "1"})["results"] == []   # bob: none
    ana = ApiClient(b.client.server_url, token=ctl.session.token, policy=FAST)   # ana's own sign-in
    try:
        assert ana.sync_conflicts() == []                    # seen on the server too
    finally:
        ana.close()

    sync_pass(qtbot, ctl)                                    # the restored value goes out
    b.sync()
    assert b.info("P-101").notes == "ana: bearing noisy"


def test_a_limit_deleted_on_the_other_side_asks_keep_mine_or_take_theirs(qtbot, desk):
    w, ctl, b = desk
    with b.store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.5), Limit("type", "Pump", "temperature", hi=150)],
                   NOW)
    b.sync()
    sync_pass(qtbot, ctl)
    assert sorted((x.parameter, x.hi) for x in limits.listing(w.store.db)) == [("pressure", 5.5),
                                                                              ("temperature", 150.0)]
    with b.store.transaction() as db:                        # bob deletes both ...
        limits.delete(db, "type", "Pump", "pressure")
        limits.delete(db, "type", "Pump", "temperature")
    b.sync()
    editor = Store(w.store.path)                             # ... while ana edits both (offline)
    with editor.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.7), Limit("type", "Pump", "temperature", hi=140)],
                   NOW)
    editor.close()
    told = []
    ctl.decisionsNeeded.connect(told.append)
    sync_pass(qtbot, ctl)
    assert len(told) == 1 and len(told[0]) == 2              # told once, for the pass
    assert "decision" in w.statusBar().currentMessage()
    assert QApplication.activeModalWidget() is None          # asked in the panel, no pop-up
    assert w.shared_status_label.text().startswith("2 decisions needed")
    assert sorted(x.parameter for x in limits.listing(w.store.db)) == ["pressure", "temperature"]  # kept here

    panel = w.open_sync_panel()
    model = panel.questions_model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=10_000)
    records = [model.data(model.index(r, 0)) for r in range(2)]
    assert sorted(records) == ["Pump pressure limits (type)", "Pump temperature limits (type)"]  # queued in any order
    assert "deleted on the server since you edited it" in model.data(model.index(0, 3))
    assert not panel.keep_button.isEnabled()

    panel.select_question(records.index("Pump pressure limits (type)"))     # pressure: keep mine
    with qtbot.waitSignal(ctl.syncFinished, timeout=30_000):
        panel.keep_button.click()
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    assert model.data(model.index(0, 0)) == "Pump temperature limits (type)"
    panel.select_question(0)                                 # temperature: take theirs
    with qtbot.waitSignal(ctl.syncFinished, timeout=30_000):
        panel.take_button.click()
    qtbot.waitUntil(lambda: model.rowCount() == 0 and not panel.questions_box.isVisibleTo(panel), timeout=10_000)
    sync_pass(qtbot, ctl)

    here = [(x.parameter, x.hi) for x in limits.listing(w.store.db)]
    assert here == [("pressure", 5.7)]                        # mine kept, theirs (deleted) taken
    assert shared.counts(w.store.db) == {"pending": 0, "needs_decision": 0, "failed": 0, "conflicts": 0}
    b.sync()
    assert [(x.parameter, x.hi) for x in limits.listing(b.store.db)] == [("pressure", 5.7)]
    assert not w.shared_status_label.text().startswith("2 decisions")


def test_offline_the_panel_lists_what_is_here_and_says_the_server_is_not_reachable(qtbot, desk, server):
    w, ctl, _b = desk
    edit_equipment(qtbot, w, "P-101", status="maintenance")
    server.kill()
    sync_pass(qtbot, ctl)
    assert ctl.status.startswith("Offline")
    panel = w.open_sync_panel()
    model = panel.changes_model
    qtbot.waitUntil(lambda: model.rowCount() == 1, timeout=10_000)
    assert [model.data(model.index(0, c)) for c in range(3)] == ["P-101", "set status", "to send"]
    assert "is not reachable" in panel.connection.text()
    assert w.shared_status_label.text().startswith("1 change to send · synced ")
    assert w.open_sync_panel() is panel                       # one panel, raised again


def test_a_lost_limit_value_is_restored_through_the_limits(qtbot, desk):
    w, ctl, b = desk
    with b.store.transaction() as db:
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.5)], NOW)
    b.sync()
    sync_pass(qtbot, ctl)
    editor = Store(w.store.path)
    with editor.transaction() as db:                          # ana: hi 5.8, sent first
        limits.put(db, [Limit("type", "Pump", "pressure", hi=5.8)], NOW)
    editor.close()
    with b.store.transaction() as db:                         # bob: hi 6.0 (offline), arrives later
        limits.put(db, [Limit("type", "Pump", "pressure", hi=6.0)], NOW)
    sync_pass(qtbot, ctl)
    b.sync()
    sync_pass(qtbot, ctl)
    assert [x.hi for x in limits.listing(w.store.db)] == [6.0]
    panel = w.open_sync_panel()
    qtbot.waitUntil(lambda: panel.conflicts_model.rowCount() == 1, timeout=10_000)
    assert panel.conflicts_model.data(panel.conflicts_model.index(0, 2)) == "hi"
    panel.select_conflict(0)
    with qtbot.waitSignal(ctl.sharedActionDone, timeout=10_000):
        panel.restore_button.click()
    assert [(x.name, x.hi) for x in limits.listing(w.store.db)] == [("Pump", 5.8)]
    [op] = shared.listing(w.store.db)
    assert (op.kind, op.key, op.set.get("hi")) == ("limit", "type|pump|pressure", 5.8)
    sync_pass(qtbot, ctl)
    b.sync()
    assert [x.hi for x in limits.listing(b.store.db)] == [5.8]
