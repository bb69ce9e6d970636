"""Level of detail: which racks a frame draws as full meshes, the rest as one box each.

Software GL is bound by the triangles drawn (DESIGN.md §5), so a rack earns full meshes only
when it is in view, tall enough on screen to show its trays, and fits a triangle budget,
closest to what the camera looks at first. Selected and focused racks always get detail.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from twin.scene.parts import PartGeometry


def racks_in_view(parts: PartGeometry, project_ndc: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Racks whose box has a corner in front of the camera and inside (or near) the frame."""
    frames = np.maximum(parts.frame_of_rack, 0)
    lo, hi = parts.box_lo[frames], parts.box_hi[frames]
    corners = np.stack([np.column_stack([np.where(k & 1, hi[:, 0], lo[:, 0]), np.where(k & 2, hi[:, 1], lo[:, 1]),
                                         np.where(k & 4, hi[:, 2], lo[:, 2])]) for k in range(8)], axis=1)
    ndc = project_ndc(corners.reshape(-1, 3)).reshape(-1, 8, 3)
    ahead = (ndc[:, :, 2] > -1) & (ndc[:, :, 2] < 1)
    x_lo, x_hi = np.where(ahead, ndc[:, :, 0], np.inf).min(axis=1), np.where(ahead, ndc[:, :, 0], -np.inf).max(axis=1)
    y_lo, y_hi = np.where(ahead, ndc[:, :, 1], np.inf).min(axis=1), np.where(ahead, ndc[:, :, 1], -np.inf).max(axis=1)
    return ahead.any(axis=1) & (x_lo < 1.05) & (x_hi > -1.05) & (y_lo < 1.05) & (y_hi > -1.05)


def choose_detail_racks(parts: PartGeometry, in_view: np.ndarray, eye: np.ndarray, focal: np.ndarray,
                        view_angle_deg: float, window_height: int, forced: np.ndarray, budget: int,
                        min_pixels: float) -> np.ndarray:
    """Sorted indices of the racks to draw in full detail for a camera at `eye` looking at `focal`."""
    dist = np.linalg.norm(parts.rack_centre - eye, axis=1)
    # screen-space size: a rack only earns full meshes when it stands tall enough on screen
    px_per_m = window_height / (2 * np.tan(np.radians(view_angle_deg) / 2)) / np.maximum(dist, 1e-3)
    tall_enough = parts.rack_height * px_per_m >= min_pixels
    candidates = np.flatnonzero(in_view & tall_enough)
    # closest to what the camera looks at first, then to the eye
    priority = np.linalg.norm(parts.rack_centre - focal, axis=1) + 0.5 * dist
    candidates = candidates[np.argsort(priority[candidates], kind="stable")]
    forced = np.asarray(forced, np.int64)
    left = budget - int(parts.rack_triangles[forced].sum()) if len(forced) else budget
    fits = np.cumsum(parts.rack_triangles[candidates]) <= max(left, 0)
    return np.union1d(candidates[fits], forced).astype(np.int64)


def moving_detail_racks(parts: PartGeometry, detail_racks: np.ndarray, forced: np.ndarray, focal: np.ndarray,
                        budget: int) -> np.ndarray:
    """Sorted indices of the detailed racks whose full meshes stay while the camera moves: the
    forced (selected) ones first, then the nearest to what the camera looks at, within `budget`
    triangles. A moving close-up then still shows the rack it orbits, not a grey box."""
    detail = np.asarray(detail_racks, np.int64)
    if budget <= 0 or not len(detail):
        return np.zeros(0, np.int64)
    first = np.isin(detail, forced)
    dist = np.linalg.norm(parts.rack_centre[detail] - focal, axis=1)
    order = detail[np.lexsort((dist, ~first))]
    fits = np.cumsum(parts.rack_triangles[order]) <= budget
    return np.sort(order[fits])
