"""Many images from one scene: `twin export image --each-rack --views … --overlays …` and the
Python API's `view().save_image()`.

Why a renderer object: building the scene of a 2,000-rack hall takes seconds, drawing one
more frame of it a fraction of that. `ImageRenderer` builds the scene ONCE and then only
moves the camera, swaps overlays (cached per name, built through the review session) and
resizes the window; the batch is ordered overlay → view → rack so each overlay is applied
once.

Cameras: the scene's named views (`iso`, `top`, `front`, `aisle`, `rack:NAME`) plus views
of one rack, `rack:NAME:VIEW` with VIEW one of `RACK_VIEWS`.
"""

from __future__ import annotations

import os
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from twin.analysis import registry
from twin.errors import TwinError
from twin.files import contained, safe_component
from twin.model.transform import front_direction, rotate_yaw
from twin.session import ReviewSession

#: Views of a single rack: its front close-up, three-quarter from above-left, plan, rear.
RACK_VIEWS = ("front", "iso", "top", "rear")
#: Render options per quality: "high" is the single-image export's (8× multisampling,
#: translucent rack doors, every rack in full detail), "fast" the batch preset (see
#: twin.scene.options.BATCH).
QUALITY = ("high", "fast")
#: Fields an output pattern may use.
PATTERN_FIELDS = ("rack", "row", "view", "overlay", "hall", "index")


@dataclass(frozen=True)
class ImageJob:
    """One image of a batch: where the camera is, which overlay, and the file it goes to."""

    camera: str
    overlay: str
    path: Path


class ImageRenderer:
    """One export scene of a session's design, reused for every image asked of it."""

    def __init__(self, session: ReviewSession, size: tuple[int, int] = (1920, 1080), quality: str = "high"):
        from twin.scene import Scene

        from twin.scene.options import BATCH, EXPORT

        if quality not in QUALITY:
            raise TwinError(None, f"unknown quality {quality!r}: use {', '.join(QUALITY)}", where="--quality")
        self.session = session
        self.design = session.design
        self.scene = Scene(self.design, size=size, options=EXPORT if quality == "high" else BATCH,
                           state=session.view)
        self._overlays: dict[str, object] = {}
        self._overlay_name = registry.NO_OVERLAY

    # ------------------------------------------------------------------ inputs
    def check_overlay(self, name: str) -> None:
        """TwinError naming the choices when `name` is unknown or not available for this design."""
        self._overlay(name)

    def _overlay(self, name: str):
        if name not in self._overlays:
            try:
                self._overlays[name] = self.session.overlay(name)
            except ValueError as exc:
                raise TwinError(self.design.source, str(exc), where="overlay") from None
        return self._overlays[name]

    def pose(self, camera: str):
        """The camera pose for `camera` (see module doc); TwinError for unknown views or racks."""
        head, _, view = camera.rpartition(":")
        if camera.startswith("rack:") and head.startswith("rack:") and view in RACK_VIEWS:
            return self.rack_pose(head[5:], view)
        try:
            return self.scene.view_pose(camera)
        except ValueError as exc:
            raise TwinError(self.design.source, str(exc), where="camera") from None

    def rack_pose(self, rack_name: str, view: str):
        """A view of one rack: `front` is the viewer's fly-to close-up, the others look at its box."""
        from twin.scene.camera import CameraPose, look_from

        try:
            rack = self.design.rack_index(rack_name)
        except KeyError:
            raise TwinError(self.design.source, f"no rack called {rack_name!r}", where="rack") from None
        frame = int(self.scene.frame_of_rack[rack])
        if frame < 0:
            raise TwinError(self.design.source, f"rack {rack_name!r} has no frame to look at", where="rack")
        if view == "front":
            return self.scene.fly_to_pose(frame)
        yaw = float(self.scene.yaw[frame])
        local = {"iso": (-0.75, -1.0, 0.85), "top": (0.0, -0.02, 1.0), "rear": (0.0, 1.0, 0.18)}[view]
        direction = rotate_yaw(np.array(local), yaw)
        up = (0.0, 0.0, 1.0) if view != "top" else tuple(-front_direction(yaw))    # the rack's back is up
        lo, hi = self.scene.box_lo[frame], self.scene.box_hi[frame]
        pose = look_from(direction, lo, hi, self.scene.aspect(), view_up=up)
        # a little further back than a tight fit: up close, perspective crops the rack's top
        eye, focal = np.array(pose.position), np.array(pose.focal_point)
        return CameraPose(tuple(focal + (eye - focal) * 1.3), pose.focal_point, pose.view_up, pose.view_angle)

    # ------------------------------------------------------------------ drawing
    def render(self, camera: str = "iso", overlay: str = registry.NO_OVERLAY,
               size: tuple[int, int] | None = None) -> np.ndarray:
        """An (h, w, 3) uint8 image of the design from `camera`, coloured by `overlay`."""
        scene = self.scene
        if size is not None and tuple(scene.render_window.GetSize()) != tuple(size):
            scene.render_window.SetSize(int(size[0]), int(size[1]))
        if overlay != self._overlay_name:
            scene.set_overlay(self._overlay(overlay))
            self._overlay_name = overlay
        scene.set_camera_pose(self.pose(camera))
        scene.update_lod()
        return scene.screenshot()


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
        allowed = RACK_VIEWS if racks != [None] else ("iso", "top", "front", "aisle")
        if view not in allowed and not (racks == [None] and view.startswith("rack:")):
            raise TwinError(None, f"unknown view {view!r}: use {', '.join(allowed)}"
                                  + ("" if racks != [None] else " or rack:NAME"), where="--views")
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
