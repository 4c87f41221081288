#!/usr/bin/env python
"""Django's command-line utility for the ChemViz server (`python server/manage.py migrate`, ...)."""
import os
import sys
from pathlib import Path


def main() -> None:
    # Repo root instead of server/ itself, so `server.users` is never imported twice as `users`.
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.chemviz_server.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
