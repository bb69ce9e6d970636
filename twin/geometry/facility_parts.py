"""Procedural meshes of hall gear: CDUs, CRAHs, UPSs, switchboards, busways, PDUs, cable trays,
floor tiles and walls (the rack equipment is in twin.geometry.parts, which registers both).
"""

from __future__ import annotations

import numpy as np

from twin.geometry.mesh import Color, Mesh, box_mesh
from twin.geometry.part_boxes import (CABINET, CABINET_DARK, CHASSIS, CHASSIS_DARK, DISPLAY, GALV, HANDLE, LED_GREEN,
                                      OUTLET, PANEL, PIPE_BLUE, PIPE_RED, SLOT, STAINLESS, TILE, TILE_EDGE, WALL,
                                      PartBoxes, spread)


def _cabinet_shell(p: PartBoxes, w: float, d: float, h: float, body: Color, top: float) -> float:
    """A cabinet body from z=0 to z=top with a plinth; returns the front face y (doors start there)."""
    inset = min(0.01, d * 0.01)
    plinth = min(0.08, top * 0.04)
    p.box(-w / 2 + inset, w / 2 - inset, -d / 2 + inset, d / 2 - inset, 0, plinth, CHASSIS_DARK)
    p.box(-w / 2, w / 2, -d / 2 + inset, d / 2, plinth, top, body)
    return -d / 2 + inset


def cdu_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural cdu mesh at (w, d, h) metres."""
    p = PartBoxes()
    stub_h = min(0.15, h * 0.07)
    top = h - stub_h
    yf = _cabinet_shell(p, w, d, h, CABINET, top)
    fy = -d / 2
    # front panel: display, grille, door split line and handle
    p.box(-w * 0.3, w * 0.3, fy, yf, top * 0.72, top * 0.85, CHASSIS)
    p.box(-w * 0.25, w * 0.25, fy, fy + (yf - fy) * 0.3, top * 0.74, top * 0.83, DISPLAY)
    z0, z1 = spread(top * 0.1, top * 0.6, 14, 0.5)  # grille louvres
    p.grid_z(-w * 0.4, w * 0.4, fy, yf, z0, z1, CABINET_DARK)
    p.box(w * 0.36, w * 0.4, fy, yf, top * 0.62, top * 0.7, HANDLE)
    # pipe stubs on top: supply (blue) and return (red) pairs for facility and rack loops
    r = min(0.05, w * 0.08)
    for cx, cy, col in ((-w * 0.25, -d * 0.2, PIPE_BLUE), (-w * 0.25, d * 0.2, PIPE_RED),
                        (w * 0.25, -d * 0.2, PIPE_BLUE), (w * 0.25, d * 0.2, PIPE_RED)):
        p.box(cx - r, cx + r, cy - r, cy + r, top, h - stub_h * 0.2, col)
        p.box(cx - r * 1.4, cx + r * 1.4, cy - r * 1.4, cy + r * 1.4, h - stub_h * 0.2, h, STAINLESS)
    return p.mesh()


def crah_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural crah mesh at (w, d, h) metres."""
    p = PartBoxes()
    yf = _cabinet_shell(p, w, d, h, CABINET, h)
    fy = -d / 2
    # large fan grilles across the front: one per ~0.8 m of width, each with a slot lattice
    nf = max(1, int(round(w / 0.8)))
    g0, g1 = spread(-w / 2, w / 2, nf, 0.85)
    for a, b in zip(g0, g1):
        gz0, gz1 = h * 0.35, h * 0.92
        p.box(a, b, fy + (yf - fy) * 0.5, yf, gz0, gz1, CHASSIS_DARK)
        z0, z1 = spread(gz0, gz1, 12, 0.4)
        p.grid_z(a, b, fy, yf, z0, z1, CABINET_DARK)
    # control panel and lower access panels
    p.box(-w * 0.08, w * 0.08, fy, yf, h * 0.22, h * 0.3, DISPLAY)
    a0, a1 = spread(-w / 2, w / 2, nf, 0.9)
    p.grid_x(a0, a1, fy + (yf - fy) * 0.5, yf, h * 0.05, h * 0.2, CABINET_DARK)
    return p.mesh()


def ups_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural ups mesh at (w, d, h) metres."""
    p = PartBoxes()
    yf = _cabinet_shell(p, w, d, h, CHASSIS, h)
    fy = -d / 2
    n = max(1, int(round(w / 0.6)))
    a0, a1 = spread(-w / 2, w / 2, n, 0.96)
    p.grid_x(a0, a1, fy + (yf - fy) * 0.5, yf, h * 0.04, h * 0.97, PANEL)  # doors
    # display on the first door, vent slots low on each door
    p.box(a0[0] + (a1[0] - a0[0]) * 0.2, a1[0] - (a1[0] - a0[0]) * 0.2, fy, yf, h * 0.72, h * 0.8, DISPLAY)
    for a, b in zip(a0, a1):
        z0, z1 = spread(h * 0.08, h * 0.3, 6, 0.45)
        p.grid_z(a + (b - a) * 0.15, b - (b - a) * 0.15, fy, yf, z0, z1, SLOT)
        p.box(b - (b - a) * 0.1, b - (b - a) * 0.06, fy, yf, h * 0.5, h * 0.6, HANDLE)
    led = 0.02
    p.box(a0[0] + 0.05, a0[0] + 0.05 + led, fy, yf, h * 0.84, h * 0.84 + led, LED_GREEN)
    return p.mesh()


def switchboard_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural switchboard mesh at (w, d, h) metres."""
    p = PartBoxes()
    yf = _cabinet_shell(p, w, d, h, CABINET, h)
    fy = -d / 2
    n = max(1, int(round(w / 0.8)))
    s0, s1 = spread(-w / 2, w / 2, n, 0.97)
    for a, b in zip(s0, s1):
        # each section: three stacked breaker compartments with a dark breaker face
        c0, c1 = spread(h * 0.05, h * 0.85, 3, 0.92)
        for z0, z1 in zip(c0, c1):
            p.box(a, b, fy + (yf - fy) * 0.5, yf, z0, z1, (196, 198, 200))
            p.box(a + (b - a) * 0.3, b - (b - a) * 0.3, fy, yf, z0 + (z1 - z0) * 0.3, z1 - (z1 - z0) * 0.3, CHASSIS)
        p.box(a + (b - a) * 0.2, b - (b - a) * 0.2, fy, yf, h * 0.88, h * 0.95, DISPLAY)
    return p.mesh()


def busway_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural busway mesh at (w, d, h) metres."""
    p = PartBoxes()
    # long housing along X with tap-off boxes hanging beneath every ~0.6 m
    tap_h = h * 0.4
    p.box(-w / 2, w / 2, -d / 2 + d * 0.15, d / 2 - d * 0.15, tap_h, h, GALV)
    p.box(-w / 2, w / 2, -d / 2 + d * 0.05, d / 2 - d * 0.05, h - h * 0.08, h, (140, 145, 150))  # top flange
    n = max(1, int(w / 0.6))
    t0, t1 = spread(-w / 2, w / 2, n, 0.35)
    p.grid_x(t0, t1, -d / 2, d / 2, 0, tap_h, (70, 75, 82))
    # joint covers
    j = np.linspace(-w / 2, w / 2, max(2, int(w / 3.0) + 1))
    p.grid_x(np.clip(j - 0.03, -w / 2, w / 2), np.clip(j + 0.03, -w / 2, w / 2), -d / 2 + d * 0.1, d / 2 - d * 0.1,
             tap_h, h, (120, 125, 130))
    return p.mesh()


def pdu_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural pdu mesh at (w, d, h) metres."""
    p = PartBoxes()
    p.box(-w / 2, w / 2, -d / 2 + d * 0.1, d / 2, 0, h, CHASSIS)
    # outlets along the front face
    n = max(1, int(h / 0.045))
    z0, z1 = spread(h * 0.08, h * 0.95, n, 0.6)
    p.grid_z(-w * 0.3, w * 0.3, -d / 2, -d / 2 + d * 0.1, z0, z1, OUTLET)
    # metering display near the bottom
    p.box(-w * 0.35, w * 0.35, -d / 2, -d / 2 + d * 0.1, h * 0.02, h * 0.06, DISPLAY)
    return p.mesh()


def cable_tray_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural cable tray mesh at (w, d, h) metres."""
    p = PartBoxes()
    rail = min(0.01, d * 0.05)
    p.box(-w / 2, w / 2, -d / 2, -d / 2 + rail, 0, h, GALV)
    p.box(-w / 2, w / 2, d / 2 - rail, d / 2, 0, h, GALV)
    n = max(2, int(w / 0.3) + 1)
    xs = np.linspace(-w / 2 + rail, w / 2 - rail, n)
    rung_h = min(0.015, h * 0.2)
    lo = np.column_stack([xs - rail, np.full(n, -d / 2 + rail), np.zeros(n)])
    hi = np.column_stack([xs + rail, np.full(n, d / 2 - rail), np.full(n, rung_h)])
    p.many(lo, hi, (135, 140, 146))  # rungs a shade darker than the rails
    return p.mesh()


def floor_tile_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural floor tile mesh at (w, d, h) metres."""
    p = PartBoxes()
    bevel = min(0.003, w * 0.01, h * 0.2)
    p.box(-w / 2, w / 2, -d / 2, d / 2, 0, h - bevel, TILE_EDGE)
    p.box(-w / 2 + bevel, w / 2 - bevel, -d / 2 + bevel, d / 2 - bevel, h - bevel, h, TILE)
    return p.mesh()


def wall_mesh(w: float, d: float, h: float) -> Mesh:
    """The procedural wall mesh at (w, d, h) metres."""
    return box_mesh((w, d, h), WALL)
