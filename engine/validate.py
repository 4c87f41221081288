"""Row-level validation over whole columns at once; builds the loaded frame and the report.

Policy (see issue #2): row errors exclude the row and keep it listed; warnings keep the row;
a file with no acceptable row is rejected.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import cells, schema
from .columns import ColumnMap
from .duplicates import find_duplicate_readings, find_duplicates
from .header_rows import find_header_rows
from .limits import name_key
from .numbers import parse_numbers, parse_numbers_released
from .read import RawTable, combine, release_memory
from .readings import normalise_status_column
from .report import Issue, Report, Severity
from .timestamps import ParsedTimes, local_zone, parse_cells
from .units import ATMOSPHERE_BAR, Unit
from .workers import memory_pool, pool_for

# Order in which a row's first error is recorded as its exclusion reason.
_REASON_CODES = ["missing_value", "not_a_number", "number_format_conflict", "not_finite", "negative_value",
                 "below_vacuum", "below_absolute_zero", "bad_timestamp", "ambiguous_local_time", "duplicate_name",
                 "duplicate_reading"]
KELVIN_SUSPECT_MIN = 250.0
VACUUM_TOLERANCE_BAR = 1e-5   # unit constants round: 760 mmHg vac is 1.0132501 bar
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="engine-dups")
_NUMBERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="engine-numbers")
# From this many rows each numeric column's scratch memory is handed back as soon as it is parsed
# (5M dirty rows: peak 751 -> 657 MB, and no slower); below it the trim and the pages faulted in
# again cost more than they save (1M: +45 ms, 7 %, for 16 MB).
RELEASE_MIN_ROWS = 2_000_000


def _cell(table_col: pa.ChunkedArray, i: int) -> str:
    v = table_col[int(i)].as_py()
    v = "" if v is None else v if isinstance(v, str) else f"{v:g}"
    return v if len(v) <= 40 else v[:37] + "..."


class _RowChecks:
    """Collects boolean masks of problems and turns the first N into Issue objects."""

    def __init__(self, report: Report, rows: np.ndarray):
        self.report = report
        self.rows = rows
        self.reason = np.full(len(rows), -1, dtype=np.int8)

    def flag(self, mask: np.ndarray, code: str, column: str | None, severity: Severity,
             message: Callable[..., str]) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        if severity == "error":
            code_no = _REASON_CODES.index(code)
            unset = self.reason[idx] == -1
            self.reason[idx[unset]] = code_no
        self.report.add_rows(self.rows[idx], column, code, severity, lambda k: message(int(idx[k])))


def validate(raw: RawTable, cmap: ColumnMap, report: Report, type_aliases: dict[str, str] | None = None,
             map_headers: Callable[[list[str]], ColumnMap] | None = None,
             unit_ranges: dict[str, list[tuple[int, int, Unit | None]]] | None = None, *,
             timezone: str | None = None, known_types: Mapping[str, str] | None = None) -> pd.DataFrame | None:
    """Validate every row; return the frame of all data rows (excluded ones flagged).
    A Timestamp column makes the file a time series (see `_read_times`): naive times are local
    time of `timezone` (the machine's by default), duplicates are the same equipment at the same
    time, and a missing Type comes from `known_types` (registry name key -> type) or is Unassigned.
    `type_aliases` (spelling -> type) are the user's own type spellings, applied first;
    `map_headers` (how the header was mapped) lets header rows repeated inside the data be found;
    `unit_ranges` (column -> row ranges and their unit) covers rows read under such a header."""
    t, rows, first_col = _drop_blank_rows(raw, report)
    snapshot = (list(report.issues), report.issue_counts.copy(), report.excluded_reasons.copy())
    cols = {c: t.column(i) for c, i in cmap.canonical.items()}
    n = t.num_rows
    for r, expected, found in raw.ragged:
        report.add(Issue(r, None, "wrong_field_count",
                         f"Row {r} has {found} fields but the header has {expected}; the row is excluded.", "error"))
    report.rows_total = n + len(raw.ragged)
    if n == 0:
        report.add(Issue(None, None, "no_data_rows", "The file has a header but no data rows.", "error"))
        return None

    checks = _RowChecks(report, rows)
    # The numeric columns parse on the other workers (numpy and Arrow release the GIL) while the
    # names and types are checked here; their issues are still added in column order. In a time
    # series they start after the times are read: pandas' time parsing is the memory peak there.
    parsing: dict[str, Any] = {}
    numbers_pool = pool_for(n, _NUMBERS)
    parse = parse_numbers_released if n >= RELEASE_MIN_ROWS else parse_numbers
    # (the plain cells the reader already read, while the table has the reader's rows)
    read_by = {c: raw.numbers.get(cmap.canonical[c]) if t is raw.table else None for c in schema.NUMERIC_COLUMNS}
    if not cmap.time_series:
        parsing = {c: numbers_pool.submit(parse, cols[c], raw.decimal_comma, read_by.pop(c))
                   for c in schema.NUMERIC_COLUMNS}
    name = (first_col if (first_col is not None and cmap.canonical[schema.NAME] == 0) else
            cols[schema.NAME] if cmap.canonical[schema.NAME] in raw.trimmed else _trim(cols[schema.NAME]))
    if name is not cols[schema.NAME]:   # a trimmed copy: the table holds it instead of the names as read
        t = t.set_column(cmap.canonical[schema.NAME], t.column_names[cmap.canonical[schema.NAME]], name)
        raw = replace(raw, table=t)     # (the loader handed us the only reference: the old names go)
        cols[schema.NAME] = name
    del first_col
    name_empty = _empty_text(name)
    time_series = cmap.time_series
    # A snapshot's duplicate check starts now, beside the numbers and the types: once it waited for
    # the table to go from 2M rows on (memory), and the main thread waited for it (5M dirty rows:
    # ~0.1-0.3 s); the numbers read with the table left it room (peak 654 MB either way, 619-634 ->
    # 639-651 MB when Arrow reads the file)
    dup_pool = pool_for(n, _POOL)
    dup_job: Future[tuple[np.ndarray | None, Any]] | None = None
    if not time_series:
        dup_job = dup_pool.submit(find_duplicates, name, name_empty, rows)
    if schema.TYPE in cmap.canonical:
        types, type_empty, type_notes = _normalise_types(cols[schema.TYPE], type_aliases)
    else:
        types, type_empty, type_notes = None, np.ones(n, dtype=bool), []
    times: ParsedTimes | None = None
    if time_series:
        times = _read_times(cols[schema.TIMESTAMP], raw, report, checks, timezone)
        release_memory()
        parsing = {c: numbers_pool.submit(parse, cols[c], raw.decimal_comma, read_by.pop(c))
                   for c in schema.NUMERIC_COLUMNS}
    checks.flag(name_empty, "missing_value", schema.NAME, "error",
                lambda i: f"Row {rows[i]}: the equipment name is empty.")
    if time_series:   # Type is optional in readings over time: the registry's, else Unassigned
        types, ts_notes = _time_series_types(name, types, type_empty, known_types)
        type_notes += ts_notes
    else:
        checks.flag(type_empty, "missing_value", schema.TYPE, "error",
                    lambda i: f"Row {rows[i]}: the equipment type is empty.")
    status: np.ndarray | None = None
    if schema.STATUS in cmap.canonical:
        src_status = cols[schema.STATUS]
        status, unknown = normalise_status_column(src_status)
        checks.flag(unknown, "unknown_status", schema.STATUS, "warning",
                    lambda i: f"Row {rows[i]}: status '{_cell(src_status, i)}' is not a known status (Active/Running/"
                              f"Online, Maintenance, Offline/Stopped/Inactive); the reading is kept but not counted "
                              f"as running.")
        del src_status

    numeric: dict[str, np.ndarray] = {}
    not_numbers = np.ones(n, dtype=bool)
    for column in schema.NUMERIC_COLUMNS:
        parsed = parsing.pop(column).result()   # its masks go once its issues are flagged
        values, empty, bad, conflict = parsed.values, parsed.empty, parsed.bad, parsed.conflict
        not_numbers &= bad
        unit = cmap.units.get(column)
        as_read = values
        if unit is not None and not unit.is_identity:
            values = unit.to_product(values)
        for a, b, other_unit in (unit_ranges or {}).get(column, []):
            values = values.copy() if values is as_read else values
            values[a:b] = other_unit.to_product(as_read[a:b]) if other_unit is not None else as_read[a:b]
        numeric[column] = values
        src = cols[column]
        checks.flag(empty | (~bad & ~conflict & np.isnan(values)), "missing_value", column, "error",
                    lambda i, c=column: f"Row {rows[i]}: {c} is missing.")
        checks.flag(bad, "not_a_number", column, "error",
                    lambda i, c=column, s=src: f"Row {rows[i]}: {c} value '{_cell(s, i)}' is not a number.")
        mark, used = ("decimal comma", "decimal point") if parsed.decimal == "." else ("decimal point", "decimal comma")
        checks.flag(conflict, "number_format_conflict", column, "error",
                    lambda i, c=column, s=src, mark=mark, used=used:
                    f"Row {rows[i]}: {c} value '{_cell(s, i)}' only makes sense with a {mark}, but the other "
                    f"values in this column use a {used}; the row is excluded rather than guess its value.")
        if parsed.assumed is not None:
            sample: str = parsed.assumed
            sep = "." if parsed.decimal == "," else ","
            marks = "decimal commas" if parsed.decimal == "," else "decimal points"
            report.add(Issue(None, column, "separator_assumed",
                             f"{column} values such as '{sample}' could mean {float(sample.replace(sep, '.')):g} or "
                             f"{float(sample.replace(sep, '')):g}; nothing else in the column decides it, so '{sep}' "
                             f"was read as a thousands separator ('{sample}' = {float(sample.replace(sep, '')):g}) "
                             f"because the file uses {marks}. Please check.", "warning"))
        checks.flag(np.isinf(values), "not_finite", column, "error",
                    lambda i, c=column, s=src: f"Row {rows[i]}: {c} value '{_cell(s, i)}' is infinite.")
    if map_headers is not None and not_numbers.any():  # words in every numeric cell: a header row?
        remapped, header_issues = find_header_rows(t, rows, np.flatnonzero(not_numbers), raw.headers, cmap,
                                                   map_headers)
        if header_issues:
            report.issues[:] = snapshot[0]
            report.issue_counts, report.excluded_reasons = snapshot[1], snapshot[2]
            for issue in header_issues:
                report.add(issue)
            if remapped is None:
                return None   # refused: a second header that cannot be read
            rest = RawTable(raw.headers, remapped.table, rows[remapped.keep], raw.ragged, raw.encoding,
                            raw.delimiter, raw.decimal_comma, workbook=raw.workbook)
            return validate(rest, cmap, report, type_aliases, unit_ranges=remapped.units, timezone=timezone,
                            known_types=known_types)
    # Every text column is read: keep what the frame shows and let the table go (the loader hands
    # it over), so its columns do not add to the peak of the steps that follow.
    extras = {idx: t.column(idx) for idx in cmap.extras}
    headers, ragged = raw.headers, len(raw.ragged)
    del t, cols, src, raw, parsed, values, empty, bad, conflict, as_read
    release_memory()
    # In a time series (the check needs the times) duplicates come after the table is gone, beside
    # the value checks.
    if times is not None:
        dup_job = dup_pool.submit(find_duplicate_readings, name, name_empty, times, rows)
    elif dup_job is None:   # (a snapshot's started above)
        dup_job = dup_pool.submit(find_duplicates, name, name_empty, rows)
    unit_of = schema.UNITS
    with np.errstate(invalid="ignore"):
        fv = numeric[schema.FLOWRATE]
        checks.flag(fv < 0, "negative_value", schema.FLOWRATE, "error",
                    lambda i: f"Row {rows[i]}: Flowrate is negative ({fv[i]:g} L/min); a flowrate cannot be below zero.")
        # Pressure is gauge: vacuum reads negative, down to a perfect vacuum at −1.01325 bar(g).
        pv = numeric[schema.PRESSURE]
        checks.flag(pv < -ATMOSPHERE_BAR - VACUUM_TOLERANCE_BAR, "below_vacuum", schema.PRESSURE, "error",
                    lambda i: f"Row {rows[i]}: Pressure {pv[i]:.6g} bar(g) is below a perfect vacuum "
                              f"(−{ATMOSPHERE_BAR} bar gauge).")
        tv = numeric[schema.TEMPERATURE]
        checks.flag(tv < schema.ABSOLUTE_ZERO_C - 1e-9, "below_absolute_zero", schema.TEMPERATURE, "error",
                    lambda i: f"Row {rows[i]}: Temperature {tv[i]:g} °C is below absolute zero (−273.15 °C).")

    dup, first_row_of = dup_job.result()
    release_memory()
    if dup is not None and times is not None:
        utc = times.utc
        checks.flag(dup, "duplicate_reading", schema.NAME, "error",
                    lambda i: f"Row {rows[i]}: '{_cell(name, i)}' already has a reading at "
                              f"{utc[i]:%Y-%m-%d %H:%M:%S} UTC in row {first_row_of(i)}; the first one is kept "
                              f"and this row is excluded.")
    elif dup is not None:
        checks.flag(dup, "duplicate_name", schema.NAME, "error",
                    lambda i: f"Row {rows[i]}: equipment name '{_cell(name, i)}' already appears in row "
                              f"{first_row_of(i)}; this row is excluded.")

    excluded = checks.reason >= 0
    per_code = np.bincount(checks.reason[excluded], minlength=len(_REASON_CODES))
    for c in np.flatnonzero(per_code):
        report.excluded_reasons[_REASON_CODES[c]] += int(per_code[c])
    if ragged:
        report.excluded_reasons["wrong_field_count"] += ragged
    with np.errstate(invalid="ignore"):
        for column in schema.NUMERIC_COLUMNS:
            v = numeric[column]
            limit = schema.PLAUSIBLE_MAX[column]
            checks.flag((v > limit) & ~excluded, "implausible_value", column, "warning",
                        lambda i, c=column, v=v, lim=limit: f"Row {rows[i]}: {c} {v[i]:g} {unit_of[c]} is above "
                                                             f"{lim:g} {unit_of[c]}; please check it.")

    for note in type_notes:
        report.add(note)

    report.rows_accepted = int((~excluded).sum())
    if report.rows_accepted == 0:
        top = ", ".join(f"{k.replace('_', ' ')} ({v})" for k, v in report.issue_counts.most_common(3)
                        if k in _REASON_CODES or k == "wrong_field_count")
        report.add(Issue(None, None, "no_valid_rows",
                         f"None of the {report.rows_total} data rows can be used ({top}).", "error"))
    elif schema.TEMPERATURE not in cmap.units:
        # (no copy of the accepted temperatures: their bounds read in place; accepted ones are finite)
        tv, accepted = numeric[schema.TEMPERATURE], ~excluded
        t_min = np.min(tv, where=accepted, initial=np.inf)
        if report.rows_accepted >= 3 and t_min >= KELVIN_SUSPECT_MIN:
            t_max = np.max(tv, where=accepted, initial=-np.inf)
            report.add(Issue(None, schema.TEMPERATURE, "temperature_maybe_kelvin",
                             f"Every temperature is between {t_min:g} and {t_max:g} °C. "
                             f"If these are kelvin, rename the header to 'Temperature (K)' and import again.",
                             "warning"))

    return _build_frame(headers, cmap, extras, name, types, numeric, rows, excluded, checks.reason, times, status)


def _drop_blank_rows(raw: RawTable, report: Report) -> tuple[pa.Table, np.ndarray, pa.ChunkedArray | None]:
    """Lines with every cell empty are spacing, not data. Only rows with an empty first cell can
    be blank, so the other columns are checked for those rows alone. Also returns the trimmed
    first column (reused as the name column when it is one)."""
    t = raw.table
    n = t.num_rows
    first_col = ((t.column(0) if 0 in raw.trimmed else _trim(t.column(0))) if n and pa.types.is_string(t.column(0).type)
                 else None)
    first_empty = np.flatnonzero(_empty_text(first_col) if first_col is not None else _empty_mask(t.column(0)))
    blank = np.zeros(n, dtype=bool)
    if len(first_empty):
        cand = cells.take_rows(t, first_empty)
        all_empty = np.ones(len(first_empty), dtype=bool)
        for i in range(t.num_columns):
            all_empty &= _empty_mask(cand.column(i))
        blank[first_empty[all_empty]] = True
    if not blank.any():
        return t, raw.row_numbers, first_col
    report.add(Issue(None, None, "blank_lines_skipped", f"{int(blank.sum())} blank line(s) were skipped.", "info"))
    return t.filter(pa.array(~blank)), raw.row_numbers[~blank], None


def _build_frame(headers: list[str], cmap: ColumnMap, extras: dict[int, pa.ChunkedArray], name: pa.ChunkedArray,
                 types: pa.DictionaryArray,
                 numeric: dict[str, np.ndarray], rows: np.ndarray, excluded: np.ndarray,
                 reason: np.ndarray, times: ParsedTimes | None = None, status: np.ndarray | None = None
                 ) -> pd.DataFrame:
    """Every data row as a DataFrame: schema columns (Timestamp in UTC and Status for readings
    over time), extras, then the bookkeeping columns."""
    # The names' bytes as they are (no copy); pandas keeps text as large_string, so the offsets are
    # widened here, from the engine's pool, rather than by pandas from Arrow's default one.
    data: dict[str, object] = {schema.NAME: _large(name), schema.TYPE: types}
    for column in schema.NUMERIC_COLUMNS:
        data[column] = pa.array(numeric[column])
    if times is not None:
        data[schema.TIMESTAMP] = pa.array(times.utc, pa.timestamp("ns", tz="UTC"))
    if status is not None:   # (a place in the column order: the values are set below)
        data[schema.STATUS] = pa.nulls(len(status))
    for idx in cmap.extras:
        label = headers[idx]
        if label in data or label in schema.META_COLUMNS:
            label = f"{label} (extra)"
        data[label] = _large(_one_chunk(extras[idx]))
    data[schema.ROW] = pa.array(rows)
    data[schema.EXCLUDED] = pa.array(excluded)
    data[schema.REASON] = pa.DictionaryArray.from_arrays(   # (int8, as pandas keeps it; codes 0..len)
        pa.array(np.add(reason, 1, dtype=np.int8)), pa.array([""] + _REASON_CODES), safe=False)
    # split_blocks: no copy into one 2-D float block (pandas would otherwise consolidate).
    frame = pa.table(data).to_pandas(split_blocks=True, memory_pool=memory_pool())
    if status is not None:   # the seed's values, None (not NaN) where the status was not recognised
        frame[schema.STATUS] = pd.Series(status, index=frame.index, dtype=object)
    return frame


def _read_times(src: pa.ChunkedArray, raw: RawTable, report: Report, checks: _RowChecks,
                timezone: str | None) -> ParsedTimes:
    """Parse the Timestamp column once (one convention for the column), flag the cells that are
    not times and the local times a daylight-saving change makes ambiguous, and say in the
    report how the times were read."""
    rows = checks.rows
    zone = timezone or local_zone()
    times, naive = parse_cells(src, zone, raw.workbook)
    empty = _empty_mask(src)
    checks.flag(empty, "missing_value", schema.TIMESTAMP, "error",
                lambda i: f"Row {rows[i]}: the timestamp is empty.")
    checks.flag(times.bad & ~empty, "bad_timestamp", schema.TIMESTAMP, "error",
                lambda i: f"Row {rows[i]}: timestamp '{_cell(src, i)}' cannot be read as a date and time "
                          f"(the column is read as {times.convention}).")
    checks.flag(times.ambiguous, "ambiguous_local_time", schema.TIMESTAMP, "error",
                lambda i: f"Row {rows[i]}: local time '{_cell(src, i)}' does not exist or occurs twice in {zone} "
                          f"(a daylight-saving change); the row is excluded rather than guess. Write the time "
                          f"with its UTC offset (e.g. +01:00) to keep it.")
    where = f"local time of {zone}" + (" (this machine's time zone)" if not timezone else "")
    local = f"; times without a time zone were read as {where}" if naive else ""
    report.add(Issue(None, schema.TIMESTAMP, "timestamps_read",
                     f"The file is a time series (readings over time): timestamps read as {times.convention}"
                     f"{local}, and stored in UTC.", "info"))
    return times


def _time_series_types(name: pa.ChunkedArray, types: pa.DictionaryArray | None, type_empty: np.ndarray,
                       known_types: Mapping[str, str] | None) -> tuple[pa.DictionaryArray, list[Issue]]:
    """Rows without a type take the registry's type of their equipment, else Unassigned. Works
    per distinct name (few equipment, many readings)."""
    enc = pc.dictionary_encode(_one_chunk(name))
    names = enc.dictionary.to_pylist()
    name_idx = enc.indices.to_numpy(zero_copy_only=False)
    categories = [str(c) for c in types.dictionary.to_pylist()] if types is not None else []
    position = {c: i for i, c in enumerate(categories)}

    def code(t: str) -> int:
        if t not in position:
            position[t] = len(categories)
            categories.append(t)
        return position[t]

    known = {name_key(k): v for k, v in (known_types or {}).items() if v and v.strip()}
    fill = np.array([code(known.get(name_key(nm), schema.UNASSIGNED_TYPE)) for nm in names], dtype=np.int32)
    codes = (types.indices.to_numpy(zero_copy_only=False).astype(np.int32) if types is not None
             else np.zeros(len(name_idx), dtype=np.int32))
    codes = np.where(type_empty, fill[name_idx] if len(fill) else codes, codes)
    notes: list[Issue] = []
    missing_idx = np.unique(name_idx[type_empty]) if type_empty.any() else np.zeros(0, dtype=np.int64)
    missing = [names[i] for i in missing_idx if names[i]]
    registry = [nm for nm in missing if name_key(nm) in known]
    unassigned = [nm for nm in missing if name_key(nm) not in known]
    where = "The file has no Type column" if types is None else "Some readings have no type"

    def listed(ns: list[str]) -> str:
        return ", ".join(f"'{x}'" for x in ns[:10]) + (f" and {len(ns) - 10} more" if len(ns) > 10 else "")
    if registry:
        notes.append(Issue(None, schema.TYPE, "type_from_registry",
                           f"{where}: the type of {len(registry)} equipment ({listed(registry)}) was taken from "
                           f"the equipment registry.", "info"))
    if unassigned:
        notes.append(Issue(None, schema.TYPE, "type_unassigned",
                           f"{where}: {len(unassigned)} equipment ({listed(unassigned)}) are grouped as "
                           f"'{schema.UNASSIGNED_TYPE}' until a type is set for them.", "warning"))
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(categories, pa.string())), notes


def _normalise_types(typ: pa.ChunkedArray, aliases: dict[str, str] | None = None
                     ) -> tuple[pa.DictionaryArray, np.ndarray, list[Issue]]:
    """Map each distinct spelling once (there are few) and return codes, empty mask and notes."""
    if pa.types.is_dictionary(typ.type):
        enc = _one_chunk(typ)  # the reader dictionary-encoded it; concatenation unifies dictionaries
    else:
        enc = pc.dictionary_encode(_one_chunk(typ))
    raw_values = [v.strip() for v in enc.dictionary.to_pylist()]
    indices = enc.indices.to_numpy(zero_copy_only=False)
    own = {schema.type_key(k): v.strip() for k, v in (aliases or {}).items() if k.strip() and v.strip()}
    mapped = [schema.display_type(own.get(schema.type_key(v), v)) if v else "" for v in raw_values]
    # One display form per type: the first spelling seen wins ("storage tank", "Storage_Tank").
    first_form: dict[str, str] = {}
    mapped = [first_form.setdefault(schema.type_key(m), m) if m else "" for m in mapped]
    counts = cells.count_codes(indices, len(raw_values))
    notes: list[Issue] = []
    renamed: dict[str, list[str]] = {}
    for raw, disp, c in zip(raw_values, mapped, counts, strict=True):
        if raw and raw != disp and c and raw not in renamed.get(disp, []):
            renamed.setdefault(disp, []).append(raw)
    for disp, raws in sorted(renamed.items()):
        spelled = ", ".join(f"'{r}'" for r in raws)
        notes.append(Issue(None, schema.TYPE, "type_normalised", f"Type {spelled} read as {disp}.", "info"))
    custom = sorted({d for d, c in zip(mapped, counts, strict=True) if d and c and d not in schema.CANONICAL_TYPES})
    if custom:
        notes.append(Issue(None, schema.TYPE, "custom_types",
                           f"Types outside the standard list are kept as their own groups: {', '.join(custom)}.",
                           "info"))
    # Categorical: a handful of types over many rows; statistics group on its codes directly.
    categories = sorted(set(mapped))
    position = {c: i for i, c in enumerate(categories)}
    # (int8 codes where they fit: what pandas keeps for a categorical of so few, no copy to it)
    remap = np.array([position[m] for m in mapped], dtype=np.int8 if len(categories) <= 127 else np.int32)
    codes = remap[indices] if len(remap) else np.zeros(0, remap.dtype)
    # (the empty cells by one compare of the codes, not a gather through a per-spelling mask)
    empty = codes == position[""] if "" in position else np.zeros(len(codes), bool)
    return (pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(categories, pa.string()), safe=False),
            empty, notes)   # (codes come from `position`: no bounds pass)


def _empty_mask(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Cells with nothing in them, whatever type the reader gave the column."""
    if pa.types.is_floating(col.type):
        return _np_bool(pc.is_null(col))
    if pa.types.is_dictionary(col.type):
        col = col.cast(pa.string())
    return _np_bool(pc.equal(_trim(col), ""))


def _empty_text(trimmed: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Cells of a trimmed text column that hold nothing (nulls do not count, as with `pc.equal`)."""
    if cells.usable(trimmed):
        return cells.empty_cells(trimmed)
    return _np_bool(pc.equal(trimmed, ""))


def _one_chunk(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Dictionary codes must come from one dictionary, in first-seen order, across the file."""
    return combine(a)


def _large(a: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A text column as large_string (what pandas' `str` columns hold), cast in the engine's pool."""
    return pc.cast(a, pa.large_string(), memory_pool=memory_pool()) if pa.types.is_string(a.type) else a


def _is_ascii(a: pa.Array | pa.ChunkedArray) -> bool:
    return cells.is_ascii(a)


def _trim(a: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Whitespace trim; the ASCII kernel is several times faster and covers almost every file, and
    an ASCII column with no space at either end of any cell is returned as it is (no copy)."""
    if not _is_ascii(a):
        return pc.utf8_trim_whitespace(a)
    if cells.usable(a) and not cells.has_edge_space(a):
        return a
    return pc.ascii_trim_whitespace(a)


def _np_bool(a: pa.Array | pa.ChunkedArray) -> np.ndarray:
    a = combine(a)
    return a.fill_null(False).to_numpy(zero_copy_only=False)
