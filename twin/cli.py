"""The `twin` command: a thin layer that parses arguments and calls the library.

Exit codes: 0 ok, 1 failed (a clear one-line message on stderr), 2 usage error, 141 when the
reader of the output went away (`twin check | head`: quietly, like other command-line tools).
`--debug` shows the traceback behind a failure. Everything printed passes through
`terminal_safe`, so a design named with escape sequences cannot drive the terminal.
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


EXIT_BROKEN_PIPE = 141      # 128 + SIGPIPE, what a shell reports for a tool whose reader left
_UNSAFE = {c: f"\\x{c:02x}" for c in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)] if c not in (0x09, 0x0A)}


def terminal_safe(text: str) -> str:
    """`text` with control characters (ESC, CR, BEL, C1 codes…) shown as \\xNN; tabs and newlines kept."""
    return str(text).translate(_UNSAFE)


def _say(*values, file=None) -> None:
    """print() for everything the command shows: control characters made visible first."""
    print(*(terminal_safe(v) for v in values), file=file)


def _build(args: argparse.Namespace) -> int:
    from twin.specs import build_design

    out = Path(args.output) if args.output else Path(args.spec).with_suffix("").with_suffix(".twin.db")
    progress = None if args.quiet else (lambda msg: _say(f"  {msg}…", file=sys.stderr))
    summary = build_design(args.spec, out, progress=progress)
    counts = summary.counts
    _say(f"built {summary.path}: {counts.get('racks', 0):,} racks, {counts.get('parts', 0):,} parts, "
          f"{counts.get('cables', 0):,} cables, {counts.get('readings', 0):,} readings")
    if summary.carried_reviews:
        _say(f"kept {summary.carried_reviews} review rows (reviews, notes, viewpoints) from the previous build")
    for warning in summary.warnings:
        _say(f"twin: warning: {warning}", file=sys.stderr)
    return 0


def _info(args: argparse.Namespace) -> int:
    from twin.analysis.summary import design_summary, format_summary
    from twin.store import load_design

    summary = design_summary(load_design(args.file))
    _say(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0


def _check(args: argparse.Namespace) -> int:
    from twin.analysis.findings import SEVERITIES, findings_to_dicts
    from twin.analysis.thermal import analyse_thermal_at, thermal_check_lines
    from twin.store import load_design

    design = load_design(args.file)
    result = analyse_thermal_at(design, args.at, ashrae_class=args.ashrae)
    findings = result.findings
    if args.json:
        _say(json.dumps({"file": str(design.source), "reading_ts": result.reading_ts,
                          "findings": findings_to_dicts(findings)}, indent=2))
    else:
        _say("\n".join(thermal_check_lines(design, result)))
    if args.fail_on != "never":
        limit = SEVERITIES.index(args.fail_on)
        if any(f.rank <= limit for f in findings):
            return 1
    return 0


def _view(args: argparse.Namespace) -> int:
    from twin.app.main import run_app

    return run_app(args.file)


def _export_image(args: argparse.Namespace) -> int:
    from twin.export.image import export_image

    width, height = _size(args.size)
    path = export_image(args.file, args.output, view=args.view, size=(width, height), overlay=args.overlay,
                        select=args.select, field=args.field, field_slice=args.field_slice, iso=args.iso)
    _say(f"wrote {path}")
    return 0


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"size {text} is outside 16x16 … 8192x8192")
    return w, h


def build_parser() -> argparse.ArgumentParser:
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
                       description="Design checks with severities. Exit 1 with --fail-on when a finding is that "
                                   "severe or worse.")
    p.add_argument("file", help="design file (.twin.db)")
    p.add_argument("--thermal", action="store_true", default=True,
                   help="thermal and cooling checks (ASHRAE inlet, CDU capacity, loop ΔT, coolant flow); the default")
    p.add_argument("--at", help="use sensor readings at this UTC time (default: the latest)")
    p.add_argument("--ashrae", help="ASHRAE air class A1–A4 (default: the hall's)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.add_argument("--fail-on", choices=["critical", "warning", "info", "never"], default="never",
                   help="exit 1 when a finding is at least this severe (for CI); default never")
    p.set_defaults(func=_check)

    p = sub.add_parser("view", help="open the desktop viewer", description="Open the twin desktop viewer.")
    p.add_argument("file", nargs="?", help="design file to open")
    p.set_defaults(func=_view)

    p = sub.add_parser("export", help="render or convert a design headlessly",
                       description="Headless exports (no display needed).")
    esub = p.add_subparsers(dest="what", metavar="WHAT")
    e = esub.add_parser("image", help="render the scene to a PNG", description="Render the design offscreen to PNG.")
    e.add_argument("file", help="design file (.twin.db)")
    e.add_argument("-o", "--output", required=True, help="PNG to write")
    e.add_argument("--view", default="iso", help="iso, top, front, aisle or rack:NAME (default iso)")
    e.add_argument("--size", default="1920x1080", help="WIDTHxHEIGHT in pixels (default 1920x1080)")
    e.add_argument("--overlay", default="none", help="none, thermal, power, cabling, cooling, supply")
    e.add_argument("--select", metavar="RACK", help="highlight this rack")
    e.add_argument("--field", metavar="FILE", help="CFD field to show (.vti, .vtu, .vtk or CSV x,y,z,T)")
    e.add_argument("--field-slice", default="z=1.2", metavar="AXIS=M", help="slice plane of the field (default z=1.2)")
    e.add_argument("--iso", type=float, metavar="VALUE", help="also draw the field's isosurface at VALUE")
    e.set_defaults(func=_export_image)
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    func: Callable[[argparse.Namespace], int] = args.func
    _show_warnings()
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
        _say(f"twin: error: {exc}", file=sys.stderr)
        return 1
    except argparse.ArgumentTypeError as exc:
        _say(f"twin: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        _say("twin: interrupted", file=sys.stderr)
        return 1
    except Exception as exc:  # an unexpected failure: one line unless --debug
        if args.debug:
            raise
        _say(f"twin: error: {type(exc).__name__}: {exc} (run with --debug for details)", file=sys.stderr)
        return 1


class _WarningLine(logging.Handler):
    """Library warnings (placeholders, dangling rows) as `twin: warning: …` lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _say(f"twin: warning: {record.getMessage()}", file=sys.stderr)
        except (BrokenPipeError, ValueError):
            pass


def _show_warnings() -> None:
    logger = logging.getLogger("twin")
    if not any(isinstance(h, _WarningLine) for h in logger.handlers):
        logger.addHandler(_WarningLine(logging.WARNING))
        logger.propagate = False


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
