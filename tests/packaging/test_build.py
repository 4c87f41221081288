"""Build the PyInstaller one-folder executable and run its offscreen smoke test (issue 6).

Slow (about a minute of PyInstaller on an idle 2-core machine, a few minutes under load), so it is
marked `build`: deselect it locally with `-m "not build"`; CI runs it. The build goes to a
temporary dist folder, so a developer's own dist/ChemViz is left alone; PyInstaller's work folder
is build/pyinstaller-test/ (git-ignored), so a second local run reuses its analysis cache.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "chemviz_desktop" / "resources" / "sample_equipment.csv"

pytestmark = pytest.mark.build


def _skip_reason() -> str | None:
    if importlib.util.find_spec("PyInstaller") is None:
        return "PyInstaller is not installed (it is in requirements.txt: pip install -r requirements.txt)"
    if not sys.platform.startswith("linux"):
        return "the packaging test is written for the Linux build"
    if shutil.which("ldd") is None or shutil.which("objdump") is None:
        return "PyInstaller needs ldd and objdump (binutils) on Linux"
    return None


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    why = _skip_reason()
    if why:
        pytest.skip(why)
    dist = tmp_path_factory.mktemp("dist")
    r = subprocess.run([sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(dist),
                        "--work", str(ROOT / "build" / "pyinstaller-test")],
                       cwd=ROOT, capture_output=True, text=True, timeout=1200)
    # build.py already checks the contents (no Django, server, pytest, ...), the bundle and the
    # smoke test, and exits 1 if one fails; its log says which
    assert r.returncode == 0, f"build.py failed (exit {r.returncode}):\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}"
    exe = dist / "ChemViz" / "ChemViz"
    assert exe.is_file() and os.access(exe, os.X_OK)
    return exe


@pytest.mark.timeout(1500)
def test_built_executable_passes_the_smoke_test(built, tmp_path):
    shot = tmp_path / "analytics.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CHEMVIZ_DATA_DIR=str(tmp_path / "data"))
    r = subprocess.run([str(built), "--smoke-test", str(SAMPLE), "--screenshot", str(shot)],
                       env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    assert "smoke test passed" in r.stdout
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.timeout(1500)
def test_built_executable_has_the_engine_arrow_parts_and_no_server(built, tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CHEMVIZ_DATA_DIR=str(tmp_path / "data"))
    r = subprocess.run([str(built), "--bundle-check"], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"exit {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}"
    assert "csv/compute/parquet/dataset, engine kernels, exports" in r.stdout and "frozen=True" in r.stdout
    internal = built.parent / "_internal"
    for name in ("django", "rest_framework", "server", "pytest", "_pytest", "hypothesis", "tkinter"):
        assert not (internal / name).exists(), f"{name} was bundled"
    assert not (internal / "PyQt5" / "Qt5" / "translations").exists()
    assert not list(internal.glob("pyarrow/libarrow_flight*")), "Arrow Flight was bundled"
    # the CLI still answers, without the server commands
    r = subprocess.run([str(built), "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "validate" in r.stdout, r.stdout + r.stderr
    assert not re.search(r"^\s+(serve|adduser)\s", r.stdout, re.M), "server commands in the build"
