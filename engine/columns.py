"""Match a file's headers to the schema's columns and units."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import schema
from .report import Issue
from .units import UNIT_TABLE, Unit, find_unit, split_header


@dataclass
class ColumnMap:
    canonical: dict[str, int] = field(default_factory=dict)   # canonical column -> header index
    units: dict[str, Unit] = field(default_factory=dict)      # numeric column -> unit stated
    extras: list[int] = field(default_factory=list)           # header indexes kept as-is
    issues: list[Issue] = field(default_factory=list)         # file-level findings

    @property
    def missing(self) -> list[str]:
        return [c for c in schema.REQUIRED_COLUMNS if c not in self.canonical]


def map_columns(headers: list[str]) -> ColumnMap:
    cmap = ColumnMap()
    for idx, header in enumerate(headers):
        name, unit_text = split_header(header)
        column = schema.canonical_column(schema.header_key(name)) or schema.canonical_column(
            schema.header_key(header))
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
        if column in schema.NUMERIC_COLUMNS and unit_text:
            unit = find_unit(column, unit_text)
            if unit is None:
                known = ", ".join(sorted({u.label for u in UNIT_TABLE[column].values()}))
                cmap.issues.append(Issue(None, column, "unknown_unit",
                                         f"Column '{header}': the unit '{unit_text}' is not recognised. "
                                         f"Use one of: {known}.", "error"))
            else:
                cmap.units[column] = unit
                if not unit.is_identity:
                    cmap.issues.append(Issue(None, column, "unit_converted",
                                             f"{column} was given in {unit.label} (header '{header}') and has been "
                                             f"converted to {schema.UNITS[column]}.", "info"))
    if cmap.missing:
        found = ", ".join(f"'{h}'" for h in headers) or "none"
        missing = ", ".join(cmap.missing)
        plural = "s" if len(cmap.missing) > 1 else ""
        cmap.issues.append(Issue(None, None, "missing_column",
                                 f"Missing required column{plural}: {missing}. Headers found: {found}. "
                                 f"Expected: {', '.join(schema.REQUIRED_COLUMNS)}.", "error"))
    if cmap.extras and not cmap.missing:
        kept = ", ".join(f"'{headers[i]}'" for i in cmap.extras[:10])
        more = f" and {len(cmap.extras) - 10} more" if len(cmap.extras) > 10 else ""
        cmap.issues.append(Issue(None, None, "extra_columns_kept",
                                 f"Extra columns kept but not analysed: {kept}{more}.", "info"))
    return cmap
