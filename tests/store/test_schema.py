"""Schema versions (PRAGMA user_version): a store made by the release before versioning is
upgraded in one transaction; a newer store is refused untouched; a new store starts current."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from chemviz_desktop.core.store import SCHEMA_VERSION, NewerStoreError, Store, StoreError, schema

from .conftest import load

RELEASE_V1 = Path(__file__).resolve().parents[1] / "data" / "stores" / "release_v1.sqlite3"


def _version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


def test_new_store_is_created_at_the_current_version(tmp_path):
    Store(tmp_path / "s.sqlite3").close()
    assert _version(tmp_path / "s.sqlite3") == SCHEMA_VERSION >= 2


def test_store_made_by_the_previous_release_is_upgraded_with_its_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    shutil.copy(RELEASE_V1, path)
    assert _version(path) == 0          # the release wrote no version
    store = Store(path)
    try:
        items = {i.file_name: i for i in store.list()}
        assert set(items) == {"first.csv", "second.csv", "third.csv"}
        assert items["third.csv"].sync_state == "synced" and items["third.csv"].server_id == 7
        assert items["second.csv"].sync_state == "pending" and store.pending_count() == 1
        assert items["second.csv"].rows_accepted == 3 and items["second.csv"].rows_excluded == 2
        assert all(i.content_sha256 for i in items.values()) and store.problems() == []
        assert len(store.open(items["first.csv"].id).frame) == 4
        assert store.keep == 5
        store.add(load("after"))        # the upgraded store takes new imports
    finally:
        store.close()
    assert _version(path) == SCHEMA_VERSION


def test_a_failing_migration_leaves_the_old_store_exactly_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "old.sqlite3"
    shutil.copy(RELEASE_V1, path)

    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(schema, "MIGRATIONS", [*schema.MIGRATIONS, broken])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", len(schema.MIGRATIONS))
    with pytest.raises(StoreError) as ei:
        Store(path)
    assert str(path) in str(ei.value)
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    cols = {r[1] for r in db.execute("PRAGMA table_info(dataset_rows)")}
    db.close()
    assert "half_done" not in tables and "settings" not in tables and "sha256" not in cols
    assert _version(path) == 0


def test_a_newer_store_is_refused_with_a_clear_message_and_not_touched(tmp_path):
    path = tmp_path / "future.sqlite3"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.execute("PRAGMA journal_mode=DELETE")
    db.close()
    before = path.read_bytes()
    with pytest.raises(NewerStoreError) as ei:
        Store(path)
    text = str(ei.value)
    assert str(path) in text and "newer version of ChemViz" in text and "Update ChemViz" in text
    assert path.read_bytes() == before and not Path(str(path) + "-wal").exists()
