"""Scalar fields from CFD (air temperature on a grid): read, write, and draw as slice and isosurface.

Formats: VTK XML image data (.vti), unstructured grid (.vtu), legacy VTK (.vtk), and CSV
with columns x, y, z and a value column (T by default; a regular grid, or scattered points
resampled onto one). Every failure is a TwinError naming the file and the reason.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Callable

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkDataSet, vtkImageData, vtkPlane, vtkPolyData
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkFiltersCore import vtkContourFilter, vtkCutter
from vtkmodules.vtkImagingHybrid import vtkShepardMethod
from vtkmodules.vtkIOLegacy import vtkDataSetReader
from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLImageDataWriter, vtkXMLUnstructuredGridReader
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twin.errors import TwinError
from twin.scene import colormap
from twin.scene.legend import continuous_lut

MAX_CSV_ROWS = 5_000_000


def _read_vtk(reader_class) -> "Callable[[Path, str | None], vtkDataSet]":
    def read(path: Path, _array: str | None) -> vtkDataSet:
        reader = reader_class()
        reader.SetFileName(str(path))
        reader.Update()
        data = reader.GetOutput()
        if data is None or data.GetNumberOfPoints() == 0:
            raise TwinError(path, "no points could be read (not a valid VTK file of this kind)")
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


def write_vti(image: vtkImageData, path: str | Path) -> Path:
    """Write image data as compressed VTK XML (.vti)."""
    path = Path(path)
    writer = vtkXMLImageDataWriter()
    writer.SetFileName(str(path))
    writer.SetInputData(image)
    writer.SetDataModeToAppended()
    writer.SetCompressorTypeToZLib()
    writer.EncodeAppendedDataOff()
    if not writer.Write():
        raise TwinError(path, "could not write the field")
    return path


def field_range(data: vtkDataSet) -> tuple[float, float]:
    values = vtk_to_numpy(data.GetPointData().GetScalars())
    finite = values[np.isfinite(values)]
    return float(finite.min()), float(finite.max())


def field_actors(data: vtkDataSet, axis: str, position: float, iso: float | None, vmin: float, vmax: float,
                 ) -> list[vtkActor]:
    """A coloured slice plane normal to `axis` at `position`, and an isosurface at `iso`."""
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
            r, g, b = colormap.map_values(np.array([iso]), "thermal", vmin, vmax)[0] / 255.0
            actor.GetProperty().SetColor(r, g, b)
            actor.GetProperty().SetOpacity(0.45)
            actor.PickableOff()
            actors.append(actor)
    return actors


def write_demo_field(design_path: str | Path, out: str | Path) -> Path:
    """Synthesise the demo air field of a design (see twin.analysis.airfield) and write it as .vti."""
    from twin.analysis.airfield import synthesize_air_field
    from twin.session import ReviewSession
    from twin.store import load_design

    design = load_design(design_path)
    thermal = ReviewSession(design).result("thermal").detail       # with the latest readings
    values, origin, spacing = synthesize_air_field(design, thermal)
    return write_vti(image_field(values, origin, (spacing,) * 3, name="T"), out)


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 3:
        raise SystemExit("usage: python -m twin.scene.field DESIGN.twin.db OUT.vti  (writes the demo air field)")
    print(write_demo_field(sys.argv[1], sys.argv[2]))
