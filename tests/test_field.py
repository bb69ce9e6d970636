"""CFD fields: every supported format loads, bad files fail with their name, the demo field shows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkIOLegacy import vtkDataSetWriter
from vtkmodules.vtkIOXML import vtkXMLUnstructuredGridWriter
from vtkmodules.vtkFiltersCore import vtkAppendFilter

from twin.errors import TwinError
from twin.scene import Scene
from twin.export.field import write_vti
from twin.scene.field import field_range, image_field, load_field
from twin.store import load_design

DEMO = Path(__file__).resolve().parents[1] / "scenes" / "ai-hall-air.vti"


def _grid() -> np.ndarray:
    z, y, x = np.meshgrid(np.arange(3), np.arange(4), np.arange(5), indexing="ij")
    return (20 + x + 2 * y + 3 * z).astype(np.float32)


def test_vti_round_trip(tmp_path):
    path = write_vti(image_field(_grid(), (0, 0, 0), (0.5, 0.5, 0.5)), tmp_path / "f.vti")
    data = load_field(path)
    assert data.GetDimensions() == (5, 4, 3)
    assert field_range(data) == (20.0, 20 + 4 + 6 + 6)


def test_vtu_and_legacy_vtk_load(tmp_path):
    image = image_field(_grid(), (0, 0, 0), (1, 1, 1))
    to_grid = vtkAppendFilter()
    to_grid.AddInputData(image)
    to_grid.Update()
    vtu = vtkXMLUnstructuredGridWriter()
    vtu.SetFileName(str(tmp_path / "f.vtu"))
    vtu.SetInputData(to_grid.GetOutput())
    vtu.Write()
    legacy = vtkDataSetWriter()
    legacy.SetFileName(str(tmp_path / "f.vtk"))
    legacy.SetInputData(image)
    legacy.Write()
    for name in ("f.vtu", "f.vtk"):
        data = load_field(tmp_path / name)
        assert data.GetNumberOfPoints() == 60
        assert field_range(data) == (20.0, 36.0)


def test_csv_regular_grid_and_scattered_points(tmp_path):
    g = _grid()
    rows = [f"{x * 0.5},{y * 0.5},{z * 0.5},{g[z, y, x]}" for z in range(3) for y in range(4) for x in range(5)]
    (tmp_path / "grid.csv").write_text("\n".join(["x,y,z,T"] + rows[::-1]) + "\n")   # any row order
    data = load_field(tmp_path / "grid.csv", "T")
    assert data.GetDimensions() == (5, 4, 3)
    assert np.allclose(np.sort(vtk_to_numpy(data.GetPointData().GetScalars())), np.sort(g.reshape(-1)))
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 4, size=(200, 3))
    lines = ["x,y,z,T"] + [f"{a},{b},{c},{20 + a}" for a, b, c in pts]
    (tmp_path / "scattered.csv").write_text("\n".join(lines))
    lo, hi = field_range(load_field(tmp_path / "scattered.csv"))
    assert 19.5 < lo < hi < 24.5


@pytest.mark.parametrize("name,content,needle", [
    ("broken.vti", b"\x00\x01not xml at all", "broken.vti"),
    ("nocol.csv", b"x,y,z,pressure\n0,0,0,1\n", "missing column"),
    ("text.csv", b"x,y,z,T\n0,0,zero,1\n", "line 2"),
    ("empty.csv", b"", "empty.csv"),
    ("field.txt", b"1 2 3", "unsupported"),
])
def test_bad_field_files_name_the_file_and_the_reason(tmp_path, name, content, needle):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TwinError) as err:
        load_field(path)
    assert name in str(err.value) and needle in str(err.value)


def test_demo_field_draws_a_slice_and_an_isosurface(hall_db):
    scene = Scene(load_design(hall_db), size=(320, 180), labels=False)
    scene.show_field(load_field(DEMO), "z", 1.2, iso=40.0)
    actors = [a for a in scene.decorations.field if a.IsA("vtkActor")]
    assert len(actors) == 2
    slice_bounds = actors[0].GetBounds()
    assert abs(slice_bounds[4] - 1.2) < 0.01 and abs(slice_bounds[5] - 1.2) < 0.01
    scene.clear_field()
    assert not scene.decorations.field
