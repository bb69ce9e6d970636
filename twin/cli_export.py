"""`twin export image|glb|usd|report|csv`: argument parsing and one call into `twin.export` each.

Kept beside `twin/cli.py` so the main parser stays short. Every command loads the design,
opens one review session and hands over; errors are `TwinError`s the main loop prints as
one line (exit 1). Progress bars go to stderr; `--quiet` turns them off for CI logs.
"""

from __future__ import annotations

import argparse
import sys
import time

from twin.analysis.registry import overlay_names
from twin.files import check_writable, is_stream


def announce(output, message: str) -> None:
    """Print a command's "wrote …" line: on stdout, or on stderr when the output itself goes to
    a stream (`-o /dev/stdout`, a FIFO), so the line never lands inside the data."""
    print(message, file=sys.stderr if is_stream(output) else sys.stdout)


def load(path, defer_cables: bool = False):
    """Load a design file for an export and print its loader warnings on stderr (once).
    `defer_cables`: read the cables only if the export uses them (twin.model.deferred); the
    caller prints the warnings their read adds (`print_load_warnings(design, start)`)."""
    from twin.cli_warnings import print_load_warnings
    from twin.store import load_design

    design = load_design(path, defer_cables=defer_cables)
    print_load_warnings(design)
    return design


def _csv_list(text: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list, not {text!r}")
    return items


def _session(args: argparse.Namespace):
    from twin.session import ReviewSession

    return ReviewSession(load(args.file), getattr(args, "at", None))


def _overlay(session, name: str):
    from twin.errors import TwinError

    try:
        return session.overlay(name)
    except ValueError as exc:
        raise TwinError(session.design.source, str(exc), where="--overlay") from None


def _stages(args, names, desc):
    from twin.export.progress import Stages

    return Stages(names, desc, quiet=args.quiet)


def export_image(args: argparse.Namespace, size: tuple[int, int]) -> int:
    """One image (the classic path, with --select/--field) or a batch over racks, views and overlays."""
    batch = args.each_rack or args.row or args.rack or args.views or args.overlays
    if not batch:
        from twin.export.image import render_design, write_png

        from twin.cli_warnings import print_load_warnings

        check_writable(args.output)
        # cables are read only if the image draws or colours them: an iso of a big hall draws
        # none, and reading hall-2000's 297,440 was a third of the export
        design = load(args.file, defer_cables=True)
        shown = len(design.warnings)
        image, _scene = render_design(design, view=args.view, size=size, overlay=args.overlay,
                                      select=args.select, field=args.field, field_slice=args.field_slice, iso=args.iso)
        print_load_warnings(design, start=shown)         # what reading the cables found, if they were read
        announce(args.output, f"wrote {write_png(image, args.output)}")
        return 0
    from twin.export.batch import ImageRenderer, plan_images
    from twin.export.image import write_png
    from twin.export.progress import progress

    session = _session(args)
    per_rack = bool(args.each_rack or args.row or args.rack)
    views = args.views or ([args.view] if args.view != "iso" or not per_rack else ["front"])
    overlays = args.overlays or [args.overlay]
    jobs = plan_images(session, args.output, views, overlays, each_rack=args.each_rack, row=args.row, rack=args.rack)
    start = time.perf_counter()
    renderer = ImageRenderer(session, size=size, quality=args.quality)
    for overlay in overlays:
        renderer.check_overlay(overlay)
    for job in progress(jobs, total=len(jobs), desc="images", quiet=args.quiet, unit="img"):
        write_png(renderer.render(job.camera, job.overlay, size), job.path)
    seconds = time.perf_counter() - start
    rate = len(jobs) / max(seconds, 1e-9)
    announce(jobs[0].path, f"wrote {len(jobs)} images in {seconds:.1f} s ({rate:.2f} per second), e.g. {jobs[0].path}")
    return 0


def export_glb(args: argparse.Namespace) -> int:
    from twin.export.glb import export_glb as write

    check_writable(args.output)
    session = _session(args)
    overlay = _overlay(session, args.overlay)
    stages = _stages(args, ("meshes", "nodes", "write"), "glb")
    try:
        path = write(session.design, args.output, overlay=overlay, hall_context=not args.no_hall, progress=stages)
    finally:
        stages.close()
    announce(path, f"wrote {path} ({_size_mb(path)})")
    return 0


def export_usd(args: argparse.Namespace) -> int:
    from twin.export.usd import export_usd as write

    check_writable(args.output)
    session = _session(args)
    overlay = _overlay(session, args.overlay)
    from twin.export.usd import STAGES

    stages = _stages(args, STAGES, "usd")
    try:
        path = write(session.design, args.output, overlay=overlay, progress=stages, layers=args.layers)
    finally:
        stages.close()
    announce(path, f"wrote {path} ({_size_mb(path)})")
    return 0


def export_report(args: argparse.Namespace, size: tuple[int, int]) -> int:
    from twin.export.progress import progress
    from twin.export.report import write_report

    check_writable(args.output)
    session = _session(args)
    path = write_report(session, args.output, size=size, camera=args.view,
                        progress=lambda items: progress(items, desc="report images", quiet=args.quiet, unit="img"))
    announce(path, f"wrote {path} ({_size_mb(path)})")
    return 0


def _size_mb(path) -> str:
    """'12.3 MB' for a written file; 'streamed' for an output written through (a FIFO, stdout)."""
    return f"{path.stat().st_size / 1e6:.1f} MB" if not is_stream(path) and path.is_file() else "streamed"


def export_csv(args: argparse.Namespace) -> int:
    from twin.export.tables import write_csv_tables

    paths = write_csv_tables(_session(args), args.output, args.tables)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0


def add_export_commands(esub, size_type) -> None:
    """Add glb, usd, report and csv to the `twin export` subparsers; extend `image` with batches."""
    overlays = ", ".join(overlay_names())
    image = esub.choices["image"]
    image.add_argument("--each-rack", action="store_true", help="one image per rack (per view and overlay)")
    image.add_argument("--row", help="only the racks of this row (implies --each-rack)")
    image.add_argument("--rack", help="images of this one rack")
    image.add_argument("--views", type=_csv_list, metavar="V,V",
                       help="views to draw, e.g. iso,top; per rack: front, iso, top, rear (default front)")
    image.add_argument("--overlays", type=_csv_list, metavar="O,O", help=f"overlays to draw, from: {overlays}")
    image.add_argument("--quality", choices=("fast", "high"), default="fast",
                       help="batches: fast (default; no multisampling or doors) or high (as a single export)")
    image.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    image.epilog = ("Batches write one PNG per rack, view and overlay to the output pattern, e.g. "
                    "-o 'out/{rack}-{view}-{overlay}.png' (fields: rack, row, view, overlay, hall, index).")

    def common(parser, output_help: str) -> None:
        parser.add_argument("file", help="design file (.twin.db)")
        parser.add_argument("-o", "--output", required=True, help=output_help)
        parser.add_argument("--at", help="sensor readings at this UTC time (default: the latest)")
        parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")

    e = esub.add_parser("glb", help="write a binary glTF (GLB) for web viewers",
                        description="GLB: Y up, metres, one mesh per part type instanced by part nodes, overlay "
                                    "colours baked in, part metadata in node extras.")
    common(e, "GLB file to write")
    e.add_argument("--overlay", default="none", help=f"colour parts by an overlay: {overlays}")
    e.add_argument("--no-hall", action="store_true", help="leave out the floor, walls and cable trays")
    e.set_defaults(func=export_glb)

    e = esub.add_parser("usd", help="write an OpenUSD stage (needs usd-core: pip install 'twin[usd]')",
                        description="OpenUSD: Z up, metres, /World/<hall>/<row>/<rack>/<part>, instanced prototypes, "
                                    "each hall's floor, walls and cable trays, twin: attributes. "
                                    ".usd/.usdc binary, .usda text.")
    common(e, "USD file to write (.usd, .usdc or .usda)")
    e.add_argument("--overlay", default="none", help=f"colour parts by an overlay: {overlays}")
    e.add_argument("--layers", action="store_true",
                   help="one file per hall beside OUTPUT (OUTPUT's name + .HALL), OUTPUT a root layer sublayering them")
    e.set_defaults(func=export_usd)

    e = esub.add_parser("report", help="write a self-contained HTML review report",
                        description="HTML review report: summary, findings of every analysis, an image per overlay, "
                                    "review notes. Images are embedded: the file can be mailed.")
    common(e, "HTML file to write")
    e.add_argument("--view", default="iso", help="camera of the overlay images (default iso)")
    e.add_argument("--size", default="960x540", help="image size WIDTHxHEIGHT (default 960x540)")
    e.set_defaults(func=lambda a: export_report(a, size_type(a.size)))

    e = esub.add_parser("csv", help="write parts.csv and findings.csv",
                        description="CSV tables of the design: parts (name, kind, vendor, supplier, power, place) "
                                    "and findings of every analysis.")
    common(e, "folder to write the CSV files into")
    e.add_argument("--tables", type=_csv_list, default=["parts", "findings"], help="parts,findings (default both)")
    e.set_defaults(func=export_csv)

