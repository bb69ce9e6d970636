"""Yaw transforms: the one place that turns a part's local frame into world metres.

Every placed thing in twin (rack, part, port, mesh vertex) has a position and a yaw about
+Z; local offsets are rotated by the yaw and then translated. The generator, the model,
the mesh batching and the port positions all go through these functions so that a port,
the mesh it sits on and the cable that ends there agree to the last bit. numpy only, on
whole arrays: no loop over parts.
"""

from __future__ import annotations

import numpy as np


def yaw_cos_sin(yaw_deg: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of yaw angles given in degrees."""
    yaw = np.radians(yaw_deg)
    return np.cos(yaw), np.sin(yaw)


def front_direction(yaw_deg: np.ndarray | float) -> np.ndarray:
    """Unit vector(s) (..., 3) that a thing turned by `yaw_deg` faces: its local -Y, the side
    its ports, bezels and cold-aisle inlet are on."""
    c, s = yaw_cos_sin(yaw_deg)
    return np.stack([s, -c, np.zeros_like(c)], axis=-1)


def rotate_yaw(points: np.ndarray, yaw_deg: np.ndarray | float) -> np.ndarray:
    """Rotate (..., 3) points about +Z by `yaw_deg` (broadcast against the points' leading axes)."""
    c, s = yaw_cos_sin(yaw_deg)
    x, y = points[..., 0], points[..., 1]
    return np.stack([c * x - s * y, s * x + c * y, points[..., 2]], axis=-1)


def local_to_world(origin: np.ndarray, yaw_deg: np.ndarray | float, offset: np.ndarray) -> np.ndarray:
    """Points given as `offset` in frames at `origin` turned by `yaw_deg`, in world coordinates.

    `origin` and `offset` are (..., 3); `yaw_deg` broadcasts against their leading axes.
    The origin is added first (origin + c·x − s·y) so that generated coordinates, and the
    design files they are written to, stay identical bit for bit from build to build.
    """
    c, s = yaw_cos_sin(yaw_deg)
    ox, oy = offset[..., 0], offset[..., 1]
    return np.stack([origin[..., 0] + c * ox - s * oy, origin[..., 1] + s * ox + c * oy,
                     origin[..., 2] + offset[..., 2]], axis=-1)


def yawed_box_half_extent(size_xy: np.ndarray, yaw_deg: np.ndarray | float) -> np.ndarray:
    """(n, 2) half widths along world X and Y of boxes of (n, 2) footprint turned by `yaw_deg`."""
    c, s = yaw_cos_sin(yaw_deg)
    c, s = np.abs(c), np.abs(s)
    return 0.5 * np.column_stack([c * size_xy[:, 0] + s * size_xy[:, 1], s * size_xy[:, 0] + c * size_xy[:, 1]])
