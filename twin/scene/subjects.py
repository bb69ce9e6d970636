"""What a fly-to or a trace is about, as part rows and world points: a loop's racks and its
CDU, a power group's members, a cable's two ends and its route, a finding's subject.

Why one home: the Findings dock, the F key, the trace (T) and the tests all ask "which parts
make up this subject"; each answering on its own would frame a loop here by its CDU and
there by its racks. Plain numpy on the design's tables (and the power result, when given).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.analysis import routes
from twin.model import Design
from twin.model.design import drawable_trays

EMPTY = np.zeros(0, np.int64)


def loop_parts(design: Design, loop: int) -> np.ndarray:
    """Rows of a cooling loop's rack frames and of the free-standing gear on it (its CDU)."""
    if loop < 0:
        return EMPTY
    racks = np.flatnonzero(np.asarray(design.racks.cooling_loop, np.int64) == loop) \
        if "cooling_loop" in design.racks else EMPTY
    frames = design.rack_frames()[racks] if len(racks) else EMPTY
    gear = EMPTY
    if "cooling_loop" in design.parts:
        gear = np.flatnonzero((np.asarray(design.parts.cooling_loop, np.int64) == loop) & (design.parts.rack < 0))
    return np.unique(np.concatenate([frames[frames >= 0], gear])).astype(np.int64)


def cable_route(design: Design, cable: int) -> np.ndarray:
    """World points of a cable's route from end to end ((0, 3) where it has none)."""
    if not 0 <= cable < len(design.cables):
        return np.zeros((0, 3))
    pts, _ = routes.select_polylines(design, np.array([cable]))
    return np.asarray(pts, float).reshape(-1, 3)


def cable_parts(design: Design, cable: int) -> np.ndarray:
    """The parts at a cable's two ends (those that are parts)."""
    if not 0 <= cable < len(design.cables):
        return EMPTY
    ends = np.array([design.cables.a_part[cable], design.cables.b_part[cable]], np.int64)
    return np.unique(ends[ends >= 0])


def group_parts(power: Any, name: str) -> np.ndarray:
    """Parts shown for the members of the power redundancy group called `name` (none if no such group)."""
    if power is None:
        return EMPTY
    for group in getattr(power, "groups", ()):
        if group.name == name:
            shown = np.asarray(power.nodes.part_shown, np.int64)[np.asarray(group.members, np.int64)]
            return np.unique(shown[shown >= 0])
    return EMPTY


def finding_subject(design: Design, finding, power: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """(part rows, world points) a finding is about: its cable with both ends and route, its
    loop's racks and CDU, its power group's members, its part, its rack, else its location."""
    points = np.zeros((0, 3))
    parts = EMPTY
    if finding.cable >= 0:
        parts, points = cable_parts(design, finding.cable), cable_route(design, finding.cable)
    elif finding.loop >= 0:
        parts = loop_parts(design, finding.loop)
    if not len(parts) and not len(points):
        parts = group_parts(power, finding.subject)
    n = len(design.parts)
    if not len(parts) and not len(points) and 0 <= finding.part < n:
        parts = np.array([finding.part], np.int64)
    if not len(parts) and not len(points) and 0 <= finding.rack < len(design.racks):
        frame = int(design.rack_frames()[finding.rack])
        parts = np.array([frame], np.int64) if frame >= 0 else EMPTY
    if not len(parts) and not len(points) and finding.rack < 0:
        points = tray_points(design, finding.subject)
    if not len(parts) and not len(points) and finding.location is not None:
        points = np.asarray([finding.location], float)
    return parts, points


def tray_points(design: Design, name: str) -> np.ndarray:
    """Both ends of the cable tray named `name`, with its width and height around them, as
    world points (empty when no drawable tray has that name): a finding about a tray (fill, its
    network) is about all of its length, not its midpoint."""
    trays = design.cable_trays
    if not name or not len(trays):
        return np.zeros((0, 3))
    hit = np.flatnonzero((np.asarray(trays.name, object) == name) & drawable_trays(trays))
    if not len(hit):
        return np.zeros((0, 3))
    r = int(hit[0])
    start, end = np.asarray(trays.start[r], float), np.asarray(trays.end[r], float)
    half = np.array([float(trays.width_m[r]), float(trays.width_m[r]), float(trays.height_m[r])]) / 2
    return np.vstack([start - half, start + half, end - half, end + half])


def polyline_segments(points: np.ndarray) -> np.ndarray:
    """Consecutive points as (n - 1, 2, 3) segments."""
    pts = np.asarray(points, float).reshape(-1, 3)
    return np.stack([pts[:-1], pts[1:]], axis=1) if len(pts) > 1 else np.zeros((0, 2, 3))


def power_path(power: Any, trace: Any, start: np.ndarray | None = None) -> np.ndarray:
    """A power trace's path as (n, 2, 3) segments: each traced node to its traced parent (up to
    the utility, and down a node's subtree), and from `start` (the traced rack or part) to the
    first node above it. Nodes with no place to draw (NaN centres) are skipped."""
    nodes = np.asarray(trace.nodes, np.int64)
    if not len(nodes):
        return np.zeros((0, 2, 3))
    centre = np.asarray(power.nodes.centre, float)
    parent = np.asarray(power.tree.parent, np.int64)
    traced = np.zeros(len(parent), bool)
    traced[nodes] = True
    child = nodes[(parent[nodes] >= 0) & traced[np.maximum(parent[nodes], 0)]]
    segments = [np.stack([centre[child], centre[parent[child]]], axis=1)]
    if start is not None and len(trace.upstream):
        segments.append(np.array([[np.asarray(start, float), centre[int(trace.upstream[0])]]]))
    out = np.concatenate(segments).reshape(-1, 2, 3)
    return out[np.isfinite(out).all(axis=(1, 2))]


def loop_path(design: Design, centres: np.ndarray, loop: int) -> np.ndarray:
    """A cooling loop's path: from its free-standing gear (the CDU) to each rack on it."""
    parts = loop_parts(design, loop)
    if not len(parts):
        return np.zeros((0, 2, 3))
    gear = parts[design.parts.rack[parts] < 0]
    racks = parts[design.parts.rack[parts] >= 0]
    if not len(gear) or not len(racks):
        return np.zeros((0, 2, 3))
    source = centres[gear[0]]
    return np.stack([np.broadcast_to(source, (len(racks), 3)), centres[racks]], axis=1)
