"""Header rows inside the data: two exports concatenated into one file.

A row whose cells map every required column is a header, not data. When it says exactly what
the first header says, it is skipped; when its order or units differ, the rows after it would be
read under the wrong columns or units, so the file is refused naming the row. Values are never
mixed silently.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pyarrow as pa

from .columns import ColumnMap
from .report import Issue

MAX_CANDIDATES = 200


def find_header_rows(t: pa.Table, row_numbers: np.ndarray, positions: np.ndarray, cmap: ColumnMap,
                     map_headers: Callable[[list[str]], ColumnMap]) -> tuple[np.ndarray | None, list[Issue]]:
    """Among `positions` (rows whose every numeric cell is not a number), find header rows.
    Returns (mask of rows to drop, issues); an error issue means: refuse the file."""
    drop = np.zeros(t.num_rows, dtype=bool)
    first_sig = cmap.signature()
    verdicts: dict[tuple[str, ...], str] = {}
    cand = t.take(pa.array(positions[:MAX_CANDIDATES])).to_pylist()
    for pos, row in zip(positions[:MAX_CANDIDATES], cand, strict=True):
        cells = tuple("" if v is None else str(v) for v in row.values())
        verdict = verdicts.get(cells)
        if verdict is None:
            other = map_headers(list(cells))
            verdict = "data" if other.missing else "same" if other.signature() == first_sig else "differs"
            verdicts[cells] = verdict
        if verdict == "data":
            continue
        if verdict == "differs":
            row_no = int(row_numbers[pos])
            shown = ", ".join(c for c in cells if c.strip())[:200]
            return None, [Issue(None, None, "repeated_header_differs",
                                f"Row {row_no} is a second header ({shown}) whose column order or units differ "
                                f"from the first header's. The file looks like two exports joined together, and "
                                f"the rows after it would be read under the wrong columns or units. Split the file "
                                f"at row {row_no} and import each part.", "error")]
        drop[pos] = True
    if drop.any():
        rows = row_numbers[drop]
        listed = ", ".join(str(int(r)) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
        return drop, [Issue(None, None, "repeated_header_skipped",
                            f"Row(s) {listed} repeat the header (exports joined together); they were skipped.",
                            "info")]
    return None, []

