"""How readings are held as Arrow in the local store: a chunk is one zstd Arrow IPC stream of
columns ts (epoch ns), flowrate, pressure, temperature, status (and eq, the equipment id, in a
dataset chunk sorted by equipment). Also the small Arrow helpers the registry's import path
shares: they work PIECE values at a time, so no single call holds the GIL long enough to stall
the window that imports (equipment.record, alerts read the chunks back with `decode`)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from engine.readings import ACTIVE

PARAMETERS = ("flowrate", "pressure", "temperature")

PIECE = 20_000   # names per Python conversion/JSON step: each holds the GIL briefly (~10-20 ms)


def pylist(arr: pa.Array, idx: np.ndarray | None = None) -> list:
    """Arrow values (at `idx`) as a Python list, in pieces so no single call holds the GIL long."""
    out: list = []
    n = len(arr) if idx is None else len(idx)
    for i in range(0, n, PIECE):
        part = arr.slice(i, PIECE) if idx is None else arr.take(pa.array(idx[i:i + PIECE]))
        out.extend(part.to_pylist())
    return out


def arrow_text(values: pd.Series) -> pa.Array:
    import pyarrow.compute as pc
    arr = pa.array(values)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode() if hasattr(arr, "dictionary_decode") else pc.cast(arr, pa.string())
    return arr.cast(pa.string()) if arr.type != pa.string() else arr


def text_in_pieces(values: np.ndarray) -> pa.Array:
    """Python strings to Arrow PIECE at a time (one call over a million holds the GIL ~100 ms)."""
    pieces = [pa.array(values[i:i + PIECE], pa.string(), from_pandas=True) for i in range(0, len(values), PIECE)]
    return pa.chunked_array(pieces, pa.string()).combine_chunks() if pieces else pa.array([], pa.string())


def status_part(status: pa.Array | None, a: int, b: int) -> pa.Array:
    """Rows a..b of the status column; a file without one reads Active throughout."""
    return pa.repeat(ACTIVE, b - a).cast(pa.string()) if status is None else status.slice(a, b - a)


def status_take(status: pa.Array | None, where: np.ndarray) -> pa.Array:
    return pa.repeat(ACTIVE, len(where)).cast(pa.string()) if status is None else status.take(pa.array(where))


def encode(part: dict) -> bytes:
    """One zstd Arrow IPC stream; `status` may be Arrow already (import) or Python strings."""
    cols = {"eq": pa.array(part["eq"], pa.int64())} if "eq" in part else {}
    status = part["status"]
    table = pa.table({**cols, "ts": pa.array(part["ts"], pa.int64()),
                      **{p: pa.array(part[p], pa.float64(), from_pandas=True) for p in PARAMETERS},
                      "status": status if isinstance(status, (pa.Array, pa.ChunkedArray))
                      else text_in_pieces(status)})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="zstd")) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()


def decode(blob: bytes) -> pa.Table:
    return pa.ipc.open_stream(blob).read_all()


def empty() -> pa.Table:
    return pa.table({"ts": pa.array([], pa.int64()), **{p: pa.array([], pa.float64()) for p in PARAMETERS},
                     "status": pa.array([], pa.string())})
