"""Tests for twin.geometry: loading real-world (and broken) mesh files, procedural parts, assets."""

from __future__ import annotations

import json
import os
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

_REPO = Path(__file__).resolve().parents[1]
if str(_REPO) not in sys.path:  # run straight from a checkout, installed or not
    sys.path.insert(0, str(_REPO))

from tests.support import time_limit  # noqa: E402
from twin.geometry import (  # noqa: E402
    MAX_INFLATED_BYTES,
    MESH_SUFFIXES,
    PART_KINDS,
    TYPICAL_SIZES,
    Mesh,
    box_mesh,
    clear_mesh_cache,
    load_mesh,
    merge_meshes,
    part_mesh,
    write_assets,
)

SHARED_DATA = Path(os.environ.get("TWIN_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))
MESH_DIR = SHARED_DATA / "meshes"
TRIMESH_MODELS = MESH_DIR / "trimesh-models"
VALIDATOR_GLB = MESH_DIR / "gltf-validator-tests" / "glb"

LOAD_TIME_LIMIT_S = 20


def _corpus_files() -> list[Path]:
    if not MESH_DIR.is_dir():
        return []
    return sorted(p for p in MESH_DIR.rglob("*") if p.is_file() and p.suffix.lower() in MESH_SUFFIXES)


CORPUS = _corpus_files()


def _require_corpus() -> None:
    if not MESH_DIR.is_dir():
        pytest.fail(
            f"shared mesh corpus not found at {MESH_DIR}; set TWIN_SHARED_DATA to the folder holding meshes/",
            pytrace=False,
        )


def _load(path, **kw):
    with time_limit(LOAD_TIME_LIMIT_S):
        return load_mesh(path, **kw)


def _assert_placeholder(result, path) -> None:
    assert result.placeholder
    assert len(result.warnings) == 1, result.warnings
    assert str(path) in result.warnings[0]
    assert result.mesh.triangle_count == 12


def _assert_bottom_centred(mesh: Mesh) -> None:
    lo, hi = mesh.bounds
    assert abs(lo[0] + hi[0]) < 1e-5 and abs(lo[1] + hi[1]) < 1e-5 and abs(lo[2]) < 1e-6


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_mesh_cache()
    yield
    clear_mesh_cache()


# --------------------------------------------------------------------------- corpus


def test_corpus_present():
    _require_corpus()
    assert len(CORPUS) > 50, f"expected the full mesh corpus under {MESH_DIR}, found {len(CORPUS)} files"


@pytest.mark.parametrize(
    "path", CORPUS or [MESH_DIR / "<corpus missing>"], ids=lambda p: str(p.relative_to(MESH_DIR)) if CORPUS else "missing"
)
def test_corpus_file_loads_or_is_placeholder(path: Path):
    _require_corpus()
    result = _load(path)
    assert result.source == path
    mesh = result.mesh
    assert mesh.vertices.dtype == np.float32 and mesh.faces.dtype == np.int32
    assert np.isfinite(mesh.vertices).all()
    assert mesh.faces.min() >= 0 and mesh.faces.max() < len(mesh.vertices)
    if mesh.face_colors is not None:
        assert mesh.face_colors.shape == (mesh.triangle_count, 3) and mesh.face_colors.dtype == np.uint8
    if result.placeholder:
        _assert_placeholder(result, path)
    else:
        assert mesh.triangle_count > 0
        _assert_bottom_centred(mesh)
        assert all(str(path) in w for w in result.warnings)


def _validator_reports() -> list[Path]:
    return sorted(VALIDATOR_GLB.glob("*.glb.report.json")) if VALIDATOR_GLB.is_dir() else []


@pytest.mark.parametrize("report", _validator_reports() or [VALIDATOR_GLB / "<missing>"], ids=lambda p: p.name)
def test_gltf_validator_glb_cases(report: Path):
    _require_corpus()
    assert VALIDATOR_GLB.is_dir(), f"missing {VALIDATOR_GLB}"
    glb = report.with_name(report.name[: -len(".report.json")])
    issues = json.loads(report.read_text())["issues"]
    result = _load(glb)
    if issues["numErrors"] > 0:
        # structurally broken containers carry no usable mesh: a placeholder, never an exception
        _assert_placeholder(result, glb)
    elif result.placeholder:
        # valid.glb and friends may legitimately hold no geometry at all
        _assert_placeholder(result, glb)


# --------------------------------------------------------------------------- known cases


def test_empty_stl_is_placeholder_with_reason():
    _require_corpus()
    path = TRIMESH_MODELS / "empty.stl"
    r = _load(path)
    _assert_placeholder(r, path)
    assert "no triangle" in r.warnings[0] or "empty" in r.warnings[0]


def test_point_cloud_ply_is_placeholder():
    _require_corpus()
    path = TRIMESH_MODELS / "points_ascii.ply"
    r = _load(path)
    _assert_placeholder(r, path)
    assert "point cloud" in r.warnings[0] and "no triangles" in r.warnings[0]


def test_wireframe_obj_reports_lines():
    _require_corpus()
    path = TRIMESH_MODELS / "emptyIO" / "obj_wireframe.obj"
    r = _load(path)
    _assert_placeholder(r, path)
    assert "lines only" in r.warnings[0]


def test_unit_cube_stl():
    _require_corpus()
    import trimesh

    path = TRIMESH_MODELS / "unit_cube.STL"
    r = _load(path)
    assert not r.placeholder and r.warnings == []
    assert r.mesh.triangle_count == 12
    real = trimesh.load(str(path))
    np.testing.assert_allclose(r.mesh.size, real.bounds[1] - real.bounds[0], atol=1e-6)
    _assert_bottom_centred(r.mesh)


def test_glb_is_rotated_to_z_up():
    _require_corpus()
    import trimesh

    path = TRIMESH_MODELS / "Duck.glb"
    r = _load(path)
    scene = trimesh.load(str(path))
    ext = scene.bounds[1] - scene.bounds[0]  # glTF Y-up extents
    np.testing.assert_allclose(r.mesh.size, [ext[0], ext[2], ext[1]], rtol=1e-5, atol=1e-6)


def test_missing_file_is_placeholder(tmp_path):
    path = tmp_path / "nope.glb"
    r = _load(path, fallback_size=(0.6, 1.2, 2.0))
    _assert_placeholder(r, path)
    assert "not found" in r.warnings[0]
    np.testing.assert_allclose(r.mesh.size, [0.6, 1.2, 2.0], atol=1e-6)
    _assert_bottom_centred(r.mesh)


def test_default_placeholder_is_10cm_cube(tmp_path):
    r = _load(tmp_path / "missing.stl")
    np.testing.assert_allclose(r.mesh.size, [0.1, 0.1, 0.1], atol=1e-6)


def test_text_renamed_glb_is_placeholder(tmp_path):
    path = tmp_path / "notes.glb"
    path.write_text("this is not a mesh, just some notes\n" * 20)
    _assert_placeholder(_load(path), path)
    jpath = tmp_path / "data.glb"
    jpath.write_text(json.dumps({"asset": {"version": "2.0"}}))
    _assert_placeholder(_load(jpath), jpath)


def test_image_renamed_mesh_is_placeholder(tmp_path):
    _require_corpus()
    data = (TRIMESH_MODELS / "fuze uv.jpg").read_bytes()
    for suffix in (".glb", ".stl", ".ply", ".obj", ".off"):
        path = tmp_path / f"picture{suffix}"
        path.write_bytes(data)
        _assert_placeholder(_load(path), path)


def test_empty_file_is_placeholder(tmp_path):
    path = tmp_path / "zero.stl"
    path.write_bytes(b"")
    r = _load(path)
    _assert_placeholder(r, path)
    assert "empty" in r.warnings[0]


def test_zip_bomb_3mf_refused(tmp_path):
    path = tmp_path / "bomb.3mf"
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("3D/3dmodel.model", "w", force_zip64=True) as fh:
            for _ in range(300):
                fh.write(chunk)
    assert path.stat().st_size < 5 * 1024 * 1024
    start = time.perf_counter()
    r = _load(path)
    assert time.perf_counter() - start < 2.0
    _assert_placeholder(r, path)
    assert "inflate cap" in r.warnings[0]
    assert str(MAX_INFLATED_BYTES) in r.warnings[0]


def test_zip_signature_with_other_suffix_is_checked(tmp_path):
    path = tmp_path / "packed.glb"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("a.txt", "hello")
    r = _load(path)
    _assert_placeholder(r, path)


def test_bad_faces_are_dropped_with_warning(tmp_path):
    path = tmp_path / "bad.ply"
    path.write_text(
        "ply\nformat ascii 1.0\nelement vertex 4\nproperty float x\nproperty float y\nproperty float z\n"
        "element face 3\nproperty list uchar int vertex_indices\nend_header\n"
        "0 0 0\n1 0 0\n0 1 0\nnan 0 1\n3 0 1 2\n3 0 1 3\n3 0 1 9\n"
    )
    r = _load(path)
    assert not r.placeholder
    assert r.mesh.triangle_count == 1
    assert any("out of range" in w for w in r.warnings)
    assert any("NaN" in w for w in r.warnings)
    assert np.isfinite(r.mesh.vertices).all()


def test_obj_with_out_of_range_index_keeps_good_faces(tmp_path):
    path = tmp_path / "oor.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\nf 1 2 3\nf 1 2 4\nf 1 2 9\n")
    r = _load(path)
    assert not r.placeholder
    assert r.mesh.triangle_count == 2
    assert any("out of range" in w and str(path) in w for w in r.warnings)


def test_all_nan_is_placeholder(tmp_path):
    path = tmp_path / "nan.obj"
    path.write_text("v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    r = _load(path)
    _assert_placeholder(r, path)


def test_optional_loader_dependency_named():
    _require_corpus()
    import importlib.util

    path = TRIMESH_MODELS / "duck.dae"
    r = _load(path)
    if importlib.util.find_spec("collada") is None:
        _assert_placeholder(r, path)
        assert "pycollada" in r.warnings[0]
    else:
        assert not r.placeholder


def test_mm_units_scale(tmp_path):
    _require_corpus()
    path = TRIMESH_MODELS / "20mm-xyz-cube.stl"
    r_m = _load(path)
    r_mm = _load(path, units="mm")
    np.testing.assert_allclose(r_mm.mesh.size, r_m.mesh.size * 0.001, rtol=1e-5)
    np.testing.assert_allclose(r_mm.mesh.size, [0.02, 0.02, 0.02], atol=1e-4)


def test_unknown_units_raise():
    with pytest.raises(ValueError, match="furlong"):
        load_mesh("whatever.stl", units="furlong")


def test_cache_hit_and_invalidation(tmp_path):
    path = tmp_path / "tri.obj"
    path.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    first = _load(path)
    assert _load(path) is first
    assert _load(path, units="mm") is not first
    path.write_text("v 0 0 0\nv 2 0 0\nv 0 2 0\nv 0 0 2\nf 1 2 3\nf 1 2 4\n")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))
    second = _load(path)
    assert second is not first
    assert second.mesh.triangle_count == 2
    clear_mesh_cache()
    assert _load(path) is not second


def test_mesh_dataclass():
    m = box_mesh((1.0, 2.0, 3.0), (10, 20, 30))
    assert m.triangle_count == 12
    np.testing.assert_allclose(m.bounds, [[-0.5, -1.0, 0.0], [0.5, 1.0, 3.0]])
    assert m.face_colors.shape == (12, 3)
    with pytest.raises(ValueError, match="read-only"):
        m.vertices[0, 0] = 5.0  # read-only arrays keep the frozen dataclass honest
    both = merge_meshes([m, box_mesh((1, 1, 1))])
    assert both.triangle_count == 24 and both.face_colors.shape == (24, 3)


def test_box_winding_outward():
    import trimesh

    m = box_mesh((1.0, 2.0, 3.0))
    tm = trimesh.Trimesh(m.vertices, m.faces, process=False)
    assert tm.is_watertight and tm.is_winding_consistent
    assert tm.volume == pytest.approx(6.0, rel=1e-6)


# --------------------------------------------------------------------------- procedural parts

BUDGETS = {"rack": 3000, "compute_tray": 1500, "switch_tray": 2000}


@pytest.mark.parametrize("kind", PART_KINDS)
@pytest.mark.parametrize("scale", [1.0, 1.37])
def test_part_mesh(kind: str, scale: float):
    size = tuple(s * scale for s in TYPICAL_SIZES[kind])
    m = part_mesh(kind, size)
    assert m.triangle_count > 0
    assert np.isfinite(m.vertices).all()
    assert m.faces.max() < len(m.vertices)
    w, d, h = size
    np.testing.assert_allclose(m.bounds, [[-w / 2, -d / 2, 0.0], [w / 2, d / 2, h]], atol=0.002)
    assert m.triangle_count <= BUDGETS.get(kind, 5000)
    assert m.face_colors is not None and m.face_colors.shape == (m.triangle_count, 3)
    assert len(np.unique(m.face_colors, axis=0)) >= (1 if kind == "wall" else 2)


def test_tray_front_features_face_minus_y():
    m = part_mesh("compute_tray", TYPICAL_SIZES["compute_tray"])
    centroids = m.vertices[m.faces].mean(axis=1)
    green = np.all(m.face_colors == np.array([40, 190, 80], dtype=np.uint8), axis=1)
    assert green.any()
    assert centroids[green, 1].max() < -0.4  # the LED sits on the front bezel


def test_unknown_kind_is_grey_box():
    m = part_mesh("mystery_widget", (1.0, 2.0, 0.5))
    assert m.triangle_count == 12
    assert len(np.unique(m.face_colors, axis=0)) == 1


def test_bad_size_raises():
    with pytest.raises(ValueError):
        part_mesh("rack", (0.6, -1.0, 2.0))


# --------------------------------------------------------------------------- assets


def test_assets_round_trip(tmp_path):
    paths = write_assets(tmp_path)
    assert {p.stem for p in paths} == set(PART_KINDS)
    for path in paths:
        assert path.stat().st_size < 300 * 1024
        r = _load(path)
        assert not r.placeholder, r.warnings
        ref = part_mesh(path.stem, TYPICAL_SIZES[path.stem])
        np.testing.assert_allclose(r.mesh.bounds, ref.bounds, atol=1e-4)
        assert r.mesh.triangle_count == ref.triangle_count
        assert r.mesh.face_colors is not None
        assert {tuple(c) for c in r.mesh.face_colors} == {tuple(c) for c in ref.face_colors}


def test_bundled_assets_present():
    assets = Path(__file__).resolve().parents[1] / "assets"
    for kind in PART_KINDS:
        path = assets / f"{kind}.glb"
        assert path.is_file(), f"{path} missing: run python -m twin.geometry.assets"
        r = _load(path)
        assert not r.placeholder
        np.testing.assert_allclose(r.mesh.bounds, part_mesh(kind, TYPICAL_SIZES[kind]).bounds, atol=1e-4)
