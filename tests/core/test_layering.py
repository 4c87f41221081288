"""The layers hold at run time too (import-linter checks the source in CI): importing every module
of the desktop core and of the CLI loads no Qt and no Qt Matplotlib backend, and `main.py --version`
/ `--help` load neither pandas nor pyarrow."""
from __future__ import annotations

import subprocess
import sys

from ..conftest import ROOT

QT = ("PyQt5", "matplotlib.backends.backend_qt", "matplotlib.backends.backend_qt5agg")


def _loaded_after(code: str) -> set[str]:
    probe = code + "\nimport sys; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                         check=True, env={"CHEMVIZ_DATA_DIR": "/nonexistent-never-written", "PATH": "/usr/bin:/bin"})
    return set(out.stdout.split())


def test_core_and_cli_import_no_qt():
    code = ("import pkgutil, importlib, chemviz_desktop.core as core, cli\n"
            "for m in pkgutil.walk_packages(core.__path__, 'chemviz_desktop.core.'):\n"
            "    importlib.import_module(m.name)\n"
            "for m in ('cli.engine_commands', 'cli.sync_commands'):\n"
            "    importlib.import_module(m)")
    loaded = _loaded_after(code)
    assert "chemviz_desktop.core.export.pdf" in loaded   # the walk really imported the exports
    assert not {m for m in loaded if m.startswith(QT)}


def test_version_and_help_load_no_pandas_or_pyarrow():
    for flag in ("--version", "--help"):
        code = f"import sys; sys.argv = ['main.py', '{flag}']\ntry:\n    import runpy; runpy.run_path('main.py', run_name='__main__')\nexcept SystemExit:\n    pass"
        loaded = _loaded_after(code)
        assert "cli" in loaded
        heavy = {m for m in loaded if m.split(".")[0] in ("pandas", "pyarrow", "numpy", "PyQt5", "django")}
        assert not heavy, f"{flag} loaded {sorted(heavy)[:5]}"
