"""`twin viewpoints add | list | image | delete`: saved views of a design file from the command line.

Why a CLI: a review prepared in CI or by a script ("every rack over budget, thermal overlay,
from the aisle") should not need the viewer. A viewpoint is a whole view state
(twin.viewpoint): the camera (a named view or explicit coordinates), the overlay and its
range, the selection, hidden or isolated parts, the section, the moment and the basis. It
is built here on a real view state of the design, so the one saved from the CLI is the one
the viewer would have saved, and `image` renders it through the one render path.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from typing import Any

import numpy as np


def _floats(text: str, n: int, what: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) != n or not all(np.isfinite(values)):
        raise argparse.ArgumentTypeError(f"{what} must be {n} finite numbers separated by commas, not {text!r}")
    return values


def _parts(design, names: list[str], where: str, whole_racks: bool = False) -> list[int]:
    """Rows of the parts called `names`; a rack's name is its frame (as a click in the viewer
    selects it) or, with `whole_racks`, every part of it. TwinError naming the first unknown one."""
    from twin.errors import TwinError
    from twin.viewpoint import part_keys

    index = {k: i for i, k in enumerate(part_keys(design))}
    frames = design.rack_frames()
    out = []
    for name in names:
        if name in index:
            out.append(index[name])
            continue
        try:
            rack = design.rack_index(name)
        except KeyError:
            raise TwinError(design.source, f"no part (or rack) called {name!r}", where=where) from None
        rows = np.flatnonzero(design.parts.rack == rack) if whole_racks else [int(frames[rack])]
        out += [int(r) for r in rows if r >= 0]
    return out


def _pose(design, renderer, text: str):
    """A named view (iso, top, aisle, rack:A03…; `renderer()` gives the scene that frames it) or
    `X,Y,Z:FX,FY,FZ[:ANGLE]` (metres, degrees)."""
    from twin.errors import TwinError
    from twin.viewstate import CameraPose

    if ":" in text and "," in text:
        pieces = text.split(":")
        try:
            eye, focal = _floats(pieces[0], 3, "--camera position"), _floats(pieces[1], 3, "--camera focal point")
            angle = _floats(pieces[2], 1, "--camera angle")[0] if len(pieces) > 2 else 30.0
        except argparse.ArgumentTypeError as exc:
            raise TwinError(design.source, str(exc), where="--camera") from None
        if len(pieces) > 3 or not 0 < angle < 180 or np.allclose(eye, focal):
            raise TwinError(design.source, f"--camera must look like X,Y,Z:FX,FY,FZ[:ANGLE] with the eye "
                            f"away from the focal point and 0 < ANGLE < 180, not {text!r}", where="--camera")
        return CameraPose((eye[0], eye[1], eye[2]), (focal[0], focal[1], focal[2]), (0.0, 0.0, 1.0), angle)
    try:
        return renderer().pose(text)
    except TwinError as exc:
        raise TwinError(design.source, exc.message, where="--camera") from None


def _add(args: argparse.Namespace) -> int:
    from twin.cli_export import load
    from twin.errors import TwinError
    from twin.export.image import ImageRenderer
    from twin.session import ReviewSession
    from twin.store.notes import ReviewStore
    from twin.viewpoint import restore, state_of

    if not args.name.strip():
        raise TwinError(args.file, "a viewpoint needs a name", where="--name")
    design = load(args.file)
    session = ReviewSession(design)
    if args.moment is not None:
        try:
            datetime.fromisoformat(args.moment)
        except ValueError:
            raise TwinError(args.file, f"{args.moment!r} is not a time (ISO 8601, e.g. 2026-11-24T15:00:00Z)",
                            where="--moment") from None
    if args.range is not None and not args.range[1] > args.range[0]:
        raise TwinError(args.file, f"--range LO,HI needs LO below HI, not {args.range[0]:g},{args.range[1]:g}",
                        where="--range")
    data: dict[str, Any] = {"moment": args.moment, "basis": args.basis, "xray": args.xray}
    if args.overlay and args.overlay != "none":
        data["overlay"] = {"name": args.overlay, "options": {}, "range": list(args.range) if args.range else None}
    state = session.view
    restore(state, data, session)                    # the session at that moment and basis, the overlay built
    if args.overlay and args.overlay != "none" and state.overlay is None:
        try:
            session.overlay(args.overlay)
        except ValueError as exc:
            raise TwinError(args.file, str(exc), where="--overlay") from None
    selected = _parts(design, args.select or [], "--select")
    hidden = _parts(design, args.hide or [], "--hide", whole_racks=True)
    with state.hold():
        state.select(selected)
        if hidden:
            state.hide(hidden)
        if args.isolate:
            if not selected:
                raise TwinError(args.file, "--isolate shows only the selection: name parts with --select", where="--isolate")
            mask = np.zeros(len(design.parts), bool)
            mask[selected] = True
            state.set_focus("isolate", mask)
        if args.section:
            from twin.scene.field import parse_slice

            try:
                axis, position = parse_slice(args.section)
            except TwinError as exc:
                raise TwinError(args.file, exc.message.replace("slice", "section"), where="--section") from None
            state.set_section(axis, position, args.keep)
    pose = _pose(design, lambda: ImageRenderer(session, quality="fast", state=state), args.camera)
    stored = state_of(state, design)
    stored.pop("camera")                             # the camera lives in the viewpoint's own columns
    with ReviewStore(args.file) as store:
        view = store.save_viewpoint(args.name, pose.position, pose.focal_point, pose.view_up, pose.view_angle,
                                    state=stored)
    print(f"saved viewpoint #{view.id} {view.name!r}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from twin.store.notes import ReviewStore

    with ReviewStore(args.file) as store:
        views = store.viewpoints()
    if args.json:
        print(json.dumps({"file": args.file, "viewpoints": [v.to_dict() for v in views]}, indent=2, ensure_ascii=False))
        return 0
    for v in views:
        print(describe(v))
    print(f"{len(views)} viewpoint{'s' if len(views) != 1 else ''}")        # on stdout, after the list: never glued to it
    return 0


def describe(v) -> str:
    """One line per viewpoint: id, name, camera, and what else it shows."""
    pos = ", ".join(f"{c:.2f}" for c in v.position)
    look = ", ".join(f"{c:.2f}" for c in v.focal_point)
    line = f"#{v.id}  {v.name}  from ({pos}) at ({look}), {v.view_angle:g}° lens"
    s = v.state or {}
    extra = []
    if isinstance(s.get("overlay"), dict) and s["overlay"].get("name"):
        rng = s["overlay"].get("range")
        extra.append(f"overlay {s['overlay']['name']}" + (f" {rng[0]:g}…{rng[1]:g}" if isinstance(rng, list) else ""))
    if s.get("selection"):
        extra.append(f"{len(s['selection'])} selected")
    hidden = sum(1 for k in ("filters", "focus") for _ in (s.get(k) or {}))
    if hidden:
        extra.append(f"{hidden} visibility filter{'s' if hidden != 1 else ''}")
    if isinstance(s.get("trace"), dict) and (s["trace"].get("parts") or s["trace"].get("cables")):
        extra.append("trace")
    if isinstance(s.get("section"), dict):
        extra.append(f"section {s['section'].get('axis')}={s['section'].get('position')}")
    if s.get("moment"):
        extra.append(f"at {s['moment']}")
    if s.get("basis") and s.get("basis") != "nominal":
        extra.append(f"{s['basis']} basis")
    return line + (f"; {', '.join(extra)}" if extra else "")


def _image(args: argparse.Namespace) -> int:
    from twin.cli_export import announce, load
    from twin.errors import TwinError
    from twin.export.image import parse_size, write_png
    from twin.export.viewpoint_image import render_viewpoint
    from twin.session import ReviewSession
    from twin.store.notes import ReviewStore

    with ReviewStore(args.file) as store:
        views = {v.name: v for v in store.viewpoints()}
    if args.name not in views:
        raise TwinError(args.file, f"no viewpoint called {args.name!r}" + (f" (there are: {', '.join(views)})"
                                                                             if views else ""), where="viewpoints")
    try:
        size = parse_size(args.size)
    except ValueError as exc:
        raise TwinError(None, str(exc), where="--size") from None
    image, warnings = render_viewpoint(ReviewSession(load(args.file)), views[args.name], size)
    for line in warnings:
        print(f"twin: warning: {args.file}: viewpoint {args.name!r}: {line}", file=sys.stderr)
    path = write_png(image, args.output)
    announce(path, f"wrote {path}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from twin.store.notes import ReviewStore

    with ReviewStore(args.file) as store:
        store.delete_viewpoint(args.name)
    print(f"deleted viewpoint {args.name!r}")
    return 0


def add_viewpoint_commands(sub: argparse._SubParsersAction) -> None:
    """Add `viewpoints add | list | image | delete` to the `twin` command's sub-parsers."""
    p = sub.add_parser("viewpoints", help="saved views of a design file",
                       description="Named views: the camera and what it shows (overlay, selection, hidden and "
                                   "isolated parts, section, moment, basis), saved in the design file.")
    vsub = p.add_subparsers(dest="viewpoints_command", metavar="ACTION")
    a = vsub.add_parser("add", help="save a viewpoint", description="Save a named view (one of the same name is "
                        "replaced).")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("--name", required=True, help="the viewpoint's name")
    a.add_argument("--camera", default="iso",
                   help="a view (iso, top, front, aisle, rack:NAME…) or X,Y,Z:FX,FY,FZ[:ANGLE] (default iso)")
    a.add_argument("--overlay", default="none", help="colour by this overlay (as twin export image --overlay)")
    a.add_argument("--range", type=lambda t: _floats(t, 2, "--range"), metavar="LO,HI",
                   help="the overlay's colour range")
    a.add_argument("--select", action="append", metavar="PART", help="select this part or rack (repeatable)")
    a.add_argument("--hide", action="append", metavar="PART", help="hide this part, or every part of this rack (repeatable)")
    a.add_argument("--isolate", action="store_true", help="show only the selection (and its racks' frames)")
    a.add_argument("--xray", action="store_true", help="hidden parts drawn as ghosts")
    a.add_argument("--section", metavar="AXIS=POS", help="clip at a plane, e.g. z=1.2")
    a.add_argument("--keep", choices=["-", "+"], default="-", help="side of the section kept (default -)")
    a.add_argument("--moment", help="the readings' time (default: the latest)")
    a.add_argument("--basis", choices=["nominal", "max", "measured"], default="nominal", help="power basis")
    a.set_defaults(func=_add)
    a = vsub.add_parser("list", help="list saved viewpoints")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("--json", action="store_true", help="print JSON: {file, viewpoints: [{id, name, position, "
                                                       "focal_point, view_up, view_angle, state}]}")
    a.set_defaults(func=_list)
    a = vsub.add_parser("image", help="render a saved viewpoint to PNG")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("name", help="the viewpoint's name")
    a.add_argument("-o", "--output", required=True, help="PNG to write")
    a.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT (default 1280x720)")
    a.set_defaults(func=_image)
    a = vsub.add_parser("delete", help="delete a saved viewpoint")
    a.add_argument("file", help="design file (.twin.db)")
    a.add_argument("name", help="the viewpoint's name")
    a.set_defaults(func=_delete)
    p.set_defaults(func=lambda _a: (p.print_help(), 2)[1])
