"""The `twin` command: a thin layer that parses arguments and calls the library.

Exit codes: 0 ok, 1 failed (a clear one-line message on stderr), 2 usage error, 141 when the
reader of the output went away (`twin check | head`: quietly, like other command-line tools).
`--debug` shows the traceback behind a failure. Everything a command prints passes through
`terminal_safe` (twin.text), so a design named with escape sequences or bidi overrides cannot
drive or mislead the terminal.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

from twin import __version__
from twin.errors import TwinError
from twin.text import terminal_safe

EXIT_BROKEN_PIPE = 141      # 128 + SIGPIPE, what a shell reports for a tool whose reader left


class _SafeText:
    """A text stream that writes `terminal_safe` text: installed on stdout and stderr by main(),
    so every command module's print() is covered, not only this file's. `unfiltered` is the
    stream beneath, for text twin composes itself that needs a carriage return (progress bars)."""

    def __init__(self, stream):
        self._stream = stream
        self.unfiltered = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_safe(text))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return self._stream.encoding

    @property
    def errors(self) -> str | None:
        return self._stream.errors

    @property
    def buffer(self):
        return self._stream.buffer

    @property
    def closed(self) -> bool:
        return self._stream.closed


class _WarningLine(logging.Handler):
    """Library warnings (placeholders, refused mesh paths, dangling rows) as `twin: warning: …` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "design_warning", False):
            return                      # the command prints the design's warnings itself, once
        try:
            print(f"twin: warning: {record.getMessage()}", file=sys.stderr)
        except (BrokenPipeError, ValueError):
            pass


def load_warnings(design) -> list[str]:
    """What the reader repaired while loading `design` (positions moved to the origin, dangling keys,
    sizes replaced), each naming the file, table and row; printed on stderr as `twin: warning: …`.
    Every command that reads a design prints them, so a repaired file never passes in silence."""
    warnings = [str(w) for w in getattr(design, "warnings", None) or []]
    for warning in warnings:
        print(f"twin: warning: {warning}", file=sys.stderr)
    return warnings


def _build(args: argparse.Namespace) -> int:
    from twin.specs import build_design

    out = Path(args.output) if args.output else Path(args.spec).with_suffix("").with_suffix(".twin.db")
    progress = None if args.quiet else (lambda msg: print(f"  {msg}…", file=sys.stderr))
    summary = build_design(args.spec, out, progress=progress)
    counts = summary.counts
    print(f"built {summary.path}: {counts.get('racks', 0):,} racks, {counts.get('parts', 0):,} parts, "
          f"{counts.get('cables', 0):,} cables, {counts.get('readings', 0):,} readings")
    if summary.carried_reviews:
        print(f"kept {summary.carried_reviews} review rows (reviews, notes, viewpoints) from the previous build")
    for warning in summary.warnings:
        print(f"twin: warning: {warning}", file=sys.stderr)
    return 0


def _info(args: argparse.Namespace) -> int:
    from twin.analysis.summary import design_summary, format_summary
    from twin.store import load_design

    summary = design_summary(load_design(args.file))
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


def _check(args: argparse.Namespace) -> int:
    from twin.analysis import registry
    from twin.analysis.findings import SEVERITIES, findings_to_dicts
    from twin.session import ReviewSession
    from twin.store import load_design

    from twin.analysis.settings import run_settings

    items = list(args.set or []) + ([f"thermal.ashrae_class={args.ashrae}"] if args.ashrae else [])
    settings = run_settings(args.basis, items)
    design = load_design(args.file)
    repaired = load_warnings(design)
    session = ReviewSession(design, args.at, settings=settings)
    if args.scenario is not None:
        from twin.cli_scenario import stored_scenario
        session.set_scenario(stored_scenario(args.file, args.scenario))
    available = session.available()
    asked = [name for name in registry.analysis_names() if getattr(args, f"run_{name}", False)]
    for name in asked:
        if available[name]:
            raise TwinError(design.source, f"{registry.get_analysis(name).label} cannot run: {available[name]}",
                            where=f"--{name}")
    chosen = asked or [name for name, why in available.items() if why is None]
    skipped = {} if asked else {name: why for name, why in available.items() if why}
    results = session.results(chosen)
    findings = session.findings(chosen)
    reading_ts = next((r.reading_ts for r in results.values() if r.reading_ts), None)
    if args.json:
        print(json.dumps({"file": str(design.source), "reading_ts": reading_ts, "basis": args.basis,
                          "scenario": session.scenario.to_dict() if session.scenario else None,
                          "analyses": {name: {"label": registry.get_analysis(name).label,
                                              "basis": session.settings(name).get("basis"),
                                              "reading_ts": r.reading_ts, "findings": len(r.findings)}
                                       for name, r in results.items()},
                          "skipped": skipped, "findings": findings_to_dicts(findings),
                          "load_warnings": repaired}, indent=2))
    else:
        lines = session.report(chosen, args.basis)
        lines += [f"skipped {name}: {why}" for name, why in skipped.items()]
        print("\n".join(lines))
    if args.fail_on != "never":
        limit = SEVERITIES.index(args.fail_on)
        if any(f.rank <= limit for f in findings):
            return 1
        if repaired and limit >= SEVERITIES.index("warning"):      # a repaired file is a warning
            return 1
    return 0


def _view(args: argparse.Namespace) -> int:
    from twin.app.main import run_app

    return run_app(args.file)


def _export_image(args: argparse.Namespace) -> int:
    from twin.cli_export import export_image

    return export_image(args, _size(args.size))


def _import(args: argparse.Namespace) -> int:
    """`twin import device-types DIR -o catalog.toml` and `twin import netbox DUMP.json -o OUT.twin.db`."""
    from twin.importers.cli_report import run_import

    return run_import(args)


def _export_cables(args: argparse.Namespace) -> int:
    from twin.cli_export import announce, load
    from twin.export.cables import write_schedule

    design = load(args.file)
    path = write_schedule(design, args.output)
    announce(path, f"wrote {path}: {len(design.cables):,} cables")
    return 0


def _size(text: str) -> tuple[int, int]:
    from twin.export.image import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    from twin.analysis import registry
    from twin.scene.views import view_names

    parser = argparse.ArgumentParser(prog="twin", description="Digital twin viewer for AI data-center racks and halls.")
    parser.add_argument("--version", action="version", version=f"twin {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback when something fails")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("build", help="build a scene spec (TOML) into a design file",
                       description="Generate a .twin.db design file from a scene spec.")
    p.add_argument("spec", help="scene spec, e.g. scenes/ai-hall.toml")
    p.add_argument("-o", "--output", help="design file to write (default: SPEC with .twin.db)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=_build)

    p = sub.add_parser("info", help="summarise a design file", description="Counts, power and cabling of a design.")
    p.add_argument("file", help="design file (.twin.db)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.set_defaults(func=_info)

    p = sub.add_parser("check", help="run design checks and print the findings",
                       description="Design checks with severities: every analysis that can run on the design, "
                                   "or only those named by flags. Exit 1 with --fail-on when a finding is that "
                                   "severe or worse.")
    p.add_argument("file", help="design file (.twin.db)")
    for analysis in registry.analyses():        # one flag per registered analysis
        p.add_argument(f"--{analysis.name}", dest=f"run_{analysis.name}", action="store_true",
                       help=f"run the {analysis.label.lower()} checks" +
                            (f" ({analysis.description})" if analysis.description else ""))
    p.add_argument("--at", help="use sensor readings at this UTC time (default: the latest)")
    p.add_argument("--ashrae", help="ASHRAE air class A1–A4 (default: the hall's); same as --set thermal.ashrae_class=")
    p.add_argument("--basis", choices=["nominal", "max", "measured"], default="nominal",
                   help="power basis of every analysis: catalog nominal (default), catalog maximum, or measured "
                        "(fresh power readings where there are, nominal elsewhere)")
    p.add_argument("--set", action="append", metavar="ANALYSIS.SETTING=VALUE",
                   help="an analysis setting, e.g. power.warn_utilization=0.85 (repeatable)")
    p.add_argument("--scenario", metavar="NAME", help="run every check under this stored scenario "
                                                     "(`twin scenario add`)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--fail-on", choices=["critical", "warning", "info", "never"], default="never",
                   help="exit 1 when a finding is at least this severe (for CI; a warning from reading the "
                        "file counts as a warning); default never")
    p.set_defaults(func=_check)

    p = sub.add_parser("view", help="open the desktop viewer", description="Open the twin desktop viewer.")
    p.add_argument("file", nargs="?", help="design file to open")
    p.set_defaults(func=_view)

    p = sub.add_parser("export", help="render or convert a design headlessly",
                       description="Headless exports (no display needed).")
    esub = p.add_subparsers(dest="what", metavar="WHAT")
    e = esub.add_parser("image", help="render the scene to a PNG", description="Render the design offscreen to PNG.")
    e.add_argument("file", help="design file (.twin.db)")
    e.add_argument("-o", "--output", required=True, help="PNG to write (a pattern for batches)")
    e.add_argument("--view", default="iso", help=f"{', '.join(view_names())} (default iso)")
    e.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT in pixels (default 1920x1080)")
    e.add_argument("--overlay", default="none", metavar="OVERLAY",
                   help=f"colour by {', '.join(registry.overlay_names())} (default none)")
    e.add_argument("--select", metavar="RACK", help="highlight this rack")
    e.add_argument("--field", metavar="FILE", help="CFD field to show (.vti, .vtu, .vtk or CSV x,y,z,T)")
    e.add_argument("--field-slice", default="z=1.2", metavar="AXIS=M", help="slice plane of the field (default z=1.2)")
    e.add_argument("--iso", type=float, metavar="VALUE", help="also draw the field's isosurface at VALUE")
    e.set_defaults(func=_export_image)
    e = esub.add_parser("cables", help="write the cable schedule (CSV)",
                        description="One CSV row per cable: id, both ends (device, port), kind, rate, catalog "
                                    "length, routed length and the trays it passes.")
    e.add_argument("file", help="design file (.twin.db)")
    e.add_argument("-o", "--output", required=True, help="CSV file to write")
    e.set_defaults(func=_export_cables)
    from twin.cli_export import add_export_commands

    add_export_commands(esub, _size)      # image batches, glb, usd, report, csv
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])

    p = sub.add_parser("import", help="import NetBox device types or a NetBox site",
                       description="Bring NetBox data in. Exit 0 (with warnings naming each bad object), "
                                   "1 when nothing usable was found.")
    isub = p.add_subparsers(dest="what", metavar="WHAT")
    i = isub.add_parser("device-types", help="NetBox device-type library folder → catalog TOML")
    i.add_argument("folder", help="device-type library folder (device-types/, schema/…)")
    i.add_argument("-o", "--output", required=True, help="catalog TOML to write")
    i.set_defaults(func=_import)
    i = isub.add_parser("netbox", help="NetBox dumpdata JSON, REST API pages or a live NetBox → design file")
    i.add_argument("dump", metavar="SOURCE", help="Django dumpdata JSON of a NetBox database, a folder of saved "
                                                  "REST API pages (/api/dcim/…, /api/circuits/…), or a NetBox URL "
                                                  "(read only)")
    i.add_argument("--token-env", default="NETBOX_TOKEN", metavar="VAR",
                   help="environment variable holding the NetBox API token for a URL (default NETBOX_TOKEN)")
    i.add_argument("-o", "--output", required=True, help="design file to write (.twin.db)")
    i.add_argument("--site", metavar="SLUG", help="import only this site (default: every site with racks)")
    i.set_defaults(func=_import)
    i = isub.add_parser("cad", help="a CAD rack assembly (STEP) → a proposed rack type (catalog TOML)")
    i.add_argument("file", help="STEP file (AP203/AP214/AP242) of a rack assembly")
    i.add_argument("--as", dest="as_", nargs=2, metavar=("rack-type", "NAME"), required=True,
                   help="what to make of it: a rack type named NAME, with slots at U positions")
    i.add_argument("-o", "--output", required=True, help="catalog TOML to write")
    i.set_defaults(func=_import)
    p.set_defaults(func=lambda _a, p=p: (p.print_help(), 2)[1])
    from twin.cli_review import add_review_commands
    add_review_commands(sub)
    from twin.cli_telemetry import add_telemetry_commands
    from twin.cli_live import add_watch_command
    add_watch_command(add_telemetry_commands(sub))
    from twin.cli_scenario import add_scenario_commands
    add_scenario_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeText(sys.stdout), _SafeText(sys.stderr)
    logger = logging.getLogger("twin")
    handler = _WarningLine(logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    from twin.cli_warnings import numeric_warnings

    try:
        with numeric_warnings():
            return _run(argv)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
        sys.stdout, sys.stderr = streams


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        code = func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except TwinError as exc:
        if args.debug:
            raise
        print(f"twin: error: {exc}", file=sys.stderr)
        return 1
    except argparse.ArgumentTypeError as exc:
        print(f"twin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("twin: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # an unexpected failure (a bug): one line naming the input unless --debug
        if args.debug:
            raise
        print(f"twin: error: {_input_of(args)}: {type(exc).__name__}: {str(exc)[:300]} (a bug in twin; run with "
              "--debug for details)", file=sys.stderr)
        return 1


def _input_of(args: argparse.Namespace) -> str:
    """The file or folder the command was reading, so that even an unexpected failure names its source."""
    for key in ("file", "spec", "dump", "folder"):
        if getattr(args, key, None):
            return str(getattr(args, key))
    return "twin"


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
