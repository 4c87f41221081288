"""Header rows inside the data: two exports concatenated into one file.

A row whose cells map every required column is a header, not data. When it says exactly what
the first header says, it is skipped. When its column order or units differ, the rows after it
are re-mapped to the first header's columns and converted from their own units, and the report
says so. A second header that cannot be read (an unknown unit) refuses the file, naming the row.
Values are never mixed silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pyarrow as pa

from . import schema
from .cells import take_rows
from .columns import ColumnMap
from .report import Issue
from .units import Unit

MAX_CANDIDATES = 200


@dataclass
class Remapped:
    """The data rows (header rows removed) in the first header's layout, and per numeric column
    the row ranges whose values are in another unit than the first header's."""
    table: pa.Table
    keep: np.ndarray                                           # rows of the original table kept
    units: dict[str, list[tuple[int, int, Unit | None]]] = field(default_factory=dict)


def find_header_rows(t: pa.Table, row_numbers: np.ndarray, positions: np.ndarray, headers: list[str],
                     cmap: ColumnMap, map_headers: Callable[[list[str]], ColumnMap]
                     ) -> tuple[Remapped | None, list[Issue]]:
    """Among `positions` (rows whose every numeric cell is not a number), find header rows.
    Returns (the rows re-laid-out, issues); (None, [error]) means: refuse the file."""
    first_sig = cmap.signature()
    found: list[tuple[int, ColumnMap, list[str]]] = []       # (position, its map, its cells)
    maps: dict[tuple[str, ...], ColumnMap | None] = {}
    cand = take_rows(t, positions[:MAX_CANDIDATES]).to_pylist()
    for pos, row in zip(positions[:MAX_CANDIDATES], cand, strict=True):
        cells = tuple("" if v is None else str(v) for v in row.values())
        if cells not in maps:
            other = map_headers(list(cells))
            maps[cells] = None if other.missing else other
        known = maps[cells]
        if known is None:
            continue
        if any(i.severity == "error" for i in known.issues):
            row_no = int(row_numbers[pos])
            why = " ".join(i.message for i in known.issues if i.severity == "error")
            return None, [Issue(None, None, "repeated_header_unreadable",
                                f"Row {row_no} is a second header (two exports joined together?) that cannot be "
                                f"read: {why} Split the file at row {row_no} and import each part.", "error")]
        found.append((int(pos), known, list(cells)))
    if not found:
        return None, []
    keep = np.ones(t.num_rows, dtype=bool)
    keep[[p for p, _, _ in found]] = False
    same = [p for p, m, _ in found if m.signature() == first_sig]
    differ = [(p, c) for p, m, c in found if m.signature() != first_sig]
    issues = []
    if same:
        listed = ", ".join(str(int(row_numbers[p])) for p in same[:10]) + (" …" if len(same) > 10 else "")
        issues.append(Issue(None, None, "repeated_header_skipped",
                            f"Row(s) {listed} repeat the header (exports joined together); they were skipped.",
                            "info"))
    if not differ:
        return Remapped(t.filter(pa.array(keep)), keep), issues
    for p, header_cells in differ[:10]:
        shown = ", ".join(c for c in header_cells if c.strip())[:200]
        issues.append(Issue(None, None, "repeated_header_remapped",
                            f"Row {int(row_numbers[p])} is a second header ({shown}) with another column order or "
                            f"other units; the rows below it were read under that header and converted like the "
                            f"rest.", "info"))
    return _remap(t, headers, cmap, found, keep), issues


def _key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _remap(t: pa.Table, headers: list[str], cmap: ColumnMap, found: list[tuple[int, ColumnMap, list[str]]],
           keep: np.ndarray) -> Remapped:
    """Each block of rows, read under the header above it, laid out in the first header's columns."""
    canonical_at = {i: c for c, i in cmap.canonical.items()}
    text_cols = [c.cast(pa.string()) if pa.types.is_dictionary(c.type) else c for c in t.columns]
    blocks = [(0, found[0][0], cmap, headers)]
    for k, (pos, m, cells) in enumerate(found):
        end = found[k + 1][0] if k + 1 < len(found) else t.num_rows
        blocks.append((pos + 1, end, m, cells))
    out: list[list[pa.Array]] = [[] for _ in range(t.num_columns)]
    units: dict[str, list[tuple[int, int, Unit | None]]] = {}
    start_out = 0
    for a, b, m, cells in blocks:
        n = b - a
        if n <= 0:
            continue
        by_text = {_key(h): i for i, h in enumerate(cells)}
        for j in range(t.num_columns):
            column = canonical_at.get(j)
            src = m.canonical[column] if column is not None else by_text.get(_key(headers[j]))
            piece = text_cols[src].slice(a, n) if src is not None and src < len(text_cols) else \
                pa.array([""] * n, pa.string())
            out[j].extend(piece.chunks if isinstance(piece, pa.ChunkedArray) else [piece])
        for column in schema.NUMERIC_COLUMNS:
            if m.units.get(column) != cmap.units.get(column):
                units.setdefault(column, []).append((start_out, start_out + n, m.units.get(column)))
        start_out += n
    table = pa.table({f"c{j}": pa.chunked_array(chunks, pa.string()) for j, chunks in enumerate(out)})
    return Remapped(table, keep, units)
