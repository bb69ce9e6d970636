"""Which cables the scene draws, in what colour and order, and which one is under the mouse.

Pure numpy over the design's cached route polylines (`twin.analysis.routes`); the scene
turns the result into VTK actors. Kept apart from `Scene` so the drawing rules are read,
and tested, in one place.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.routes import bundle, select_polylines
from twin.model import Design
from twin.analysis import colouring

#: Cables are drawn as tubes when the camera is closer than this to what it looks at.
CABLE_TUBE_DISTANCE_M = 12.0


def cables_to_draw(design: Design, visible: np.ndarray, overlay: Overlay, far: bool) -> tuple[np.ndarray, np.ndarray]:
    """Cable rows to draw and their overlay values, in drawing order.

    A cable shows while either end is visible (isolating a rack keeps the cables that leave
    it). Cables sharing a path draw over each other, so the highest value (the worst finding,
    the most reach used) is drawn last. From afar (`far`), cables that run together are one
    line (`twin.analysis.routes.bundle`).
    """
    a_part, b_part = design.cables.a_part, design.cables.b_part
    shown = ((a_part >= 0) & visible[np.maximum(a_part, 0)]) | ((b_part >= 0) & visible[np.maximum(b_part, 0)])
    rows = np.flatnonzero(shown)
    values = np.asarray(overlay.cable_values, float)[rows]
    order = np.argsort(np.nan_to_num(values, nan=-np.inf), kind="stable")
    rows, values = rows[order], values[order]
    if far:
        pick = bundle(design, rows, values)
        rows, values = rows[pick], values[pick]
    return rows, values


def cable_colours(overlay: Overlay, values: np.ndarray) -> np.ndarray:
    """(k, 3) uint8 colours of cable values: the overlay's own category colours, or its colour map."""
    return colouring.value_colours(overlay, values)


def nearest_cable(design: Design, rows: np.ndarray, project: Callable[[np.ndarray], np.ndarray],
                  project_ndc: Callable[[np.ndarray], np.ndarray], x: float, y: float,
                  tolerance_px: float) -> int:
    """The row among `rows` whose drawn polyline passes nearest pixel (x, y), within
    `tolerance_px` and in front of the camera; -1 if none."""
    if not len(rows):
        return -1
    pts, counts = select_polylines(design, rows)
    px = project(pts)
    ndc_z = project_ndc(pts)[:, 2]
    line_of_point = np.repeat(np.arange(len(counts)), counts)
    seg = np.ones(len(pts), bool)
    seg[np.cumsum(counts) - 1] = False               # a segment starts at every point but each line's last
    i = np.flatnonzero(seg)
    p, q = px[i], px[i + 1]
    d = q - p
    t = np.clip(((np.array([x, y]) - p) * d).sum(axis=1) / np.maximum((d ** 2).sum(axis=1), 1e-12), 0, 1)
    dist = np.linalg.norm(p + t[:, None] * d - np.array([x, y]), axis=1)
    dist = np.where((np.abs(ndc_z[i]) < 1) & (np.abs(ndc_z[i + 1]) < 1), dist, np.inf)
    if not len(dist):
        return -1
    best = int(np.argmin(dist))
    return int(rows[line_of_point[i[best]]]) if dist[best] <= tolerance_px else -1
