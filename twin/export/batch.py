"""Many images from one scene: `twin export image --each-rack --views … --overlays …` and the
Python API's `view().save_image()`.

The images are drawn by the one render path, `twin.export.image.ImageRenderer` (re-exported
here): it builds the scene ONCE and then only moves the camera, swaps overlays (cached per name,
built through the review session) and resizes the window; the batch is ordered overlay → view
→ rack so each overlay is applied once.

Cameras: every named view of `twin.scene.views` (`iso`, `top`, `front`, `aisle`, `site`,
`hall:NAME`, `rack:NAME`, `rack:NAME:VIEW` with VIEW one of `RACK_VIEWS`), the same names a
single `--view` takes.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from twin.errors import TwinError
from twin.export.image import QUALITY, ImageRenderer  # noqa: F401  (the batch's renderer is the one render path)
from twin.files import contained, safe_component
from twin.scene.views import RACK_VIEWS, check_view
from twin.session import ReviewSession

#: Fields an output pattern may use.
PATTERN_FIELDS = ("rack", "row", "view", "overlay", "hall", "index")


@dataclass(frozen=True)
class ImageJob:
    """One image of a batch: where the camera is, which overlay, and the file it goes to."""

    camera: str
    overlay: str
    path: Path


def rack_names(session: ReviewSession, row: str | None = None) -> list[str]:
    """Names of every rack (of one row), in the design's order; TwinError for an unknown row."""
    d = session.design
    names = d.racks.name
    if row is not None:
        rows = sorted(set(d.racks.row.tolist()))
        if row not in rows:
            raise TwinError(d.source, f"no row called {row!r}; rows: {', '.join(map(str, rows)) or 'none'}",
                            where="--row")
        names = names[d.racks.row == row]
    return [str(n) for n in names]


def check_pattern(pattern: str, batch: bool) -> None:
    """A batch needs a pattern that gives each image its own name; TwinError otherwise."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        raise TwinError(None, f"output pattern {pattern!r} is malformed: {exc}", where="-o") from None
    unknown = fields - set(PATTERN_FIELDS)
    if unknown:
        raise TwinError(None, f"output pattern uses {{{sorted(unknown)[0]}}}; known: "
                              + ", ".join("{" + f + "}" for f in PATTERN_FIELDS), where="-o")
    if batch and not fields:
        raise TwinError(None, f"output pattern {pattern!r} would give every image the same name; "
                              "use fields such as out/{rack}-{view}-{overlay}.png", where="-o")


def pattern_folder(pattern: str) -> Path:
    """The folder an output pattern writes under: the folder of its text before the first field
    (`out/{rack}/{view}.png` → `out`, `{rack}.png` → `.`). No image may land outside it."""
    literal = ""
    for text, field, _spec, _conv in string.Formatter().parse(pattern):
        literal += text
        if field is not None:
            break
    return Path(os.path.dirname(literal) or ".")


def pattern_path(pattern: str, fields: dict[str, str], index: int) -> Path:
    """The output path of one image: each field made one safe file-name component
    (twin.files.safe_component), `{index}` the image's number."""
    safe = {key: safe_component(value) for key, value in fields.items()}
    return Path(pattern.format(**safe, index=index))


def plan_images(session: ReviewSession, pattern: str, views: Sequence[str], overlays: Sequence[str],
                each_rack: bool = False, row: str | None = None, rack: str | None = None) -> list[ImageJob]:
    """Every image of a batch, ordered overlay → view → rack, with its output path.

    Unknown racks, rows and views fail here, before anything is drawn. Two images with the
    same output path are an error (the pattern lacks a field that tells them apart).
    """
    d = session.design
    racks: list[str | None]
    if each_rack or row is not None:
        racks = list(rack_names(session, row))
        if not racks:
            raise TwinError(d.source, "the design has no racks to draw", where="--each-rack")
    elif rack is not None:
        if rack not in set(d.racks.name.tolist()):
            raise TwinError(d.source, f"no rack called {rack!r}", where="--rack")
        racks = [rack]
    else:
        racks = [None]
    for view in views:
        if racks != [None]:
            if view not in RACK_VIEWS:
                raise TwinError(None, f"unknown view {view!r} of a rack: use {', '.join(RACK_VIEWS)}", where="--views")
            continue
        try:
            check_view(d, view)                   # any view a single --view takes
        except ValueError as exc:
            raise TwinError(d.source, str(exc), where="--views") from None
    check_pattern(pattern, len(racks) * len(views) * len(overlays) > 1)
    rack_row = dict(zip(d.racks.name.tolist(), d.racks.row.tolist()))
    hall_names = [str(n) for n in d.halls.name.tolist()]
    rack_hall = dict(zip(d.racks.name.tolist(), (hall_names[h] if h >= 0 else "" for h in d.racks.hall.tolist())))
    site = hall_names[0] if len(hall_names) == 1 else "site"
    jobs, seen = [], {}
    base = pattern_folder(pattern)
    literal = pattern if "{" not in pattern.replace("{{", "") else None   # no field: the one path asked for
    for overlay in overlays:
        for view in views:
            for name in racks:
                camera = view if name is None else f"rack:{name}:{view}"
                fields = {"rack": name or "hall", "row": rack_row.get(name, "") if name else "", "view": view,
                          "overlay": overlay, "hall": rack_hall.get(name, site) if name else site}
                path = pattern_path(pattern, fields, len(jobs) + 1)
                if literal is None and not contained(path, base):
                    what = f"rack {name!r}" if name is not None else f"view {view!r}"
                    real = os.path.realpath(path)
                    raise TwinError(d.source, f"the image of {what} would be written to {path}"
                                              + (f" (a link to {real})" if real != os.path.abspath(path) else "")
                                              + f", outside the output folder {base}; not written", where="-o")
                if path in seen:
                    raise TwinError(None, f"images {seen[path]} and {camera}/{overlay} would both be written to "
                                          f"{path}; add a field to the output pattern", where="-o")
                seen[path] = f"{camera}/{overlay}"
                jobs.append(ImageJob(camera, overlay, path))
    return jobs
