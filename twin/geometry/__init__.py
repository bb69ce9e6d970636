"""Geometry for twin: robust mesh loading and procedural part meshes (numpy + trimesh only).

All meshes share one frame: metres, Z up, X across the width, Y along the depth with the
front facing -Y, origin at the centre of the bottom face of the bounding box.
"""

from .meshload import (
    MAX_FILE_BYTES,
    MAX_INFLATED_BYTES,
    MESH_SUFFIXES,
    MeshLoad,
    MeshPart,
    clear_mesh_cache,
    is_mesh_file,
    load_mesh,
    placeholder_mesh,
)
from .mesh import Mesh, box_mesh, boxes_mesh, merge_meshes
from .parts import PART_KINDS, TYPICAL_SIZES, part_mesh

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_INFLATED_BYTES",
    "MESH_SUFFIXES",
    "PART_KINDS",
    "TYPICAL_SIZES",
    "Mesh",
    "MeshLoad",
    "MeshPart",
    "box_mesh",
    "boxes_mesh",
    "clear_mesh_cache",
    "is_mesh_file",
    "load_mesh",
    "merge_meshes",
    "mesh_to_glb_bytes",
    "part_mesh",
    "placeholder_mesh",
    "write_assets",
]


def __getattr__(name: str):
    # assets is imported lazily so `python -m twin.geometry.assets` runs without a double import
    if name in ("write_assets", "mesh_to_glb_bytes"):
        from . import assets

        return getattr(assets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
