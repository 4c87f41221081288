"""`import`, `sync`, `list` (and `signout`): the desktop's local store and server sync without
a GUI. Same code paths as the app (`chemviz_desktop.core.sync`), so the CLI doubles as a test rig."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_FAILED = 1      # the server refused at least one dataset for good
EXIT_PENDING = 3     # some datasets could not be sent now (server down...): run sync again
DEFAULT_WAIT = 300.0  # seconds `sync` waits for one queued upload


def register(sub: argparse._SubParsersAction) -> None:
    from .engine_commands import add_import_options
    p = sub.add_parser("import", help="validate a CSV file or Excel workbook and add it to the local store")
    p.add_argument("file")
    p.add_argument("--taken-at", metavar="ISO", help="when a snapshot's readings were taken (default: the "
                   "file's modified time; without a zone: this machine's local time). A time series keeps "
                   "its own times.")
    add_import_options(p)
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("sync", help="push pending datasets to the server and list the server's",
                       description="Password from CHEMVIZ_PASSWORD, else a token remembered in the "
                       "keychain. Exit 0 when everything reached the server, 1 when the server "
                       "refused a dataset, 3 when some are still pending (server unreachable).")
    p.add_argument("--server", help="server URL (default: the last one used)")
    p.add_argument("--user", help="user name (default: the last one used)")
    p.add_argument("--remember", action="store_true", help="keep the token in the OS keychain")
    p.add_argument("--wait", type=float, default=DEFAULT_WAIT, metavar="SECONDS",
                   help="how long to wait for each upload the server queued for background processing "
                        f"(HTTP 202) before leaving it pending for the next sync [default {DEFAULT_WAIT:g}]. "
                        "Ctrl+C stops waiting; the next sync asks about the same import, the file is "
                        "not sent again")
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("list", help="one line per dataset in the local store, with its sync state")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("signout", help="revoke the remembered token and remove it from the keychain")
    p.add_argument("--server")
    p.add_argument("--user")
    p.set_defaults(func=cmd_signout)


def _error(message: str, code: int = 2):
    from . import CliError
    return CliError(message, code)


def _open_store():
    """The local store (its own retention setting, the same one History shows); a warning kept
    for the user (a damaged settings file...) is printed once. Store problems raise CliError."""
    from chemviz_desktop.core.store import Store, StoreError
    try:
        store = Store()
        notice = store.take_notice()
    except StoreError as exc:
        raise _error(str(exc), 1) from exc
    if notice:
        print(f"warning: {notice}", file=sys.stderr)
    return store


def cmd_import(args: argparse.Namespace) -> int:
    import engine
    from chemviz_desktop.core.store import StoreError
    from chemviz_desktop.core.sync.credentials import AccountFile
    from engine.readings import TIMESTAMP

    from .equipment_commands import parse_time
    path = Path(args.file)
    typed = parse_time(args.taken_at, "--taken-at").to_pydatetime() if args.taken_at else None
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _error(f"cannot read {path}: {exc.strerror or exc}") from exc
    from .engine_commands import import_options
    res = engine.load(data, file_name=path.name, **import_options(args))
    if not res.accepted:
        print(f"{path.name}: not imported: {res.report.summary()}", file=sys.stderr)
        for issue in res.report.file_errors[:5]:
            print(f"  {issue.message}", file=sys.stderr)
        return 1
    series = res.frame is not None and TIMESTAMP in res.frame
    if series:
        taken_at = None
        if args.taken_at:
            print(f"warning: --taken-at ignored: {path.name} is a time series (each reading has its own time)",
                  file=sys.stderr)
    elif typed is not None:
        taken_at = typed
    else:
        from datetime import datetime, timezone
        taken_at = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    store = _open_store()
    try:
        queue = AccountFile.load().remember  # signed in (remembered): this one must reach the server
        # the original file only when the server, reading it with default choices, gets these rows
        original = data if res.options in (None, engine.ImportOptions()) else None
        ds_id = store.add(res, file_name=path.name, csv_bytes=original, queue=queue, taken_at=taken_at)
        info = store.info(ds_id)
    except StoreError as exc:
        raise _error(f"{path.name} was not imported: {exc}", 1) from exc
    finally:
        store.close()
    when = "" if series else f", readings taken at {info.taken_at}"
    print(f"imported {path.name}: {res.report.summary().rstrip('.')}{when} [{info.sync_state}, id {info.id}, uuid {info.uuid}]")
    return 0


def _session(args: argparse.Namespace):
    from chemviz_desktop.core.sync.account import Session, sign_in
    from chemviz_desktop.core.sync.api_client import ApiError, Unreachable, server_root
    from chemviz_desktop.core.sync.credentials import AccountFile, load_token
    acct = AccountFile.load()
    url, user = args.server or acct.server_url, args.user or acct.username
    if not url or not user:
        raise _error("say which server and user: --server URL --user NAME")
    password = os.environ.get("CHEMVIZ_PASSWORD")
    if password:
        try:
            session, note = sign_in(url, user, password, remember=getattr(args, "remember", False))
        except Unreachable as exc:
            raise _error(f"cannot reach the server: {exc}", EXIT_PENDING) from exc
        except ApiError as exc:
            raise _error(f"sign-in failed: {exc.detail}") from exc
        if note:
            print(f"note: {note}", file=sys.stderr)
        return session
    token = load_token(server_root(url), user)
    if not token:
        raise _error("no password: set CHEMVIZ_PASSWORD, or sign in once with --remember")
    return Session(server_root(url), user, token, acct.role, True)


def cmd_sync(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.sync.api_client import AuthError
    from chemviz_desktop.core.sync.import_wait import WaitPolicy
    from chemviz_desktop.core.sync.syncer import SyncEngine
    if not args.wait >= 0:
        raise _error("--wait takes a number of seconds, 0 or more")
    session = _session(args)

    def say(name: str, outcome: str, message: str) -> None:
        print(f"{outcome:<8}{name}" + (f": {message}" if message else ""), flush=True)

    store = _open_store()
    client = session.client()
    try:
        store.enqueue_all_local()
        sync = SyncEngine(store, client, session.username, wait=WaitPolicy(budget=args.wait))
        try:
            rep = sync.sync(force=True, on_item=say)
        except AuthError as exc:
            raise _error(f"the server refused the sign-in ({exc.detail}); sign in again") from exc
        for name in rep.pulled:
            say(name, "pulled", "")
        for name in rep.recognised:
            say(name, "known", "the same file is already on the server; not sent again")
        for name in rep.vanished:
            say(name, "removed", "no longer on the server; kept here as the only copy")
        left = store.pending_count()
    finally:
        client.close()
        store.close()
    gone = f", removed from the server {len(rep.vanished)}" if rep.vanished else ""
    print(f"pushed {len(rep.pushed)}, pulled {len(rep.pulled)}, failed {len(rep.failed)}, "
          f"pending {left}{gone} — {session.server_url}" + (" (unreachable)" if rep.offline else ""))
    if rep.shared is not None:   # equipment, limits, acknowledgements: conflicts are reported, exit 0
        for line in rep.shared.lines():
            print(line)
    if rep.failed:
        return EXIT_FAILED
    return EXIT_PENDING if left else 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _open_store()
    try:
        items = store.list()
    finally:
        store.close()
    for i in items:
        owner = f"  by {i.server_owner}" if i.server_owner else ""
        err = f"  ({i.sync_error})" if i.sync_error else ""
        pin = "  pinned" if i.pinned else ""
        print(f"{i.id:>4}  {i.sync_state:<11}  {i.file_name}  {i.rows_accepted} rows{owner}{pin}{err}")
    if not items:
        print("no datasets in the local store", file=sys.stderr)
    return 0


def cmd_signout(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.sync.account import Session, restore, sign_out
    from chemviz_desktop.core.sync.api_client import server_root
    from chemviz_desktop.core.sync.credentials import AccountFile, load_token
    acct = AccountFile.load()
    url, user = args.server or acct.server_url, args.user or acct.username
    session = restore() if not (args.server or args.user) else None
    if session is None and url and user:
        token = load_token(server_root(url), user)
        session = Session(server_root(url), user, token, "", True) if token else None
    if session is None:
        print("not signed in", file=sys.stderr)
        return 0
    note = sign_out(session)
    print(note or f"signed out of {session.server_url}")
    return 0
