"""Picking by arithmetic: a ray against part boxes, no render pass (under a millisecond on
hall-2000). Racks drawn as boxes answer with their frame; racks drawn in detail answer with
the part inside them; whatever the section plane cuts away cannot be picked."""

from __future__ import annotations

import numpy as np

from twin.geometry.raycast import ray_box_hits
from twin.scene.parts import PartGeometry
from twin.viewstate import Section


def pick_ray(parts: PartGeometry, visible: np.ndarray, detail_racks: np.ndarray, section: Section | None,
             origin: np.ndarray, direction: np.ndarray, candidates: np.ndarray | None = None) -> int:
    """The first visible part the ray hits, or -1. With `candidates` (part indices: those of
    the halls the ray passes through), only those are tested."""
    detail = np.zeros(parts.n_racks, bool)
    detail[detail_racks] = True
    rack = parts.design.parts.rack
    idx = np.arange(parts.n_parts) if candidates is None else np.asarray(candidates, np.int64)
    in_detail = np.zeros(parts.n_parts, bool)
    in_detail[idx] = detail[np.maximum(rack[idx], 0)] & (rack[idx] >= 0)
    idx = idx[visible[idx] & ~(parts.is_inner[idx] & ~in_detail[idx])]
    t = ray_box_hits(origin, direction, parts.box_lo[idx], parts.box_hi[idx])
    if section is not None:
        hit_points = origin + np.outer(np.where(np.isfinite(t), t, 0), direction)
        t = np.where(section.keeps(hit_points), t, np.inf)
    if not np.isfinite(t).any():
        return -1
    best = idx[int(np.argmin(t))]
    if parts.is_frame[best] and in_detail[best]:
        inner = np.isfinite(t) & parts.is_inner[idx] & (rack[idx] == rack[best])
        if inner.any():
            best = idx[np.flatnonzero(inner)[np.argmin(t[inner])]]
    return int(best)


def display_ray(renderer, height: int, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """Origin and direction of the ray under pixel (x, y) (y down from the top), near to far plane."""
    ends = []
    for depth in (0.0, 1.0):
        renderer.SetDisplayPoint(float(x), float(height - 1 - y), depth)
        renderer.DisplayToWorld()
        world = renderer.GetWorldPoint()
        ends.append(np.array(world[:3]) / (world[3] or 1.0))
    return ends[0], ends[1] - ends[0]


def surface_point(parts: PartGeometry, visible: np.ndarray, detail_racks: np.ndarray, section: Section | None,
                  renderer, height: int, x: float, y: float) -> np.ndarray:
    """The world point under pixel (x, y): on the part drawn there, else on the floor, else at
    the depth of the camera's focal point."""
    origin, direction = display_ray(renderer, height, x, y)
    part = pick_ray(parts, visible, detail_racks, section, origin, direction)
    if part >= 0:
        t = float(ray_box_hits(origin, direction, parts.box_lo[[part]], parts.box_hi[[part]])[0])
        if np.isfinite(t):
            return origin + direction * t
    if direction[2] < -1e-9 and origin[2] > 0:
        return origin + direction * (-origin[2] / direction[2])
    unit = direction / (np.linalg.norm(direction) or 1.0)
    depth = float(np.dot(np.asarray(renderer.GetActiveCamera().GetFocalPoint()) - origin, unit))
    return origin + unit * max(depth, 0.1)
