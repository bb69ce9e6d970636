"""Place one mesh at many positions at once: the batching behind one-actor-per-layer.

A layer of the scene is one merged triangle array plus, for every triangle, the index of
the part it belongs to; colouring a layer is then a single gather. Everything here is
numpy on whole arrays, so placing 80,000 parts costs milliseconds, not a Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.geometry.mesh import Mesh
from twin.model.transform import rotate_yaw, yawed_box_half_extent


@dataclass
class Batch:
    """Merged triangles: float32 (n,3) points, int64 (m,3) faces, per-face part index and RGB."""

    points: np.ndarray
    faces: np.ndarray
    face_part: np.ndarray
    face_rgb: np.ndarray

    @staticmethod
    def empty() -> "Batch":
        return Batch(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int64), np.zeros(0, np.int64),
                     np.zeros((0, 3), np.uint8))

    @property
    def triangle_count(self) -> int:
        return len(self.faces)

    def subset(self, faces: np.ndarray) -> "Batch":
        """The given faces only, with just the points they use."""
        used, inverse = np.unique(self.faces[faces], return_inverse=True)
        return Batch(self.points[used], inverse.reshape(-1, 3).astype(np.int64), self.face_part[faces],
                     self.face_rgb[faces])

    def spatial_chunks(self, cell_m: float) -> list[np.ndarray]:
        """Face indices grouped by the square XY cell their centroid falls in.

        A renderer culls whole actors outside the view, so one actor per cell lets a
        close-up skip most of a hall while an overview still draws few actors.
        """
        if self.triangle_count == 0:
            return []
        centroid = self.points[self.faces[:, 0], :2].astype(np.float64)
        cell = np.floor(centroid / cell_m).astype(np.int64)
        key = (cell[:, 0] - cell[:, 0].min()) * (cell[:, 1].max() - cell[:, 1].min() + 1) + (cell[:, 1] - cell[:, 1].min())
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.diff(key[order])) + 1
        return np.split(order, bounds)

    @staticmethod
    def concat(batches: list["Batch"]) -> "Batch":
        batches = [b for b in batches if len(b.faces)]
        if not batches:
            return Batch.empty()
        offsets = np.cumsum([0] + [len(b.points) for b in batches[:-1]])
        return Batch(np.concatenate([b.points for b in batches]),
                     np.concatenate([b.faces + off for b, off in zip(batches, offsets)]),
                     np.concatenate([b.face_part for b in batches]),
                     np.concatenate([b.face_rgb for b in batches]))


def instance(mesh: Mesh, parts: np.ndarray, positions: np.ndarray, yaw_deg: np.ndarray,
             scale: np.ndarray | None = None, rgb: np.ndarray | None = None) -> Batch:
    """`mesh` placed at each position (bottom-centre origin), rotated by yaw, scaled per axis.

    `scale` is (k,3) or (3,) per-axis factors applied in the mesh's frame; `rgb` (k,3)
    overrides the mesh's face colours per instance.
    """
    k = len(parts)
    nv, nf = len(mesh.vertices), len(mesh.faces)
    if k == 0 or nf == 0:
        return Batch.empty()
    local = np.broadcast_to(mesh.vertices.astype(np.float64), (k, nv, 3))
    if scale is not None:
        local = local * np.asarray(scale, float).reshape(-1, 1, 3)
    yaw = np.asarray(yaw_deg, float).reshape(k, 1)
    world = rotate_yaw(local, yaw) + np.asarray(positions, float).reshape(k, 1, 3)
    faces = mesh.faces.astype(np.int64)[None, :, :] + (np.arange(k, dtype=np.int64) * nv)[:, None, None]
    if rgb is not None:
        colors = np.repeat(np.asarray(rgb, np.uint8), nf, axis=0)
    elif mesh.face_colors is not None:
        colors = np.tile(mesh.face_colors, (k, 1))
    else:
        colors = np.full((k * nf, 3), 150, np.uint8)
    return Batch(world.reshape(-1, 3).astype(np.float32), faces.reshape(-1, 3),
                 np.repeat(np.asarray(parts, np.int64), nf), colors)


def fit_to_size(mesh: Mesh, size: np.ndarray) -> np.ndarray:
    """Per-axis scale that stretches `mesh`'s bounds to the catalog `size` (the layout's truth)."""
    extent = np.maximum(mesh.size, 1e-9)
    return np.asarray(size, float) / extent


def world_boxes(positions: np.ndarray, sizes: np.ndarray, yaw_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Axis-aligned world bounds (min, max) of yawed boxes with bottom-centre origins."""
    half = yawed_box_half_extent(sizes[:, :2], yaw_deg)
    lo = np.column_stack([positions[:, :2] - half, positions[:, 2]])
    hi = np.column_stack([positions[:, :2] + half, positions[:, 2] + sizes[:, 2]])
    return lo, hi
