"""Named views, listed once: iso, top, front, aisle, site, hall:NAME and rack:NAME[:VIEW], and
fly-to poses.

Why: the CLI's `--view` and `--views`, the batch, the report, the scripting API, the app's View
menu and toolbar, and the README name the same views. They all read this registry
(`view_names()`, `VIEWS`, `check_view`), so every view name works everywhere and a new view is
one `register_view` call. This module imports no VTK: pose functions get the scene (anything
with `content_bounds()`, `aspect()`, `project_ndc()` and `place_camera()`) when called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from twin.model.transform import front_direction, rotate_yaw
from twin.scene.camera import CameraPose, look_from, part_pose
from twin.scene.framing import frame_pose

PoseFn = Callable[[Any, str], CameraPose]     # (scene, argument after "name:") -> pose
CheckFn = Callable[[Any, str], None]          # (design, argument) -> None, ValueError when it names nothing

#: Views of one rack, `rack:NAME:VIEW`: `front` is the viewer's fly-to close-up, `iso` three-quarter
#: from above-left, `top` its plan (its back up), `rear` from behind; plain `rack:NAME` is the
#: close-up of its front that fills the view.
RACK_VIEWS = ("front", "iso", "top", "rear")


@dataclass(frozen=True)
class View:
    """A named view. `argument` names what follows 'name:' for views that take one (rack:NAME)."""

    name: str
    label: str
    pose: PoseFn
    argument: str = ""
    check: CheckFn | None = None      # is the argument something in this design (no scene needed)?

    @property
    def usage(self) -> str:
        return f"{self.name}:{self.argument}" if self.argument else self.name


VIEWS: dict[str, View] = {}


def register_view(view: View) -> View:
    VIEWS[view.name] = view
    return view


def view_names() -> tuple[str, ...]:
    """How each view is written on the command line: iso, top, front, aisle, rack:NAME."""
    return tuple(v.usage for v in VIEWS.values())


def fixed_views() -> list[View]:
    """The views that need no argument (menu and toolbar entries)."""
    return [v for v in VIEWS.values() if not v.argument]


def _lookup(name: str) -> tuple[View, str]:
    key, sep, arg = name.partition(":")
    view = VIEWS.get(key)
    if view is None or bool(sep) != bool(view.argument):
        raise ValueError(f"unknown view {name!r}: use {', '.join(view_names())}")
    return view, arg


def check_view(design, name: str) -> None:
    """ValueError when `name` is no view of `design` (unknown, or a rack or hall it lacks);
    checked before anything is drawn."""
    view, arg = _lookup(name)
    if view.check is not None:
        view.check(design, arg)


def view_pose(scene, name: str) -> CameraPose:
    """The pose of view `name` in `scene`; ValueError naming the choices otherwise."""
    view, arg = _lookup(name)
    return view.pose(scene, arg)


# ---------------------------------------------------------------------- poses
def tight(scene, pose: CameraPose, lo: np.ndarray, hi: np.ndarray, margin: float = 0.92) -> CameraPose:
    """Move the camera along its view direction until the box's corners just fill the frame."""
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    focal, eye = np.array(pose.focal_point), np.array(pose.position)
    for _ in range(3):
        scene.camera.place_camera(CameraPose(tuple(eye), tuple(focal), pose.view_up, pose.view_angle))
        extent = np.abs(scene.camera.project_ndc(corners)[:, :2]).max()
        eye = focal + (eye - focal) * max(extent / margin, 0.05)
    return CameraPose(tuple(eye), tuple(focal), pose.view_up, pose.view_angle)


def _looking_from(direction: tuple[float, float, float], view_up=(0.0, 0.0, 1.0)) -> PoseFn:
    def pose(scene, _arg: str) -> CameraPose:
        lo, hi = scene.geometry.content_bounds()
        return tight(scene, look_from(np.array(direction), lo, hi, scene.camera.aspect(), view_up=view_up), lo, hi)
    return pose


def aisle_pose(scene, _arg: str = "") -> CameraPose:
    """Stand in the first cold aisle at eye height, looking down the row."""
    d = scene.design
    if not scene.geometry.n_racks:
        return view_pose(scene, "front")
    first = int(np.lexsort((d.racks.position[:, 0], d.racks.position[:, 1]))[0])
    front = front_direction(d.racks.yaw_deg[first])
    frame = scene.geometry.frame_of_rack[first]
    depth = scene.geometry.size[frame, 1] if frame >= 0 else 1.2
    eye = scene.geometry.rack_centre[first] + front * (depth / 2 + 0.9) + np.array([-1.5, 0, 0])
    eye[2] = 1.7
    focal = eye + np.array([6.0, 0.0, -0.25]) - front * 0.6
    return CameraPose(tuple(eye), tuple(focal), (0.0, 0.0, 1.0), 60.0)


def site_pose(scene, _arg: str = "") -> CameraPose:
    """The whole site from high up and a little south-west: every hall, the ducts between them."""
    lo, hi = scene.geometry.content_bounds()
    return tight(scene, look_from(np.array((-0.45, -0.8, 1.6)), lo, hi, scene.camera.aspect()), lo, hi)


def _hall_index(design, hall: str) -> int:
    try:
        return design.hall_named(hall)
    except KeyError:
        names = ", ".join(str(n) for n in design.halls.name.tolist())
        raise ValueError(f"no hall called {hall!r} in this design (halls: {names})") from None


def hall_pose(scene, hall: str) -> CameraPose:
    """One hall of a site from the iso direction, framed on its room."""
    design = scene.design
    h = _hall_index(design, hall)
    lo, hi = design.hall_box(h)
    hi = np.r_[hi[:2], min(float(hi[2]), float(scene.geometry.content_bounds()[1][2]) + 0.5)]
    return tight(scene, look_from(np.array((-0.75, -1.0, 0.85)), lo, hi, scene.camera.aspect()), lo, hi)


def rack_view(design, arg: str) -> tuple[int, str | None]:
    """(rack index, one of `RACK_VIEWS` or None) of a rack view's argument, 'NAME' or
    'NAME:VIEW' (a rack whose own name ends in ':top' is still found by its name);
    ValueError naming the rack otherwise."""
    try:
        return design.rack_index(arg), None
    except KeyError:
        pass
    head, sep, tail = arg.rpartition(":")
    if sep and tail in RACK_VIEWS:
        try:
            return design.rack_index(head), tail
        except KeyError:
            arg = head
    raise ValueError(f"no rack called {arg!r} in this design")


def _check_rack(design, arg: str) -> None:
    rack_view(design, arg)


def rack_pose(scene, arg: str) -> CameraPose:
    """`rack:NAME`: its front close-up; `rack:NAME:VIEW`: a view of its box (`RACK_VIEWS`)."""
    g = scene.geometry
    rack, view = rack_view(scene.design, arg)
    frame = int(g.frame_of_rack[rack])
    if frame < 0:
        raise ValueError(f"rack {str(scene.design.racks.name[rack])!r} has no frame to look at")
    if view is None:
        return front_close_up(scene, frame)
    if view == "front":
        return fly_to_pose(scene, frame)
    yaw = float(g.yaw[frame])
    local = {"iso": (-0.75, -1.0, 0.85), "top": (0.0, -0.02, 1.0), "rear": (0.0, 1.0, 0.18)}[view]
    direction = rotate_yaw(np.array(local), yaw)
    up = (0.0, 0.0, 1.0) if view != "top" else tuple(-front_direction(yaw))    # the rack's back is up
    pose = look_from(direction, g.box_lo[frame], g.box_hi[frame], scene.camera.aspect(), view_up=up)
    # a little further back than a tight fit: up close, perspective crops the rack's top
    eye, focal = np.array(pose.position), np.array(pose.focal_point)
    return CameraPose(tuple(focal + (eye - focal) * 1.3), pose.focal_point, pose.view_up, pose.view_angle)


def front_close_up(scene, part: int) -> CameraPose:
    """A close-up of `part` from its front, filling the view (the rack:NAME view of exports).

    From the part's front; in a hall the camera stays in the aisle in front of it (closer,
    with a wider lens) rather than behind the opposite row.
    """
    from twin.geometry.raycast import ray_box_hits      # trimesh-free, but keep CLI start-up light

    pose = part_pose(scene.geometry.centre[part], scene.geometry.size[part], float(scene.geometry.yaw[part]), scene.camera.aspect())
    focal = np.array(pose.focal_point)
    offset = np.array(pose.position) - focal
    wanted = float(np.linalg.norm(offset))
    direction = offset / wanted
    rack_of = scene.design.parts.rack
    rack = int(rack_of[part])
    others = scene.visible & ~((rack_of == rack) & (rack >= 0))
    others[part] = False
    idx = np.flatnonzero(others & ~scene.geometry.is_inner)
    t = ray_box_hits(focal, direction, scene.geometry.box_lo[idx], scene.geometry.box_hi[idx])
    clear = float(t.min()) if len(t) else np.inf
    if clear >= wanted + 0.2:
        return pose
    distance = max(clear - 0.25, 0.5)
    half_height = max(float(scene.geometry.size[part, 2]), float(scene.geometry.size[part, 0])) / 2 * 1.15
    angle = float(np.clip(np.degrees(2 * np.arctan(half_height / distance)), 30.0, 100.0))
    return CameraPose(tuple(focal + direction * distance), tuple(focal), pose.view_up, angle)


def fly_to_pose(scene, part: int) -> CameraPose:
    """Where the camera should end up to look at `part` (the app animates towards it): from
    inside its hall, its front first, in context, clear of every part (`twin.scene.framing`)."""
    return frame_pose(scene.geometry, scene.design, [part], scene.camera.aspect())


register_view(View("iso", "Iso", _looking_from((-0.75, -1.0, 0.85))))
register_view(View("top", "Top", _looking_from((0.0, 0.0, 1.0), view_up=(0.0, 1.0, 0.0))))
register_view(View("front", "Front", _looking_from((0.0, -1.0, 0.18))))
register_view(View("aisle", "Aisle", aisle_pose))
register_view(View("site", "Site", site_pose))
register_view(View("hall", "Hall", hall_pose, argument="NAME", check=_hall_index))
register_view(View("rack", "Rack", rack_pose, argument="NAME[:VIEW]", check=_check_rack))
