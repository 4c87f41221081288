"""Three-way merge of one shared record's fields (issue 19, docs/sync_shared_records.md).

A record was edited on a workstation starting from `base` (the values it last synced); `mine`
are the fields it changed; `theirs` is the record as the server has it now. Per field:
theirs == base → mine applies; mine == theirs → nothing to do; otherwise both sides changed it
and the later arrival (mine) wins, the value it replaces reported as a conflict. Fields mine does
not set keep theirs, so different fields edited on two machines both survive. Pure and
deterministic so server and client (and the tests) agree on every case."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping


@dataclass(frozen=True)
class FieldConflict:
    """`field` was changed on both sides: `theirs` (the value replaced) lost to `mine`."""
    field: str
    base: Any
    theirs: Any
    mine: Any


@dataclass
class Merged:
    """The record after the merge, the fields that change on the server, and the conflicts."""
    fields: dict[str, Any]
    changed: dict[str, Any] = field(default_factory=dict)
    conflicts: list[FieldConflict] = field(default_factory=list)


def same(a: Any, b: Any) -> bool:
    """Equality for synced values: None, "" and NaN stand for "empty" alike; floats compare
    exactly (a value round-trips through JSON unchanged)."""
    def empty(v: Any) -> bool:
        return v is None or v == "" or (isinstance(v, float) and math.isnan(v))
    if empty(a) or empty(b):
        return empty(a) and empty(b)
    return bool(a == b)


def merge(base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> Merged:
    """Merge `mine` (only the fields the workstation set) into `theirs`, given `base`."""
    out = Merged(dict(theirs))
    for name, value in mine.items():
        current = theirs.get(name)
        if same(value, current):
            continue
        if not same(base.get(name), current):   # changed on the server since the workstation's base
            out.conflicts.append(FieldConflict(name, base.get(name), current, value))
        out.fields[name] = value
        out.changed[name] = value
    return out
