"""`equipment`, `equipment set` and `trend`: the local store's equipment registry and readings
over time, without a GUI (#15). Times are UTC ISO 8601 with `Z`; `trend --json` is the seed's
`analytics/trends/` shape."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

PARAMETERS = ("flowrate", "pressure", "temperature")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("equipment", help="the equipment registry of the local store (or: equipment set NAME ...)",
                       description="One line (or JSON object) per equipment: type, status, dates, notes, "
                       "number of readings, first/last reading time (UTC) and the last values.")
    p.add_argument("--json", action="store_true", help="one JSON array of objects")
    p.add_argument("--search", default="", help="only names containing this text")
    p.set_defaults(func=cmd_equipment)
    inner = p.add_subparsers(dest="equipment_command", metavar="set")
    s = inner.add_parser("set", help="edit one equipment's type, status, dates or notes")
    s.add_argument("name")
    s.add_argument("--type")
    s.add_argument("--status", choices=("active", "maintenance", "inactive"))
    s.add_argument("--installed", metavar="DATE", help="installation date, YYYY-MM-DD ('' clears it)")
    s.add_argument("--maintained", metavar="DATE", help="last maintenance date, YYYY-MM-DD ('' clears it)")
    s.add_argument("--notes")
    s.set_defaults(func=cmd_equipment_set)
    t = sub.add_parser("trend", help="one equipment's parameter over time (mean per bucket)")
    t.add_argument("name")
    t.add_argument("--parameter", required=True, choices=PARAMETERS)
    t.add_argument("--interval", default="daily", choices=("raw", "hourly", "daily", "weekly"))
    t.add_argument("--start", metavar="ISO", help="from this time (without a zone: this machine's local time)")
    t.add_argument("--end", metavar="ISO", help="before this time (without a zone: this machine's local time)")
    t.add_argument("--all-status", action="store_true",
                   help="include readings taken while not running (default: running only)")
    t.add_argument("--json", action="store_true", help="the seed's trends JSON")
    t.set_defaults(func=cmd_trend)


def _error(message: str, code: int = 2) -> Exception:
    from . import CliError
    return CliError(message, code)


def _store() -> Any:
    from .sync_commands import _open_store
    return _open_store()


def _info_dict(e: Any) -> dict[str, Any]:
    return {"id": e.id, "name": e.name, "type": e.type, "status": e.status, "installation_date": e.installation_date,
            "last_maintenance_date": e.last_maintenance_date, "notes": e.notes, "readings": e.readings,
            "first_timestamp": e.first, "last_timestamp": e.last, "last_values": e.last_values}


def cmd_equipment(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import equipment
    store = _store()
    try:
        items = equipment.listing(store.db, args.search)
    finally:
        store.close()
    if args.json:
        print(json.dumps([_info_dict(e) for e in items], indent=2))
        return 0
    if not items:
        print("no equipment in the local store yet (import a file first)")
        return 0
    for e in items:
        last = ", ".join(f"{p} {v:g}" for p, v in e.last_values.items() if v is not None)
        print(f"{e.name:<20} {e.type:<14} {e.status:<12} {e.readings:>8,} readings  "
              f"{e.first or '-'} .. {e.last or '-'}  {last}")
    return 0


def cmd_equipment_set(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import equipment
    changes = {k: v for k, v in {"type": args.type, "status": args.status, "installation_date": args.installed,
                                 "last_maintenance_date": args.maintained, "notes": args.notes}.items()
               if v is not None}
    if not changes:
        raise _error("say what to change: --type, --status, --installed, --maintained or --notes")
    store = _store()
    try:
        with store.transaction() as db:
            equipment.update(db, args.name, store.now().isoformat(timespec="seconds"), **changes)
    except equipment.EquipmentError as exc:
        raise _error(str(exc), 1) from exc
    finally:
        store.close()
    print(f"{args.name}: updated {', '.join(sorted(changes))}")
    return 0


def parse_time(text: str, flag: str) -> "pd.Timestamp":  # noqa: F821
    """An ISO 8601 time typed by the user, in UTC; without a zone it is this machine's local
    time (the rule for naive times in files too)."""
    import pandas as pd

    from engine.timestamps import local_zone
    try:
        t = pd.Timestamp(text)
    except ValueError:
        raise _error(f"{flag} must be an ISO 8601 time like 2026-03-01T10:00:00Z, not {text!r}") from None
    if t is pd.NaT:
        raise _error(f"{flag} must be an ISO 8601 time like 2026-03-01T10:00:00Z, not {text!r}")
    t = t.tz_localize(local_zone()) if t.tzinfo is None else t
    return t.tz_convert("UTC")


def _ns(text: str | None, flag: str) -> int | None:
    return None if not text else int(parse_time(text, flag).value)


def cmd_trend(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import equipment
    from engine.trends import bucket, data_points
    start, end = _ns(args.start, "--start"), _ns(args.end, "--end")
    store = _store()
    try:
        ident, name = equipment.equipment_id(store.db, args.name)
        h = equipment.history(store.db, args.name, start, end, running_only=not args.all_status)
    except equipment.EquipmentError as exc:
        raise _error(str(exc), 1) from exc
    finally:
        store.close()
    points = data_points(bucket(h["timestamp"], h[args.parameter].to_numpy(), args.interval))
    if args.json:
        print(json.dumps({"equipment_id": ident, "equipment_name": name, "parameter": args.parameter,
                          "interval": args.interval, "data_points": points}, indent=2))
        return 0
    if not points:
        print(f"{name}: no {args.parameter} readings in that window", file=sys.stderr)
        return 0
    for p in points:
        print(f"{p['timestamp']}  {p['value']:>12.4g}  ({p['count']} readings)")
    return 0
