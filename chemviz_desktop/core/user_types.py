"""The user's own equipment-type spellings (`Centrifugal` -> Pump, `Tower` -> Column), kept as
JSON beside the local store so they travel with the data and apply to every import. Qt-free."""
from __future__ import annotations

import json
from pathlib import Path

from chemviz_desktop.core.paths import data_dir

FILE_NAME = "equipment_types.json"


def path() -> Path:
    return data_dir() / FILE_NAME


def load() -> dict[str, str]:
    """Spelling -> type; empty when none were saved or the file is unreadable (never raises)."""
    try:
        data = json.loads(path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    aliases = data.get("aliases", {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in aliases.items() if str(k).strip() and str(v).strip()}


def save(aliases: dict[str, str]) -> None:
    """Write atomically (a crash mid-write never leaves half a file)."""
    clean = {k.strip(): v.strip() for k, v in aliases.items() if k.strip() and v.strip()}
    target = path()
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"aliases": clean}, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(target)
