"""Errors are never lost: expected ones read as the user's message, unexpected ones go to the log
file with their traceback, and the CLI says where."""
from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from chemviz_desktop.core import logs
from chemviz_desktop.core.errors import ExpectedError, describe
from chemviz_desktop.core.sync.account import sign_in_problem
from chemviz_desktop.core.sync.api_client import ApiError, Unreachable

ROOT = Path(__file__).resolve().parents[2]


def test_expected_errors_read_as_their_message():
    assert describe(ExpectedError("The store is full")) == "The store is full"
    assert describe(FileNotFoundError(2, "No such file or directory", "/x/y.csv")) == \
        "/x/y.csv: No such file or directory"


def test_unexpected_error_is_logged_with_traceback(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("CHEMVIZ_DATA_DIR", str(tmp_path))
    try:
        {}["missing"]
    except KeyError as exc:
        with caplog.at_level(logging.ERROR, logger="chemviz"):
            text = describe(exc, doing="testing")
    assert "unexpected error" in text and str(tmp_path / "chemviz.log") in text
    record = caplog.records[-1]
    assert record.exc_info and record.exc_info[0] is KeyError and "testing" in record.getMessage()


def test_sign_in_tells_unreachable_from_wrong_password():
    assert sign_in_problem(Unreachable("http://x is unreachable: no connection")).startswith("Server unreachable")
    assert sign_in_problem(ApiError(400, "Invalid credentials")).startswith("Wrong user name or password")


def test_cli_unexpected_error_goes_to_log_file(tmp_path):
    """A bug in a command prints one line naming the log file; the file holds the traceback;
    --debug prints the traceback too."""
    env = {"CHEMVIZ_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    code = ("import sys, cli, cli.engine_commands as ec\n"
            "def boom(args): raise RuntimeError('kaboom')\n"
            "orig = ec.register\n"
            "def reg(sub):\n    orig(sub)\n    sub.choices['validate'].set_defaults(func=boom)\n"
            "ec.register = reg\n"
            "sys.exit(cli.main(sys.argv[1:]))\n")
    run = subprocess.run([sys.executable, "-c", code, "validate", "x.csv"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "unexpected error" in run.stderr and "chemviz.log" in run.stderr
    logged = (tmp_path / "chemviz.log").read_text()
    assert "Traceback" in logged and "kaboom" in logged
    debug = subprocess.run([sys.executable, "-c", code, "--debug", "validate", "x.csv"], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=60)
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "kaboom" in debug.stderr


def test_configure_twice_adds_one_file_handler(tmp_path, monkeypatch):
    monkeypatch.setenv("CHEMVIZ_DATA_DIR", str(tmp_path))
    logs._configured.clear()
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logs.configure()
        logs.configure()
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
        logs._configured.clear()
