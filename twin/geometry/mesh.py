"""A triangle mesh with per-face colours, and the box primitives every procedural part is built from.

Numpy only: a `Mesh` is vertices, faces and optional face colours; boxes are made many at
once so a part of hundreds of boxes costs one array operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

Color = tuple[int, int, int]
#: Face colour of meshes merged without colours of their own.
GREY = (128, 128, 128)


@dataclass(frozen=True, eq=False)
class Mesh:
    """A triangle mesh: float32 (n,3) vertices, int32 (m,3) faces, optional uint8 (m,3) RGB per face."""

    vertices: np.ndarray
    faces: np.ndarray
    face_colors: np.ndarray | None = None

    def __post_init__(self) -> None:
        v = np.ascontiguousarray(self.vertices, dtype=np.float32).reshape(-1, 3)
        f = np.ascontiguousarray(self.faces, dtype=np.int32).reshape(-1, 3)
        object.__setattr__(self, "vertices", v)
        object.__setattr__(self, "faces", f)
        if self.face_colors is not None:
            c = np.ascontiguousarray(self.face_colors, dtype=np.uint8).reshape(-1, 3)
            if len(c) != len(f):
                raise ValueError(f"face_colors has {len(c)} rows for {len(f)} faces")
            object.__setattr__(self, "face_colors", c)
        for arr in (self.vertices, self.faces, self.face_colors):
            if arr is not None:
                arr.flags.writeable = False

    @property
    def bounds(self) -> np.ndarray:
        """(2,3) array: row 0 the minimum corner, row 1 the maximum corner (zeros if empty)."""
        if len(self.vertices) == 0:
            return np.zeros((2, 3), dtype=np.float64)
        v = self.vertices.astype(np.float64)
        return np.array([v.min(axis=0), v.max(axis=0)])

    @property
    def size(self) -> np.ndarray:
        """Extent of the bounding box along (x, y, z)."""
        b = self.bounds
        return b[1] - b[0]

    @property
    def triangle_count(self) -> int:
        return int(len(self.faces))


# --------------------------------------------------------------------------- palette


_CORNERS = np.array([[(i >> 0) & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], dtype=np.float64)
_QUADS = np.array(
    [
        [0, 2, 3, 1],  # -Z
        [4, 5, 7, 6],  # +Z
        [0, 1, 5, 4],  # -Y (front)
        [2, 6, 7, 3],  # +Y (rear)
        [0, 4, 6, 2],  # -X
        [1, 3, 7, 5],  # +X
    ]
)
_BOX_FACES = np.concatenate([_QUADS[:, [0, 1, 2]], _QUADS[:, [0, 2, 3]]], axis=0)  # (12,3)


def boxes_mesh(mins: np.ndarray, maxs: np.ndarray, colors: np.ndarray | None = None) -> Mesh:
    """Build N axis-aligned boxes at once: mins/maxs (N,3), colors (N,3) uint8 or None."""
    mins = np.asarray(mins, dtype=np.float64).reshape(-1, 3)
    maxs = np.asarray(maxs, dtype=np.float64).reshape(-1, 3)
    lo = np.minimum(mins, maxs)
    hi = np.maximum(mins, maxs)
    n = len(lo)
    verts = lo[:, None, :] + _CORNERS[None, :, :] * (hi - lo)[:, None, :]  # (N,8,3)
    faces = _BOX_FACES[None, :, :] + (np.arange(n) * 8)[:, None, None]  # (N,12,3)
    fc = None
    if colors is not None:
        col = np.asarray(colors, dtype=np.uint8).reshape(-1, 3)
        if len(col) == 1 and n > 1:
            col = np.repeat(col, n, axis=0)
        fc = np.repeat(col, 12, axis=0)
    return Mesh(verts.reshape(-1, 3), faces.reshape(-1, 3), fc)


def box_mesh(size: Sequence[float], color: Color | None = None) -> Mesh:
    """A single box of size (w, d, h) with the origin at the centre of its bottom face (12 triangles)."""
    w, d, h = (float(s) for s in size)
    return boxes_mesh(
        np.array([[-w / 2, -d / 2, 0.0]]),
        np.array([[w / 2, d / 2, h]]),
        None if color is None else np.array([color]),
    )


def merge_meshes(meshes: Sequence[Mesh]) -> Mesh:
    """Concatenate meshes into one; colours are kept when every input has them (grey fills gaps otherwise)."""
    meshes = [m for m in meshes if m.triangle_count]
    if not meshes:
        return Mesh(np.zeros((0, 3)), np.zeros((0, 3)), None)
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    verts = np.concatenate([m.vertices for m in meshes])
    faces = np.concatenate([m.faces + o for m, o in zip(meshes, offsets)])
    colors = None
    if any(m.face_colors is not None for m in meshes):
        colors = np.concatenate(
            [
                m.face_colors if m.face_colors is not None else np.tile(np.array(GREY, np.uint8), (m.triangle_count, 1))
                for m in meshes
            ]
        )
    return Mesh(verts, faces, colors)
