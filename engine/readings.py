"""Readings over time, the single source of truth for what the time-series files add to the
snapshot schema: the timestamp and status columns with their header aliases, the equipment-name
aliases historians use, and the seed's status choices with the spellings that map to them
(`metadata/status-choices/` answers `STATUS_CHOICES`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

TIMESTAMP = "Timestamp"
STATUS = "Status"
UNASSIGNED_TYPE = "Unassigned"   # a time series without a Type column, equipment not in the registry

# header_key() forms (lower case, no spaces/_/-) that mean these columns
TIMESTAMP_ALIASES: tuple[str, ...] = ("timestamp", "time", "date", "datetime", "date/time", "recordedat",
                                      "sampletime", "ts", "readingtime", "timestamputc")
STATUS_ALIASES: tuple[str, ...] = ("status", "state", "equipmentstatus", "runstatus")
NAME_ALIASES_TIME_SERIES: tuple[str, ...] = ("equipmentid", "tag", "equipment", "asset", "tagname", "assetid")

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
    keys = text.map(status_key)
    mapped = keys.map(STATUS_SPELLINGS)
    empty = (keys == "").to_numpy()
    unknown = (mapped.isna().to_numpy()) & ~empty
    out = mapped.to_numpy(dtype=object)
    out[empty] = ACTIVE
    out[unknown] = None
    return out, unknown


def running_mask(statuses: np.ndarray) -> np.ndarray:
    """Readings taken while the equipment ran: what statistics and trends use by default (an
    Offline row reading 0.0 is not a flow of zero)."""
    return np.asarray(statuses, dtype=object) == ACTIVE
