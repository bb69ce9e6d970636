"""Images: render a design offscreen to PNG (Mesa EGL, no display, no Qt), by one render path.

Every still goes through `ImageRenderer`: `twin export image` (one `--view` or a batch), the
HTML report, the Python API's `view().save_image()`, the viewer's "Export image…" (Ctrl+E) and
the diff view. It builds one export scene on a *snapshot* of a view state (visibility,
selection, section, highlight, overlay) and then, per image, sets the overlay, a CFD field and
the camera (any name of `twin.scene.views`, or a pose) and takes one frame. Building the
scene of a 2,000-rack hall takes seconds, drawing one more frame of it a fraction of that, so
a batch reuses one renderer; a single image is a renderer used once (`render_view`).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOImage import vtkPNGReader

from twin.analysis import registry
from twin.analysis.overlays import Overlay
from twin.errors import TwinError
from twin.model import Design
from twin.scene import Scene
from twin.scene.camera import CameraPose
from twin.scene.options import BATCH, EXPORT, EXPORT_SIZE, RenderOptions
from twin.scene.views import check_view, rack_view
from twin.session import ReviewSession
from twin.store import load_design
from twin.viewstate import ViewState

#: Render options per quality: "high" is the single-image export's (8× multisampling,
#: translucent rack doors, full meshes for every rack tall enough on screen to show its trays:
#: twin.scene.options.EXPORT), "fast" the batch preset (see twin.scene.options.BATCH).
QUALITY = ("high", "fast")
#: `ImageRenderer.render(overlay=KEEP)`: draw with the overlay the snapshot already shows.
KEEP = object()


@dataclass(frozen=True)
class FieldView:
    """A CFD field as shown: the data set (twin.scene.field.load_field), slice axis and position,
    and an optional isosurface value."""

    data: Any
    axis: str = "z"
    position: float = 1.2
    iso: float | None = None


class ImageRenderer:
    """One export scene of a session's design, drawing a snapshot of a view state (the session's
    by default), reused for every image asked of it. Overlays asked by name are built through
    the session and cached per name."""

    def __init__(self, session: ReviewSession, size: tuple[int, int] = EXPORT_SIZE, quality: str = "high",
                 state: ViewState | None = None, options: RenderOptions | None = None):
        if quality not in QUALITY:
            raise TwinError(None, f"unknown quality {quality!r}: use {', '.join(QUALITY)}", where="--quality")
        self.session = session
        self.design = session.design
        snapshot = (state if state is not None else session.view).snapshot()
        if options is None:
            options = EXPORT if quality == "high" else BATCH
        # built with no rack in full detail: the scene starts at the iso view, and the first image's
        # own camera (a rack close-up, say) chooses the racks it details (`render` → `lod.update`)
        self.scene = Scene(self.design, size=size, options=options.but(detail_budget=0), state=snapshot)
        self.scene.options = options
        self._overlays: dict[str, Overlay | None] = {}

    # ------------------------------------------------------------------ inputs
    def check_overlay(self, name: str) -> None:
        """TwinError naming the choices when `name` is unknown or not available for this design."""
        self._overlay(name)

    def _overlay(self, name: str) -> Overlay | None:
        if name not in self._overlays:
            try:
                self._overlays[name] = self.session.overlay(name)
            except ValueError as exc:
                raise TwinError(self.design.source, str(exc), where="overlay") from None
        return self._overlays[name]

    def check_camera(self, camera: str, where: str = "camera") -> None:
        """TwinError naming `where` for a view name that is unknown or names a rack or hall this
        design lacks (no drawing needed)."""
        try:
            check_view(self.design, camera)
        except ValueError as exc:
            raise TwinError(self.design.source, str(exc), where=where) from None

    def pose(self, camera: str | CameraPose) -> CameraPose:
        """The camera pose for a view name (twin.scene.views) or a pose; TwinError for unknown views or racks."""
        if isinstance(camera, CameraPose):
            return camera
        self.check_camera(camera)
        try:
            return self.scene.camera.view_pose(camera)
        except ValueError as exc:
            raise TwinError(self.design.source, str(exc), where="camera") from None

    # ------------------------------------------------------------------ drawing
    def render(self, camera: str | CameraPose = "iso", overlay: str | Overlay | None | object = KEEP,
               size: tuple[int, int] | None = None, field: "FieldView | None" = None) -> np.ndarray:
        """An (h, w, 3) uint8 image of the design from `camera` (a view name or a pose), coloured
        by `overlay` (a name, a built Overlay, None for plain colours, KEEP: the snapshot's)."""
        scene = self.scene
        if size is not None and tuple(scene.render_window.GetSize()) != tuple(size):
            scene.render_window.SetSize(int(size[0]), int(size[1]))
        if overlay is not KEEP:
            built = self._overlay(overlay) if isinstance(overlay, str) else overlay
            if built is not scene.overlay:
                scene.set_overlay(built)
        if field is not None:
            scene.show_field(field.data, field.axis, field.position, field.iso)
        self._show_subject(camera)
        if isinstance(camera, str):
            self.check_camera(camera)
            try:
                scene.camera.set_view(camera)         # kept framed if the legend strip comes or goes
            except ValueError as exc:
                raise TwinError(self.design.source, str(exc), where="camera") from None
        else:
            scene.camera.set_camera_pose(camera)
        scene.lod.update()
        return scene.screenshot()

    def _show_subject(self, camera: str | CameraPose) -> None:
        """A rack view (`rack:NAME[:VIEW]`) is captioned with its rack, row and view, and the rack
        is outlined; other views and poses show no subject."""
        caption, parts = "", np.zeros(0, np.int64)
        if isinstance(camera, str) and camera.partition(":")[0] == "rack":
            try:
                r, view = rack_view(self.design, camera.partition(":")[2])
            except ValueError as exc:
                raise TwinError(self.design.source, str(exc), where="camera") from None
            row = str(self.design.racks.row[r] or "")
            caption = f"rack {self.design.racks.name[r]}" + (f" (row {row})" if row else "") + f"  ·  {view or 'front'}"
            frame = int(self.scene.geometry.frame_of_rack[r])
            parts = np.array([frame]) if frame >= 0 else self.scene.geometry.rack_parts(r)
        decorations = self.scene.decorations
        if caption != decorations.subject or len(parts) != (decorations.subject_outline is not None):
            decorations.show_subject(caption, parts)
            decorations.update_title(self.scene.overlay)


def render_view(design: Design, size: tuple[int, int] = EXPORT_SIZE, camera: str | CameraPose = "iso",
                overlay: Overlay | None = None, state: ViewState | None = None, field: FieldView | None = None,
                options: RenderOptions = EXPORT, session: ReviewSession | None = None) -> tuple[np.ndarray, Scene]:
    """Render `design` as the reviewer sees it to an (h, w, 3) image; returns the scene too.

    `camera` is a named view (twin.scene.views) or a pose; `state` the view state to draw a
    snapshot of (default: everything shown, nothing selected; its overlay unless `overlay`
    is given). TwinError for an unknown view."""
    renderer = ImageRenderer(session or ReviewSession(design), size, state=state if state is not None
                             else ViewState(design), options=options)
    image = renderer.render(camera, overlay if overlay is not None else KEEP, field=field)
    return image, renderer.scene


def render_design(design: Design, view: str = "iso", size: tuple[int, int] = EXPORT_SIZE, overlay: str = "none",
                  select: str | None = None, field: str | Path | None = None, field_slice: str = "z=1.2",
                  iso: float | None = None, session: ReviewSession | None = None) -> tuple[np.ndarray, Scene]:
    """Render a loaded design by names (as `twin export image` takes them); returns the image and scene.

    `session` supplies the overlay's analysis results and the view state (a fresh one on the
    design by default). Bad names raise TwinError naming the option."""
    session = session or ReviewSession(design)
    try:
        check_view(design, view)
    except ValueError as exc:
        raise TwinError(design.source, str(exc), where="--view") from None
    try:
        built = session.overlay(overlay)
    except ValueError as exc:
        raise TwinError(design.source, str(exc), where="--overlay") from None
    state = session.view.snapshot()
    if select:
        try:
            rack = design.rack_index(select)
        except KeyError:
            raise TwinError(design.source, f"no rack called {select!r}", where="--select") from None
        state.select(np.flatnonzero((design.parts.rack == rack) & (design.part_kind() == "rack"))[:1])
    field_view = None
    if field is not None:
        from twin.scene.field import load_field, parse_slice

        axis, position = parse_slice(field_slice)
        if iso is not None and not np.isfinite(iso):
            raise TwinError(None, f"isosurface value {iso} is not a finite number", where="--iso")
        field_view = FieldView(load_field(field), axis, position, iso)
    renderer = ImageRenderer(session, size, state=state)
    return renderer.render(view, built if built is not None else registry.NO_OVERLAY, field=field_view), \
        renderer.scene


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' → (1920, 1080); ValueError for anything else or outside 16…8192 pixels."""
    try:
        w, h = (int(v) for v in text.strip().lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1920x1080, not {text!r}") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise ValueError(f"size {text} is outside 16x16 … 8192x8192")
    return w, h


#: zlib level of exported PNGs: 3 compresses a 1280x720 frame in ~12 ms (VTK's writer took ~35 ms,
#: a tenth of a batch image) to a smaller file than VTK's; higher levels double the time for ~25 %.
PNG_LEVEL = 3


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 image as PNG in memory: 8-bit RGB, no row filter, one zlib
    stream (zlib and struct: no extra dependency, and fast enough for a batch's every image)."""
    image = np.ascontiguousarray(image, np.uint8)
    h, w, _ = image.shape
    raw = np.zeros((h, w * 3 + 1), np.uint8)        # each row: filter type 0, then its RGB bytes
    raw[:, 1:] = image.reshape(h, w * 3)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), PNG_LEVEL)) + chunk(b"IEND", b""))


def write_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an (h, w, 3) uint8 image as PNG, through a temp file and a rename (never half a file)."""
    from twin.files import write_bytes_atomic

    return write_bytes_atomic(path, png_bytes(image))


def read_png(path: str | Path) -> np.ndarray:
    """Read a PNG into an (h, w, 3) uint8 array, top row first."""
    path = Path(path)
    if not path.is_file():
        raise TwinError(path, "no such image")
    reader = vtkPNGReader()
    reader.SetFileName(str(path))
    reader.Update()
    image = reader.GetOutput()
    w, h, _ = image.GetDimensions()
    pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)[:, :, :3]
    return np.ascontiguousarray(pixels[::-1])


def export_image(design_path: str | Path, output: str | Path, view: str = "iso",
                 size: tuple[int, int] = EXPORT_SIZE, overlay: str = "none", select: str | None = None,
                 field: str | Path | None = None, field_slice: str = "z=1.2", iso: float | None = None) -> Path:
    """Load a design file and write its rendering to `output` (PNG). The cables are read only if
    the image draws or colours them (their load warnings then join `design.warnings`)."""
    design = load_design(design_path, defer_cables=True)
    image, _ = render_design(design, view=view, size=size, overlay=overlay, select=select, field=field,
                             field_slice=field_slice, iso=iso)
    return write_png(image, output)
