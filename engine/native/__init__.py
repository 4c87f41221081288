"""The engine's compiled kernels (kernels.c, built by `python -m engine.native.build`), when they
are built and match their source; otherwise None and the engine takes its numpy path, which
gives the same results more slowly. `CHEMVIZ_ENGINE_KERNELS=0` forces the numpy path (the
tests and the bench compare the two)."""
from __future__ import annotations

import hashlib
import importlib
import logging
import os
from pathlib import Path
from typing import Any

_SOURCE = Path(__file__).with_name("kernels.c")
_log = logging.getLogger(__name__)


def source_digest(text: bytes) -> str:
    """What the build stamps into the module: a build from other source is not used."""
    return hashlib.sha256(text).hexdigest()[:16]


def _load() -> Any | None:
    if os.environ.get("CHEMVIZ_ENGINE_KERNELS", "1") == "0":
        return None
    try:
        module = importlib.import_module(f"{__name__}._kernels")
    except ImportError:
        return None
    try:
        built_from = module.ffi.string(module.lib.kernels_source()).decode()
    except AttributeError:      # built from an older kernels.c
        built_from = ""
    if _SOURCE.exists() and built_from != source_digest(_SOURCE.read_bytes()):
        # (a frozen executable carries no source: its kernels were built with it)
        _log.warning("engine kernels are out of date with kernels.c; using the numpy path "
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
