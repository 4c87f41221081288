"""Where the engine's work runs and where its Arrow buffers come from, by table size.

Small tables (a server upload) are worked through in the calling thread, with Arrow buffers from
the C heap: each worker thread got its own C-heap arena and mimalloc heap, keeping what it freed,
and mimalloc kept ~8 MB more resident than the C heap, which `read.release_memory` trims (the
9.9 MB upload peaked at 4.2x its size, 2.6x this way). Big tables keep the worker threads and
Arrow's default pool: on five million rows the C heap's fresh pages cost time, and no memory."""
from __future__ import annotations

from concurrent.futures import Executor, Future
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Iterator, TypeVar

import pyarrow as pa

T = TypeVar("T")

PARALLEL_MIN_ROWS = 500_000   # tables below this many rows are worked through in the calling thread


class _Inline(Executor):
    """An executor that runs each job at once in the caller's thread (results and errors come back
    through the Future as from a thread pool)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        done: Future[T] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the Future, as a pool would
            done.set_exception(exc)
        return done


INLINE = _Inline()


def pool_for(rows: int, pool: Executor) -> Executor:
    """`pool` for a table of `rows` rows that is worth the threads, else the calling thread."""
    return pool if rows >= PARALLEL_MIN_ROWS else INLINE


_SMALL_TABLE_POOL = pa.system_memory_pool()
_pool: ContextVar[pa.MemoryPool | None] = ContextVar("engine_memory_pool", default=None)


def memory_pool() -> pa.MemoryPool:
    """The pool for the engine's big Arrow buffers in this thread (worker threads, which only big
    tables use, see Arrow's default pool)."""
    return _pool.get() or pa.default_memory_pool()


@contextmanager
def table_memory(rows: int) -> Iterator[None]:
    """While a table of `rows` rows is validated in this thread: the C heap if it is small."""
    token = _pool.set(_SMALL_TABLE_POOL) if rows < PARALLEL_MIN_ROWS else None
    try:
        yield
    finally:
        if token is not None:
            _pool.reset(token)
