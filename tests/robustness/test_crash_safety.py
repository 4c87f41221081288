"""kill -9 an importing process at random moments: the store must always open, pass SQLite's
integrity check, and hold only complete datasets (rows, report and statistics agree)."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from chemviz_desktop.core.store import Store
from engine import schema

KILLS = 20


def _write_big(path: Path, rows: int = 40_000) -> None:
    lines = ["Equipment Name,Type,Flowrate,Pressure,Temperature"]
    lines += [f"EQ-{i},{['Pump', 'Valve', 'Reactor'][i % 3]},{i % 200},{i % 9},{i % 300}" for i in range(rows)]
    lines += ["EQ-1,Pump,1,2,3", "Bad,Pump,x,2,3"]  # two excluded rows
    path.write_text("\n".join(lines) + "\n")


def _check_store(path: Path) -> int:
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = Store(path)
    try:
        infos = store.list()
        for info in infos:
            ds = store.open(info.id)
            assert ds.frame is not None, f"dataset {info.id} has no rows"
            accepted = int((~ds.frame[schema.EXCLUDED]).sum())
            assert len(ds.frame) == info.rows_total == ds.report.rows_total
            assert accepted == info.rows_accepted == ds.statistics["total_equipment"]
            assert np.isfinite(ds.frame.loc[~ds.frame[schema.EXCLUDED], schema.FLOWRATE]).all()
        pending = {r["dataset_uuid"] for r in store.outbox()}
        assert pending <= {i.uuid for i in infos}
        return len(infos)
    finally:
        store.close()


@pytest.mark.slow
def test_store_survives_kill_9_during_imports(tmp_path):
    data = tmp_path / "big.csv"
    _write_big(data)
    env = dict(os.environ, CHEMVIZ_DATA_DIR=str(tmp_path / "store"))
    store_file = tmp_path / "store" / "chemviz.sqlite3"
    rng = random.Random(7)
    counts = []
    for _ in range(KILLS):
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("import_loop.py")), str(data)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout.readline().strip() == b"ready", proc.stderr.read().decode()
        time.sleep(rng.uniform(0.05, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        counts.append(_check_store(store_file))
    assert max(counts) >= 1, "no import ever completed: the kills tested nothing"
