"""Start the desktop app (or its smoke test) after the platform check. `main.py` hands this to
the CLI as its GUI, so `cli/` itself never imports Qt."""
from __future__ import annotations

import argparse
import sys


def launch(args: argparse.Namespace) -> int:
    from chemviz_desktop.ui.preflight import problem
    if not args.smoke_test:
        why = problem()
        if why:
            print(f"error: {why}", file=sys.stderr)
            return 2
    try:
        from chemviz_desktop.ui.app import run
    except ImportError as exc:
        print(f"error: the desktop app cannot start: {exc}", file=sys.stderr)
        return 2
    return run(smoke_test=args.smoke_test, screenshot=args.screenshot)
