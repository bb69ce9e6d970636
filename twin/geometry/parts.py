"""Procedural meshes for the part kinds twin draws when no CAD file is supplied.

Every part is assembled from axis-aligned boxes (built many at once with numpy) so the
meshes stay small, watertight per box, and carry per-face colours that make a bezel,
handles, port cages and LEDs read as different things in a design-review render.

Frame convention (shared by all geometry layers): metres, Z up, X across the width,
Y along the depth with the FRONT facing -Y, origin at the centre of the bottom face of
the bounding box. A part of size (w, d, h) spans x in [-w/2, w/2], y in [-d/2, d/2],
z in [0, h].
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from twin.geometry.facility_parts import (busway_mesh, cable_tray_mesh, cdu_mesh, crah_mesh, floor_tile_mesh, pdu_mesh,
                                          switchboard_mesh, ups_mesh, wall_mesh)
from twin.geometry.mesh import GREY, Color, Mesh, box_mesh
from twin.geometry.part_boxes import (BEZEL, CAGE, CHASSIS, CHASSIS_DARK, COPPER, FRAME, HANDLE, INSULATOR, LED_AMBER,
                                      LED_GREEN, PANEL, PIPE_BLUE, PIPE_RED, PORT, PSU, PSU_ALT, SLOT, STAINLESS,
                                      TRAY_BODY, PartBoxes, Size, spread)

# --------------------------------------------------------------------------- part kinds


def _rack(w: float, d: float, h: float) -> Mesh:
    p = PartBoxes()
    post = min(0.05, w * 0.08, d * 0.05)
    door_t = min(0.025, d * 0.025)
    y_front, y_rear = -d / 2, d / 2
    yf_in, yr_in = y_front + door_t, y_rear - door_t  # frame sits between the doors
    rail = min(0.06, h * 0.03)
    side_t = min(0.012, w * 0.02)
    # four corner posts
    for sx in (-1, 1):
        x0, x1 = (-w / 2, -w / 2 + post) if sx < 0 else (w / 2 - post, w / 2)
        p.box(x0, x1, yf_in, yf_in + post, 0, h, FRAME)
        p.box(x0, x1, yr_in - post, yr_in, 0, h, FRAME)
    # top and bottom frames: front/rear cross rails and side rails
    for z0, z1 in ((0.0, rail), (h - rail, h)):
        p.box(-w / 2 + post, w / 2 - post, yf_in, yf_in + post, z0, z1, FRAME)
        p.box(-w / 2 + post, w / 2 - post, yr_in - post, yr_in, z0, z1, FRAME)
        for sx in (-1, 1):
            x0, x1 = (-w / 2, -w / 2 + post) if sx < 0 else (w / 2 - post, w / 2)
            p.box(x0, x1, yf_in + post, yr_in - post, z0, z1, FRAME)
    # levelling feet
    foot = post * 0.8
    for sx in (-1, 1):
        for yy in (yf_in + post / 2, yr_in - post / 2):
            cx = sx * (w / 2 - post / 2)
            p.box(cx - foot / 2, cx + foot / 2, yy - foot / 2, yy + foot / 2, 0, min(0.02, rail * 0.5), CHASSIS_DARK)
    # side panels (outer skin between the posts)
    for sx in (-1, 1):
        x0, x1 = (-w / 2, -w / 2 + side_t) if sx < 0 else (w / 2 - side_t, w / 2)
        p.box(x0, x1, yf_in + post, yr_in - post, rail, h - rail, PANEL)
    # perforated doors: dark recessed backing, a door frame, and a lattice of bars
    cols, rows = 10, 40
    for front in (True, False):
        ya, yb = (y_front, yf_in) if front else (yr_in, y_rear)
        outer = ya if front else yb  # face seen from outside
        sgn = 1.0 if front else -1.0  # direction into the rack
        back_y0, back_y1 = sorted((outer + sgn * door_t * 0.6, outer + sgn * door_t))
        bar_y0, bar_y1 = sorted((outer, outer + sgn * door_t * 0.6))
        dz0, dz1 = rail * 0.5, h - rail * 0.5
        dx0, dx1 = -w / 2 + side_t, w / 2 - side_t
        stile = (dx1 - dx0) * 0.06
        band = (dz1 - dz0) * 0.03
        p.box(dx0, dx1, back_y0, back_y1, dz0, dz1, SLOT)
        # door frame: stiles and top/bottom bands
        p.box(dx0, dx0 + stile, bar_y0, bar_y1, dz0, dz1, CHASSIS)
        p.box(dx1 - stile, dx1, bar_y0, bar_y1, dz0, dz1, CHASSIS)
        p.box(dx0 + stile, dx1 - stile, bar_y0, bar_y1, dz0, dz0 + band, CHASSIS)
        p.box(dx0 + stile, dx1 - stile, bar_y0, bar_y1, dz1 - band, dz1, CHASSIS)
        gx0, gx1 = dx0 + stile, dx1 - stile
        gz0, gz1 = dz0 + band, dz1 - band
        # vertical bars between slot columns, horizontal bars between slot rows
        pitch_x = (gx1 - gx0) / cols
        bar_w = pitch_x * 0.3
        xs = gx0 + pitch_x * np.arange(1, cols)
        p.grid_x(xs - bar_w / 2, xs + bar_w / 2, bar_y0, bar_y1, gz0, gz1, CHASSIS)
        pitch_z = (gz1 - gz0) / rows
        bar_h = pitch_z * 0.35
        zs = gz0 + pitch_z * np.arange(1, rows)
        p.grid_z(gx0, gx1, bar_y0, bar_y1, zs - bar_h / 2, zs + bar_h / 2, CHASSIS)
        # handle on the latch side
        hx = dx1 - stile * 0.5
        hz = h * 0.5
        p.box(hx - stile * 0.2, hx + stile * 0.2, bar_y0, bar_y1, hz - 0.1, hz + 0.1, HANDLE)
        # hinges on the other side
        for zz in (h * 0.15, h * 0.85):
            p.box(dx0, dx0 + stile * 0.4, bar_y0, bar_y1, zz - 0.03, zz + 0.03, HANDLE)
    return p.mesh()


def _front_tray(w: float, d: float, h: float, p: PartBoxes) -> tuple[float, float, float]:
    """Common 1U tray body: chassis, proud bezel, front handles. Returns (bezel face y, usable x0, x1)."""
    handle_d = min(0.02, d * 0.025)
    bezel_t = min(0.006, d * 0.01)
    y_front = -d / 2
    y_bezel_face = y_front + handle_d
    y_body = y_bezel_face + bezel_t
    p.box(-w / 2 + w * 0.01, w / 2 - w * 0.01, y_body, d / 2, 0, h * 0.96, TRAY_BODY)
    p.box(-w / 2, w / 2, y_bezel_face, y_body, 0, h, BEZEL)  # bezel, full width (ears)
    # two handles at the front corners: a bar on two standoffs
    hw = min(0.03, w * 0.06)
    for sx in (-1, 1):
        xo = sx * (w / 2 - hw * 0.15)
        xi = sx * (w / 2 - hw * 1.15)
        x0, x1 = sorted((xo, xi))
        p.box(x0, x1, y_front, y_front + handle_d * 0.35, h * 0.2, h * 0.8, HANDLE)
        for z0, z1 in ((h * 0.2, h * 0.32), (h * 0.68, h * 0.8)):
            p.box(x0, x1, y_front + handle_d * 0.35, y_bezel_face, z0, z1, HANDLE)
    x_lo = -w / 2 + hw * 1.5
    x_hi = w / 2 - hw * 1.5
    return y_bezel_face, x_lo, x_hi


def _slots(p: PartBoxes, x0: float, x1: float, yface: float, depth: float, z0: float, z1: float, n: int, color: Color) -> None:
    """A vent of n vertical dark slots on the bezel face (drawn just proud of it)."""
    s0, s1 = spread(x0, x1, n, 0.55)
    p.grid_x(s0, s1, yface - depth, yface, z0, z1, color)



def _status_leds(p: PartBoxes, x: float, yf: float, proud: float, h: float, lower: tuple) -> None:
    """Two status LEDs stacked on a tray's bezel at `x`: green above, `lower` below."""
    led = min(0.004, h * 0.1)
    for z, colour in ((h * 0.6, LED_GREEN), (h * 0.3, lower)):
        p.box(x - led / 2, x + led / 2, yf - proud * 0.6, yf, z, z + led, colour)

def _compute_tray(w: float, d: float, h: float) -> Mesh:
    p = PartBoxes()
    yf, x0, x1 = _front_tray(w, d, h, p)
    span = x1 - x0
    proud = min(0.003, d * 0.004)
    # fan grille / vent area on the left part of the bezel
    _slots(p, x0, x0 + span * 0.42, yf, proud * 0.5, h * 0.2, h * 0.8, 16, SLOT)
    # 4 OSFP cages: silver shells with a black port opening
    c0, c1 = spread(x0 + span * 0.47, x0 + span * 0.93, 4, 0.8)
    p.grid_x(c0, c1, yf - proud, yf, h * 0.18, h * 0.82, CAGE)
    cw = c1 - c0
    p.grid_x(c0 + cw * 0.12, c1 - cw * 0.12, yf - proud * 1.2, yf - proud, h * 0.3, h * 0.7, PORT)
    # status LEDs and a small label plate
    lx = x0 + span * 0.97
    _status_leds(p, lx, yf, proud, h, lower=LED_AMBER)
    # rear: power/liquid connectors
    p.box(-w * 0.2, -w * 0.05, d / 2 - d * 0.001, d / 2, h * 0.25, h * 0.75, CAGE)
    for cx, col in ((w * 0.1, PIPE_BLUE), (w * 0.2, PIPE_RED)):
        p.box(cx - w * 0.02, cx + w * 0.02, d / 2 - d * 0.001, d / 2, h * 0.25, h * 0.75, col)
    return p.mesh()


def _switch_tray(w: float, d: float, h: float) -> Mesh:
    p = PartBoxes()
    yf, x0, x1 = _front_tray(w, d, h, p)
    span = x1 - x0
    proud = min(0.003, d * 0.004)
    # 2 rows of 18 port cages across most of the bezel
    c0, c1 = spread(x0, x0 + span * 0.92, 18, 0.82)
    cw = c1 - c0
    for za, zb in ((h * 0.1, h * 0.48), (h * 0.52, h * 0.9)):
        p.grid_x(c0, c1, yf - proud, yf, za, zb, CAGE)
        dz = (zb - za) * 0.2
        p.grid_x(c0 + cw * 0.12, c1 - cw * 0.12, yf - proud * 1.2, yf - proud, za + dz, zb - dz, PORT)
    lx = x0 + span * 0.97
    _status_leds(p, lx, yf, proud, h, lower=LED_GREEN)
    # rear: NVLink spine connectors
    c0, c1 = spread(-w * 0.4, w * 0.4, 4, 0.7)
    p.grid_x(c0, c1, d / 2 - d * 0.001, d / 2, h * 0.15, h * 0.85, CAGE)
    return p.mesh()


def _network_switch(w: float, d: float, h: float) -> Mesh:
    p = PartBoxes()
    yf, x0, x1 = _front_tray(w, d, h, p)
    span = x1 - x0
    proud = min(0.003, d * 0.004)
    # 2 rows of 32 ports, grouped into four silver cage blocks per row
    for za, zb in ((h * 0.1, h * 0.48), (h * 0.52, h * 0.9)):
        g0, g1 = spread(x0, x0 + span * 0.88, 4, 0.96)
        p.grid_x(g0, g1, yf - proud, yf, za, zb, CAGE)
        for a, b in zip(g0, g1):
            s0, s1 = spread(a, b, 8, 0.72)
            dz = (zb - za) * 0.18
            p.grid_x(s0, s1, yf - proud * 1.2, yf - proud, za + dz, zb - dz, PORT)
    # management ports and LEDs at the right
    mx = x0 + span * 0.93
    pw = span * 0.025
    p.box(mx - pw, mx + pw, yf - proud, yf, h * 0.55, h * 0.85, PORT)
    p.box(mx - pw, mx + pw, yf - proud, yf, h * 0.15, h * 0.45, PORT)
    lx = x0 + span * 0.985
    _status_leds(p, lx, yf, proud, h, lower=LED_AMBER)
    # rear fans and PSUs
    f0, f1 = spread(-w * 0.45, w * 0.45, 6, 0.85)
    p.grid_x(f0, f1, d / 2 - d * 0.002, d / 2, h * 0.08, h * 0.92, CHASSIS_DARK)
    return p.mesh()


def _power_shelf(w: float, d: float, h: float) -> Mesh:
    p = PartBoxes()
    handle_d = min(0.02, d * 0.025)
    y_front = -d / 2
    yf = y_front + handle_d  # PSU faces
    p.box(-w / 2, w / 2, yf + d * 0.02, d / 2, 0, h, TRAY_BODY)  # shelf body
    # six PSU bays across the front: alternating shades so each unit reads separately
    b0, b1 = spread(-w / 2, w / 2, 6, 0.96)
    bw = b1 - b0
    for i, (a, b) in enumerate(zip(b0, b1)):
        p.box(a, b, yf, yf + d * 0.02, h * 0.04, h * 0.96, PSU if i % 2 == 0 else PSU_ALT)
    proud = min(0.003, d * 0.004)
    # grille on each PSU (left 60 %): 5 slots each
    for a, bwi in zip(b0, bw):
        s0, s1 = spread(a + bwi * 0.06, a + bwi * 0.6, 5, 0.5)
        p.grid_x(s0, s1, yf - proud * 0.5, yf, h * 0.2, h * 0.8, SLOT)
    # handles protrude to the very front
    hx0 = b0 + bw * 0.66
    hx1 = b0 + bw * 0.9
    p.grid_x(hx0, hx1, y_front, y_front + handle_d * 0.35, h * 0.3, h * 0.7, HANDLE)
    p.grid_x(hx0, hx0 + bw * 0.03, y_front + handle_d * 0.35, yf, h * 0.3, h * 0.7, HANDLE)
    p.grid_x(hx1 - bw * 0.03, hx1, y_front + handle_d * 0.35, yf, h * 0.3, h * 0.7, HANDLE)
    # status LEDs
    led = min(0.004, h * 0.1)
    lx = b0 + bw * 0.95
    p.grid_x(lx - led / 2, lx + led / 2, yf - proud * 0.6, yf, h * 0.6, h * 0.6 + led, LED_GREEN)
    # rear: busbar clip
    p.box(-w * 0.1, w * 0.1, d / 2 - d * 0.01, d / 2, h * 0.2, h * 0.8, COPPER)
    return p.mesh()


def _busbar(w: float, d: float, h: float) -> Mesh:
    p = PartBoxes()
    # insulated standoffs at top and bottom, two copper conductors between
    p.box(-w / 2, w / 2, -d / 2, d / 2, 0, h * 0.03, INSULATOR)
    p.box(-w / 2, w / 2, -d / 2, d / 2, h * 0.97, h, INSULATOR)
    gap = w * 0.08
    p.box(-w / 2 + w * 0.05, -gap / 2, -d / 2 + d * 0.1, d / 2 - d * 0.1, h * 0.03, h * 0.97, COPPER)
    p.box(gap / 2, w / 2 - w * 0.05, -d / 2 + d * 0.1, d / 2 - d * 0.1, h * 0.03, h * 0.97, COPPER)
    # insulating spacer brackets along the run
    zs = np.linspace(h * 0.15, h * 0.85, 5)
    p.grid_z(-w / 2, w / 2, -d / 2, d / 2, zs - h * 0.01, zs + h * 0.01, INSULATOR)
    return p.mesh()


def _manifold(w: float, d: float, h: float, color: Color = PIPE_BLUE) -> Mesh:
    p = PartBoxes()
    # main pipe occupies the rear 60 % of the depth; QD stubs point forward (-Y)
    pipe_y0 = -d / 2 + d * 0.4
    p.box(-w / 2, w / 2, pipe_y0, d / 2, h * 0.02, h * 0.98, color)
    p.box(-w / 2, w / 2, pipe_y0, d / 2, 0, h * 0.02, STAINLESS)  # end caps
    p.box(-w / 2, w / 2, pipe_y0, d / 2, h * 0.98, h, STAINLESS)
    n = 36
    zs = np.linspace(h * 0.06, h * 0.94, n)
    sw = w * 0.5
    sh = min(h * 0.01, w * 0.5)
    p.grid_z(-sw / 2, sw / 2, -d / 2 + d * 0.15, pipe_y0, zs - sh / 2, zs + sh / 2, STAINLESS)
    tw = sw * 0.7
    p.grid_z(-tw / 2, tw / 2, -d / 2, -d / 2 + d * 0.15, zs - sh * 0.35, zs + sh * 0.35, CHASSIS_DARK)  # QD couplers
    return p.mesh()


_BUILDERS: dict[str, Callable[[float, float, float], Mesh]] = {
    "rack": _rack,
    "compute_tray": _compute_tray,
    "switch_tray": _switch_tray,
    "network_switch": _network_switch,
    "power_shelf": _power_shelf,
    "busbar": _busbar,
    "manifold": _manifold,
    "cdu": cdu_mesh,
    "crah": crah_mesh,
    "ups": ups_mesh,
    "switchboard": switchboard_mesh,
    "busway": busway_mesh,
    "pdu": pdu_mesh,
    "cable_tray": cable_tray_mesh,
    "floor_tile": floor_tile_mesh,
    "wall": wall_mesh,
}

#: Typical sizes (w, d, h) in metres, used for the bundled assets and as defaults.
TYPICAL_SIZES: dict[str, Size] = {
    "rack": (0.600, 1.098, 2.286),
    "compute_tray": (0.537, 0.900, 0.044),
    "switch_tray": (0.537, 0.900, 0.044),
    "network_switch": (0.440, 0.600, 0.044),
    "power_shelf": (0.537, 0.750, 0.044),
    "busbar": (0.100, 0.030, 2.000),
    "manifold": (0.060, 0.060, 2.000),
    "cdu": (0.600, 1.200, 2.300),
    "crah": (2.500, 0.900, 2.000),
    "ups": (1.200, 0.900, 2.000),
    "switchboard": (3.200, 0.800, 2.200),
    "busway": (6.000, 0.200, 0.150),
    "pdu": (0.060, 0.050, 1.800),
    "cable_tray": (3.000, 0.300, 0.100),
    "floor_tile": (0.600, 0.600, 0.025),
    "wall": (3.000, 0.200, 3.000),
}

PART_KINDS: tuple[str, ...] = tuple(_BUILDERS)


def part_mesh(kind: str, size: Sequence[float]) -> Mesh:
    """Procedural mesh for `kind` at `size` (w, d, h) metres; unknown kinds give a plain grey box."""
    w, d, h = (float(s) for s in size)
    if not all(np.isfinite((w, d, h))) or min(w, d, h) <= 0:
        raise ValueError(f"part size must be three positive finite numbers, got {tuple(size)!r}")
    builder = _BUILDERS.get(kind)
    if builder is None:
        return box_mesh((w, d, h), GREY)
    return builder(w, d, h)
