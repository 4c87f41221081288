"""Damaged bytes are never served as data: every row blob has a SHA-256 checked on open, the
damaged dataset is named, and an import never writes into a store that fails its check."""
from __future__ import annotations

import random
import shutil
import sqlite3

import pandas as pd
import pytest

from chemviz_desktop.core.store import DamagedDataset, Store, StoreError

from .conftest import csv_bytes, load, run_cli

TRIALS = 60          # the experiment ran 120; each trial opens 5 datasets


def _flip_blob_byte(path, dataset_id: int) -> None:
    db = sqlite3.connect(path)
    blob = bytearray(db.execute("SELECT parquet FROM dataset_rows WHERE dataset_id=?", (dataset_id,)).fetchone()[0])
    blob[len(blob) // 2] ^= 0x40
    db.execute("UPDATE dataset_rows SET parquet=? WHERE dataset_id=?", (bytes(blob), dataset_id))
    db.commit()
    db.close()


def test_damaged_rows_are_refused_naming_the_dataset(store):
    ds_id = store.add(load("plant", rows=50), file_name="plant.csv")
    _flip_blob_byte(store.path, ds_id)
    with pytest.raises(DamagedDataset) as ei:
        store.open(ds_id)
    text = str(ei.value)
    assert "'plant.csv'" in text and str(store.path) in text and "Delete it in History" in text
    assert ei.value.dataset_id == ds_id


def test_import_never_writes_into_a_damaged_store(store, tmp_path):
    ds_id = store.add(load("plant", rows=50), file_name="plant.csv")
    _flip_blob_byte(store.path, ds_id)
    with pytest.raises(StoreError, match="damaged"):
        store.add(load("other"))
    assert len(store.list()) == 1
    f = tmp_path / "new.csv"
    f.write_bytes(csv_bytes("NEW"))
    r = run_cli("import", str(f))
    assert r.returncode == 1 and "not imported" in r.stderr and "plant.csv" in r.stderr
    assert "Traceback" not in r.stderr and len(store.list()) == 1


def test_random_damage_never_returns_different_rows(tmp_path):
    """The issue's experiment: 512 random bytes written at a random place; every open either
    returns exactly the stored rows or raises a StoreError (never other rows)."""
    clean = tmp_path / "clean.sqlite3"
    store = Store(clean)
    ids = [store.add(load(f"d{i}", rows=200 + 50 * i), file_name=f"d{i}.csv") for i in range(5)]
    truth = {i: store.open(i).frame for i in ids}
    store.close()
    rng = random.Random(11)
    size = clean.stat().st_size
    served_wrong, refused, opened = 0, 0, 0
    for trial in range(TRIALS):
        path = tmp_path / f"t{trial}.sqlite3"
        shutil.copy(clean, path)
        with open(path, "r+b") as fh:
            fh.seek(rng.randrange(0, size - 512))
            fh.write(rng.randbytes(512))
        try:
            damaged = Store(path, settings_file=tmp_path / "none.ini")
        except StoreError:
            refused += 1
            continue
        try:
            for i in ids:
                try:
                    got = damaged.open(i).frame
                except StoreError:
                    refused += 1
                    continue
                opened += 1
                try:
                    pd.testing.assert_frame_equal(got, truth[i])
                except AssertionError:
                    served_wrong += 1
        finally:
            damaged.close()
        path.unlink()
    print(f"{TRIALS} trials: {opened} opens returned the stored rows, {refused} refused, {served_wrong} wrong")
    assert served_wrong == 0, f"{served_wrong} of {opened} opens returned different rows"
    assert refused > 0 and opened > 0
