"""The engine's compiled kernels (kernels.c and the plain-CSV reader csv_reader.c, built by
`python -m engine.native.build`), when they are built and match their source; otherwise None and
the engine takes its numpy path (and Arrow's CSV reader), which gives the same results more
slowly. `CHEMVIZ_ENGINE_KERNELS=0` forces the numpy path (the tests and the bench compare the
two)."""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path
from typing import Any

# The C sources, in the order the build joins them into one module (csv_reader.c uses kernels.c).
SOURCES = tuple(Path(__file__).with_name(name) for name in ("kernels.c", "csv_reader.c"))
_log = logging.getLogger(__name__)


def source_digest(text: bytes) -> str:
    """What the build stamps into the module: a build from other source is not used."""
    return hashlib.sha256(text).hexdigest()[:16]


def source_text() -> bytes:
    """The module's C source: SOURCES joined."""
    return b"\n".join(path.read_bytes() for path in SOURCES)


def _load() -> Any | None:
    if os.environ.get("CHEMVIZ_ENGINE_KERNELS", "1") == "0":
        return None
    try:
        module = importlib.import_module(f"{__name__}._kernels")
    except ImportError:
        return None
    try:
        built_from = module.ffi.string(module.lib.kernels_source()).decode()
    except AttributeError:      # built from older sources
        built_from = ""
    if all(path.exists() for path in SOURCES) and built_from != source_digest(source_text()):
        # (a frozen executable carries no source: its kernels were built with it)
        _log.warning("engine kernels are out of date with their C sources; using the numpy path "
                     "(rebuild: python -m engine.native.build)")
        return None
    return module


_UNSET = object()
_loaded: Any = _UNSET


def kernels() -> Any | None:
    """The compiled module (`.lib` functions, `.ffi`), or None; looked for on first use."""
    global _loaded
    if _loaded is _UNSET:
        _loaded = _load()
    return _loaded


def set_kernels(module: Any | None) -> Any | None:
    """Use `module` (None: the numpy path) from now on; returns the one used before (tests)."""
    global _loaded
    before, _loaded = kernels(), module
    return before
