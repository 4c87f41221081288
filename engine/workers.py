"""Where the engine's side work runs: on worker threads for big tables, in the calling thread for
small ones. Each thread that allocates gets its own C-heap arena (and Arrow pool heap), which
keeps what it freed: for a 10 MB server upload the workers cost more memory (~7 MB of the peak)
than their time saves, while on a million rows they save a good share of the wall time."""
from __future__ import annotations

from concurrent.futures import Executor, Future
from typing import Any, Callable, TypeVar

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
