"""One mesh per part type, parsed once: the design's mesh file, or the procedural part.

A mesh is fitted to its part type's catalog size (the layout's truth), so vendor CAD in
any unit or origin still lands in its slot; problems become warnings and placeholders.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from twin.geometry import Mesh, box_mesh, load_mesh, part_mesh
from twin.geometry.assetpath import AssetRefused, mesh_roots, resolve_contained
from twin.geometry.instancing import fit_to_size
from twin.geometry.meshload import UNIT_SCALES, placeholder_mesh
from twin.model import Design
from twin.model.limits import LIMITS, limit

log = logging.getLogger("twin.scene")


def type_meshes(design: Design) -> tuple[list[Mesh], list[str]]:
    """Fitted mesh for every part type (index = part type row) and the warnings met.

    Each part type stands alone: a refused path, a bad unit or a broken file gives that type
    a placeholder and one warning naming the table row, and the rest of the design renders.
    Once the design's meshes reach the scene's triangle limit, later types draw procedurally.
    """
    meshes, warnings, own = [], [], []      # own: warnings met here (the loader logs its own)
    pt = design.part_types
    roots = mesh_roots(design)
    cache = Path(design.source).resolve().parent / ".twin-cache"        # STEP tessellations, beside the design
    scene_left = int(limit("triangles_per_scene"))
    for i in range(len(pt)):
        size = tuple(float(v) for v in pt.size[i])
        where = f"{design.source}: table part_types, row id {int(pt.id[i])} ({pt.name[i]})"
        mesh_path, units = str(pt.mesh_path[i]), str(pt.mesh_units[i]) or "m"
        if not mesh_path:
            mesh = part_mesh(str(pt.kind[i]), size)
        elif units not in UNIT_SCALES:
            own.append(f"{where}: mesh_units is {units!r}, not one of {', '.join(UNIT_SCALES)}; "
                       "using a placeholder box")
            mesh = placeholder_mesh(size)
        else:
            try:
                path = resolve_contained(mesh_path, roots)
            except AssetRefused as exc:
                own.append(f"{where}: mesh {mesh_path!r}: {exc}; using a placeholder box")
                mesh = placeholder_mesh(size)
            else:
                result = load_mesh(path, units, fallback_size=size, cache_dir=cache)
                warnings += [f"{where}: mesh {mesh_path!r}: {_without_path(w, path)}" for w in result.warnings]
                mesh = result.mesh
            if mesh.triangle_count > scene_left:
                own.append(f"{where}: the design's meshes reach the limit of {LIMITS['triangles_per_scene'].text()}; "
                           "this part type is drawn as a simple shape")
                mesh = part_mesh(str(pt.kind[i]), size)
            scene_left -= mesh.triangle_count
        scale = fit_to_size(mesh, np.asarray(size))
        if not np.allclose(scale, 1.0, atol=1e-3):
            mesh = Mesh(mesh.vertices * scale.astype(np.float32), mesh.faces, mesh.face_colors)
        meshes.append(mesh)
        for message in own:
            log.warning(message)
        warnings += own
        own.clear()
    return meshes, warnings


def _without_path(warning: str, path: Path) -> str:
    """A loader warning without the resolved path in front (the row and the written path say where)."""
    prefix = f"{path}: "
    return warning[len(prefix):] if warning.startswith(prefix) else warning


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
