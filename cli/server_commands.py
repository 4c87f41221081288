"""`serve`, `worker` and `adduser`: the embedded ChemViz server and its upload workers. Django is imported only inside the commands,
so other subcommands never pay for it."""
from __future__ import annotations

import argparse
import getpass
import os
import sys

ROLES = ("admin", "engineer", "viewer")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the ChemViz API server (waitress; SQLite + files in the server dir)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("worker", help="run a Celery worker for queued uploads (needs CELERY_BROKER_URL, "
                                      "e.g. redis://localhost:6379/0, and the server's DATABASE_URL)")
    p.add_argument("--concurrency", type=int, default=None,
                   help="worker processes (default: the number of CPUs)")
    p.add_argument("--pool", choices=("prefork", "solo", "threads"), default="prefork",
                   help="prefork: a child process per task slot (default); solo: in this process")
    p.add_argument("--hostname", default=None, help="worker name (default celery@<host>)")
    p.add_argument("--loglevel", default="INFO")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("adduser", help="create a server user (or reset an existing user's password/role)")
    p.add_argument("name")
    p.add_argument("--role", choices=ROLES, required=True)
    p.add_argument("--email", default="")
    p.add_argument("--department", default=None)
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password from the first line of stdin instead of prompting")
    p.set_defaults(func=cmd_adduser)


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.chemviz_server.settings")
    import django
    django.setup()


def _migrate() -> None:
    from django.core.management import call_command
    call_command("migrate", interactive=False, verbosity=0)


def cmd_serve(args: argparse.Namespace) -> int:
    from cli import CliError
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be between 1 and 65535, not {args.port}")
    if "ALLOWED_HOSTS" not in os.environ and args.host not in ("127.0.0.1", "localhost", "::1"):
        if args.host in ("0.0.0.0", "::"):
            print("note: listening on every address; set ALLOWED_HOSTS to the names clients use "
                  "(only localhost names are accepted now)", file=sys.stderr)
        else:  # a specific address: accept requests addressed to it
            os.environ["ALLOWED_HOSTS"] = f"localhost,127.0.0.1,[::1],{args.host}"
    os.umask(0o077)   # files the server writes (database, uploads, exports) are the owner's only
    _setup_django()
    _migrate()
    from django.conf import settings
    from waitress import serve

    from engine.version import __version__
    from server.chemviz_server import serving

    options = serving.waitress_options()
    ipv6 = ":" in args.host
    print(f"ChemViz server {__version__} on http://{'[' + args.host + ']' if ipv6 else args.host}:"
          f"{args.port}/api/v1/  (data: {settings.SERVER_DIR}; waitress, {options['threads']} threads, "
          f"{options['connection_limit']} connections; Ctrl+C stops)", flush=True)
    try:
        serve(serving.application(), host=args.host, port=args.port, **options)
    except OSError as exc:
        raise CliError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", code=1) from exc
    return 0


def _check_migrated() -> None:
    """Workers never migrate (several starting at once would race): the schema must be current."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from cli import CliError
    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise CliError("the database has unapplied migrations: run `python server/manage.py migrate` "
                       "(or start `python main.py serve` once) before the workers")


def cmd_worker(args: argparse.Namespace) -> int:
    from cli import CliError
    if not os.environ.get("CELERY_BROKER_URL"):
        raise CliError("set CELERY_BROKER_URL (e.g. redis://localhost:6379/0) to run a worker; without "
                       "one, `serve` processes every upload itself")
    if args.concurrency is not None and args.concurrency < 1:
        raise CliError(f"--concurrency must be at least 1, not {args.concurrency}")
    os.umask(0o077)
    _setup_django()
    _check_migrated()
    from server.chemviz_server.celery_app import app
    argv = ["worker", f"--loglevel={args.loglevel}", f"--pool={args.pool}"]
    if args.concurrency is not None:
        argv.append(f"--concurrency={args.concurrency}")
    if args.hostname:
        argv.append(f"--hostname={args.hostname}")
    app.worker_main(argv)
    return 0


def _read_password(from_stdin: bool) -> str:
    from cli import CliError
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CliError("the passwords do not match")
    if not password:
        raise CliError("an empty password is not allowed")
    return password


def cmd_adduser(args: argparse.Namespace) -> int:
    from cli import CliError
    password = _read_password(args.password_stdin)
    _setup_django()
    _migrate()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from server.users.models import UserProfile

    User = get_user_model()
    user = User.objects.filter(username=args.name).first()
    try:
        validate_password(password, user or User(username=args.name, email=args.email))
    except ValidationError as exc:
        raise CliError("weak password: " + " ".join(exc.messages)) from exc
    is_admin = args.role == "admin"
    with transaction.atomic():
        created = user is None
        if created:
            user = User(username=args.name, email=args.email)
            user._initial_role = args.role
        elif args.email:
            user.email = args.email
        user.is_staff = user.is_superuser = is_admin
        user.is_active = True
        user.set_password(password)
        user.save()
        profile, _ = UserProfile.objects.get_or_create(user=user)
        profile.role = args.role
        if args.department is not None:
            profile.department = args.department
        profile.save()
    print(f"{'created' if created else 'updated'} user {args.name!r} with role {args.role}")
    return 0
