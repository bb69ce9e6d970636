"""Thin a mesh that is over the triangle limit by vertex clustering (numpy only).

Vertices are snapped to a grid over the mesh's bounds, each cell's vertices merge into their
mean, and triangles whose corners fall into fewer than three cells disappear. It keeps the
silhouette a reviewer needs from a vendor CAD export with millions of triangles, in one pass
of array operations; the grid is coarsened until the mesh is under the limit.
"""

from __future__ import annotations

import numpy as np


def cluster_decimate(verts: np.ndarray, faces: np.ndarray, colors: np.ndarray | None,
                     max_triangles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(vertices, faces, face colours) with at most `max_triangles` triangles."""
    lo, hi = verts.min(axis=0), verts.max(axis=0)
    extent = np.maximum(hi - lo, 1e-12)
    # a closed surface on a g^3 grid has ~4 g^2 triangles: start just under the limit
    cells = max(2, int(np.sqrt(max_triangles / 4.0)))
    while True:
        cell = (verts - lo) / extent * (cells - 1)
        key = np.round(cell).astype(np.int64)
        flat = (key[:, 0] * cells + key[:, 1]) * cells + key[:, 2]
        used, inverse = np.unique(flat, return_inverse=True)
        new_faces = inverse.reshape(-1)[faces]
        keep = ((new_faces[:, 0] != new_faces[:, 1]) & (new_faces[:, 1] != new_faces[:, 2])
                & (new_faces[:, 0] != new_faces[:, 2]))
        new_faces = new_faces[keep]
        if len(new_faces) <= max_triangles or cells <= 2:
            break
        cells = max(2, int(cells * 0.7))
    counts = np.bincount(inverse.reshape(-1), minlength=len(used)).astype(np.float64)
    new_verts = np.column_stack([np.bincount(inverse.reshape(-1), weights=verts[:, k], minlength=len(used))
                                 for k in range(3)]) / counts[:, None]
    new_colors = None if colors is None else colors[keep]
    if len(new_faces) > max_triangles:
        new_faces = new_faces[:max_triangles]
        new_colors = None if new_colors is None else new_colors[:max_triangles]
    return new_verts, new_faces, new_colors
