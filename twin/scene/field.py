"""Scalar fields from CFD (air temperature on a grid): read, write, and draw as slice and isosurface.

Formats: VTK XML image data (.vti), unstructured grid (.vtu), legacy VTK (.vtk), and CSV
with columns x, y, z and a value column (T by default; a regular grid, or scattered points
resampled onto one). Every failure is a TwinError naming the file and the reason.

VTK trusts what it reads: a header declaring 10^15 points makes it allocate them (and abort
the process), a NaN slice plane crashes the cutter. So a file's declared size is checked
against `LIMITS["field_points"]` from its header before VTK opens it, the data read must lie
at finite coordinates, and slice positions and isosurface values must be finite numbers.
"""

from __future__ import annotations

import csv
import math
import mmap
import re
from pathlib import Path
from typing import Callable

import numpy as np
from vtkmodules.util.misc import calldata_type
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.util.vtkConstants import VTK_STRING
from vtkmodules.vtkCommonDataModel import vtkDataSet, vtkImageData, vtkPlane, vtkPolyData
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkFiltersCore import vtkContourFilter, vtkCutter
from vtkmodules.vtkImagingHybrid import vtkShepardMethod
from vtkmodules.vtkIOLegacy import vtkDataSetReader
from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLUnstructuredGridReader
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twin.errors import TwinError
from twin.analysis import colouring
from twin.model.limits import LIMITS, limit
from twin.scene.legend import continuous_lut

MAX_CSV_ROWS = 5_000_000
HEADER_BYTES = 64 * 1024        # an XML VTK file states its size in its first tags
_ATTRIBUTE = re.compile(rb'([A-Za-z_]+)\s*=\s*"([^"]*)"')
_LEGACY_WHAT = {b"DIMENSIONS": "grid points", b"POINTS": "points", b"CELLS": "cell entries",
                b"POINT_DATA": "point values", b"CELL_DATA": "cell values", b"CELL_TYPES": "cell types"}
_LEGACY_COUNT = re.compile(rb"\b(DIMENSIONS|POINTS|CELLS|POINT_DATA|CELL_DATA|CELL_TYPES)[ \t]+(\d+)(?:[ \t]+(\d+)[ \t]+(\d+))?")


def _numbers(path: Path, tag: str, name: str, text: bytes, count: int, kind=float) -> list:
    try:
        values = [kind(v) for v in text.split()]
    except ValueError:
        values = []
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise TwinError(path, f"{tag} {name}={text.decode('ascii', 'replace')[:60]!r} is not {count} finite numbers")
    return values


def _over_budget(path: Path, what: str, count: float) -> None:
    if count > limit("field_points"):
        raise TwinError(path, f"declares {count:,.0f} {what}, over the limit of {LIMITS['field_points'].text()}; "
                              "not read")


def check_declared_size(path: Path) -> None:
    """Read the header of a VTK field file (never its data) and refuse one that declares more
    points or cells than the budget, or an extent, origin or spacing that is not a finite
    number: VTK would allocate what the header says before it finds the data missing."""
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
        if suffix == ".vtk":
            try:
                whole = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            except (ValueError, OSError):
                whole = head
            try:
                for match in _LEGACY_COUNT.finditer(whole):
                    key, *numbers = match.groups()
                    count = math.prod(int(n) for n in numbers if n is not None)
                    _over_budget(path, _LEGACY_WHAT[key], count)
            finally:
                if isinstance(whole, mmap.mmap):
                    whole.close()
            return
    tags = {".vti": b"ImageData", ".vtu": b"UnstructuredGrid"}
    if suffix not in tags:
        return
    if tags[suffix] not in head:
        raise TwinError(path, f"no <{tags[suffix].decode()}> in its first {HEADER_BYTES // 1024} KB: "
                              f"not a VTK {suffix} file")
    for match in re.finditer(rb"<(ImageData|Piece)\b([^>]*)>", head):
        tag, attributes = match.group(1).decode(), dict(_ATTRIBUTE.findall(match.group(2)))
        for key in (b"WholeExtent", b"Extent"):
            if key in attributes:
                lo_hi = _numbers(path, tag, key.decode(), attributes[key], 6, int)
                sides = [lo_hi[2 * k + 1] - lo_hi[2 * k] + 1 for k in range(3)]
                if min(sides) < 1:
                    raise TwinError(path, f"{tag} {key.decode()} {lo_hi} is empty or reversed")
                _over_budget(path, "points", math.prod(sides))
        for key in (b"Origin", b"Spacing"):
            if key in attributes:
                values = _numbers(path, tag, key.decode(), attributes[key], 3)
                if max(abs(v) for v in values) > limit("coordinate_m"):
                    raise TwinError(path, f"{tag} {key.decode()} {values} is over {LIMITS['coordinate_m'].text()}")
        for key in (b"NumberOfPoints", b"NumberOfCells"):
            if key in attributes:
                count = _numbers(path, tag, key.decode(), attributes[key], 1, int)[0]
                _over_budget(path, key.decode()[8:].lower(), count)


def check_slice(axis: str, position: float, iso: float | None = None) -> None:
    """ValueError unless `axis` is x, y or z and the slice position (and isosurface value) are
    finite numbers: a NaN plane crashes VTK's cutter."""
    if axis not in ("x", "y", "z"):
        raise ValueError(f"slice axis must be x, y or z, not {axis!r}")
    if not math.isfinite(position) or abs(position) > limit("coordinate_m"):
        raise ValueError(f"slice position {position} is not a finite number within {LIMITS['coordinate_m'].text()}")
    if iso is not None and not math.isfinite(iso):
        raise ValueError(f"isosurface value {iso} is not a finite number")


def parse_slice(text: str) -> tuple[str, float]:
    """'z=1.2' → ("z", 1.2); TwinError naming --field-slice for anything else (NaN and inf too)."""
    axis, _, value = str(text).partition("=")
    axis = axis.strip().lower()
    if axis not in ("x", "y", "z"):
        raise TwinError(None, f"slice must look like z=1.2, not {text!r}", where="--field-slice")
    try:
        position = float(value)
    except ValueError:
        raise TwinError(None, f"slice position {value!r} is not a number", where="--field-slice") from None
    try:
        check_slice(axis, position)
    except ValueError as exc:
        raise TwinError(None, str(exc), where="--field-slice") from None
    return axis, position


def _read_vtk(reader_class) -> "Callable[[Path, str | None], vtkDataSet]":
    def read(path: Path, _array: str | None) -> vtkDataSet:
        check_declared_size(path)
        reader = reader_class()
        errors: list[str] = []
        # an observer takes VTK's error messages (else printed raw on stderr) for the TwinError below
        @calldata_type(VTK_STRING)
        def on_error(_obj, _event, message) -> None:
            errors.append(str(message or ""))
        reader.AddObserver("ErrorEvent", on_error)
        reader.SetFileName(str(path))
        reader.Update()
        data = reader.GetOutput()
        if errors or data is None or data.GetNumberOfPoints() == 0:
            said = next((re.sub(r"^\w+ \(0x[0-9a-fA-F]+\): ", "", e.strip().splitlines()[-1])[:200]
                         for e in errors if e.strip()), "")
            raise TwinError(path, "could not be read as a VTK file of this kind" + (f" ({said})" if said else ""))
        bounds = data.GetBounds()
        if not all(math.isfinite(b) and abs(b) <= limit("coordinate_m") for b in bounds):
            raise TwinError(path, f"points lie at coordinates that are not finite numbers or over "
                                  f"{LIMITS['coordinate_m'].text()}")
        return data
    return read


def _read_csv_file(path: Path, array: str | None) -> vtkDataSet:
    return _read_csv(path, array or "T")


#: Field readers by file suffix, listed once: the loader, the file dialog and the CLI derive from it.
FIELD_READERS: dict[str, Callable[[Path, str | None], vtkDataSet]] = {
    ".vti": _read_vtk(vtkXMLImageDataReader),
    ".vtu": _read_vtk(vtkXMLUnstructuredGridReader),
    ".vtk": _read_vtk(vtkDataSetReader),
    ".csv": _read_csv_file,
}
FIELD_SUFFIXES = tuple(FIELD_READERS)


def load_field(path: str | Path, array: str | None = None) -> vtkDataSet:
    """Read a field file; its point scalars become the active array (named `array` or the first)."""
    path = Path(path)
    if not path.is_file():
        raise TwinError(path, "no such field file")
    suffix = path.suffix.lower()
    if suffix not in FIELD_SUFFIXES:
        raise TwinError(path, f"unsupported field format {suffix!r}: use {', '.join(FIELD_SUFFIXES)}")
    data = FIELD_READERS[suffix](path, array)
    pd = data.GetPointData()
    names = [pd.GetArrayName(i) for i in range(pd.GetNumberOfArrays())]
    if not names:
        raise TwinError(path, "the field has no point values")
    chosen = array if array in names else (array is None and names[0]) or None
    if chosen is None:
        raise TwinError(path, f"no array called {array!r} (arrays: {', '.join(names)})")
    pd.SetActiveScalars(chosen)
    values = vtk_to_numpy(pd.GetScalars())
    if not np.isfinite(values).any():
        raise TwinError(path, f"array {chosen!r} holds no finite values")
    return data


def _read_csv(path: Path, column: str) -> vtkDataSet:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = [h.strip().lower() for h in next(reader)]
            want = ["x", "y", "z", column.lower()]
            missing = [w for w in want if w not in header]
            if missing:
                raise TwinError(path, f"missing column(s) {', '.join(missing)} (header: {', '.join(header)})")
            idx = [header.index(w) for w in want]
            rows = []
            for line_no, row in enumerate(reader, start=2):
                if not row:
                    continue
                try:
                    rows.append([float(row[i]) for i in idx])
                except (ValueError, IndexError):
                    raise TwinError(path, "not a number", where=f"line {line_no}") from None
                if len(rows) > MAX_CSV_ROWS:
                    raise TwinError(path, f"more than {MAX_CSV_ROWS:,} rows")
    except csv.Error as exc:            # a cell over the csv module's field limit, a NUL byte
        raise TwinError(path, f"not a readable CSV field ({exc})", where=f"line {reader.line_num}") from None
    except (OSError, UnicodeDecodeError, StopIteration) as exc:
        raise TwinError(path, f"cannot read CSV ({exc or 'empty file'})") from None
    if not rows:
        raise TwinError(path, "no data rows")
    a = np.array(rows)
    axes = [np.unique(a[:, k]) for k in range(3)]
    if np.prod([len(ax) for ax in axes]) == len(a) and all(len(ax) > 1 for ax in axes):
        spacing = [float(ax[1] - ax[0]) for ax in axes]
        order = np.lexsort((a[:, 0], a[:, 1], a[:, 2]))      # x fastest, as VTK image data wants
        return image_field(a[order, 3].reshape(len(axes[2]), len(axes[1]), len(axes[0])),
                           origin=[float(ax[0]) for ax in axes], spacing=spacing, name=column)
    points = vtkPolyData()
    pts = vtkPoints()
    pts.SetData(numpy_to_vtk(np.ascontiguousarray(a[:, :3])))
    points.SetPoints(pts)
    scalars = numpy_to_vtk(np.ascontiguousarray(a[:, 3]), deep=True)
    scalars.SetName(column)
    points.GetPointData().SetScalars(scalars)
    lo, hi = a[:, :3].min(axis=0), a[:, :3].max(axis=0)
    shepard = vtkShepardMethod()
    shepard.SetInputData(points)
    shepard.SetModelBounds(lo[0], hi[0], lo[1], hi[1], lo[2], hi[2])
    shepard.SetSampleDimensions(48, 48, 16)
    shepard.SetMaximumDistance(0.25)
    shepard.Update()
    out = shepard.GetOutput()
    out.GetPointData().GetScalars().SetName(column)
    return out


def image_field(values: np.ndarray, origin, spacing, name: str = "T") -> vtkImageData:
    """A regular grid from a (nz, ny, nx) array (x varies fastest)."""
    nz, ny, nx = values.shape
    image = vtkImageData()
    image.SetDimensions(nx, ny, nz)
    image.SetOrigin(*origin)
    image.SetSpacing(*spacing)
    arr = numpy_to_vtk(np.ascontiguousarray(values, dtype=np.float32).reshape(-1), deep=True)
    arr.SetName(name)
    image.GetPointData().SetScalars(arr)
    return image


def field_range(data: vtkDataSet) -> tuple[float, float]:
    values = vtk_to_numpy(data.GetPointData().GetScalars())
    finite = values[np.isfinite(values)]
    return float(finite.min()), float(finite.max())


def field_actors(data: vtkDataSet, axis: str, position: float, iso: float | None, vmin: float, vmax: float,
                 ) -> list[vtkActor]:
    """A coloured slice plane normal to `axis` at `position`, and an isosurface at `iso`
    (ValueError for a slice or value that is not a finite number, see `check_slice`)."""
    check_slice(axis, position, iso)
    lut = continuous_lut("thermal", vmin, vmax)
    actors = []
    plane = vtkPlane()
    origin = list(data.GetCenter())
    origin["xyz".index(axis)] = position
    plane.SetOrigin(*origin)
    plane.SetNormal(*[1.0 if a == axis else 0.0 for a in "xyz"])
    cutter = vtkCutter()
    cutter.SetInputData(data)
    cutter.SetCutFunction(plane)
    cutter.Update()
    if cutter.GetOutput().GetNumberOfCells():
        mapper = vtkPolyDataMapper()
        mapper.SetInputConnection(cutter.GetOutputPort())
        mapper.SetLookupTable(lut)
        mapper.SetScalarRange(vmin, vmax)
        mapper.SetScalarModeToUsePointData()
        actor = vtkActor()
        actor.SetMapper(mapper)
        actor.GetProperty().SetOpacity(0.75)
        actor.GetProperty().LightingOff()
        actor.PickableOff()
        actors.append(actor)
    if iso is not None:
        contour = vtkContourFilter()
        contour.SetInputData(data)
        contour.SetValue(0, iso)
        contour.Update()
        if contour.GetOutput().GetNumberOfCells():
            mapper = vtkPolyDataMapper()
            mapper.SetInputConnection(contour.GetOutputPort())
            mapper.ScalarVisibilityOff()
            actor = vtkActor()
            actor.SetMapper(mapper)
            r, g, b = colouring.map_values(np.array([iso]), "thermal", vmin, vmax)[0] / 255.0
            actor.GetProperty().SetColor(r, g, b)
            actor.GetProperty().SetOpacity(0.45)
            actor.PickableOff()
            actors.append(actor)
    return actors
