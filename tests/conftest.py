"""Test-wide setup: headless Qt and a private data dir, so tests never touch a real profile."""
import os
import sys
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # without it Qt aborts on a machine with no display
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT / "tests" / "data" / "corpus"  # copy of ../shared/corpus, so a clean clone has it

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path, monkeypatch):
    """Each test gets its own local store, server dir and settings; nothing leaks between tests."""
    monkeypatch.setenv("CHEMVIZ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CHEMVIZ_SERVER_DIR", str(tmp_path / "server"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    yield
