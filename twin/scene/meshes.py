"""One mesh per part type, parsed once: the design's mesh file, or the procedural part.

A mesh is fitted to its part type's catalog size (the layout's truth), so vendor CAD in
any unit or origin still lands in its slot; problems become warnings and placeholders.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.geometry import Mesh, box_mesh, load_mesh, part_mesh
from twin.geometry.assets import bundled_asset_dir
from twin.geometry.instancing import fit_to_size
from twin.model import Design

ASSETS_DIR = bundled_asset_dir()


def resolve_mesh_path(mesh_path: str, design_source: Path) -> Path | None:
    """A mesh path as written in the catalog: absolute, next to the design file, or in assets/."""
    if not mesh_path:
        return None
    candidate = Path(mesh_path)
    if candidate.is_absolute():
        return candidate
    for base in (design_source.parent, ASSETS_DIR):
        if (base / candidate).exists():
            return base / candidate
    return design_source.parent / candidate


def type_meshes(design: Design) -> tuple[list[Mesh], list[str]]:
    """Fitted mesh for every part type (index = part type row) and the warnings met."""
    meshes, warnings = [], []
    pt = design.part_types
    for i in range(len(pt)):
        size = tuple(float(v) for v in pt.size[i])
        path = resolve_mesh_path(str(pt.mesh_path[i]), Path(design.source))
        if path is None:
            mesh = part_mesh(str(pt.kind[i]), size)
        else:
            result = load_mesh(path, str(pt.mesh_units[i]) or "m", fallback_size=size)
            warnings += [f"part type {pt.name[i]}: {w}" for w in result.warnings]
            mesh = result.mesh
        scale = fit_to_size(mesh, np.asarray(size))
        if not np.allclose(scale, 1.0, atol=1e-3):
            mesh = Mesh(mesh.vertices * scale.astype(np.float32), mesh.faces, mesh.face_colors)
        meshes.append(mesh)
    return meshes, warnings


def unit_box() -> Mesh:
    """A 1 m box with the bottom-centre origin, scaled per instance for box layers."""
    return box_mesh((1.0, 1.0, 1.0), (140, 140, 140))


def split_doors(mesh: Mesh, depth: float, thickness: float = 0.035) -> tuple[Mesh, Mesh]:
    """A rack mesh as (body, doors): faces within `thickness` of the front or rear plane.

    The scene draws doors translucent in close-ups so reviewers see the trays behind them.
    """
    centroid_y = mesh.vertices[mesh.faces].mean(axis=1)[:, 1]
    door = np.abs(centroid_y) > depth / 2 - thickness
    colors = mesh.face_colors

    def pick(mask: np.ndarray) -> Mesh:
        return Mesh(mesh.vertices, mesh.faces[mask], None if colors is None else colors[mask])

    return pick(~door), pick(door)
