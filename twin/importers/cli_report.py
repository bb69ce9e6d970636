"""What `twin import` prints: counts, every problem (grouped), the facts it defaulted, an exit code.

Exit 0 when something usable was imported (warnings or not), 1 when nothing was.
"""

from __future__ import annotations

import argparse
import sys

from twin.importers.report import ImportReport


def run_import(args: argparse.Namespace) -> int:
    if args.what == "cad":
        return _import_cad(args)
    if args.what == "device-types":
        from twin.importers.netbox_library import load_device_type_library, write_catalog_toml

        catalog = load_device_type_library(args.folder)
        counts = catalog.report.counts
        if catalog.part_types:
            write_catalog_toml(catalog, args.output)
            print(f"wrote {args.output}: {counts['device types']} device types, {counts['rack types']} rack types "
                  f"({counts['module types']} module types validated, not placed); {counts['failed']} files failed")
        _print_report(catalog.report)
        return 0 if catalog.part_types else _nothing(catalog.report)
    from twin.importers.netbox_site import import_netbox

    summary = import_netbox(args.dump, args.output, site=args.site, token_env=args.token_env)
    c = summary.counts
    if summary.usable:
        print(f"imported {summary.path}: {c.get('halls', 0)} halls, {c.get('racks', 0)} racks, "
              f"{c.get('parts', 0) - c.get('racks', 0)} devices, {c.get('ports', 0):,} ports, "
              f"{c.get('cables', 0)} cables, {c.get('power_nodes', 0)} power nodes")
    _print_report(summary.report)
    return 0 if summary.usable else _nothing(summary.report)


def _import_cad(args: argparse.Namespace) -> int:
    """`twin import cad RACK.step --as rack-type NAME -o OUT.toml`: a rack type proposed from a CAD assembly."""
    import os
    import tempfile
    from pathlib import Path

    from twin.errors import TwinError
    from twin.importers.cad_rack import proposal_toml, propose_rack_type

    what, name = args.as_
    if what != "rack-type":
        raise TwinError(args.file, f"cannot import CAD as {what!r}; the one choice is: --as rack-type NAME",
                        where="--as")
    out = Path(args.output)
    proposal = propose_rack_type(args.file, name, cache_dir=out.resolve().parent / ".twin-cache")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(proposal_toml(proposal, Path(args.file), out))
    os.replace(tmp, out)
    print(f"wrote {out}: rack type {name!r}, {proposal.rack_u} {proposal.pitch_name}s, {len(proposal.slots)} slots "
          f"placed, {len(proposal.unplaced)} children not placed")
    for slot in sorted(proposal.slots, key=lambda s: s.u):
        print(f"  U{slot.u:<3} {slot.u_height}U  {slot.name}")
    for note in proposal.notes:
        print(f"  note: {note}")
    for child, why in proposal.unplaced:
        print(f"twin: warning: {args.file}: {child}: not placed: {why}", file=sys.stderr)
    return 0


def _print_report(report: ImportReport) -> None:
    for note in report.notes:
        print(f"  note: {note}")
    if report.defaulted:
        print("  defaulted (NetBox does not say; twin filled in):")
        for line in report.defaulted_lines():
            print(f"  {line}")
    for line in report.lines():
        print(f"twin: warning: {line}", file=sys.stderr)
    if report.issues:
        print(f"  {len(report.issues)} warnings, by reason:", file=sys.stderr)
        for line in report.reason_lines():
            print(f"  {line}", file=sys.stderr)


def _nothing(report: ImportReport) -> int:
    print(f"twin: error: {report.source}: nothing usable to import", file=sys.stderr)
    return 1
