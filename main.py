"""ChemViz entry point: the desktop app by default, plus CLI subcommands (see `--help`)."""
import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main())
