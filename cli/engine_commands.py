"""`validate`, `stats` and `compare`: the engine on the command line, no GUI, no server."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("validate", help="check a CSV file or Excel workbook and print its validation report")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_import_options(p)
    _add_status_option(p)
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("stats", help="print summary statistics per equipment type")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the statistics JSON (seed shape)")
    add_import_options(p)
    _add_status_option(p)
    p.set_defaults(func=cmd_stats)
    p = sub.add_parser("compare", help="compare the statistics of two CSV files (B − A)")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--json", action="store_true")
    add_import_options(p)
    _add_status_option(p)
    p.set_defaults(func=cmd_compare)


def _add_status_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--all-status", action="store_true",
                   help="time series: include readings whose Status is not running (Maintenance, Offline, unknown) "
                        "in the statistics; by default only running readings count")


def add_import_options(p: argparse.ArgumentParser) -> None:
    """The reading choices every command that loads a file takes (also `import`)."""
    g = p.add_argument_group("reading the file")
    g.add_argument("--pressure", choices=("gauge", "absolute"), default="gauge",
                   help="what plain pressure units (bar, psi, kPa, or none) mean; barg/bara/psig/psia always "
                        "say it themselves (default: gauge)")
    g.add_argument("--sheet", help="Excel workbook: sheet name or 1-based number (default: the first sheet "
                                   "with a recognisable header)")
    g.add_argument("--header-row", type=int, metavar="N",
                   help="the header is on row N (title rows above it are skipped); workbook or CSV")
    g.add_argument("--map", metavar="COLUMN=HEADER,...",
                   help='which file column is which, e.g. --map "Name=Tag,Flowrate=Q (m3/h)"')
    g.add_argument("--unit", metavar="COLUMN=UNIT,...", help='units that override the headers, e.g. '
                                                              '--unit "Pressure=psig,Flowrate=m3/h"')
    g.add_argument("--type-alias", metavar="SPELLING=TYPE,...",
                   help='your own type spellings, e.g. --type-alias "Centrifugal=Pump,Tower=Column"')
    g.add_argument("--timezone", metavar="ZONE",
                   help="time series: the time zone of times written without one, e.g. Europe/Berlin or UTC "
                        "(default: this machine's); times are stored in UTC")


def import_options(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments for engine.load from the options above (a usage error if malformed)."""
    from engine.options import parse_mapping
    out: dict[str, Any] = {"pressure_mode": getattr(args, "pressure", None) or "gauge"}
    if getattr(args, "sheet", None):
        out["sheet"] = args.sheet
    if getattr(args, "header_row", None) is not None:
        if args.header_row < 1:
            raise _usage("--header-row counts from 1 (the first row)")
        out["header_row"] = args.header_row
    if getattr(args, "timezone", None):
        from engine.options import valid_timezone
        if not valid_timezone(args.timezone):
            raise _usage(f"--timezone: '{args.timezone}' is not a time zone name (e.g. Europe/Berlin, UTC)")
        out["timezone"] = args.timezone
    for flag, key in (("map", "mapping"), ("unit", "units"), ("type_alias", "type_aliases")):
        text = getattr(args, flag, None)
        if text:
            try:
                out[key] = parse_mapping(text)
            except ValueError as exc:
                raise _usage(f"--{flag.replace('_', '-')}: {exc}") from None
    return out


def _usage(message: str):
    from . import CliError
    return CliError(message, 2)


def _load(path: str, args: argparse.Namespace | None = None):
    import engine
    kwargs = import_options(args) if args is not None else {}
    if args is not None and getattr(args, "all_status", False):
        kwargs["running_only"] = False
    return engine.load(path, **kwargs)


def _print_issues(report, stream) -> None:
    for i in report.issues:
        where = f"row {i.row}" if i.row is not None else "file"
        col = f", {i.column}" if i.column else ""
        print(f"  {i.severity:<7} {where}{col}: {i.message}", file=stream)
    if report.truncated:
        print(f"  ... showing {len(report.issues)} of {report.issues_total} issues", file=stream)


def cmd_validate(args: argparse.Namespace) -> int:
    result = _load(args.file, args)
    r = result.report
    if args.json:
        d = r.to_dict()
        print(json.dumps({k: d[k] for k in ("valid", "rows_total", "rows_accepted", "issues", "notes")}
                         | {"rows_excluded": d["rows_excluded"], "issues_total": d["issues_total"],
                            "truncated": d["truncated"], "time_series": _is_time_series(result)},
                         indent=2, ensure_ascii=False))
    else:
        print(f"{args.file}: {r.summary()}")
        _print_issues(r, sys.stdout)
    return 0 if r.valid else 1


def _is_time_series(result: Any) -> bool:
    """Readings over time: rows_accepted counts readings, not equipment."""
    from engine import schema
    return result.frame is not None and schema.TIMESTAMP in result.frame.columns


def _fmt(v: Any) -> str:
    return "-" if v is None else f"{v:.2f}" if isinstance(v, float) else str(v)


def cmd_stats(args: argparse.Namespace) -> int:
    result = _load(args.file, args)
    if not result.accepted:
        print(f"{args.file}: {result.report.summary()}", file=sys.stderr)
        _print_issues(result.report, sys.stderr)
        return 1
    s = result.statistics
    if args.json:
        print(json.dumps(s, indent=2, ensure_ascii=False))
        return 0
    print(f"{args.file}: {result.report.summary()}")
    if "readings" in s:
        left = s.get("readings_not_running", 0)
        kept = (f"; {left} reading(s) not running left out (--all-status includes them)"
                if left and s.get("running_only") else "")
        print(f"Time series: {s['total_equipment']} equipment, {s['readings']} readings in the figures "
              f"({s.get('first_reading')} to {s.get('last_reading')}){kept}. Count = readings.")
    head = f"{'Type':<22}{'Count':>7}{'Flow L/min':>12}{'Press bar':>11}{'Temp °C':>10}"
    print(head)
    print("-" * len(head))
    for t, e in s["by_type"].items():
        print(f"{t[:21]:<22}{e['count']:>7}{_fmt(e['avg_flowrate']):>12}{_fmt(e['avg_pressure']):>11}"
              f"{_fmt(e['avg_temperature']):>10}")
    o = s["overall"]
    print("-" * len(head))
    print(f"{'All (average)':<22}{s['total_equipment']:>7}{_fmt(o['avg_flowrate']):>12}"
          f"{_fmt(o['avg_pressure']):>11}{_fmt(o['avg_temperature']):>10}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    import engine
    a, b = _load(args.a, args), _load(args.b, args)
    for path, res in ((args.a, a), (args.b, b)):
        if not res.accepted:
            print(f"{path}: {res.report.summary()}", file=sys.stderr)
            return 1
    cmp = engine.compare_statistics(a.statistics, b.statistics)
    if args.json:
        print(json.dumps(cmp, indent=2, ensure_ascii=False))
        return 0
    print(f"A = {args.a}\nB = {args.b}   (change = B − A)")
    head = f"{'Type':<22}{'Count A→B':>12}{'Δ Flow':>10}{'Δ Press':>10}{'Δ Temp':>10}  note"
    print(head)
    print("-" * len(head))
    for t, e in cmp["by_type"].items():
        note = {"only_a": "only in A", "only_b": "only in B"}.get(e["presence"], "")
        cnt = f"{_fmt(e['count']['a'])}→{_fmt(e['count']['b'])}"
        print(f"{t[:21]:<22}{cnt:>12}{_fmt(e['avg_flowrate']['diff']):>10}"
              f"{_fmt(e['avg_pressure']['diff']):>10}{_fmt(e['avg_temperature']['diff']):>10}  {note}")
    return 0
