"""Every store problem names the file and says what to do: disk full (not "cannot rollback"),
not a database, damaged, read-only, newer; a dataset removed behind the window's back."""
from __future__ import annotations

import os
import sqlite3
import subprocess

import pytest

from chemviz_desktop.core.store import DatasetGone, Store, StoreError
from chemviz_desktop.core.store.errors import explain

from .conftest import load


def test_disk_full_reports_the_full_disk_not_the_rollback(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    try:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 2}")   # the disk fills up mid-import
        with pytest.raises(StoreError) as ei:
            store.add(load("big", rows=20_000))
        text = str(ei.value)
        assert "full" in text and str(store.path) in text and "Free some space" in text
        assert "rollback" not in text.lower()
        assert store.list() == []          # nothing half-written
    finally:
        store.close()


def test_not_a_database_names_the_file_and_the_remedy(tmp_path):
    path = tmp_path / "s.sqlite3"
    path.write_bytes(b"this is a spreadsheet, not a store" * 200)
    with pytest.raises(StoreError) as ei:
        Store(path)
    assert str(path) in str(ei.value) and "not an SQLite database" in str(ei.value)
    assert "Move it away" in str(ei.value)


def test_damaged_file_names_the_file(tmp_path):
    path = tmp_path / "s.sqlite3"
    store = Store(path)
    for i in range(3):
        store.add(load(f"x{i}", rows=300))
    store.close()
    data = bytearray(path.read_bytes())
    for page in range(1, len(data) // 4096):       # every b-tree page header after the first
        data[page * 4096: page * 4096 + 12] = b"\xff" * 12
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as ei:
        s = Store(path)
        try:
            [s.open(i.id) for i in s.list()]
        finally:
            s.close()
    assert str(path) in str(ei.value)


def _read_only(path, on: bool) -> bool:
    """chmod for users; root writes through modes, so the immutable flag (chattr) there."""
    if os.geteuid() != 0:
        path.chmod(0o444 if on else 0o644)
        return True
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


def test_read_only_store_says_so(tmp_path):
    path = tmp_path / "s.sqlite3"
    Store(path).close()
    if not _read_only(path, True):
        pytest.skip("cannot make a file read-only here (root without chattr)")
    try:
        with pytest.raises(StoreError) as ei:
            store = Store(path)
            try:
                store.add(load("x"))
            finally:
                store.close()
        assert str(path) in str(ei.value) and "cannot be written" in str(ei.value)
    finally:
        _read_only(path, False)


def test_read_only_and_locked_messages_are_plain_words():
    ro = explain(sqlite3.OperationalError("attempt to write a readonly database"), "/x/chemviz.sqlite3")
    assert "/x/chemviz.sqlite3" in str(ro) and "cannot be written" in str(ro) and "permissions" in str(ro)
    busy = explain(sqlite3.OperationalError("database is locked"), "/x/chemviz.sqlite3")
    assert "busy" in str(busy) and "Try again" in str(busy)


def test_a_dataset_removed_by_another_process_is_named_not_a_bare_id(store):
    ds_id = store.add(load("gone"))
    other = Store(store.path)
    other.delete(ds_id)
    other.close()
    with pytest.raises(DatasetGone) as ei:
        store.open(ds_id)
    assert "no longer in the local history" in str(ei.value) and str(ei.value) != str(ds_id)
