"""Camera poses: the named views of a design review and fly-to targets (numpy only)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CameraPose:
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float] = (0.0, 0.0, 1.0)
    view_angle: float = 30.0

    def lerp(self, other: "CameraPose", t: float) -> "CameraPose":
        """Smooth step between two poses (ease in and out) for fly-to animation."""
        s = t * t * (3 - 2 * t)
        mix = lambda a, b: tuple(float(x) for x in (np.asarray(a) * (1 - s) + np.asarray(b) * s))  # noqa: E731
        return CameraPose(mix(self.position, other.position), mix(self.focal_point, other.focal_point),
                          mix(self.view_up, other.view_up), self.view_angle * (1 - s) + other.view_angle * s)


def fit_distance(radius: float, view_angle: float, aspect: float = 16 / 9) -> float:
    """Camera distance at which a sphere of `radius` fills the view."""
    half = np.radians(view_angle) / 2
    half_h = np.arctan(np.tan(half) * min(aspect, 1.0 / aspect if aspect < 1 else aspect))
    return radius / np.sin(min(half, half_h)) * 1.02


def look_from(direction: np.ndarray, lo: np.ndarray, hi: np.ndarray, aspect: float,
              view_up=(0.0, 0.0, 1.0), view_angle: float = 30.0) -> CameraPose:
    """A pose that looks along `-direction` at the box [lo, hi] and fits it in view."""
    centre = (np.asarray(lo) + np.asarray(hi)) / 2
    radius = float(np.linalg.norm(np.asarray(hi) - np.asarray(lo)) / 2) or 1.0
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    dist = fit_distance(radius, view_angle, aspect)
    return CameraPose(tuple(centre + d * dist), tuple(centre), tuple(view_up), view_angle)


def part_pose(centre: np.ndarray, size: np.ndarray, yaw_deg: float, aspect: float) -> CameraPose:
    """Look at a part from its front, a little above, close enough to fill the view."""
    yaw = np.radians(yaw_deg)
    front = np.array([np.sin(yaw), -np.cos(yaw), 0.0])        # local −Y rotated by yaw
    direction = front * 1.0 + np.array([0.25 * np.cos(yaw), 0.25 * np.sin(yaw), 0.3])
    radius = max(float(max(size[0], size[2])) / 2, 0.25)
    d = direction / np.linalg.norm(direction)
    dist = max(fit_distance(radius, 30.0, aspect) * 1.15, 0.8)
    return CameraPose(tuple(np.asarray(centre) + d * dist), tuple(float(v) for v in centre), (0, 0, 1), 30.0)


def project_ndc(camera, window_size: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """World points to normalised device coordinates of a VTK camera drawing into `window_size`."""
    w, h = window_size
    m = camera.GetCompositeProjectionTransformMatrix(w / max(h, 1), -1, 1)
    mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
    hom = np.column_stack([points, np.ones(len(points))]) @ mat.T
    return hom[:, :3] / np.where(np.abs(hom[:, 3:4]) < 1e-12, 1e-12, hom[:, 3:4])
