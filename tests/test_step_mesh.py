"""STEP files (real ones from ../shared/data/step, and assemblies written here) as part-type meshes.

Expected bounds come from trimesh + cascadio called directly at the loader's stated
tolerance, then moved to twin's frame by hand (origin at the bottom centre of the bounds).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from step_fixture import write_box_assembly
from twin.geometry import clear_mesh_cache, load_mesh
from twin.geometry import meshload, steptess
from twin.model.limits import LIMITS, Limit

STEP_DIR = Path(os.environ.get("TWIN_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "step"
STEP_FILES = sorted(p for p in STEP_DIR.iterdir() if p.suffix.lower() in (".step", ".stp")) if STEP_DIR.is_dir() else []


@pytest.fixture(autouse=True)
def _fresh():
    clear_mesh_cache()
    yield
    clear_mesh_cache()


def _direct_bounds(path: Path) -> tuple[np.ndarray, int]:
    import trimesh

    scene = trimesh.load(str(path), tol_linear=steptess.TOL_LINEAR_MM, tol_angular=steptess.TOL_ANGULAR_RAD,
                         tol_relative=False)
    lo, hi = np.asarray(scene.bounds, dtype=np.float64)
    origin = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, lo[2]])
    faces = sum(len(g.faces) for g in scene.geometry.values())
    return np.array([lo - origin, hi - origin]), faces


def test_the_shared_step_files_are_there() -> None:
    assert len(STEP_FILES) == 3, STEP_FILES


@pytest.mark.parametrize("name", [p.name for p in STEP_FILES])
def test_each_shared_step_file_loads_with_the_bounds_opencascade_gives(name: str, tmp_path: Path) -> None:
    path = shutil.copy(STEP_DIR / name, tmp_path / name)
    result = load_mesh(path, cache_dir=tmp_path / ".twin-cache")
    assert not result.placeholder and result.warnings == []
    expected, faces = _direct_bounds(STEP_DIR / name)
    np.testing.assert_allclose(result.mesh.bounds, expected, atol=2e-6)
    assert 0 < result.mesh.triangle_count <= faces
    assert [p.name for p in result.parts] == [Path(name).stem]          # a single part keeps its product name
    assert (tmp_path / ".twin-cache" / "step").is_dir()


def test_units_come_from_the_file() -> None:
    """featuretype.STEP is drawn in inches: 5 in x 2.5 in x 1.375 in."""
    result = load_mesh(STEP_DIR / "featuretype.STEP")                  # no cache_dir: nothing written
    assert not (STEP_DIR / ".twin-cache").exists()
    np.testing.assert_allclose(result.mesh.size, [5 * 0.0254, 2.5 * 0.0254, 1.375 * 0.0254], atol=1e-6)


def test_a_cached_second_load_is_ten_times_faster_and_tessellates_nothing(tmp_path: Path) -> None:
    path = shutil.copy(STEP_DIR / "featuretype.STEP", tmp_path / "part.step")
    before = steptess.tessellations
    t0 = time.perf_counter()
    first = load_mesh(path, cache_dir=tmp_path / ".twin-cache")
    cold = time.perf_counter() - t0
    assert steptess.tessellations == before + 1
    clear_mesh_cache()                                   # forget the in-process copy: only the disk cache is left
    t0 = time.perf_counter()
    second = load_mesh(path, cache_dir=tmp_path / ".twin-cache")
    warm = time.perf_counter() - t0
    assert steptess.tessellations == before + 1, "the second load tessellated again"
    assert cold >= 10 * warm, (cold, warm)
    np.testing.assert_array_equal(first.mesh.vertices, second.mesh.vertices)
    np.testing.assert_array_equal(first.mesh.faces, second.mesh.faces)
    # the same bytes under another name in another folder share nothing but are found by content
    other = tmp_path / "copy"
    other.mkdir()
    shutil.copy(path, other / "renamed.stp")
    load_mesh(other / "renamed.stp", cache_dir=tmp_path / ".twin-cache")
    assert steptess.tessellations == before + 1


@pytest.mark.parametrize("damage", ["garbage", "truncated", "bit-flip", "empty"])
def test_a_corrupt_cache_entry_is_made_again_not_trusted(tmp_path: Path, damage: str) -> None:
    path = shutil.copy(STEP_DIR / "base_interface_AP214.STEP", tmp_path / "plate.step")
    cache = tmp_path / ".twin-cache"
    good = load_mesh(path, cache_dir=cache)
    [entry] = list((tmp_path / ".twin-cache" / "step").glob("*.npz"))
    data = entry.read_bytes()
    broken = {"garbage": b"not a cache entry" * 10, "truncated": data[: len(data) // 2], "empty": b"",
              "bit-flip": data[:200] + bytes([data[200] ^ 0xFF]) + data[201:]}[damage]
    entry.write_bytes(broken)
    clear_mesh_cache()
    before = steptess.tessellations
    again = load_mesh(path, cache_dir=cache)
    assert steptess.tessellations == before + 1
    assert not again.placeholder
    np.testing.assert_array_equal(good.mesh.vertices, again.mesh.vertices)
    assert entry.read_bytes() != broken                     # re-made in place
    clear_mesh_cache()
    load_mesh(path, cache_dir=cache)
    assert steptess.tessellations == before + 1             # and trusted again once whole


def _cut(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize("kind, make, reason", [
    ("truncated", _cut, "truncated STEP file"),
    ("cut-then-closed", lambda d: _cut(d) + b"\nENDSEC;\nEND-ISO-10303-21;\n", "OpenCASCADE could not read it"),
    ("garbage", lambda d: b"\x00\xffgarbage" * 500, "not a STEP file"),
    ("empty", lambda d: b"", "file is empty"),
    ("header-only", lambda d: b"ISO-10303-21;\nHEADER;\nENDSEC;\nDATA;\nENDSEC;\nEND-ISO-10303-21;\n",
     "OpenCASCADE could not read it"),
])
def test_a_broken_step_is_a_placeholder_with_a_reason(tmp_path: Path, kind: str, make, reason: str) -> None:
    path = tmp_path / f"{kind}.step"
    path.write_bytes(make((STEP_DIR / "featuretype.STEP").read_bytes()))
    result = load_mesh(path, fallback_size=(0.4, 0.7, 0.09))
    assert result.placeholder
    assert len(result.warnings) == 1 and result.warnings[0].startswith(f"{path}: ") and reason in result.warnings[0]
    np.testing.assert_allclose(result.mesh.size, [0.4, 0.7, 0.09], atol=1e-6)


def test_an_assembly_keeps_its_part_names_and_placements(tmp_path: Path) -> None:
    """Children in millimetres placed by translations: names, metres and positions survive."""
    children = [("rail-left", (0, 0, 0), (20, 1000, 2000)), ("tray-1", (20, 50, 100), (560, 900, 44.45)),
                ("tray-2", (20, 50, 144.45), (560, 900, 88.9))]
    path = write_box_assembly(tmp_path / "rack.step", "RACK", children)
    result = load_mesh(path)
    assert not result.placeholder, result.warnings
    parts = {p.name: p for p in result.parts}
    assert sorted(parts) == ["rail-left", "tray-1", "tray-2"]
    # the assembly spans x 0..580, y 0..1000, z 0..2000 mm: origin (290, 500, 0) mm
    origin = np.array([0.290, 0.500, 0.0])
    for name, at, size in children:
        lo = np.array(at) / 1000 - origin
        np.testing.assert_allclose(parts[name].lo, lo, atol=1e-6)
        np.testing.assert_allclose(parts[name].hi, lo + np.array(size) / 1000, atol=1e-6)
        assert parts[name].triangles == 12


def test_the_size_and_triangle_caps_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = shutil.copy(STEP_DIR / "featuretype.STEP", tmp_path / "part.step")
    monkeypatch.setitem(LIMITS, "mesh_file_bytes", Limit(10_000, "bytes in one binary mesh file"))
    big = load_mesh(path)
    assert big.placeholder and "over the limit of 10,000 bytes" in big.warnings[0]
    monkeypatch.undo()
    clear_mesh_cache()
    monkeypatch.setattr(meshload, "MAX_TRIANGLES", 500)
    capped = load_mesh(path)
    assert not capped.placeholder and capped.mesh.triangle_count <= 500
    assert any("decimated" in w for w in capped.warnings)
    clear_mesh_cache()
    monkeypatch.setitem(LIMITS, "triangles_per_mesh", Limit(100, "triangles in one mesh"))
    refused = load_mesh(tmp_path / "part.step", cache_dir=tmp_path / "other-cache")
    assert refused.placeholder and "tessellates to" in refused.warnings[0]


def test_a_sub_assembly_keeps_its_path_and_its_own_placement(tmp_path: Path) -> None:
    children = [("tray-asm", (100, 200, 300), [("chassis", (0, 0, 0), (400, 500, 40)), ("lid", (10, 0, 40), (380, 500, 3))])]
    result = load_mesh(write_box_assembly(tmp_path / "sub.step", "RACK", children), cache_dir=tmp_path / "c")
    parts = {p.name: p for p in result.parts}
    assert parts["lid"].path == ("RACK", "tray-asm", "lid") and parts["chassis"].path == ("RACK", "tray-asm", "chassis")
    # the assembly spans x 100..500, y 200..700, z 300..343 mm: its bottom centre (300, 450, 300) mm is the origin
    np.testing.assert_allclose(parts["lid"].lo, np.array([110 - 300, 200 - 450, 340 - 300]) / 1000, atol=1e-6)
    clear_mesh_cache()
    again = load_mesh(tmp_path / "sub.step", cache_dir=tmp_path / "c")  # paths survive the disk cache too
    assert [p.path for p in again.parts] == [p.path for p in result.parts]


def test_a_step_part_type_draws_in_a_design_and_caches_beside_it(pod_db: Path, tmp_path: Path) -> None:
    import sqlite3

    from twin.scene.meshes import type_meshes
    from twin.store import load_design

    folder = tmp_path / "design"
    (folder / "cad").mkdir(parents=True)
    db = Path(shutil.copy(pod_db, folder / "pod.twin.db"))
    shutil.copy(STEP_DIR / "featuretype.STEP", folder / "cad" / "tray.step")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE part_types SET mesh_path = 'cad/tray.step' WHERE name = 'gb200-compute-tray'")
    design = load_design(db)
    meshes, warnings = type_meshes(design)
    assert warnings == []
    i = int(np.flatnonzero(design.part_types.name == "gb200-compute-tray")[0])
    expected = load_mesh(folder / "cad" / "tray.step", cache_dir=tmp_path / "elsewhere").mesh.triangle_count
    assert meshes[i].triangle_count == expected
    np.testing.assert_allclose(meshes[i].size, design.part_types.size[i], rtol=1e-3)      # fitted to its slot
    assert list((folder / ".twin-cache" / "step").glob("*.npz"))                      # beside the design
