"""What the server benches share: a free loopback port, percentiles, and stopping a server
process and its scratch directory whatever happened."""
from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import IO


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank); NaN for no values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def stop(proc: subprocess.Popen, data_dir: Path, log: IO[bytes] | None = None) -> None:
    """Terminate (then kill) the server, close its log, remove its scratch directory."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    if log is not None:
        log.close()
    shutil.rmtree(data_dir, ignore_errors=True)
