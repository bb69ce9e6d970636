"""Hostile and careless mesh assets: paths out of the design's folder, FIFOs, huge files.

Every fixture is made here: small meshes written with numpy, FIFOs with mkfifo, the
"500 MB" STL as a sparse file (its header declares ten million triangles; the disk holds
a few bytes). A mesh that may not be used becomes one placeholder with one warning that
reads the same whatever the reason, and the rest of the design still renders.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.support import time_limit
from twin.geometry import load_mesh
from twin.geometry.assetpath import REFUSED, AssetRefused, design_roots, resolve_contained
from twin.geometry.decimate import cluster_decimate
from twin.model.limits import LIMITS
from twin.scene.meshes import type_meshes
from twin.specs import build_design
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]
# Peak resident memory of the child itself. Not getrusage's ru_maxrss: Linux carries that over
# from the parent across fork and exec, so a child of a 1 GB pytest would report 1 GB.
PEAK = ("def peak_kb():\n    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n            return int(line.split()[1])\n")
TRAY = "gb200-compute-tray"


def stl_bytes(tris: np.ndarray) -> bytes:
    """Binary STL of (n, 3, 3) triangles."""
    dt = np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")])
    rows = np.zeros(len(tris), dt)
    rows["v"] = tris
    return b"twin test".ljust(80, b" ") + np.uint32(len(tris)).tobytes() + rows.tobytes()


def tetra() -> np.ndarray:
    p = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], float)
    return p[[[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]]]


@pytest.fixture
def design_dir(pod_db, tmp_path) -> Path:
    """A copy of the pod design in its own folder, with a good mesh inside and another outside."""
    folder = tmp_path / "design"
    folder.mkdir()
    shutil.copy(pod_db, folder / "pod.twin.db")
    (folder / "good.stl").write_bytes(stl_bytes(tetra()))
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.stl").write_bytes(stl_bytes(tetra()))
    return folder


def set_mesh(db: Path, name: str, mesh_path: str, units: str = "m") -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE part_types SET mesh_path = ?, mesh_units = ? WHERE name = ?", (mesh_path, units, name))


def tray_outcome(db: Path) -> tuple[bool, list[str]]:
    """(whether the tray type drew its own mesh, warnings about it) for the design at `db`."""
    design = load_design(db)
    meshes, warnings = type_meshes(design)
    i = int(np.flatnonzero(design.part_types.name == TRAY)[0])
    mine = [w for w in warnings if f"({TRAY})" in w]
    return meshes[i].triangle_count == 4, mine


# ----------------------------------------------------------------------------- containment
def test_a_mesh_inside_the_design_folder_loads(design_dir):
    db = design_dir / "pod.twin.db"
    set_mesh(db, TRAY, "good.stl")
    drawn, warnings = tray_outcome(db)
    assert drawn and not warnings


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink out", "missing", "etc passwd", "etc shadow"])
def test_paths_out_of_the_folder_are_refused_with_one_message(design_dir, kind):
    db = design_dir / "pod.twin.db"
    secret = design_dir.parent / "outside" / "secret.stl"
    if kind == "symlink out":
        (design_dir / "link.stl").symlink_to(secret)
    mesh_path = {"absolute": str(secret), "dotdot": "../outside/secret.stl", "symlink out": "link.stl",
                 "missing": "nothing-here.stl", "etc passwd": "../../../../../../../../etc/passwd",
                 "etc shadow": "/etc/shadow"}[kind]
    set_mesh(db, TRAY, mesh_path)
    drawn, warnings = tray_outcome(db)
    assert not drawn, "a mesh outside the design's folder was read"
    assert len(warnings) == 1
    # the same words whether the file exists (secret.stl, /etc/passwd) or not
    assert warnings[0] == (f"{db}: table part_types, row id {_type_id(db)} ({TRAY}): mesh {mesh_path!r}: "
                           f"{REFUSED}; using a placeholder box")


def _type_id(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id FROM part_types WHERE name = ?", (TRAY,)).fetchone()[0]


def test_symlink_that_stays_inside_is_followed(design_dir):
    (design_dir / "sub").mkdir()
    (design_dir / "sub" / "alias.stl").symlink_to(design_dir / "good.stl")
    assert resolve_contained("sub/alias.stl", [design_dir]) == (design_dir / "good.stl").resolve()


def test_a_folder_or_fifo_named_as_mesh_is_refused(design_dir):
    os.mkfifo(design_dir / "pipe.stl")
    (design_dir / "dir.stl").mkdir()
    for name in ("pipe.stl", "dir.stl", "", "a/../good.stl", "~/good.stl", "C:/x.stl"):
        with pytest.raises(AssetRefused, match="not found or not allowed"):
            resolve_contained(name, [design_dir])


def test_load_mesh_on_a_fifo_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.glb"
    os.mkfifo(fifo)
    with time_limit(10):
        result = load_mesh(fifo)
    assert result.placeholder and REFUSED in result.warnings[0]


def test_spec_folder_counts_only_while_it_holds_the_spec(tmp_path):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "hall.toml").write_text("")
    roots = design_roots(tmp_path / "build" / "x.twin.db", str(tmp_path / "spec"), "hall.toml")
    assert tmp_path / "spec" in roots
    # an edited design file cannot make /etc a mesh folder
    assert Path("/etc") not in design_roots(tmp_path / "x.twin.db", "/etc", "passwd")
    assert Path("/etc") not in design_roots(tmp_path / "x.twin.db", "/etc", "nothing.toml")


# ----------------------------------------------------------------------------- side files
def _gltf_with_buffer(folder: Path, uri: str) -> Path:
    """A one-triangle glTF whose vertex buffer lives in the side file `uri`."""
    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]], np.float32).tobytes()
    doc = {"asset": {"version": "2.0"}, "scene": 0, "scenes": [{"nodes": [0]}], "nodes": [{"mesh": 0}],
           "meshes": [{"primitives": [{"attributes": {"POSITION": 0}}]}],
           "accessors": [{"bufferView": 0, "componentType": 5126, "count": 3, "type": "VEC3",
                          "min": [0, 0, 0], "max": [1, 1, 0]}],
           "bufferViews": [{"buffer": 0, "byteLength": len(verts)}],
           "buffers": [{"uri": uri, "byteLength": len(verts)}]}
    path = folder / f"model-{len(list(folder.iterdir()))}.gltf"
    path.write_text(json.dumps(doc))
    if "/" not in uri and not (folder / uri).exists():
        (folder / uri).write_bytes(verts)
    return path


def test_gltf_buffer_beside_it_loads(tmp_path):
    result = load_mesh(_gltf_with_buffer(tmp_path, "tri.bin"))
    assert not result.placeholder and result.mesh.triangle_count == 1


@pytest.mark.parametrize("uri", ["fifo.bin", "../outside.bin", "/etc/passwd", "/dev/zero"])
def test_gltf_buffer_that_is_a_fifo_or_outside_is_refused_without_hanging(tmp_path, uri):
    folder = tmp_path / "m"
    folder.mkdir()
    if uri == "fifo.bin":
        os.mkfifo(folder / uri)
    (tmp_path / "outside.bin").write_bytes(np.zeros(9, np.float32).tobytes())
    with time_limit(10):
        result = load_mesh(_gltf_with_buffer(folder, uri))
    assert result.placeholder
    assert len(result.warnings) == 1


def test_obj_mtllib_fifo_is_skipped_and_the_geometry_kept(tmp_path):
    os.mkfifo(tmp_path / "materials.mtl")
    path = tmp_path / "part.obj"
    path.write_text("mtllib materials.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
    with time_limit(10):
        result = load_mesh(path)
    assert not result.placeholder and result.mesh.triangle_count == 1
    assert any("materials.mtl" in w and REFUSED in w for w in result.warnings)


# ----------------------------------------------------------------------------- bounded loading
def test_500mb_stl_is_refused_from_its_header_in_little_memory(tmp_path):
    """The issue's case (4.5 GB to export): a sparse 500 MB STL declaring 10 M triangles."""
    path = tmp_path / "huge.stl"
    n = 10_000_000
    with path.open("wb") as fh:
        fh.write(b"x" * 80 + np.uint32(n).tobytes())
        fh.truncate(84 + 50 * n)
    assert path.stat().st_size == 500_000_084
    code = (PEAK + "from twin.geometry import load_mesh\n"
            f"r = load_mesh({str(path)!r})\nprint(r.placeholder)\nprint(r.warnings[0])\n"
            "print(peak_kb())\n")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-500:]
    placeholder, warning, rss_kb = done.stdout.strip().splitlines()[-3:]
    assert placeholder == "True"
    assert "over the limit" in warning   # over the file cap (256 MB) before it is read
    assert int(rss_kb) < 500 * 1024, f"peak RSS {int(rss_kb) // 1024} MB"
    assert time.perf_counter() - start < 30


def test_stl_declaring_too_many_triangles_is_refused_before_parsing(tmp_path):
    n = int(LIMITS["triangles_per_mesh"].value) + 1
    path = tmp_path / "dense.stl"
    with path.open("wb") as fh:
        fh.write(b"x" * 80 + np.uint32(n).tobytes())
        fh.truncate(84 + 50 * n)                   # sparse: about 100 MB on paper
    start = time.perf_counter()
    result = load_mesh(path)
    assert time.perf_counter() - start < 5
    assert result.placeholder and f"{n:,} triangles" in result.warnings[0]


def test_text_mesh_over_its_byte_limit_is_refused(tmp_path):
    path = tmp_path / "big.obj"
    with path.open("wb") as fh:
        fh.write(b"v 0 0 0\n")
        fh.truncate(int(LIMITS["mesh_text_bytes"].value) + 1)
    result = load_mesh(path)
    assert result.placeholder and "text mesh file" in result.warnings[0]


def test_glb_over_the_triangle_limit_is_decimated_with_a_warning(tmp_path):
    import trimesh

    side = 1025                                     # a 1024 x 1024 grid: 2,097,152 triangles
    xs, ys = np.meshgrid(np.linspace(0, 1, side), np.linspace(0, 1, side))
    verts = np.column_stack([xs.ravel(), ys.ravel(), 0.05 * np.sin(8 * xs.ravel())])
    ij = np.arange(side * side).reshape(side, side)[:-1, :-1].ravel()
    faces = np.concatenate([np.column_stack([ij, ij + 1, ij + side]), np.column_stack([ij + 1, ij + side + 1, ij + side])])
    path = tmp_path / "dense.glb"
    path.write_bytes(trimesh.Trimesh(verts, faces, process=False).export(file_type="glb"))
    result = load_mesh(path)
    assert not result.placeholder
    assert 0 < result.mesh.triangle_count <= LIMITS["triangles_per_mesh"].value
    assert any("decimated" in w and "2,097,152" in w for w in result.warnings)
    # the silhouette survives: same footprint within a grid cell
    np.testing.assert_allclose(result.mesh.size[:2], [1.0, 0.1], atol=0.02)


def test_cluster_decimate_keeps_the_shape():
    import trimesh

    sphere = trimesh.creation.icosphere(subdivisions=5)          # 20,480 triangles
    verts, faces, colors = cluster_decimate(np.asarray(sphere.vertices), np.asarray(sphere.faces),
                                            np.zeros((len(sphere.faces), 3), np.uint8), 2000)
    assert 100 < len(faces) <= 2000 and len(colors) == len(faces)
    np.testing.assert_allclose(verts.min(axis=0), -1, atol=0.1)
    np.testing.assert_allclose(verts.max(axis=0), 1, atol=0.1)
    assert faces.max() < len(verts)


# ----------------------------------------------------------------------------- isolation
def test_one_bad_asset_is_one_placeholder_and_the_export_goes_on(design_dir, tmp_path):
    db = design_dir / "pod.twin.db"
    set_mesh(db, TRAY, "x" * 300 + ".stl")                                  # a name over 255 bytes
    set_mesh(db, "nvlink5-switch-tray", "good.stl", units="furlong")        # a unit twin does not know
    out = tmp_path / "pod.png"
    done = subprocess.run([sys.executable, "-m", "twin", "export", "image", str(db), "-o", str(out),
                           "--size", "320x240", "--view", "rack:A01"],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert done.returncode == 0, done.stderr[-800:]
    assert out.stat().st_size > 1000
    warnings = [line for line in done.stderr.splitlines() if line.startswith("twin: warning: ")]
    assert any("(gb200-compute-tray)" in w and "not found or not allowed" in w for w in warnings), done.stderr
    assert any("(nvlink5-switch-tray)" in w and "mesh_units is 'furlong'" in w for w in warnings), done.stderr
    assert "Traceback" not in done.stderr


def test_build_reports_missing_meshes_and_keeps_meshes_beside_the_spec(tmp_path):
    """`-o build/…` must not lose a mesh kept beside the spec; a missing one is named at build time."""
    spec_dir = tmp_path / "specs"
    spec_dir.mkdir()
    (spec_dir / "vendor").mkdir()
    (spec_dir / "vendor" / "tray.stl").write_bytes(stl_bytes(tetra()))
    text = (REPO / "scenes" / "nvl72-pod.toml").read_text()
    text += f'\n[part_types.{TRAY}]\nkind = "compute_tray"\nsupplier = "foxconn-mx"\nsize = [0.537, 0.9, 0.046]\n' \
            'u_height = 1\nmesh = "vendor/tray.stl"\nports = [ { name = "osfp", kind = "osfp-800g", count = 4 }, ' \
            '{ name = "bmc", kind = "rj45" }, { name = "cs", kind = "coolant" }, { name = "cr", kind = "coolant" } ]\n' \
            '[part_types.nvlink5-switch-tray]\nkind = "switch_tray"\nsupplier = "foxconn-mx"\n' \
            'size = [0.537, 0.9, 0.046]\nu_height = 1\nmesh = "vendor/missing.glb"\n' \
            'ports = [ { name = "mgmt", kind = "rj45" } ]\n'
    spec = spec_dir / "pod.toml"
    spec.write_text(text)
    out = tmp_path / "build" / "pod.twin.db"
    summary = build_design(spec, out)
    missing = [w for w in summary.warnings if "missing.glb" in w]
    assert len(missing) == 1 and "part_types.nvlink5-switch-tray.mesh" in missing[0] and str(spec) in missing[0]
    assert not any("tray.stl" in w for w in summary.warnings)
    drawn, warnings = tray_outcome(out)
    assert drawn and not warnings
