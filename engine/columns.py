"""Match a file's headers to the schema's columns and units, automatically or by a user's mapping."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from . import schema
from .report import Issue
from .units import ABSOLUTE, ATMOSPHERE_BAR, DEFAULT_PRESSURE, GAUGE, VACUUM, Unit, find_unit, known_units, split_header


@dataclass
class ColumnMap:
    canonical: dict[str, int] = field(default_factory=dict)   # canonical column -> header index
    units: dict[str, Unit] = field(default_factory=dict)      # numeric column -> unit stated (resolved)
    extras: list[int] = field(default_factory=list)           # header indexes kept as-is
    issues: list[Issue] = field(default_factory=list)         # file-level findings

    @property
    def time_series(self) -> bool:
        """A Timestamp column makes the file readings over time (Type becomes optional)."""
        return schema.TIMESTAMP in self.canonical

    @property
    def missing(self) -> list[str]:
        return [c for c in schema.required_columns(self.time_series) if c not in self.canonical]

    def signature(self) -> tuple:
        """What must match for a repeated header to mean the same columns and units."""
        return tuple(sorted((c, i, self.units[c] if c in self.units else None) for c, i in self.canonical.items()))


def mapping_column(key: str) -> str | None:
    """`Name`, `name`, `Equipment Name`, `flow` -> the canonical column a mapping key means."""
    if key in schema.REQUIRED_COLUMNS or key in schema.OPTIONAL_COLUMNS:
        return key
    return schema.canonical_column(schema.header_key(key))


def _same_header(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def map_columns(headers: list[str], *, pressure_mode: str = GAUGE, mapping: Mapping[str, str] | None = None,
                units: Mapping[str, str] | None = None) -> ColumnMap:
    """Canonical column for each header. `mapping` (column -> header text) overrides the automatic
    match; `units` (column -> unit text) overrides the unit in the header."""
    cmap = ColumnMap()
    explicit: dict[str, int] = {}
    for key, wanted in (mapping or {}).items():
        column = mapping_column(key)
        if column is None:
            cmap.issues.append(Issue(None, None, "bad_mapping",
                                     f"The column mapping names '{key}', which is not one of: "
                                     f"{', '.join(schema.REQUIRED_COLUMNS + schema.OPTIONAL_COLUMNS)}.", "error"))
            continue
        idx = next((i for i, h in enumerate(headers) if _same_header(h, wanted)), None)
        if idx is None:
            found = ", ".join(f"'{h}'" for h in headers[:30])
            cmap.issues.append(Issue(None, column, "bad_mapping",
                                     f"The column mapping uses '{wanted}' for {column}, but the file has no such "
                                     f"column. Headers found: {found}.", "error"))
            continue
        explicit[column] = idx
    taken = set(explicit.values())
    for idx, header in enumerate(headers):
        name, unit_text = split_header(header)
        mapped = [c for c, i in explicit.items() if i == idx]
        column = mapped[0] if mapped else None
        if column is None and idx not in taken:
            column = schema.canonical_column(schema.header_key(name)) or schema.canonical_column(
                schema.header_key(header))
            if column in explicit:
                column = None
        if column is None:
            cmap.extras.append(idx)
            continue
        if column in cmap.canonical:
            cmap.extras.append(idx)
            cmap.issues.append(Issue(None, column, "duplicate_column",
                                     f"Column '{header}' also looks like {column}; the first one, "
                                     f"'{headers[cmap.canonical[column]]}', is used and this one is kept as an extra column.",
                                     "warning"))
            continue
        cmap.canonical[column] = idx
        if column in schema.NUMERIC_COLUMNS:
            if units and column in units and units[column]:
                unit_text = units[column]
            _set_unit(cmap, column, header, unit_text, pressure_mode)
    if cmap.missing:
        found = ", ".join(f"'{h}'" for h in headers) or "none"
        missing = ", ".join(cmap.missing)
        plural = "s" if len(cmap.missing) > 1 else ""
        cmap.issues.append(Issue(None, None, "missing_column",
                                 f"Missing required column{plural}: {missing}. Headers found: {found}. "
                                 f"Expected: {', '.join(schema.REQUIRED_COLUMNS)} (or, for readings over time, "
                                 f"a {schema.TIMESTAMP} column, with {schema.TYPE} optional).", "error"))
    if cmap.extras and not cmap.missing:
        kept = ", ".join(f"'{headers[i]}'" for i in cmap.extras[:10])
        more = f" and {len(cmap.extras) - 10} more" if len(cmap.extras) > 10 else ""
        cmap.issues.append(Issue(None, None, "extra_columns_kept",
                                 f"Extra columns kept but not analysed: {kept}{more}.", "info"))
    return cmap


def _set_unit(cmap: ColumnMap, column: str, header: str, unit_text: str | None, pressure_mode: str) -> None:
    if not unit_text:
        if column == schema.PRESSURE and pressure_mode == ABSOLUTE:
            cmap.units[column] = DEFAULT_PRESSURE.resolve(ABSOLUTE)
            cmap.issues.append(Issue(None, column, "unit_converted",
                                     f"Pressure (header '{header}', no unit) was read as bar absolute, as the import "
                                     f"setting says, and converted to bar gauge by subtracting {ATMOSPHERE_BAR} bar.",
                                     "info"))
        return
    found = find_unit(column, unit_text)
    if found is None:
        cmap.issues.append(Issue(None, column, "unknown_unit",
                                 f"Column '{header}': the unit '{unit_text}' is not recognised. "
                                 f"Use one of: {', '.join(known_units(column))}.", "error"))
        return
    unit = found.resolve(pressure_mode)
    cmap.units[column] = unit
    if unit.is_identity:
        return
    target = "bar gauge" if column == schema.PRESSURE else schema.UNITS[column]
    how = ""
    if unit.reference == ABSOLUTE:
        how = f" by subtracting {ATMOSPHERE_BAR} bar (one atmosphere)"
    elif unit.reference == VACUUM:
        how = " (vacuum: a positive reading is below atmosphere, so it becomes negative gauge)"
    cmap.issues.append(Issue(None, column, "unit_converted",
                             f"{column} was given in {unit.describe()} (header '{header}') and has been "
                             f"converted to {target}{how}.", "info"))
