"""Operating limits as data (PI AF limit traits: LoLo/Lo/Hi/HiHi) per equipment type and per
equipment, per parameter, in canonical units; an equipment's own limit overrides its type's. Pure
functions: resolve the limit that applies, classify values vectorised, read and write the limits
CSV (`scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s`)."""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Iterable, Iterator, Literal, Mapping

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

from . import schema

PARAMETERS: tuple[str, ...] = tuple(schema.STAT_KEY.values())   # flowrate, pressure, temperature
PARAMETER_COLUMN: dict[str, str] = {v: k for k, v in schema.STAT_KEY.items()}
LEVELS: tuple[str, ...] = ("lolo", "lo", "hi", "hihi")
SCOPES: tuple[str, ...] = ("type", "equipment")
CSV_COLUMNS: tuple[str, ...] = ("scope", "name", "parameter", "lolo", "lo", "hi", "hihi", "deadband", "delay_s")

# Level codes of `classify`: 0 inside, ±1 beyond lo/hi (amber), ±2 beyond lolo/hihi (red).
OK, HI, HIHI, LO, LOLO = 0, 1, 2, -1, -2
LEVEL_OF_CODE: dict[int, str] = {HI: "hi", HIHI: "hihi", LO: "lo", LOLO: "lolo"}

Scope = Literal["type", "equipment"]


class LimitError(ValueError):
    """A limits file or edit that cannot be used; the message names the line and field."""


@dataclass(frozen=True)
class Limit:
    """The limits of one parameter for one type or one equipment (None = not set)."""
    scope: str
    name: str
    parameter: str
    lolo: float | None = None
    lo: float | None = None
    hi: float | None = None
    hihi: float | None = None
    deadband: float = 0.0
    delay_s: float = 0.0

    def key(self) -> tuple[str, str, str]:
        """Identity: one limit row per scope, name (case-insensitive) and parameter."""
        return self.scope, name_key(self.name), self.parameter

    def problems(self) -> list[str]:
        """What is inconsistent (order lolo ≤ lo ≤ hi ≤ hihi, non-negative deadband/delay)."""
        out = []
        if self.scope not in SCOPES:
            out.append(f"scope must be one of {', '.join(SCOPES)}, not {self.scope!r}")
        if self.parameter not in PARAMETERS:
            out.append(f"parameter must be one of {', '.join(PARAMETERS)}, not {self.parameter!r}")
        if not self.name.strip():
            out.append("the name is empty")
        set_levels = [(lv, getattr(self, lv)) for lv in LEVELS if getattr(self, lv) is not None]
        for (a, va), (b, vb) in zip(set_levels, set_levels[1:], strict=False):
            if va > vb:
                out.append(f"{a} ({va:g}) is above {b} ({vb:g})")
        if self.deadband < 0 or self.delay_s < 0:
            out.append("deadband and delay_s cannot be negative")
        if not set_levels:
            out.append("no limit is set (lolo, lo, hi, hihi are all empty)")
        return out


def name_key(name: str) -> str:
    """Equipment names compare trimmed and case-insensitively (the registry's rule)."""
    return " ".join(str(name).split()).casefold()


def names_and_keys_arrow(names: "pa.Array") -> tuple["pa.Array", "pa.Array"]:  # noqa: F821
    """`names_and_keys` over an Arrow string array, returning Arrow arrays: the Arrow kernels run
    without the GIL and no Python string is made per name (a worker registering a million names
    never holds the interpreter for long)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    arr = names.cast(pa.string()) if names.type != pa.string() else names
    shown = pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"[\t\n\f\r ]+", " ")
    keys = pc.ascii_lower(shown)
    odd = np.flatnonzero(~np.asarray(pc.string_is_ascii(arr), dtype=bool)
                         | np.asarray(pc.match_substring_regex(arr, "[\x0b\x1c-\x1f]"), dtype=bool))
    if len(odd):
        raw = arr.take(pa.array(odd)).to_pylist()
        mask = np.zeros(len(arr), dtype=bool)
        mask[odd] = True
        shown = pc.replace_with_mask(shown, pa.array(mask), pa.array([" ".join(str(r).split()) for r in raw],
                                                                     pa.string()))
        keys = pc.replace_with_mask(keys, pa.array(mask), pa.array([name_key(str(r)) for r in raw], pa.string()))
    return shown, keys


def names_and_keys(names: object) -> tuple[np.ndarray, np.ndarray]:
    """A whole column at once: each name as shown (trimmed, inner spaces collapsed) and its
    `name_key`. Vectorised with Arrow for plain ASCII names; `name_key`'s own rule for the rest
    (Unicode spaces and case folding), so both agree exactly with the one-name functions."""
    import pyarrow as pa
    raw = np.asarray(names, dtype=object)
    shown, keys = names_and_keys_arrow(pa.array(raw.astype(str), pa.string()))
    return (shown.to_numpy(zero_copy_only=False).astype(object), keys.to_numpy(zero_copy_only=False).astype(object))


class LimitSet:
    """All limits, with the override rule: equipment limit, else its type's limit, else none."""

    def __init__(self, limits: Iterable[Limit] = ()) -> None:
        self._by_key: dict[tuple[str, str, str], Limit] = {}
        for limit in limits:
            self._by_key[limit.key()] = limit

    def __iter__(self) -> Iterator[Limit]:
        return iter(sorted(self._by_key.values(), key=lambda x: (x.scope, name_key(x.name), x.parameter)))

    def __len__(self) -> int:
        return len(self._by_key)

    def for_equipment(self, name: str, equipment_type: str, parameter: str) -> Limit | None:
        """The limit that applies to one equipment's parameter."""
        own = self._by_key.get(("equipment", name_key(name), parameter))
        if own is not None:
            return own
        return self.for_type(equipment_type, parameter)

    def for_type(self, equipment_type: str, parameter: str) -> Limit | None:
        """The type's limit of a parameter (spellings of a type match as in files)."""
        return self._by_key.get(("type", name_key(schema.display_type(equipment_type)), parameter)) \
            or self._by_key.get(("type", name_key(equipment_type), parameter))

    def equipment_limits(self, parameter: str) -> dict[str, Limit]:
        """The equipment's own limits of a parameter, by name key."""
        return {k[1]: x for k, x in self._by_key.items() if k[0] == "equipment" and k[2] == parameter}


def classify(values: np.ndarray, limit: Limit | None) -> np.ndarray:
    """Level code per value (OK, LO, LOLO, HI, HIHI): strictly beyond a limit counts; NaN is OK."""
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=np.int8)
    if limit is None:
        return out
    with np.errstate(invalid="ignore"):
        if limit.hi is not None:
            out[v > limit.hi] = HI
        if limit.hihi is not None:
            out[v > limit.hihi] = HIHI
        if limit.lo is not None:
            out[v < limit.lo] = LO
        if limit.lolo is not None:
            out[v < limit.lolo] = LOLO
    return out


def thresholds(names: np.ndarray, types: np.ndarray, parameter: str, limits: LimitSet) -> np.ndarray:
    """Per row, the (lolo, lo, hi, hihi) that applies (NaN = not set): shape (n, 4). Type limits
    resolve once per distinct type; equipment limits (usually few) by name only when there are
    any for this parameter; so a million rows of a million equipment stay array work."""
    n = len(names)
    out = np.full((n, 4), np.nan)
    if not len(limits) or not n:
        return out

    def row(limit: Limit | None) -> list[float]:
        return [np.nan if limit is None or getattr(limit, lv) is None else float(getattr(limit, lv))
                for lv in LEVELS]
    kinds, at = np.unique(np.asarray(types, dtype=str), return_inverse=True)
    by_type = np.array([row(limits.for_type(str(t), parameter)) for t in kinds.tolist()]).reshape(-1, 4)
    out[:] = by_type[np.asarray(at).ravel()]
    own = limits.equipment_limits(parameter)
    if own:
        uniq, inverse = np.unique(np.asarray(names, dtype=str), return_inverse=True)
        found = [own.get(name_key(name)) for name in uniq.tolist()]
        hit = np.array([x is not None for x in found], dtype=bool)
        if hit.any():
            table = np.array([row(x) for x in found]).reshape(-1, 4)
            rows = hit[np.asarray(inverse).ravel()]
            out[rows] = table[np.asarray(inverse).ravel()[rows]]
    return out


def classify_thresholds(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Level codes per value against per-row (lolo, lo, hi, hihi) from `thresholds` (NaN bounds
    and NaN values never count; strictly beyond a limit counts)."""
    v = np.asarray(values, dtype=float)
    out = np.zeros(len(v), dtype=np.int8)
    lolo, lo, hi, hihi = (bounds[:, k] for k in range(4))
    with np.errstate(invalid="ignore"):
        out[v > hi] = HI
        out[v > hihi] = HIHI
        out[v < lo] = LO
        out[v < lolo] = LOLO
    return out


def classify_frame(names: np.ndarray, types: np.ndarray, values: np.ndarray, parameter: str,
                   limits: LimitSet) -> np.ndarray:
    """Level codes for one parameter over many equipment (the Data page's cell colours)."""
    return classify_thresholds(values, thresholds(names, types, parameter, limits))


def _number(text: str, where: str, column: str, decimal_comma: bool = False) -> float | None:
    text = str(text).strip()
    if not text:
        return None
    if decimal_comma and text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise LimitError(f"{where}: {column} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise LimitError(f"{where}: {column} must be a finite number, not {text!r}")
    return value


def limit_from_cells(cells: Mapping[str, str], where: str, *, decimal_comma: bool = False,
                     name_in_problems: bool = False) -> Limit:
    """One row of text cells (keys: the CSV columns; missing = empty) as a checked Limit: the
    per-row rule of the limits CSV and of the desktop's limits editor, written once. A bad cell or
    an inconsistent row raises LimitError starting with `where` ("line 2: lo is not a number").
    `decimal_comma` reads a typed "5,5" as 5.5; `name_in_problems` names the limit in the message."""
    def cell(c: str) -> str:
        value = cells.get(c)
        return "" if value is None else str(value)
    lolo, lo, hi, hihi = (_number(cell(lv), where, lv, decimal_comma) for lv in LEVELS)
    limit = Limit(cell("scope").strip().lower(), " ".join(cell("name").split()), cell("parameter").strip().lower(),
                  lolo, lo, hi, hihi,
                  deadband=_number(cell("deadband"), where, "deadband", decimal_comma) or 0.0,
                  delay_s=_number(cell("delay_s"), where, "delay_s", decimal_comma) or 0.0)
    problems = limit.problems()
    if problems:
        label = f" ({limit.scope} {limit.name or '?'} {limit.parameter})" if name_in_problems else ""
        raise LimitError(f"{where}{label}: " + "; ".join(problems))
    return limit


def read_limits_csv(text: str) -> list[Limit]:
    """Parse a limits CSV; any bad line refuses the whole file with a message naming it."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise LimitError("the limits file is empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in CSV_COLUMNS[:3] if c not in header]
    if missing:
        raise LimitError(f"line 1: the limits file needs the columns {', '.join(CSV_COLUMNS)}; "
                         f"missing: {', '.join(missing)}")
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    if unknown:
        raise LimitError(f"line 1: unknown column {unknown[0]!r} (the columns are {', '.join(CSV_COLUMNS)})")
    at = {c: header.index(c) for c in CSV_COLUMNS if c in header}
    limits: list[Limit] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: row[i] for c, i in at.items() if i < len(row)}
        limit = limit_from_cells(cells, f"line {line}")
        if limit.key() in seen:
            raise LimitError(f"line {line}: {limit.scope} {limit.name!r} {limit.parameter} is already "
                             f"given on line {seen[limit.key()]}")
        seen[limit.key()] = line
        limits.append(limit)
    return limits


def write_limits_csv(limits: Iterable[Limit]) -> str:
    """The limits as CSV text, in the same columns `read_limits_csv` takes."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for x in limits:
        w.writerow([x.scope, x.name, x.parameter, *("" if getattr(x, lv) is None else f"{getattr(x, lv):g}"
                                                     for lv in LEVELS), f"{x.deadband:g}", f"{x.delay_s:g}"])
    return buf.getvalue()


def with_values(limit: Limit, **changes: float | None) -> Limit:
    """A copy with some fields changed (an edit), checked."""
    known = {f.name for f in fields(Limit)}
    unknown = set(changes) - known
    if unknown:
        raise LimitError(f"unknown limit field(s): {', '.join(sorted(unknown))}")
    new = replace(limit, **changes)  # type: ignore[arg-type]
    problems = new.problems()
    if problems:
        raise LimitError("; ".join(problems))
    return new


def limited_equipment(registry: dict[int, tuple[str, str]], limits: LimitSet) -> set[int]:
    """Ids of the equipment (id -> (name, type)) that some limit applies to: array work, one
    look-up per distinct type. Shared by the desktop store and the server's alert evaluation."""
    if not registry or not len(limits):
        return set()
    ids = np.fromiter(registry.keys(), dtype=np.int64, count=len(registry))
    names = np.array([v[0] for v in registry.values()], dtype=object)
    types = np.array([v[1] for v in registry.values()], dtype=object)
    limited = np.zeros(len(ids), dtype=bool)
    for p in PARAMETERS:
        limited |= ~np.isnan(thresholds(names, types, p, limits)).all(axis=1)
    return set(ids[limited].tolist())
