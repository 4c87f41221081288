"""Sync test fixtures: an in-memory keychain (no real keyring is touched), small CSV files, and
the real server process when the server package is present."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "data" / "corpus"


class MemoryKeyring(KeyringBackend):
    """Keeps secrets in a dict for the test's lifetime."""
    priority = 1

    def __init__(self):
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring():
    previous = keyring.get_keyring()
    kr = MemoryKeyring()
    keyring.set_keyring(kr)
    yield kr
    keyring.set_keyring(previous)


def make_csv(tag: str, rows: int = 6) -> bytes:
    """A small valid equipment CSV whose names carry `tag`, so every file is distinct."""
    types = ["Pump", "Compressor", "Valve", "HeatExchanger", "Reactor", "Condenser"]
    lines = ["Equipment Name,Type,Flowrate,Pressure,Temperature"]
    for i in range(rows):
        lines.append(f"{tag}-{i},{types[i % len(types)]},{100 + i * 3.5:.1f},{5 + i * 0.25:.2f},{80 + i * 2}")
    return ("\n".join(lines) + "\n").encode()


BAD_CSV = b"Name,Colour\nfoo,blue\n"


@pytest.fixture
def store():
    from chemviz_desktop.core.store import Store
    s = Store()
    s.set_keep(100)
    yield s
    s.close()


def import_csv(store, name: str, data: bytes, queue: bool = True) -> str:
    """Import like the app does (original bytes kept); returns the dataset uuid."""
    import engine
    res = engine.load(data, file_name=name)
    assert res.accepted, res.report.summary()
    ds_id = store.add(res, file_name=name, csv_bytes=data, queue=queue)
    return store.info(ds_id).uuid


@pytest.fixture
def server(tmp_path, monkeypatch):
    """The real Django server on a free loopback port, with generous limits for sync tests."""
    if not (ROOT / "tests" / "server_process.py").exists():
        pytest.skip("tests/server_process.py (server issue) not there yet")
    monkeypatch.setenv("CHEMVIZ_KEEP_PER_USER", "1000")
    monkeypatch.setenv("CHEMVIZ_THROTTLE_UPLOAD", "100000/min")
    monkeypatch.setenv("CHEMVIZ_THROTTLE_LOGIN", "100000/min")
    monkeypatch.setenv("CHEMVIZ_THROTTLE_TOKEN", "100000/min")
    from tests.server_process import ServerProcess
    with ServerProcess(Path(os.environ["CHEMVIZ_SERVER_DIR"])) as srv:
        yield srv


def cli_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # never a real keychain
    env.update(extra)
    env["PYTHONPATH"] = str(ROOT)
    return env


PYTHON = sys.executable
