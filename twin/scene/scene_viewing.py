"""The 3D view's share of the window and its camera: projections, named views, fly-to poses.

A part of `Scene` (`scene.camera`), with one job: the camera and the 3D view's box. The 3D
renderer draws in the window less the legend strip, so every projection, framing and aspect
here is taken in that part (`view_size`, `view_box`), never in the render window's full size.
Moving the camera is an edit of the view state (`set_camera_pose`); the scene follows it by
`place_camera`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.scene import framing, views
from twin.scene.camera import CameraPose, FramedView, project_ndc

if TYPE_CHECKING:
    from twin.scene.scene import Scene


class SceneCamera:
    """Projection, the 3D view's box beside the legend strip, and camera poses of a `Scene`."""

    def __init__(self, scene: "Scene"):
        self.scene = scene
        self.renderer = scene.renderer
        self.render_window = scene.render_window
        self.legend_area = scene.legend_area
        self.framed = FramedView()

    def project_ndc(self, points: np.ndarray) -> np.ndarray:
        """World points to normalised device coordinates of the current camera (of the 3D view)."""
        return project_ndc(self.renderer.GetActiveCamera(), self.view_size(), points)

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points to window pixel coordinates (x right, y down from the top-left, like an image)."""
        ndc = self.project_ndc(np.atleast_2d(points))
        (x0, y0), (w, h) = self.renderer.GetOrigin(), self.view_size()
        height = self.render_window.GetSize()[1]
        return np.column_stack([x0 + (ndc[:, 0] + 1) / 2 * w, height - y0 - (ndc[:, 1] + 1) / 2 * h])

    # ------------------------------------------------------------------ the 3D view's part of the window
    def view_size(self) -> tuple[int, int]:
        """Pixels of the window the 3D view draws in: all of it but the legend strip."""
        return self.legend_area.view_size()

    def view_box(self) -> tuple[int, int, int, int]:
        """The 3D view as (x0, y0, x1, y1) window pixels, image convention (y down from the top)."""
        return self.legend_area.view_box()

    def legend_box(self) -> tuple[int, int, int, int] | None:
        """The legend strip as (x0, y0, x1, y1) window pixels, image convention; None when hidden."""
        return self.legend_area.strip_box()

    def in_view(self, x: float, y: float) -> bool:
        """Whether window pixel (x, y) (image convention) lies in the 3D view, not on the legend strip."""
        x0, y0, x1, y1 = self.view_box()
        return x0 <= x < x1 and y0 <= y < y1

    def before_frame(self, *_) -> None:
        """Before each frame: lay the legend strip out for the window's size (it may have been
        resized) and keep a named view framed in what is left."""
        self.legend_area.layout()
        self.keep_framed()
        self.scene.decorations.fit_title(self.view_size()[0])

    def keep_framed(self) -> None:
        """Frame the named view again when the 3D view changed size (a legend came or went, the
        window was resized) while the camera still stands where that view put it."""
        name = self.framed.due(self.camera_pose(), self.view_size())
        if name is not None:
            try:
                self.set_view(name)
            except ValueError:                  # the view's rack is gone
                self.framed.forget()

    # ------------------------------------------------------------------ cameras
    def aspect(self) -> float:
        """Width over height of the 3D view (the window less the legend strip)."""
        w, h = self.view_size()
        return w / h

    def view_pose(self, name: str) -> CameraPose:
        """Pose of a named view (twin.scene.views: iso, top, front, aisle, rack:NAME); ValueError otherwise."""
        return views.view_pose(self.scene, name)

    def fly_to_pose(self, part: int) -> CameraPose:
        """Where the camera should end up to look at `part` (the app animates towards it)."""
        return views.fly_to_pose(self.scene, part)

    def frame_pose(self, parts, points: np.ndarray | None = None) -> CameraPose:
        """Where a fly-to to a group of parts (a loop, a power group, a cable's ends) and world
        `points` (a cable's route, a finding's place) ends: inside the hall, all of it in view."""
        return framing.frame_pose(self.scene.geometry, self.scene.design, parts, self.aspect(), points)

    def camera_pose(self) -> CameraPose:
        cam = self.renderer.GetActiveCamera()
        return CameraPose(cam.GetPosition(), cam.GetFocalPoint(), cam.GetViewUp(), cam.GetViewAngle())

    def set_camera_pose(self, pose: CameraPose) -> None:
        """Put the camera at `pose`: an edit of the view state, which the scene follows."""
        self.scene.state.set_camera(pose)

    def place_camera(self, pose: CameraPose) -> None:
        """Move the VTK camera only (the view state follows no measuring pose: `views.tight`
        tries poses to fit a box); a view is changed through `set_camera_pose`."""
        cam = self.renderer.GetActiveCamera()
        cam.SetPosition(*pose.position)
        cam.SetFocalPoint(*pose.focal_point)
        cam.SetViewUp(*pose.view_up)
        cam.SetViewAngle(pose.view_angle)
        self.renderer.ResetCameraClippingRange()

    def set_view(self, name: str) -> None:
        """Frame the named view in the 3D view (kept framed if the legend strip or window changes
        before the camera moves)."""
        self.set_camera_pose(self.view_pose(name))
        self.framed.remember(name, self.camera_pose(), self.view_size())
