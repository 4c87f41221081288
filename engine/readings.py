"""Readings over time, the single source of truth for what the time-series files add to the
snapshot schema: the timestamp and status columns with their header aliases, the equipment-name
aliases historians use, and the seed's status choices with the spellings that map to them
(`metadata/status-choices/` answers `STATUS_CHOICES`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

# The column names and header aliases live in schema.py (pure, no pandas) with the others;
# re-exported here for the callers that already import them from this module.
from .schema import NAME_ALIASES_TIME_SERIES, STATUS, STATUS_ALIASES, TIMESTAMP, TIMESTAMP_ALIASES, UNASSIGNED_TYPE  # noqa: F401

ACTIVE, MAINTENANCE, INACTIVE = "active", "maintenance", "inactive"
STATUS_CHOICES: tuple[dict[str, str], ...] = (
    {"value": ACTIVE, "label": "Active"},
    {"value": MAINTENANCE, "label": "Under Maintenance"},
    {"value": INACTIVE, "label": "Inactive"},
)
STATUS_SPELLINGS: dict[str, str] = {
    "active": ACTIVE, "running": ACTIVE, "online": ACTIVE, "on": ACTIVE, "run": ACTIVE, "operating": ACTIVE,
    "maintenance": MAINTENANCE, "undermaintenance": MAINTENANCE, "service": MAINTENANCE, "repair": MAINTENANCE,
    "offline": INACTIVE, "stopped": INACTIVE, "inactive": INACTIVE, "off": INACTIVE, "stop": INACTIVE,
    "shutdown": INACTIVE, "down": INACTIVE, "idle": INACTIVE, "standby": INACTIVE,
}


def status_key(text: str) -> str:
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def normalise_status(values: object) -> tuple[np.ndarray, np.ndarray]:
    """(status per reading, unknown mask): known spellings map to the seed's choices; an empty
    cell counts as active (the reading was taken); anything else is flagged and left as None
    (not running), never guessed."""
    text = pd.Series(values, dtype="object").astype("string").fillna("")
    codes, distinct = pd.factorize(text, sort=False)   # a few spellings over many readings: map each once
    keys = np.array([status_key(v) for v in distinct], dtype=object)
    known = np.array([STATUS_SPELLINGS.get(k) for k in keys], dtype=object)
    empty_d = np.array([not str(v).strip() for v in distinct], dtype=bool)   # "???" is not empty: unknown
    unknown_d = np.array([v is None for v in known], dtype=bool) & ~empty_d
    known[empty_d] = ACTIVE
    if not len(codes):
        return np.zeros(0, dtype=object), np.zeros(0, dtype=bool)
    return known[codes], unknown_d[codes]


def normalise_status_column(col: object) -> tuple[np.ndarray, np.ndarray]:
    """`normalise_status` of an Arrow text column as the reader gives it: each distinct spelling
    is found by Arrow's hashing and mapped once, with no Python string per reading."""
    import pyarrow as pa
    import pyarrow.compute as pc
    if not isinstance(col, (pa.Array, pa.ChunkedArray)) or not pa.types.is_string(col.type):
        return normalise_status(col.to_pandas() if hasattr(col, "to_pandas") else col)
    flat = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    enc = pc.dictionary_encode(flat.fill_null(""))
    distinct = enc.dictionary.to_pylist()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    if not len(codes):
        return np.zeros(0, dtype=object), np.zeros(0, dtype=bool)
    known = np.array([STATUS_SPELLINGS.get(status_key(v)) for v in distinct], dtype=object)
    empty_d = np.array([not str(v).strip() for v in distinct], dtype=bool)
    unknown_d = np.array([v is None for v in known], dtype=bool) & ~empty_d
    known[empty_d] = ACTIVE
    return known[codes], unknown_d[codes]


def running_mask(statuses: np.ndarray) -> np.ndarray:
    """Readings taken while the equipment ran: what statistics and trends use by default (an
    Offline row reading 0.0 is not a flow of zero)."""
    return np.asarray(statuses, dtype=object) == ACTIVE
