"""Launching the GUI where Qt cannot show a window gives one line with the fix, not Qt's abort."""
import os
import subprocess
import sys

from chemviz_desktop.ui import preflight as gui_preflight

from ..conftest import ROOT


def test_no_display_is_one_clear_line():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "QT_QPA_PLATFORM=offscreen" in lines[0]


def test_missing_xcb_libraries_are_named_with_the_apt_command(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(gui_preflight.ctypes.util, "find_library",
                        lambda name: None if name in ("xcb-icccm", "xcb-xinerama") else f"lib{name}.so")
    msg = gui_preflight.problem()
    assert msg and "sudo apt install libxcb-icccm4 libxcb-xinerama0" in msg


def test_offscreen_needs_no_display(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert gui_preflight.problem() is None
