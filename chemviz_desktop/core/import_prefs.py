"""How the desktop reads files, remembered between sessions (Qt-free): the pressure reference of
plain units, the column mapping chosen for a header (by header signature), and the user's type
spellings (core/user_types). `load` is engine.load with all of that applied."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import engine
from chemviz_desktop.core import user_types
from chemviz_desktop.core.paths import data_dir
from engine.progress import Progress

FILE_NAME = "import_settings.json"
MAPPING_CODES = {"missing_column", "bad_mapping"}


def _path() -> Path:
    return data_dir() / FILE_NAME


def _read() -> dict[str, Any]:
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(data: dict[str, Any]) -> None:
    tmp = _path().with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(_path())


def pressure_mode() -> str:
    mode = _read().get("pressure_mode", "gauge")
    return mode if mode in engine.PRESSURE_MODES else "gauge"


def set_pressure_mode(mode: str) -> None:
    if mode not in engine.PRESSURE_MODES:
        raise ValueError(f"pressure mode must be one of {engine.PRESSURE_MODES}")
    _write(_read() | {"pressure_mode": mode})


def recall_mapping(headers: list[str]) -> tuple[dict[str, str], dict[str, str]] | None:
    """(mapping, units) remembered for this exact header, or None."""
    entry = _read().get("mappings", {}).get(engine.header_signature(headers))
    if not isinstance(entry, dict):
        return None
    return dict(entry.get("mapping", {})), dict(entry.get("units", {}))


def remember_mapping(headers: list[str], mapping: dict[str, str], units: dict[str, str]) -> None:
    data = _read()
    mappings = data.get("mappings", {})
    mappings[engine.header_signature(headers)] = {"mapping": mapping, "units": units, "headers": headers[:50]}
    _write(data | {"mappings": mappings})


def options(base: engine.ImportOptions | None = None) -> engine.ImportOptions:
    """`base` (choices made for this import) completed with the saved preferences."""
    base = base or engine.ImportOptions()
    aliases = user_types.load() | dict(base.type_aliases)
    mode = base.pressure_mode if base.pressure_mode != "gauge" else pressure_mode()
    return replace(base, type_aliases=aliases, pressure_mode=mode)


def needs_mapping(result: engine.LoadResult) -> bool:
    """Refused only because columns were not recognised: the mapping dialog can help."""
    return bool(result.headers) and any(i.code in MAPPING_CODES for i in result.report.file_errors)


def server_reads_alike(result: engine.LoadResult) -> bool:
    """True when the server, reading the original file with default choices, gets the same rows:
    otherwise sync must upload the rows as read here (a mapping, absolute pressure or own type
    spellings would be lost, and the server's values would silently differ)."""
    return result.options is None or result.options == engine.ImportOptions()


def load(path: str | os.PathLike, *, file_name: str, state: Progress | None = None,
         base: engine.ImportOptions | None = None) -> engine.LoadResult:
    """engine.load with the preferences; a header the user mapped before is mapped again."""
    opts = options(base)
    result = engine.load(path, file_name=file_name, state=state, options=opts)
    if not opts.mapping and needs_mapping(result):
        known = recall_mapping(result.headers)
        if known is not None:
            mapped = engine.load(path, file_name=file_name, state=state,
                                 options=replace(opts, mapping=known[0], units=known[1]))
            mapped.report.add(engine.Issue(None, None, "mapping_recalled",
                                           "The columns were matched with the mapping you chose before for "
                                           "this header.", "info"))
            return mapped
    return result
