"""`limits import|export|list`, `alerts`, `ack`, `spc`, `events` (#16): operating limits and alerts
in the local store, control charts and event search over an equipment's stored readings. Times
are printed in UTC ISO 8601 with Z; typed times without a zone are this machine's local time."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .equipment_commands import parse_time
from .sync_commands import _open_store

PARAMETERS = ("flowrate", "pressure", "temperature")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("limits", help="operating limits per equipment type or equipment (import, export, list)",
                       description="Limits CSV columns: scope,name,parameter,lolo,lo,hi,hihi,deadband,delay_s "
                       "(scope 'type' or 'equipment'; an equipment's own limit overrides its type's).")
    inner = p.add_subparsers(dest="limits_command", metavar="import|export|list", required=True)
    i = inner.add_parser("import", help="add or change limits from a CSV file (alerts are re-evaluated)")
    i.add_argument("file")
    i.add_argument("--replace", action="store_true", help="the file's limits become the only ones")
    i.set_defaults(func=cmd_limits_import)
    e = inner.add_parser("export", help="write the stored limits as CSV ('-' for stdout)")
    e.add_argument("file")
    e.set_defaults(func=cmd_limits_export)
    cl = inner.add_parser("list", help="the stored limits")
    cl.add_argument("--json", action="store_true", help="one JSON array of objects")
    cl.set_defaults(func=cmd_limits_list)

    a = sub.add_parser("alerts", help="alerts from limits, newest first",
                       description="Each alert: id, equipment, parameter, level, limit, start, end (empty "
                       "while active), peak, duration_s (so far while active), ISA-18.2 state, acknowledgement.")
    a.add_argument("--state", default="all", choices=("active", "unacked", "all"),
                   help="active: not cleared; unacked: not acknowledged (default: all)")
    a.add_argument("--json", action="store_true", help="one JSON array of objects")
    a.set_defaults(func=cmd_alerts)

    k = sub.add_parser("ack", help="acknowledge alerts by id, with a comment")
    k.add_argument("ids", nargs="+", type=int, metavar="ID")
    k.add_argument("--comment", required=True)
    k.add_argument("--user", help="who acknowledges (default: the OS user name)")
    k.set_defaults(func=cmd_ack)

    s = sub.add_parser("spc", help="individuals / moving-range control chart with Western Electric rules")
    s.add_argument("name")
    s.add_argument("--parameter", required=True, choices=PARAMETERS)
    s.add_argument("--start", metavar="ISO", help="from this time (without a zone: this machine's local time)")
    s.add_argument("--end", metavar="ISO", help="before this time (without a zone: this machine's local time)")
    s.add_argument("--all-status", action="store_true", help="include readings taken while not running")
    s.add_argument("--json", action="store_true", help="{center, sigma, ucl, lcl, mr_bar, n, cpk, violations}")
    s.set_defaults(func=cmd_spc)

    v = sub.add_parser("events", help="periods a parameter stayed above/below a value for at least a duration")
    v.add_argument("name")
    v.add_argument("--parameter", required=True, choices=PARAMETERS)
    side = v.add_mutually_exclusive_group(required=True)
    side.add_argument("--above", type=float, metavar="X")
    side.add_argument("--below", type=float, metavar="X")
    v.add_argument("--min-duration", default="0", metavar="D", help="e.g. 90s, 5m, 2h, 1d (default: any)")
    v.add_argument("--start", metavar="ISO")
    v.add_argument("--end", metavar="ISO")
    v.add_argument("--all-status", action="store_true", help="include readings taken while not running")
    v.add_argument("--json", action="store_true", help="[{start, end, duration_s, peak}]")
    v.set_defaults(func=cmd_events)


def _error(message: str, code: int = 2) -> Exception:
    from . import CliError
    return CliError(message, code)


def _ns(text: str | None, flag: str) -> int | None:
    return None if not text else int(parse_time(text, flag).value)


# -- limits ---------------------------------------------------------------------------------------
def cmd_limits_import(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import limits
    from engine.limits import LimitError, read_limits_csv
    path = Path(args.file)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise _error(f"cannot read {path}: {exc.strerror or exc}", 1) from exc
    except UnicodeDecodeError as exc:
        raise _error(f"{path.name}: not UTF-8 text (byte {exc.start})", 1) from exc
    try:
        parsed = read_limits_csv(text)
    except LimitError as exc:
        raise _error(f"{path.name}: {exc}; no limits were changed", 1) from exc
    store = _open_store()
    try:
        with store.transaction() as db:
            changed = limits.put(db, parsed, store.now().isoformat(timespec="seconds"), replace=args.replace)
            total = len(limits.listing(db))
    finally:
        store.close()
    print(f"{path.name}: {len(parsed)} limits read, {changed} added or changed; {total} limits stored")
    return 0


def cmd_limits_export(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import limits
    from engine.limits import write_limits_csv
    store = _open_store()
    try:
        text = write_limits_csv(limits.listing(store.db))
    finally:
        store.close()
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.file).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _error(f"cannot write {args.file}: {exc.strerror or exc}", 1) from exc
    print(f"wrote {text.count(chr(10)) - 1} limits to {args.file}")
    return 0


def cmd_limits_list(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import limits
    store = _open_store()
    try:
        frame = limits.listing_frame(store.db)
    finally:
        store.close()
    records = [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
               for r in frame.to_dict("records")]
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    if not records:
        print("no limits stored (limits import FILE)", file=sys.stderr)
        return 0
    for r in records:
        levels = "  ".join(f"{lv} {r[lv]:g}" for lv in ("lolo", "lo", "hi", "hihi") if r[lv] is not None)
        extra = "".join(f"  {k} {r[k]:g}" for k in ("deadband", "delay_s") if r[k])
        print(f"{r['scope']:<9} {r['name']:<20} {r['parameter']:<12} {levels}{extra}")
    return 0


# -- alerts ---------------------------------------------------------------------------------------
def cmd_alerts(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import alerts
    store = _open_store()
    try:
        items = alerts.listing(store.db, args.state)
    finally:
        store.close()
    if args.json:
        print(json.dumps([a.to_dict() for a in items], indent=2))
        return 0
    if not items:
        print("no alerts", file=sys.stderr)
        return 0
    for a in items:
        d = a.to_dict()
        ack = f"  ack {d['acknowledged_by']} {d['acknowledged_at']}: {d['comment']}" if a.acknowledged else ""
        print(f"{a.id:>5}  {d['state']:<22} {a.equipment:<16} {a.parameter:<11} {a.level:<4} "
              f"limit {a.limit:g} peak {a.peak:g}  {d['start']} .. {d['end'] or 'active'}  "
              f"({a.duration_s:g} s){ack}")
    return 0


def _user() -> str:
    import getpass
    try:
        return getpass.getuser()
    except (OSError, KeyError, ImportError):      # no user name in the environment or password database
        return "unknown"


def cmd_ack(args: argparse.Namespace) -> int:
    from chemviz_desktop.core.store import alerts
    user = (args.user or _user()).strip()
    if not user:
        raise _error("--user cannot be empty")
    store = _open_store()
    try:
        with store.transaction() as db:
            done = alerts.acknowledge(db, args.ids, user, args.comment, store.now())
            earlier = [a for a in alerts.listing(db, ids=args.ids) if a.id not in done]
    except alerts.AlertError as exc:
        raise _error(f"{exc}; nothing was acknowledged", 1) from exc
    finally:
        store.close()
    if done:
        print(f"acknowledged {', '.join(map(str, done))} as {user}")
    for a in earlier:
        print(f"alert {a.id} was already acknowledged by {a.acknowledged_by} at {a.acknowledged_at}",
              file=sys.stderr)
    return 0


# -- control charts and events --------------------------------------------------------------------
def _history(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    """(history frame, the registry's (name, type), the LimitSet) of one equipment."""
    from chemviz_desktop.core.store import equipment, limits
    start, end = _ns(args.start, "--start"), _ns(args.end, "--end")
    store = _open_store()
    try:
        ident, name = equipment.equipment_id(store.db, args.name)
        kind = store.db.execute("SELECT type FROM equipment WHERE id=?", (ident,)).fetchone()[0]
        h = equipment.history(store.db, args.name, start, end, running_only=not args.all_status)
        limit_set = limits.load(store.db)
    except equipment.EquipmentError as exc:
        raise _error(str(exc), 1) from exc
    finally:
        store.close()
    return h, (name, kind), limit_set


def cmd_spc(args: argparse.Namespace) -> int:
    from engine.spc import imr_report
    h, (name, kind), limit_set = _history(args)
    limit = limit_set.for_equipment(name, kind, args.parameter)
    report = imr_report(h["timestamp"], h[args.parameter].to_numpy(),
                        lo=limit.lo if limit else None, hi=limit.hi if limit else None)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    if report["sigma"] is None:
        print(f"{name}: {report['n']} {args.parameter} readings: too few for a control chart (need 2)",
              file=sys.stderr)
        return 0
    cpk = "" if report["cpk"] is None else f"  Cpk {report['cpk']:.3g}"
    print(f"{name} {args.parameter}: n {report['n']}  centre {report['center']:.6g}  sigma {report['sigma']:.4g}  "
          f"UCL {report['ucl']:.6g}  LCL {report['lcl']:.6g}  MR-bar {report['mr_bar']:.4g}{cpk}")
    for v in report["violations"]:      # type: ignore[attr-defined]
        print(f"  rule {v['rule']}  {v['timestamp']}  {v['value']:g}")
    if not report["violations"]:
        print("  no Western Electric rule violated")
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from engine.excursions import excursions, iso_z, parse_duration
    try:
        min_s = parse_duration(args.min_duration)
    except ValueError as exc:
        raise _error(f"--min-duration: {exc}") from exc
    h, (name, _kind), _limits = _history(args)
    side, threshold = ("above", args.above) if args.above is not None else ("below", args.below)
    found = excursions(h["timestamp"], h[args.parameter].to_numpy(), threshold, side, min_duration_s=min_s)
    events = [{"start": iso_z(e.start), "end": iso_z(e.end), "duration_s": e.duration_s, "peak": e.peak}
              for e in found]
    if args.json:
        print(json.dumps(events, indent=2))
        return 0
    if not events:
        print(f"{name}: no period with {args.parameter} {side} {threshold:g}", file=sys.stderr)
        return 0
    for ev in events:
        print(f"{ev['start']} .. {ev['end'] or 'still going'}  {ev['duration_s']:g} s  peak {ev['peak']:g}")
    return 0
