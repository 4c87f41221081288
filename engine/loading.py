"""One call from a file to (frame, report, statistics), with progress and cancel hooks so the
desktop can run it in a worker and the server can run it in a request."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

from . import schema
from .columns import map_columns
from .frames import clean_rows
from .progress import Progress, quiet
from .read import DELIMITER_NAMES, ReadError, parse, sniff
from .report import DEFAULT_MAX_ISSUES, Issue, Report
from .stats import compute_statistics
from .validate import validate

@dataclass
class LoadResult:
    report: Report
    frame: pd.DataFrame | None = None        # every data row; excluded ones flagged
    statistics: dict[str, Any] | None = None

    @property
    def accepted(self) -> bool:
        return self.report.valid

    def clean(self) -> pd.DataFrame:
        """Accepted rows only, without the bookkeeping columns (what exports and the server see)."""
        return clean_rows(self.frame)


def _human_size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def load(source: str | os.PathLike | bytes | BinaryIO, *, file_name: str | None = None,
         max_bytes: int | None = None, state: Progress | None = None,
         max_issues: int = DEFAULT_MAX_ISSUES) -> LoadResult:
    """Read, validate and summarise a CSV export. Never raises for bad data: a rejected file comes
    back with `accepted == False` and file-level errors in the report. `state.check()` raises
    `engine.Cancelled` between steps once cancel was requested."""
    watch = state or quiet()

    def checkpoint(fraction: float, message: str) -> None:
        watch.check()
        watch.progress(fraction, message)

    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        file_name = file_name or path.name
    else:
        path = None
    report = Report(file_name=file_name or "", max_issues=max_issues)

    def reject(code: str, message: str) -> LoadResult:
        report.add(Issue(None, None, code, message, "error"))
        return LoadResult(report)

    checkpoint(0.0, "Reading file")
    try:
        if path is not None:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                return reject("file_too_large", f"The file is {_human_size(size)}; the limit is {_human_size(max_bytes)}.")
            data = path.read_bytes()
        elif isinstance(source, bytes):
            data = source
        else:
            data = source.read(max_bytes + 1 if max_bytes is not None else -1)
        if max_bytes is not None and len(data) > max_bytes:
            return reject("file_too_large", f"The file is larger than the limit of {_human_size(max_bytes)}.")
    except FileNotFoundError:
        return reject("file_not_found", f"The file '{file_name}' does not exist.")
    except IsADirectoryError:
        return reject("unreadable", f"'{file_name}' is a folder, not a file.")
    except PermissionError:
        return reject("unreadable", f"The file '{file_name}' cannot be opened: permission denied.")
    except OSError as exc:
        return reject("unreadable", f"The file '{file_name}' cannot be read: {exc.strerror or exc}.")

    checkpoint(0.05, "Detecting format")
    try:
        sniffed = sniff(data)
    except ReadError as exc:
        return reject(exc.code, exc.message)
    del data
    cmap = map_columns(sniffed.headers)
    for issue in cmap.issues:
        report.add(issue)
    if any(i.severity == "error" for i in cmap.issues):
        return LoadResult(report)  # no need to parse rows we cannot use
    checkpoint(0.1, "Parsing CSV")
    numeric = frozenset(cmap.canonical[c] for c in schema.NUMERIC_COLUMNS if c in cmap.canonical)
    try:
        raw = parse(sniffed, numeric, frozenset([cmap.canonical[schema.TYPE]]) if schema.TYPE in cmap.canonical
                    else frozenset())
    except ReadError as exc:
        return reject(exc.code, exc.message)
    if raw.encoding != "UTF-8" or raw.delimiter != ",":
        sep = DELIMITER_NAMES.get(raw.delimiter, repr(raw.delimiter))
        dec = ", decimal commas" if raw.decimal_comma else ""
        report.add(Issue(None, None, "format_detected",
                         f"Read as {raw.encoding}, {sep}-separated{dec}.", "info"))

    checkpoint(0.5, "Validating rows")
    frame = validate(raw, cmap, report)
    if frame is None or not report.valid:
        return LoadResult(report, frame)

    checkpoint(0.85, "Computing statistics")
    stats = compute_statistics(frame, rows_total=report.rows_total)
    checkpoint(1.0, "Done")
    return LoadResult(report, frame, stats)
