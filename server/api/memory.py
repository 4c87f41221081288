"""Give memory back to the operating system after a large parse. pyarrow's allocator (mimalloc)
and glibc keep freed pages for reuse; after a 10 MB upload that is ~100 MB the server would hold
until exit. Called when the last upload/export slot is released."""
from __future__ import annotations

import ctypes
import ctypes.util
import sys


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def give_back() -> None:
    try:
        import pyarrow
        pyarrow.default_memory_pool().release_unused()
    except Exception:  # noqa: BLE001 -- an old pyarrow without release_unused: nothing to give back
        pass
    if _TRIM is not None:
        _TRIM(0)
