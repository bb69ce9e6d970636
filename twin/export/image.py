"""`twin export image`: render a design offscreen to PNG (Mesa EGL, no display, no Qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonDataModel import vtkImageData
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOImage import vtkPNGReader, vtkPNGWriter

from twin.analysis.overlays import build_overlay
from twin.errors import TwinError
from twin.scene import Scene
from twin.store import load_design

#: Exports are one frame, so they can afford every rack in full detail up to this many triangles.
EXPORT_DETAIL_BUDGET = 6_000_000


def render_design(design, view: str = "iso", size: tuple[int, int] = (1920, 1080), overlay: str = "none",
                  select: str | None = None, field: str | Path | None = None, field_slice: str = "z=1.2",
                  iso: float | None = None) -> tuple[np.ndarray, Scene]:
    """Render a loaded design to an (h, w, 3) image; returns the scene too (for tests)."""
    scene = Scene(design, size=size, detail_budget=EXPORT_DETAIL_BUDGET, multisamples=8, detail_min_pixels=0,
                  doors=True)
    try:
        scene.set_view(view)
    except ValueError as exc:
        raise TwinError(design.source, str(exc), where="--view") from None
    try:
        scene.set_overlay(build_overlay(overlay, design))
    except ValueError as exc:
        raise TwinError(design.source, str(exc), where="--overlay") from None
    if select:
        try:
            rack = design.rack_index(select)
        except KeyError:
            raise TwinError(design.source, f"no rack called {select!r}", where="--select") from None
        scene.select([int(scene.frame_of_rack[rack])])
    if field is not None:
        from twin.scene.field import load_field

        axis, _, value = field_slice.partition("=")
        if axis not in ("x", "y", "z"):
            raise TwinError(None, f"slice must look like z=1.2, not {field_slice!r}", where="--field-slice")
        try:
            position = float(value)
        except ValueError:
            raise TwinError(None, f"slice position {value!r} is not a number", where="--field-slice") from None
        scene.show_field(load_field(field), axis, position, iso)
    scene.update_lod(force=True)
    return scene.screenshot(), scene


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
    from twin.export.files import write_bytes_atomic

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
                 size: tuple[int, int] = (1920, 1080), overlay: str = "none", select: str | None = None,
                 field: str | Path | None = None, field_slice: str = "z=1.2", iso: float | None = None) -> Path:
    """Load a design file and write its rendering to `output` (PNG)."""
    design = load_design(design_path)
    image, _ = render_design(design, view=view, size=size, overlay=overlay, select=select, field=field,
                             field_slice=field_slice, iso=iso)
    return write_png(image, output)
