"""numpy → VTK without Python loops: polydata from merged triangle or line arrays."""

from __future__ import annotations

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk, numpy_to_vtkIdTypeArray, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkPoints, vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkCellArray, vtkPolyData


def cell_array(connectivity: np.ndarray, per_cell: int) -> vtkCellArray:
    """Cells of a fixed size from a flat int64 connectivity array."""
    conn = np.ascontiguousarray(connectivity, dtype=np.int64).reshape(-1)
    offsets = np.arange(0, len(conn) + 1, per_cell, dtype=np.int64)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True), numpy_to_vtkIdTypeArray(conn, deep=True))
    return cells


def points(xyz: np.ndarray) -> vtkPoints:
    pts = vtkPoints()
    pts.SetData(numpy_to_vtk(np.ascontiguousarray(xyz, dtype=np.float32), deep=True))
    return pts


def rgb_array(rgb: np.ndarray) -> vtkUnsignedCharArray:
    arr = numpy_to_vtk(np.ascontiguousarray(rgb, dtype=np.uint8), deep=True,
                       array_type=3)  # VTK_UNSIGNED_CHAR
    arr.SetName("rgb")
    return arr


def triangles(xyz: np.ndarray, faces: np.ndarray, rgb: np.ndarray) -> vtkPolyData:
    """A triangle polydata with one RGB colour per triangle."""
    poly = vtkPolyData()
    poly.SetPoints(points(xyz))
    poly.SetPolys(cell_array(faces, 3))
    poly.GetCellData().SetScalars(rgb_array(rgb))
    return poly


def polylines(xyz: np.ndarray, points_per_line: int, rgb: np.ndarray) -> vtkPolyData:
    """Polylines of a fixed point count (consecutive points), one RGB colour per line."""
    poly = vtkPolyData()
    poly.SetPoints(points(xyz))
    poly.SetLines(cell_array(np.arange(len(xyz), dtype=np.int64), points_per_line))
    poly.GetCellData().SetScalars(rgb_array(rgb))
    return poly


def set_cell_rgb(poly: vtkPolyData, rgb: np.ndarray) -> None:
    """Replace a polydata's cell colours in place (the fast path of recolouring): written into
    the existing array when it has the same shape, so hundreds of chunks cost no allocations."""
    old = poly.GetCellData().GetScalars()
    if old is not None and old.GetNumberOfTuples() == len(rgb) and old.GetNumberOfComponents() == 3 \
            and old.GetDataType() == 3:            # VTK_UNSIGNED_CHAR
        vtk_to_numpy(old)[:] = rgb
        old.Modified()
    else:
        poly.GetCellData().SetScalars(rgb_array(rgb))
    poly.Modified()


def polylines_varying(xyz: np.ndarray, counts: np.ndarray, rgb: np.ndarray) -> vtkPolyData:
    """Polylines of varying point counts (consecutive points, `counts` per line), one RGB colour per line."""
    counts = np.asarray(counts, np.int64)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)
    cells = vtkCellArray()
    cells.SetData(numpy_to_vtkIdTypeArray(offsets, deep=True),
                  numpy_to_vtkIdTypeArray(np.arange(len(xyz), dtype=np.int64), deep=True))
    poly = vtkPolyData()
    poly.SetPoints(points(xyz))
    poly.SetLines(cells)
    poly.GetCellData().SetScalars(rgb_array(rgb))
    return poly
