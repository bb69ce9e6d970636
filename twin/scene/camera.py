"""Camera poses: the named views of a design review and fly-to targets (numpy only)."""

from __future__ import annotations

import numpy as np

from twin.model.transform import rotate_yaw
from twin.viewstate import CameraPose  # noqa: F401  (poses are view-state data; re-exported here)


class FramedView:
    """The named view a scene last framed, the pose it gave and the view size it was framed for.

    Why: the 3D view changes size when a legend comes or goes or the window is resized. A
    camera still standing where a named view put it is then framed again for the new size
    (so an export's iso view fits beside its legend); once the reviewer moves, it is left be.
    """

    def __init__(self):
        self.name: str | None = None
        self.pose: CameraPose | None = None
        self.size: tuple[int, int] = (0, 0)

    def remember(self, name: str, pose: CameraPose, size: tuple[int, int]) -> None:
        self.name, self.pose, self.size = name, pose, tuple(size)

    def forget(self) -> None:
        self.name = self.pose = None

    def due(self, pose: CameraPose, size: tuple[int, int]) -> str | None:
        """The view to frame again for `size`, if the camera has not left it; None otherwise."""
        if self.name is None or tuple(size) == self.size:
            return None
        if not same_pose(pose, self.pose):
            self.forget()
            return None
        return self.name


def same_pose(a: CameraPose, b: CameraPose) -> bool:
    """Two camera poses equal up to float noise."""
    return bool(np.allclose(np.r_[a.position, a.focal_point, a.view_up, a.view_angle],
                            np.r_[b.position, b.focal_point, b.view_up, b.view_angle], rtol=1e-9, atol=1e-9))


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
    # from the front, a little to the part's right and above it
    direction = rotate_yaw(np.array([0.25, -1.0, 0.3]), yaw_deg)
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


# ---------------------------------------------------------------------- navigation
Z_UP = np.array([0.0, 0.0, 1.0])
# the turntable stops just short of looking straight down (VTK's renderers, the orientation
# axes' among them, reset a view up within 2.6 degrees of the view direction, with a warning)...
MIN_POLAR_DEG = 4.0
MAX_POLAR_DEG = 90.0         # ...and at the horizontal: the camera never sinks below what it looks at


def turntable(pose: CameraPose, azimuth_deg: float, elevation_deg: float) -> CameraPose:
    """Orbit `pose` about its focal point with +Z kept as the view up (a CAD/ParaView turntable).

    Azimuth turns about the world Z axis through the focal point; a positive elevation lifts the
    camera toward the zenith. The tilt stops `MIN_POLAR_DEG` short of looking straight down
    and at the horizontal, so the camera can never roll over or pass under the floor the way
    a free trackball does.
    """
    focal = np.asarray(pose.focal_point, float)
    offset = np.asarray(pose.position, float) - focal
    distance = float(np.linalg.norm(offset)) or 1.0
    polar = np.degrees(np.arccos(np.clip(offset[2] / distance, -1.0, 1.0)))
    azimuth = np.degrees(np.arctan2(offset[1], offset[0]))
    polar = float(np.clip(polar - elevation_deg, MIN_POLAR_DEG, max(MAX_POLAR_DEG, min(polar, 180 - MIN_POLAR_DEG))))
    azimuth = azimuth - azimuth_deg
    p, a = np.radians(polar), np.radians(azimuth)
    new = focal + distance * np.array([np.sin(p) * np.cos(a), np.sin(p) * np.sin(a), np.cos(p)])
    return CameraPose(tuple(float(v) for v in new), pose.focal_point, (0.0, 0.0, 1.0), pose.view_angle)


def upright(pose: CameraPose) -> CameraPose:
    """`pose` with +Z as its view up, moved off the pole if it looked straight down or up."""
    if np.allclose(pose.view_up, Z_UP):
        return pose
    return turntable(CameraPose(pose.position, pose.focal_point, (0.0, 0.0, 1.0), pose.view_angle), 0.0, 0.0)


def zoom_about(pose: CameraPose, anchor: np.ndarray, factor: float) -> CameraPose:
    """Scale the camera toward (factor > 1) or away from `anchor` about that point.

    The camera and its focal point both move along their lines to `anchor`, so the point
    under the cursor stays under the cursor (zoom to the cursor, as CAD viewers do) and the
    view direction does not change.
    """
    anchor = np.asarray(anchor, float)
    keep = 1.0 / float(factor)
    position = anchor + (np.asarray(pose.position, float) - anchor) * keep
    focal = anchor + (np.asarray(pose.focal_point, float) - anchor) * keep
    return CameraPose(tuple(float(v) for v in position), tuple(float(v) for v in focal), pose.view_up,
                      pose.view_angle)


def inside_boxes(point: np.ndarray, lo: np.ndarray, hi: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Which of the boxes [lo, hi] (n, 3) hold `point`, grown by `margin` on every side."""
    p = np.asarray(point, float)
    return np.all((lo - margin <= p) & (p <= hi + margin), axis=1)
