"""Issue 11, data lost 1-4 (local part): one retention setting in the store, read by the CLI and
the GUI; a damaged settings.ini never shrinks it; insertion order, not clock text; the only copy
of a dataset and pinned ones are never trimmed."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chemviz_desktop.core.store import KEEP_ALL, LOCAL, PENDING, REMOVED, SYNCED, Store

from .conftest import csv_bytes, data_dir, load, run_cli


def _synced(store: Store, n: int, prefix: str = "s") -> list[int]:
    return [store.add(load(f"{prefix}{i}"), sync_state=SYNCED, server_id=i + 1) for i in range(n)]


# -- case 1: the CLI obeys the GUI's "keep N" -----------------------------------------------------
def test_case1_cli_import_obeys_the_keep_setting_of_the_gui(tmp_path):
    from chemviz_desktop.ui.settings import AppSettings
    AppSettings().keep = 20                      # what History's spin box writes
    store = Store()
    ids = _synced(store, 10)
    store.close()
    f = tmp_path / "new.csv"
    f.write_bytes(csv_bytes("NEW"))
    r = run_cli("import", str(f))
    assert r.returncode == 0, r.stderr
    store = Store()
    try:
        assert store.keep == 20
        assert {i.id for i in store.list()} >= set(ids) and len(store.list()) == 11
    finally:
        store.close()


def test_case1_old_settings_ini_limit_is_adopted_once_by_cli_and_gui(tmp_path):
    (data_dir() / "settings.ini").write_text("[store]\nkeep=20\n\n[ui]\ntheme=dark\n")
    store = Store()        # the CLI opens the same store: the ini value is adopted once
    assert store.keep == 20
    store.set_keep(7)      # later changes live in the store; the ini is not read again
    store.close()
    from chemviz_desktop.ui.settings import AppSettings
    assert AppSettings().keep == 7


# -- case 2: a damaged settings.ini never shrinks retention -------------------------------------
DAMAGED = {
    "random bytes": bytes(range(256)) * 3,
    "truncated": b"[ui]\ntheme=dark\n[sto",
    "keep=2O": b"[store]\nkeep=2O\n",
}


@pytest.mark.parametrize("kind", sorted(DAMAGED))
def test_case2_damaged_settings_ini_keeps_everything_warns_once_and_keeps_a_copy(kind, tmp_path):
    ini = data_dir() / "settings.ini"
    ini.write_bytes(DAMAGED[kind])
    store = Store()
    try:
        assert store.keep == KEEP_ALL
        ids = _synced(store, 8)
        store.add(load("new"), sync_state=SYNCED)
        assert len(store.list()) == 9 and all(store.info(i) for i in ids)   # nothing deleted
        copies = list(data_dir().glob("settings.ini.damaged-*"))
        assert len(copies) == 1 and copies[0].read_bytes() == DAMAGED[kind]
        notice = store.take_notice()
        assert notice and str(ini) in notice and "Nothing was deleted" in notice
        assert store.take_notice() is None                                 # warned once
    finally:
        store.close()
    again = Store()    # reopening with the same damaged file: no second copy, no second warning
    try:
        assert again.take_notice() is None and len(list(data_dir().glob("settings.ini.damaged-*"))) == 1
        assert again.keep == KEEP_ALL
    finally:
        again.close()


def test_case2_cli_prints_the_warning_once_and_deletes_nothing(tmp_path):
    (data_dir() / "settings.ini").write_bytes(DAMAGED["keep=2O"])
    f = tmp_path / "a.csv"
    f.write_bytes(csv_bytes("A"))
    first, second = run_cli("import", str(f)), run_cli("import", str(f))
    assert first.returncode == second.returncode == 0
    assert "warning:" in first.stderr and "settings.ini" in first.stderr and "warning" not in second.stderr


def test_case2_damage_after_the_limit_was_adopted_keeps_the_stored_limit():
    store = Store()
    store.set_keep(30)
    store.close()
    (data_dir() / "settings.ini").write_bytes(DAMAGED["random bytes"])
    store = Store()
    try:
        assert store.keep == 30 and "still applies" in store.take_notice()
    finally:
        store.close()


# -- case 3: a clock that ran ahead never makes an import delete itself -------------------------
def test_case3_clock_ran_ahead_then_corrected_new_import_survives():
    clock = [datetime(2030, 1, 1, tzinfo=timezone.utc)]
    store = Store(now=lambda: clock[0])
    try:
        store.set_keep(3)
        ahead = _synced(store, 3)                     # stamped 2030
        clock[0] = datetime(2026, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)   # corrected
        new = store.add(load("now"), sync_state=SYNCED)
        info = store.info(new)
        assert info is not None and info.imported_at.startswith("2025-12-31")
        assert [i.id for i in store.list()] == [new, ahead[2], ahead[1]]   # insertion order
        # and a new local import is neither deleted nor pushes out a local one
        local = store.add(load("local"))
        assert store.info(local).sync_state == LOCAL
    finally:
        store.close()


def test_case3_cli_import_with_a_store_stamped_in_the_future(tmp_path):
    store = Store(now=lambda: datetime(2099, 1, 1, tzinfo=timezone.utc))
    store.set_keep(2)
    _synced(store, 3)
    store.close()
    f = tmp_path / "today.csv"
    f.write_bytes(csv_bytes("T"))
    r = run_cli("import", str(f))
    assert r.returncode == 0, r.stderr
    assert "imported today.csv" in r.stdout and "Traceback" not in r.stderr
    store = Store()
    try:
        assert store.list()[0].file_name == "today.csv"
    finally:
        store.close()


# -- case 4 (local part): never the only copy, never a pinned one -------------------------------
def test_case4_retention_never_removes_the_only_copy_or_a_pinned_dataset(store):
    store.set_keep(2)
    only = [store.add(load("local")), store.add(load("pending"), queue=True)]
    removed = store.add(load("removed"), sync_state=SYNCED, server_id=99)
    store.mark_removed(store.info(removed).uuid, "local only — removed from the server")
    pinned = store.add(load("pinned"), sync_state=SYNCED, server_id=98)
    store.set_pinned(pinned, True)
    for i in range(4):
        store.add(load(f"s{i}"), sync_state=SYNCED, server_id=i + 1)
    states = {i.id: i.sync_state for i in store.list()}
    assert set(only) | {removed, pinned} <= set(states)
    assert states[removed] == REMOVED and states[only[1]] == PENDING
    assert sum(s == SYNCED for s in states.values()) == 3     # pinned + the two newest
    assert [i.id for i in store.kept_beyond_limit()][-1] == only[0]
