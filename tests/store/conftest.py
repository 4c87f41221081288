"""Store test helpers: small accepted files, a store in the test's data dir, the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import engine

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Equipment Name,Type,Flowrate,Pressure,Temperature"


def csv_bytes(tag: str, rows: int = 4, bad: int = 0) -> bytes:
    lines = [HEADER] + [f"{tag}-{i},Pump,{10 + i},{2 + i * 0.5},{80 + i}" for i in range(rows)]
    lines += [f"{tag}-bad{i},Pump,x,2,3" for i in range(bad)]
    return ("\n".join(lines) + "\n").encode()


def load(tag: str, rows: int = 4, bad: int = 0) -> engine.LoadResult:
    res = engine.load(csv_bytes(tag, rows, bad), file_name=f"{tag}.csv")
    assert res.accepted
    return res


def data_dir() -> Path:
    path = Path(os.environ["CHEMVIZ_DATA_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run([sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def store():
    from chemviz_desktop.core.store import Store
    s = Store()
    yield s
    s.close()
