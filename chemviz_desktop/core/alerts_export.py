"""Alerts and searched events as files (#16): the Alerts page's filtered listing and the event
search's results as CSV or XLSX. Times are UTC ISO 8601 with `Z` (the CLI's JSON shape), numbers
stay numbers, text cells are neutralised so a spreadsheet never runs them as formulas. Qt-free."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import pandas as pd

import engine
from engine.excursions import Excursion, iso_z

__all__ = ["ALERT_COLUMNS", "EVENT_COLUMNS", "alerts_table", "events_table", "write_alerts", "write_events",
           "write_table"]

ALERT_COLUMNS: tuple[str, ...] = ("id", "equipment", "parameter", "level", "limit", "start", "end", "peak",
                                  "duration_s", "state", "acknowledged_by", "acknowledged_at", "comment")
EVENT_COLUMNS: tuple[str, ...] = ("equipment", "parameter", "condition", "start", "end", "duration_s", "peak")


def alerts_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The export columns of an `alerts.listing_frame` (start/end as UTC ISO with Z, end empty
    while active)."""
    out = pd.DataFrame({c: frame[c] if c in frame else pd.Series(dtype=object) for c in ALERT_COLUMNS})
    for c in ("start", "end"):
        out[c] = [iso_z(v) if v is not None and not pd.isna(v) else None for v in out[c].tolist()]
    return out.reset_index(drop=True)


def events_table(events: Iterable[Excursion], equipment: str = "", parameter: str = "",
                 condition: str = "") -> pd.DataFrame:
    """Searched events, one row each (end empty for an event still going at the last reading)."""
    rows = [(equipment, parameter, condition, iso_z(e.start), iso_z(e.end), e.duration_s, e.peak) for e in events]
    return pd.DataFrame(rows, columns=list(EVENT_COLUMNS))


def write_table(table: pd.DataFrame, path: str | Path, sheet: str = "Sheet1") -> Path:
    """CSV (UTF-8 with BOM, so Excel reads accents) or XLSX, chosen by the file's suffix."""
    p = Path(path)
    safe = engine.neutralise_frame(table)
    if p.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.styles import Font
        wb = Workbook()
        ws = wb.active
        ws.title = sheet[:31]
        ws.append(list(map(str, safe.columns)))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for values in safe.itertuples(index=False):
            ws.append([_cell(v) for v in values])
        ws.freeze_panes = "A2"
        wb.save(p)
    else:
        safe.to_csv(p, index=False, encoding="utf-8-sig")
    return p


def _cell(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):       # numpy scalars: openpyxl wants Python numbers
        return value.item()
    return value


def write_alerts(frame: pd.DataFrame, path: str | Path) -> Path:
    """The filtered alerts (an `alerts.listing_frame`) as CSV or XLSX."""
    return write_table(alerts_table(frame), path, "Alerts")


def write_events(events: Iterable[Excursion], path: str | Path, equipment: str = "", parameter: str = "",
                 condition: str = "") -> Path:
    """Searched events as CSV or XLSX."""
    return write_table(events_table(events, equipment, parameter, condition), path, "Events")
