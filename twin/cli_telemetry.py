"""The telemetry commands of `twin`: `telemetry import` and `telemetry bindings` (thin: parse, call, print).

Kept apart from `twin/cli.py` so the main parser stays short; `add_telemetry_commands` hangs
them on its sub-parsers and returns the `telemetry` sub-parsers so further commands can join.
Each failed source is one `twin: error:` line on stderr (the others are still imported) and
the exit status is 1 when any failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SOURCE_HELP = ("a Redfish service root (https://bmc/redfish/v1), a Redfish mockup folder, a Prometheus text "
               "capture (/metrics) or a CSV of readings")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="design file (.twin.db)")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=SOURCE_HELP)
    p.add_argument("--map", dest="bindings_map", metavar="TOML", help="bindings map: [[bind]] entries (docs/telemetry.md)")
    p.add_argument("--ca-bundle", metavar="PEM", help="CA certificate file or folder that signs the BMCs' HTTPS "
                                                     "certificates (verification is never turned off)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds per HTTP request (default 10)")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")


def add_telemetry_commands(sub: Any) -> Any:
    """Add `telemetry import` and `telemetry bindings`; returns the `telemetry` sub-parsers."""
    p = sub.add_parser("telemetry", help="bring site telemetry (Redfish, Prometheus, CSV) into a design",
                       description="Import readings from Redfish BMCs, DCGM exporter captures and BMS CSV exports, "
                                   "bound to the design's parts, racks and loops. Credentials: $TWIN_REDFISH_USER "
                                   "and $TWIN_REDFISH_PASSWORD, or a TOML file named by $TWIN_REDFISH_CREDENTIALS.")
    tsub = p.add_subparsers(dest="what", metavar="WHAT")
    t = tsub.add_parser("import", help="add each SOURCE's readings to the design (one transaction per source)")
    _common(t)
    t.set_defaults(func=_import)
    t = tsub.add_parser("bindings", help="show what each SOURCE's sensors bind to, and what is unbound and why")
    _common(t)
    t.set_defaults(func=_bindings)
    p.set_defaults(func=lambda _a, p=p: (p.print_help(), 2)[1])
    return tsub


def _args(args: argparse.Namespace) -> dict[str, Any]:
    if not (args.timeout > 0 and args.timeout <= 600):
        raise argparse.ArgumentTypeError(f"--timeout must be between 0 and 600 seconds, not {args.timeout}")
    return {"bindings_map": Path(args.bindings_map) if args.bindings_map else None, "ca_bundle": args.ca_bundle,
            "timeout_s": float(args.timeout)}


def _finish(reports: list[Any], as_json: bool, lines: list[str]) -> int:
    if as_json:
        print(json.dumps([r.to_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for line in lines:
            print(line)
    failed = [r for r in reports if not r.ok]
    for r in failed:
        print(f"twin: error: {r.error}", file=sys.stderr)
    return 1 if failed else 0


def _import(args: argparse.Namespace) -> int:
    from twin.importers.telemetry import import_sources

    reports = import_sources(Path(args.file), args.sources, **_args(args))
    lines: list[str] = []
    for r in reports:
        if r.ok:
            lines.append(f"{r.source} ({r.kind}): {r.sensors_added:,} new sensors, {r.readings_added:,} readings "
                         f"added; {len(r.bound):,} bound, {len(r.unbound):,} unbound")
            lines += _notes(r.notes, NOTES_SHOWN)
    return _finish(reports, args.json, lines)


#: notes listed under a source by `telemetry import` before the rest are counted (`bindings` lists all)
NOTES_SHOWN = 10


def _notes(notes: list[str], most: int | None = None) -> list[str]:
    shown = notes if most is None else notes[:most]
    out = [f"  note: {n}" for n in shown]
    if len(notes) > len(shown):
        out.append(f"  note: {len(notes) - len(shown):,} more (twin telemetry bindings lists them all)")
    return out


def _bindings(args: argparse.Namespace) -> int:
    from twin.importers.telemetry import bindings

    reports = bindings(Path(args.file), args.sources, **_args(args))
    lines: list[str] = []
    for r in reports:
        if not r.ok:
            continue
        lines.append(f"{r.source} ({r.kind}): {len(r.bound):,} bound, {len(r.unbound):,} unbound")
        lines += [f"  bound    {s} -> {t}" for s, t in r.bound]
        lines += [f"  unbound  {s}: {why}" for s, why in r.unbound]
        lines += _notes(r.notes)
    return _finish(reports, args.json, lines)
