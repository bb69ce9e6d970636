"""Fly-to framing: a camera pose inside the hall that shows a subject whole, in context.

A subject is one part or a group of parts (a loop's racks and its CDU, a power group's
members, a cable's ends), with extra points such as a cable's route. The pose:

- stands inside the subject's hall (never behind a wall, never under the floor, never
  above the ceiling), and never inside or against any part (a clearance for the near plane);
- fits the subject's box, grown to a little context around it, in a lens no wider than
  `MAX_VIEW_ANGLE` (no fisheye);
- prefers the subject's front, low, as a reviewer in the aisle would stand, and turns round
  it (gear whose front faces the wall is seen from the hall side) and then rises when the
  line of sight is blocked.

Every part blocks, whatever filter is on: a pose chosen while a search hides the rest must
still be right once the filter clears. numpy only: the scene passes its part boxes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.scene.camera import CameraPose

VIEW_ANGLE = 40.0             # the lens of a fly-to with room to stand back
MAX_VIEW_ANGLE = 60.0         # widest lens a fly-to widens to where the aisle is narrow
CONTEXT_MIN_RADIUS_M = 0.9    # a close-up always shows a little around the subject
CONTEXT_GROW = 1.6            # ... and its box grown by this much
CONTEXT_MAX_M = 1.0           # ... but by no more than this on each side
CLEARANCE_M = 0.3             # the camera keeps this far from any part (near plane, orbit room)
WALL_MARGIN_M = 0.35          # ... and from the hall's walls, floor and ceiling
MIN_DISTANCE_M = 1.0          # nearer than this to the focal point the view is a jam against the part
FILL = 0.88                   # the framed box fills this share of the view
ELEVATIONS_LOW = (20.0, 32.0)
ELEVATIONS_STEEP = (45.0, 60.0, 75.0)
AZIMUTH_TURNS = (0.0, 30.0, -30.0, 60.0, -60.0, 90.0, -90.0, 130.0, -130.0, 180.0)
MAX_SAMPLES = 16
FACE_ROOM_M = 1.5             # less room than this before its front: look from the back


@dataclass(frozen=True)
class Subject:
    """What a fly-to frames: member parts (rows), a focal point, the box to fit and the way
    its (first member's) front faces."""

    members: np.ndarray
    focal: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    front: np.ndarray


def subject_of(geometry, design, parts, points: np.ndarray | None = None,
               focal: np.ndarray | None = None) -> Subject:
    """The `Subject` of part rows `parts` (and world `points`, such as a cable's route)."""
    members = np.unique(np.asarray(parts, np.int64))
    members = members[(members >= 0) & (members < geometry.n_parts)]
    boxes_lo = [geometry.box_lo[members]] if len(members) else []
    boxes_hi = [geometry.box_hi[members]] if len(members) else []
    extra = np.zeros((0, 3)) if points is None else np.asarray(points, float).reshape(-1, 3)
    if len(extra):
        boxes_lo.append(extra)
        boxes_hi.append(extra)
    if not boxes_lo:
        raise ValueError("nothing to frame")
    lo = np.concatenate(boxes_lo).min(axis=0)
    hi = np.concatenate(boxes_hi).max(axis=0)
    if focal is None:
        focal = geometry.centre[members[0]] if len(members) == 1 and not len(extra) else (lo + hi) / 2
    yaw = np.radians(float(geometry.yaw[members[0]])) if len(members) else 0.0
    front = np.array([np.sin(yaw), -np.cos(yaw), 0.0])
    return Subject(members, np.asarray(focal, float), lo, hi, front)


def room_of(design, geometry, subject: Subject) -> tuple[np.ndarray, np.ndarray] | None:
    """Where the camera may stand: the subject's hall less a margin; None for a design with no hall."""
    if not len(design.halls):
        return None
    hall = -1
    if len(subject.members):
        halls = design.part_hall()[subject.members]
        halls = halls[halls >= 0]
        if len(halls):
            hall = int(np.bincount(halls).argmax())
    if hall < 0:
        for h in range(len(design.halls)):
            lo, hi = design.hall_box(h)
            if np.all(subject.focal[:2] >= lo[:2]) and np.all(subject.focal[:2] <= hi[:2]):
                hall = h
                break
    if hall < 0:
        return None
    lo, hi = design.hall_box(hall)
    if hi[2] <= 0:
        hi = np.r_[hi[:2], max(float(subject.hi[2]) + 3.0, 3.0)]
    lo = np.asarray(lo, float) + WALL_MARGIN_M
    hi = np.asarray(hi, float) - WALL_MARGIN_M
    lo[2] = WALL_MARGIN_M
    return lo, np.maximum(hi, lo + 0.01)


def fit_distance(subject_lo: np.ndarray, subject_hi: np.ndarray, focal: np.ndarray, direction: np.ndarray,
                 view_angle: float, aspect: float, fill: float = FILL) -> float:
    """Distance from `focal` along `direction` (towards the camera) at which the box's corners
    all fit a lens of vertical `view_angle` with the width/height `aspect`."""
    forward = -direction
    right = np.cross(forward, (0.0, 0.0, 1.0))
    if np.linalg.norm(right) < 1e-6:
        right = np.array([1.0, 0.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    corners = np.array([[x, y, z] for x in (subject_lo[0], subject_hi[0]) for y in (subject_lo[1], subject_hi[1])
                        for z in (subject_lo[2], subject_hi[2])]) - focal
    x, y, z = corners @ right, corners @ up, corners @ forward
    t = np.tan(np.radians(view_angle) / 2) * fill
    need = np.maximum(np.abs(x) / (t * aspect) - z, np.abs(y) / t - z)
    return float(max(need.max(), 0.0))


def lens_for(subject_lo, subject_hi, focal, direction, distance: float, aspect: float) -> float | None:
    """The narrowest lens (from `VIEW_ANGLE` to `MAX_VIEW_ANGLE`) that fits the box from
    `distance`; None if even the widest does not."""
    for angle in np.arange(VIEW_ANGLE, MAX_VIEW_ANGLE + 1e-6, 2.5):
        if fit_distance(subject_lo, subject_hi, focal, direction, float(angle), aspect) <= distance:
            return float(angle)
    return None


def _exit_distance(origin: np.ndarray, direction: np.ndarray, room) -> float:
    """How far from `origin` along `direction` the ray stays in the room box."""
    if room is None:
        return np.inf if direction[2] >= 0 else max((origin[2] - WALL_MARGIN_M) / -direction[2], 0.0)
    lo, hi = room
    d = np.where(np.abs(direction) < 1e-12, 1e-12, direction)
    t = np.maximum((lo - origin) / d, (hi - origin) / d)
    return float(max(t.min(), 0.0))


def _face_grids(lo: np.ndarray, hi: np.ndarray, eye: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """For each face of box [lo, hi] that `eye` stands beyond, 3 x 3 points on it (inset 20 %,
    a centimetre out; the fifth is its centre) and how large it looks from `eye` (its area
    times the cosine to the eye)."""
    mid, half = (lo + hi) / 2, np.maximum((hi - lo) / 2, 1e-3)
    grids = []
    for axis in range(3):
        offset = eye[axis] - mid[axis]
        if abs(offset) <= half[axis]:
            continue
        sign = 1.0 if offset > 0 else -1.0
        others = [a for a in range(3) if a != axis]
        grid = []
        for u in (-0.8, 0.0, 0.8):
            for v in (-0.8, 0.0, 0.8):
                p = mid.copy()
                p[axis] = mid[axis] + sign * (half[axis] + 0.01)
                p[others[0]] += u * half[others[0]]
                p[others[1]] += v * half[others[1]]
                grid.append(p)
        area = float(np.prod([2 * half[a] for a in others]))
        cosine = abs(offset) / max(float(np.linalg.norm(eye - mid)), 1e-9)
        grids.append((np.array(grid), area * cosine))
    return grids


def _segments_blocked(points: np.ndarray, eye: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether the segment from each point to `eye` passes through any box (slab test, all at once)."""
    if not len(lo):
        return np.zeros(len(points), bool)
    d = eye - points                                           # (k, 3)
    d = np.where(np.abs(d) < 1e-12, 1e-12, d)
    inv = 1.0 / d
    t1 = (lo[None] - points[:, None]) * inv[:, None]          # (k, m, 3)
    t2 = (hi[None] - points[:, None]) * inv[:, None]
    near = np.minimum(t1, t2).max(axis=2)
    far = np.maximum(t1, t2).min(axis=2)
    return ((far >= np.maximum(near, 0.0)) & (near < 1.0)).any(axis=1)


def _direction(front: np.ndarray, turn_deg: float, elevation_deg: float) -> np.ndarray:
    a = np.arctan2(front[1], front[0]) + np.radians(turn_deg)
    e = np.radians(elevation_deg)
    return np.array([np.cos(a) * np.cos(e), np.sin(a) * np.cos(e), np.sin(e)])


class Framer:
    """Poses that frame a `Subject` from inside its room, clear of every part."""

    def __init__(self, geometry, design, subject: Subject, aspect: float):
        self.subject, self.aspect = subject, float(aspect)
        self.room = room_of(design, geometry, subject)
        solid = ~np.asarray(geometry.is_inner, bool)
        rack_of = np.asarray(design.parts.rack, np.int64)
        own_racks = np.unique(rack_of[subject.members])
        own_racks = own_racks[own_racks >= 0]
        ours = np.isin(rack_of, own_racks) & (rack_of >= 0)
        ours[subject.members] = True
        near = self._near(geometry)
        self.solid_lo, self.solid_hi = geometry.box_lo[solid & near], geometry.box_hi[solid & near]
        block = solid & near & ~ours
        self.block_lo, self.block_hi = geometry.box_lo[block], geometry.box_hi[block]
        self.member_lo, self.member_hi = geometry.box_lo[subject.members], geometry.box_hi[subject.members]
        if len(self.member_lo) > MAX_SAMPLES:
            pick = np.linspace(0, len(self.member_lo) - 1, MAX_SAMPLES).astype(int)
            self.member_lo, self.member_hi = self.member_lo[pick], self.member_hi[pick]

    def facing(self) -> np.ndarray:
        """The way to look from: the subject's front, or its back where the front stands
        against a wall (gear lined up facing the wall is reviewed from the hall side)."""
        front = self.subject.front
        ahead = _exit_distance(self.subject.focal, front, self.room)
        behind = _exit_distance(self.subject.focal, -front, self.room)
        return -front if ahead < FACE_ROOM_M and behind > ahead else front

    def _near(self, geometry) -> np.ndarray:
        """Parts close enough to matter (a site has tens of thousands far away)."""
        s = self.subject
        reach = fit_distance(s.lo, s.hi, s.focal, np.array([0.0, -0.7, 0.7]), VIEW_ANGLE, self.aspect) * 2 + 4.0
        reach = max(reach, 12.0)
        lo, hi = s.focal - reach, s.focal + reach
        if self.room is not None:
            lo, hi = np.maximum(lo, self.room[0] - 1.0), np.minimum(hi, self.room[1] + 1.0)
            lo[2], hi[2] = -1.0, max(hi[2], s.hi[2]) + 1.0
        return np.all((geometry.box_hi >= lo) & (geometry.box_lo <= hi), axis=1)

    def free(self, eye: np.ndarray) -> bool:
        """Inside the room and at least `CLEARANCE_M` from every part."""
        if self.room is not None and not (np.all(eye >= self.room[0] - 1e-9) and np.all(eye <= self.room[1] + 1e-9)):
            return False
        if self.room is None and eye[2] < WALL_MARGIN_M:
            return False
        inside = np.all((self.solid_lo - CLEARANCE_M <= eye) & (eye <= self.solid_hi + CLEARANCE_M), axis=1)
        return not inside.any()

    def sight(self, eye: np.ndarray) -> float:
        """How well the camera sees the subject past every other part: the seen share of a
        grid on each face of its box turned to the camera, weighted by how large each face
        looks from there (a rack's top seen over the next row does not make up for its
        hidden front), times the share of its members whose turned face centre is seen."""
        s = self.subject
        shares, weights = [], []
        for grid, weight in _face_grids(s.lo, s.hi, eye):
            shares.append(float((~_segments_blocked(grid, eye, self.block_lo, self.block_hi)).mean()))
            weights.append(weight)
        best = float(np.average(shares, weights=weights)) if shares and sum(weights) > 0 else 0.0
        if len(self.member_lo) > 1 and best > 0:
            seen = [any(not _segments_blocked(g[4:5], eye, self.block_lo, self.block_hi)[0]
                        for g, _w in _face_grids(lo, hi, eye)) for lo, hi in zip(self.member_lo, self.member_hi)]
            best *= float(np.mean(seen))
        return best

    def pose(self, direction: np.ndarray, distance: float, angle: float) -> CameraPose:
        eye = self.subject.focal + direction * distance
        return CameraPose(tuple(float(v) for v in eye), tuple(float(v) for v in self.subject.focal),
                          (0.0, 0.0, 1.0), float(angle))

    def context_box(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.subject
        half = (s.hi - s.lo) / 2
        radius = float(np.linalg.norm(half))
        if radius * CONTEXT_GROW < CONTEXT_MIN_RADIUS_M:        # a small part: a little of its rack around it
            half = half * (CONTEXT_MIN_RADIUS_M / max(radius, 1e-6)) if radius > 1e-6 else \
                np.full(3, CONTEXT_MIN_RADIUS_M / np.sqrt(3))
        else:
            half = half + min(radius * (CONTEXT_GROW - 1), CONTEXT_MAX_M)
        mid = (s.lo + s.hi) / 2
        lo, hi = mid - half, mid + half
        lo[2] = max(lo[2], min(0.0, s.lo[2]))                  # the floor is context enough below
        return lo, hi

    def attempt(self, direction: np.ndarray, near: bool, min_sight: float = 0.8) -> CameraPose | None:
        """A pose along `direction`: far enough back to fit the subject and its context in the
        normal lens; with `near`, closer with a wider lens (the subject whole, its context where
        the lens allows), down to `MIN_DISTANCE_M`. None where no such spot is free and in sight."""
        s = self.subject
        clo, chi = self.context_box()
        want = max(fit_distance(clo, chi, s.focal, direction, VIEW_ANGLE, self.aspect), MIN_DISTANCE_M)
        room = _exit_distance(s.focal, direction, self.room)
        if not near:
            eye = s.focal + direction * want
            if want <= room and self.free(eye) and self.sight(eye) >= min_sight:
                return self.pose(direction, want, VIEW_ANGLE)
            return None
        for distance in np.arange(min(want, room), MIN_DISTANCE_M - 1e-9, -0.2):
            angle = lens_for(clo, chi, s.focal, direction, distance, self.aspect) or \
                lens_for(s.lo, s.hi, s.focal, direction, distance, self.aspect)
            if angle is None:
                return None                       # nearer only fits less
            eye = s.focal + direction * distance
            if self.free(eye) and self.sight(eye) >= min_sight:
                return self.pose(direction, distance, angle)
        return None

    def best(self) -> CameraPose | None:
        front = self.facing()
        # from the front first (low, then nearer with a wider lens, then steeper), and only then
        # from the sides and behind: a tray is read by its front, not by its rack's back
        ahead, around = AZIMUTH_TURNS[:5], AZIMUTH_TURNS[5:]
        plans = ([(False, e, ahead) for e in ELEVATIONS_LOW] + [(True, e, ahead) for e in ELEVATIONS_LOW]
                 + [(False, e, ahead) for e in ELEVATIONS_STEEP] + [(True, e, ahead) for e in ELEVATIONS_STEEP]
                 + [(False, e, around) for e in ELEVATIONS_LOW + ELEVATIONS_STEEP]
                 + [(True, e, around) for e in ELEVATIONS_LOW + ELEVATIONS_STEEP])
        for near, elevation, turns in plans:
            for turn in turns:
                pose = self.attempt(_direction(front, turn, elevation), near)
                if pose is not None:
                    return pose
        for elevation in ELEVATIONS_STEEP + ELEVATIONS_LOW:       # anything in the room that fits, seen or not
            for turn in AZIMUTH_TURNS:
                pose = self.attempt(_direction(front, turn, elevation), True, min_sight=0.0)
                if pose is not None:
                    return pose
        return None

    def overhead(self) -> CameraPose:
        """From as high as the room allows above the subject, the widest lens: the last resort."""
        s = self.subject
        direction = _direction(self.facing(), 0.0, 80.0)
        distance = max(min(_exit_distance(s.focal, direction, self.room), 60.0), MIN_DISTANCE_M)
        angle = lens_for(s.lo, s.hi, s.focal, direction, distance, self.aspect) or MAX_VIEW_ANGLE
        return self.pose(direction, distance, angle)


def frame_pose(geometry, design, parts, aspect: float, points: np.ndarray | None = None,
               focal: np.ndarray | None = None) -> CameraPose:
    """Where a fly-to to part rows `parts` (and world `points`) ends: see the module docstring.
    A subject too large to fit from under the hall's height (a power chain from a rack to the
    switchboards) is seen from above the walls (the hall has no ceiling drawn), still within them."""
    subject = subject_of(geometry, design, parts, points, focal)
    framer = Framer(geometry, design, subject, aspect)
    pose = framer.best()
    if pose is None and framer.room is not None:
        framer.room = (framer.room[0], np.r_[framer.room[1][:2], np.inf])
        pose = framer.best()
    return pose if pose is not None else framer.overhead()
