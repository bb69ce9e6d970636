"""Write the procedural part meshes to assets/<kind>.glb.

The bundled GLB files let the viewer (and anyone opening them in a glTF viewer) use the
same geometry that parts.py builds. glTF is Y-up, so vertices are turned Z-up -> Y-up on
export; load_mesh turns them back, giving the procedural mesh again. Per-face colours are
stored as glTF vertex colours (COLOR_0), splitting vertices where a corner is shared by
faces of different colours so nothing bleeds.

Run `python -m twin.geometry.assets [OUT_DIR]` to regenerate (default: <repo>/assets).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .meshload import Y_UP_TO_Z_UP
from .mesh import Mesh
from .parts import TYPICAL_SIZES, part_mesh

_PACKAGE_DIR = Path(__file__).resolve().parents[1]


def bundled_asset_dir() -> Path:
    """The folder of the part meshes that ship with twin.

    An installed twin carries them inside the package (twin/assets, mapped from the
    repository's top-level assets/ folder by setup.py); a source checkout or an editable
    install reads the top-level assets/ folder itself.
    """
    installed = _PACKAGE_DIR / "assets"
    return installed if installed.is_dir() else _PACKAGE_DIR.parent / "assets"


DEFAULT_ASSET_DIR = bundled_asset_dir()


def mesh_to_glb_bytes(mesh: Mesh) -> bytes:
    """Encode a twin Mesh (Z-up) as a Y-up GLB with its face colours as vertex colours."""
    import trimesh

    verts = mesh.vertices.astype(np.float64)
    faces = mesh.faces.astype(np.int64)
    colors = mesh.face_colors
    vertex_colors = None
    if colors is not None:
        vc = np.zeros((len(verts), 3), dtype=np.uint8)
        vc[faces] = colors[:, None, :]
        if not np.array_equal(vc[faces], np.broadcast_to(colors[:, None, :], faces.shape + (3,))):
            # a vertex is shared by faces of different colours: give every face its own corners
            verts = verts[faces.reshape(-1)]
            faces = np.arange(len(verts)).reshape(-1, 3)
            vc = np.repeat(colors, 3, axis=0)
        alpha = np.full((len(vc), 1), 255, dtype=np.uint8)
        vertex_colors = np.hstack([vc, alpha])
    y_up = verts @ np.linalg.inv(Y_UP_TO_Z_UP).T
    tm = trimesh.Trimesh(vertices=y_up, faces=faces, vertex_colors=vertex_colors, process=False)
    return tm.export(file_type="glb")


def write_assets(out_dir: str | Path | None = None) -> list[Path]:
    """Write <kind>.glb for every procedural part kind at its typical size; returns the paths written."""
    out = Path(out_dir) if out_dir is not None else DEFAULT_ASSET_DIR
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for kind, size in TYPICAL_SIZES.items():
        path = out / f"{kind}.glb"
        data = mesh_to_glb_bytes(part_mesh(kind, size))
        tmp = path.with_suffix(".glb.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else DEFAULT_ASSET_DIR
    for path in write_assets(out):
        kind = path.stem
        mesh = part_mesh(kind, TYPICAL_SIZES[kind])
        w, d, h = TYPICAL_SIZES[kind]
        print(f"{path}  {mesh.triangle_count} triangles  {w:.3f} x {d:.3f} x {h:.3f} m  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
