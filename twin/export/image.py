"""Images: render a design offscreen to PNG (Mesa EGL, no display, no Qt).

One path for every still: `twin export image`, the Python API and the viewer's
"Export image…" all end in `render_view`, which builds a scene with the export render
options at the asked size, applies a view state (visibility, selection, section, highlight),
an overlay, a camera and optionally a CFD field, and takes one frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.vtkIOImage import vtkPNGReader, vtkPNGWriter

from twin.analysis.overlays import Overlay
from twin.errors import TwinError
from twin.model import Design
from twin.scene import Scene
from twin.scene.camera import CameraPose
from twin.scene.options import EXPORT, EXPORT_SIZE, RenderOptions
from twin.session import ReviewSession
from twin.store import load_design
from twin.viewstate import ViewState


@dataclass(frozen=True)
class FieldView:
    """A CFD field as shown: the data set (twin.scene.field.load_field), slice axis and position,
    and an optional isosurface value."""

    data: Any
    axis: str = "z"
    position: float = 1.2
    iso: float | None = None


def render_view(design: Design, size: tuple[int, int] = EXPORT_SIZE, camera: str | CameraPose = "iso",
                overlay: Overlay | None = None, state: ViewState | None = None, field: FieldView | None = None,
                options: RenderOptions = EXPORT) -> tuple[np.ndarray, Scene]:
    """Render `design` as the reviewer sees it to an (h, w, 3) image; returns the scene too.

    `camera` is a named view (twin.scene.views) or a pose; `state` the view state to draw
    (default: everything shown, nothing selected). ValueError for an unknown view."""
    scene = Scene(design, size=size, options=options, state=state)
    if isinstance(camera, str):
        scene.set_view(camera)
    else:
        scene.set_camera_pose(camera)
    if overlay is not None:
        scene.set_overlay(overlay)
    if field is not None:
        scene.show_field(field.data, field.axis, field.position, field.iso)
    scene.update_lod(force=True)
    return scene.screenshot(), scene


def render_design(design: Design, view: str = "iso", size: tuple[int, int] = EXPORT_SIZE, overlay: str = "none",
                  select: str | None = None, field: str | Path | None = None, field_slice: str = "z=1.2",
                  iso: float | None = None, session: ReviewSession | None = None) -> tuple[np.ndarray, Scene]:
    """Render a loaded design by names (as `twin export image` takes them); returns the image and scene.

    `session` supplies the overlay's analysis results and the view state (a fresh one on the
    design by default). Bad names raise TwinError naming the option."""
    session = session or ReviewSession(design)
    _check_view(design, view)
    try:
        built = session.overlay(overlay)
    except ValueError as exc:
        raise TwinError(design.source, str(exc), where="--overlay") from None
    state = session.view
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
    return render_view(design, size, view, built, state, field_view)


def _check_view(design: Design, view: str) -> None:
    """TwinError naming --view for a view that is not registered or a rack that does not exist."""
    from twin.scene.views import VIEWS, view_names

    key, sep, arg = view.partition(":")
    known = VIEWS.get(key)
    if known is None or bool(sep) != bool(known.argument):
        raise TwinError(design.source, f"unknown view {view!r}: use {', '.join(view_names())}", where="--view")
    if key == "rack":
        try:
            design.rack_index(arg)
        except KeyError:
            raise TwinError(design.source, f"no rack called {arg!r} in this design", where="--view") from None


def parse_size(text: str) -> tuple[int, int]:
    """'1920x1080' → (1920, 1080); ValueError for anything else or outside 16…8192 pixels."""
    try:
        w, h = (int(v) for v in text.strip().lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1920x1080, not {text!r}") from None
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise ValueError(f"size {text} is outside 16x16 … 8192x8192")
    return w, h


def png_bytes(image: np.ndarray) -> bytes:
    """Encode an (h, w, 3) uint8 image as PNG in memory (VTK's encoder: no extra dependency)."""
    h, w, _ = image.shape
    data = vtkImageData()
    data.SetDimensions(w, h, 1)
    arr = numpy_to_vtk(np.ascontiguousarray(image[::-1]).reshape(-1, 3), deep=True, array_type=3)
    data.GetPointData().SetScalars(arr)
    writer = vtkPNGWriter()
    writer.WriteToMemoryOn()
    writer.SetInputData(data)
    writer.Write()
    return bytes(memoryview(vtk_to_numpy(writer.GetResult())))


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
    """Load a design file and write its rendering to `output` (PNG)."""
    design = load_design(design_path)
    image, _ = render_design(design, view=view, size=size, overlay=overlay, select=select, field=field,
                             field_slice=field_slice, iso=iso)
    return write_png(image, output)
