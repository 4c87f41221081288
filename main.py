"""ChemViz entry point: the desktop app by default, plus CLI subcommands (see `--help`)."""
import sys

from cli import main


def launch_gui(args):  # type: ignore[no-untyped-def]
    """The desktop window (imported only when no subcommand is given: the CLI stays Qt-free)."""
    from chemviz_desktop.ui.launch import launch
    return launch(args)


if __name__ == "__main__":
    sys.exit(main(gui=launch_gui))
