"""Command-line front door. Each area registers its own subcommands; heavy imports happen only
inside the command that needs them, so `main.py validate` never loads Qt or Django."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from engine.version import APP_NAME, __version__

COMMAND_MODULES = ["cli.engine_commands", "cli.server_commands", "cli.sync_commands", "cli.equipment_commands",
                   "cli.limits_commands"]


class CliError(Exception):
    """A failure to report as one line on stderr (exit code attached)."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py", description=f"{APP_NAME} {__version__}: "
                                     "chemical equipment CSV validation, statistics and sync.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--debug", action="store_true", help="print log records and full tracebacks on stderr")
    parser.add_argument("--smoke-test", metavar="FILE", help="start the window offscreen, import FILE, "
                        "visit every page, then exit (non-zero on any error)")
    parser.add_argument("--screenshot", metavar="OUT.png", help="with --smoke-test: save the Analytics page")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    import importlib
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        module.register(sub)
    return parser


def _launch(gui: Callable[[argparse.Namespace], int] | None, args: argparse.Namespace) -> int:
    if gui is None:
        raise CliError("no desktop in this build; run a command (see --help)")
    return gui(args)


def main(argv: Sequence[str] | None = None, gui: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run one command; with no command, start `gui` (main.py passes the desktop launcher)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from chemviz_desktop.core import logs
    logs.configure(debug=args.debug)
    try:
        if args.command is None:
            return _launch(gui, args)
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 -- last line of defence: logged whole, one line shown
        from chemviz_desktop.core.errors import describe
        message = describe(exc, doing=f"running '{args.command or 'gui'}'")
        if logs.debug_enabled():
            import traceback
            traceback.print_exception(type(exc), exc, exc.__traceback__)
        print(f"error: {message}", file=sys.stderr)
        return 1
