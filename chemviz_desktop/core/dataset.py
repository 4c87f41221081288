"""The dataset the window shows, and the slow steps that produce it (run in workers): import a
file through the engine into the store, reopen a stored one, filter/sort a view, recompute
statistics for a filter. No Qt widgets here; statistics always come from the engine."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import engine
from chemviz_desktop.core.store import Store
from engine import schema
from engine.frames import accepted_mask, clean_rows
from engine.progress import Progress, Scaled


@dataclass
class Dataset:
    """A loaded dataset: the engine frame (every row, excluded ones flagged), its report and
    statistics, and where it lives in the store (None when rejected / not stored)."""
    name: str
    frame: pd.DataFrame | None
    report: engine.Report
    statistics: dict[str, Any] | None
    store_id: int | None = None
    imported_at: str = ""
    source_path: str = ""
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    headers: list[str] = field(default_factory=list)   # header cells as read (for the column-mapping dialog)
    taken_at: str = ""        # a snapshot's reading time (UTC ISO) as stored; "" when not stored
    visible: np.ndarray | None = None     # positions of the accepted rows (the Data page's first view)
    long_cells: dict[str, set[int] | None] = field(default_factory=dict)   # text cells to elide, per column

    @property
    def time_series(self) -> bool:
        """Readings with their own times (a Timestamp column), not one snapshot."""
        return self.frame is not None and schema.TIMESTAMP in self.frame.columns

    @property
    def accepted(self) -> bool:
        return self.report.valid and self.frame is not None

    @property
    def row_count(self) -> int:
        return 0 if self.frame is None else len(self.frame)

    def clean(self) -> pd.DataFrame:
        """Accepted rows without bookkeeping columns (what exports see)."""
        return clean_rows(self.frame)

    def types(self) -> list[str]:
        stats = self.statistics or {}
        return list(stats.get("by_type", {}).keys())


def _finish(ds: Dataset) -> Dataset:
    """Pull the bookkeeping arrays out once (in the worker), so the GUI thread never converts."""
    if ds.frame is not None:
        f = ds.frame
        ds.excluded = ~accepted_mask(f)
        ds.rows = (f[schema.ROW].to_numpy(dtype=np.int64) if schema.ROW in f
                   else np.arange(2, len(f) + 2, dtype=np.int64))
        ds.visible = np.flatnonzero(~ds.excluded)
        from chemviz_desktop.core.formatting import long_cells
        ds.long_cells = {str(c): long_cells(f[c].array) for c in f.columns
                         if not pd.api.types.is_numeric_dtype(f[c])}
    return ds


def _original_bytes(p: Path) -> bytes | None:
    """The user's own file, kept so a later upload sends it rather than rows rebuilt from the
    store; skipped above the server's size limit (the server would refuse it anyway)."""
    try:
        return p.read_bytes() if p.stat().st_size <= schema.SERVER_UPLOAD_LIMIT_BYTES else None
    except OSError:
        return None


def import_file(state: Progress, path: str, keep: int | None = None,
                options: engine.ImportOptions | None = None, taken_at: datetime | None = None) -> Dataset:
    """Worker: engine.load with progress/cancel; an accepted result goes into the store in one
    transaction. A rejected file is returned with its report and is not stored. Retention is
    the store's own setting (`Store.keep`); `keep` is accepted for old callers and ignored.
    A snapshot (no Timestamp column) records its readings at `taken_at`, by default the file's
    modified time (as the CLI does); a time series keeps the times in the file."""
    p = Path(path)
    from chemviz_desktop.core import import_prefs  # saved pressure mode, type spellings, mappings
    result = import_prefs.load(p, file_name=p.name, state=Scaled(state, 0.0, 0.9), base=options)
    ds = Dataset(p.name, result.frame if result.accepted else None, result.report, result.statistics,
                 source_path=str(p), headers=result.headers)
    if not result.accepted:
        return ds
    state.check()
    state.progress(0.92, "Saving to local history")
    store = Store()
    try:
        original = _original_bytes(p) if import_prefs.server_reads_alike(result) else None
        if taken_at is None:
            from chemviz_desktop.core.equipment_service import file_time
            taken_at = file_time(p)
        ds.store_id = store.add(result, file_name=p.name, csv_bytes=original, taken_at=taken_at)
        info = store.info(ds.store_id)
        ds.imported_at = info.imported_at if info else ""
        ds.taken_at = info.taken_at if info else ""
    finally:
        store.close()
    state.progress(0.97, "Preparing table")
    return _finish(ds)


def open_stored(state: Progress, dataset_id: int) -> Dataset:
    """Worker: reopen a stored dataset (rows, report, statistics) without the original file."""
    store = Store()
    try:
        state.progress(0.1, "Reading from local history")
        stored = store.open(dataset_id)
    finally:
        store.close()
    info = stored.info
    stats = stored.statistics
    if stats is None and stored.frame is not None:
        stats = engine.compute_statistics(stored.frame, rows_total=info.rows_total)
    ds = Dataset(info.display_name, stored.frame, stored.report, stats, store_id=info.id,
                 imported_at=info.imported_at, taken_at=info.taken_at)
    state.progress(0.8, "Preparing table")
    return _finish(ds)


@dataclass(frozen=True)
class ViewSpec:
    """What the Data page shows: filter and sort. Shared with Analytics (statistics follow it)."""
    type_name: str = ""          # "" = all types
    text: str = ""               # case-insensitive substring of the equipment name
    show_excluded: bool = False
    sort_column: str | None = None
    ascending: bool = True
    types: tuple[str, ...] = ()  # several types at once (empty = no such filter)
    ranges: tuple[tuple[str, str, float], ...] = ()   # numeric conditions, see core.filters

    @property
    def filtered(self) -> bool:
        return bool(self.type_name or self.text.strip() or self.types or self.ranges)

    def describe(self) -> str:
        """The filter in words ("" when none): shown on screen and written into exports."""
        from chemviz_desktop.core import filters
        parts = [self.type_name, ", ".join(self.types) if self.types else "",
                 f"name contains '{self.text.strip()}'" if self.text.strip() else "",
                 filters.describe(self.ranges)]
        return "; ".join(p for p in parts if p)


def filter_mask(ds: Dataset, spec: ViewSpec) -> np.ndarray:
    """Rows matching the type, name and range filters (excluded rows included; callers decide)."""
    f = ds.frame
    if f is None:
        return np.zeros(0, dtype=np.bool_)
    mask: np.ndarray = np.ones(len(f), dtype=np.bool_)
    if spec.type_name:
        mask &= (f[schema.TYPE] == spec.type_name).to_numpy(dtype=bool, na_value=False)
    if spec.types:
        mask &= f[schema.TYPE].isin(spec.types).to_numpy(dtype=bool, na_value=False)
    if spec.ranges:
        from chemviz_desktop.core import filters
        cols = {c for c, _op, _v in spec.ranges}
        mask &= filters.mask({c: f[c].to_numpy(dtype=float) for c in cols}, spec.ranges, len(f))
    text = spec.text.strip()
    if text:
        mask &= f[schema.NAME].str.contains(text, case=False, regex=False, na=False).to_numpy(dtype=bool)
    return mask


def view_index(state: Progress | None, ds: Dataset, spec: ViewSpec) -> np.ndarray:
    """Positions of the rows to show, in display order (filtered, then sorted with pandas)."""
    if ds.frame is None:
        return np.zeros(0, dtype=np.int64)
    mask = filter_mask(ds, spec)
    if not spec.show_excluded:
        mask &= ~ds.excluded
    idx = np.flatnonzero(mask)
    if state is not None:
        state.check()
    if spec.sort_column and spec.sort_column in ds.frame.columns and len(idx):
        col = ds.frame[spec.sort_column]
        sub = col.iloc[idx] if len(idx) < len(col) else col
        order = np.asarray(sub.argsort(kind="stable")) if not (sub.dtype == object) else \
            np.argsort(sub.astype(str).to_numpy(), kind="stable")
        if not spec.ascending:
            order = order[::-1]
        idx = idx[order]
    return idx.astype(np.int64, copy=False)


def filtered_statistics(state: Progress | None, ds: Dataset, spec: ViewSpec,
                        running_only: bool = True) -> tuple[dict, np.ndarray]:
    """Engine statistics of the rows the filter keeps, and that mask (for the charts). With a
    Status column, `running_only` leaves out readings taken while not running (the default)."""
    mask = filter_mask(ds, spec)
    if state is not None:
        state.check()
    if ds.frame is None:
        return engine.compute_statistics(engine.frames.clean_rows(None), rows_total=0), mask
    sub = ds.frame[mask]
    return engine.compute_statistics(sub, rows_total=int(mask.sum()), running_only=running_only), mask
