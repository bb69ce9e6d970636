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

from twin.geometry.mesh import GREY, Color, Mesh, box_mesh, boxes_mesh

Size = tuple[float, float, float]


CHASSIS = (38, 40, 43)
CHASSIS_DARK = (24, 25, 27)
TRAY_BODY = (78, 82, 88)  # steel lid, lighter than the bezel so tray edges read
PANEL = (58, 61, 66)
FRAME = (46, 48, 52)
SLOT = (12, 12, 13)
BEZEL = (30, 31, 34)
HANDLE = (150, 153, 158)
CAGE = (176, 180, 186)
PORT = (20, 20, 22)
LED_GREEN = (40, 190, 80)
LED_AMBER = (220, 150, 40)
PSU = (52, 55, 60)
PSU_ALT = (66, 69, 74)
COPPER = (184, 115, 51)
INSULATOR = (60, 60, 60)
PIPE_BLUE = (40, 90, 170)
PIPE_RED = (175, 50, 45)
STAINLESS = (170, 172, 176)
CABINET = (210, 212, 214)
CABINET_DARK = (90, 94, 100)
DISPLAY = (30, 60, 90)
GALV = (160, 165, 170)
TILE = (190, 192, 194)
TILE_EDGE = (120, 122, 125)
WALL = (200, 198, 192)
OUTLET = (25, 25, 25)

# Corner i of a unit box has x = bit0, y = bit1, z = bit2. Quads are listed
# counter-clockwise seen from outside, then split into two triangles each.
class _Parts:
    """Collects boxes (in part coordinates) and emits one Mesh."""

    def __init__(self) -> None:
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._col: list[np.ndarray] = []

    def box(self, x0: float, x1: float, y0: float, y1: float, z0: float, z1: float, color: Color) -> None:
        self._lo.append(np.array([[x0, y0, z0]], dtype=np.float64))
        self._hi.append(np.array([[x1, y1, z1]], dtype=np.float64))
        self._col.append(np.array([color], dtype=np.uint8))

    def many(self, lo: np.ndarray, hi: np.ndarray, color: Color) -> None:
        lo = np.asarray(lo, dtype=np.float64).reshape(-1, 3)
        hi = np.asarray(hi, dtype=np.float64).reshape(-1, 3)
        self._lo.append(lo)
        self._hi.append(hi)
        self._col.append(np.tile(np.array(color, dtype=np.uint8), (len(lo), 1)))

    def grid_x(self, xs0: np.ndarray, xs1: np.ndarray, y0: float, y1: float, z0: float, z1: float, color: Color) -> None:
        """A row of boxes spread along X, sharing the same y/z span."""
        n = len(xs0)
        lo = np.column_stack([xs0, np.full(n, y0), np.full(n, z0)])
        hi = np.column_stack([xs1, np.full(n, y1), np.full(n, z1)])
        self.many(lo, hi, color)

    def grid_z(self, x0: float, x1: float, y0: float, y1: float, zs0: np.ndarray, zs1: np.ndarray, color: Color) -> None:
        """A stack of boxes spread along Z (slats, louvres, shelves), sharing the same x/y span."""
        n = len(zs0)
        lo = np.column_stack([np.full(n, x0), np.full(n, y0), zs0])
        hi = np.column_stack([np.full(n, x1), np.full(n, y1), zs1])
        self.many(lo, hi, color)

    def mesh(self) -> Mesh:
        return boxes_mesh(np.concatenate(self._lo), np.concatenate(self._hi), np.concatenate(self._col))


def _spread(a: float, b: float, n: int, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """n equal cells spread over [a, b]; each occupies `fill` of its pitch, centred. Returns (starts, ends)."""
    pitch = (b - a) / n
    centres = a + pitch * (np.arange(n) + 0.5)
    half = pitch * fill / 2
    return centres - half, centres + half


# --------------------------------------------------------------------------- part kinds


def _rack(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
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


def _front_tray(w: float, d: float, h: float, p: _Parts) -> tuple[float, float, float]:
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


def _slots(p: _Parts, x0: float, x1: float, yface: float, depth: float, z0: float, z1: float, n: int, color: Color) -> None:
    """A vent of n vertical dark slots on the bezel face (drawn just proud of it)."""
    s0, s1 = _spread(x0, x1, n, 0.55)
    p.grid_x(s0, s1, yface - depth, yface, z0, z1, color)



def _status_leds(p: _Parts, x: float, yf: float, proud: float, h: float, lower: tuple) -> None:
    """Two status LEDs stacked on a tray's bezel at `x`: green above, `lower` below."""
    led = min(0.004, h * 0.1)
    for z, colour in ((h * 0.6, LED_GREEN), (h * 0.3, lower)):
        p.box(x - led / 2, x + led / 2, yf - proud * 0.6, yf, z, z + led, colour)

def _compute_tray(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    yf, x0, x1 = _front_tray(w, d, h, p)
    span = x1 - x0
    proud = min(0.003, d * 0.004)
    # fan grille / vent area on the left part of the bezel
    _slots(p, x0, x0 + span * 0.42, yf, proud * 0.5, h * 0.2, h * 0.8, 16, SLOT)
    # 4 OSFP cages: silver shells with a black port opening
    c0, c1 = _spread(x0 + span * 0.47, x0 + span * 0.93, 4, 0.8)
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
    p = _Parts()
    yf, x0, x1 = _front_tray(w, d, h, p)
    span = x1 - x0
    proud = min(0.003, d * 0.004)
    # 2 rows of 18 port cages across most of the bezel
    c0, c1 = _spread(x0, x0 + span * 0.92, 18, 0.82)
    cw = c1 - c0
    for za, zb in ((h * 0.1, h * 0.48), (h * 0.52, h * 0.9)):
        p.grid_x(c0, c1, yf - proud, yf, za, zb, CAGE)
        dz = (zb - za) * 0.2
        p.grid_x(c0 + cw * 0.12, c1 - cw * 0.12, yf - proud * 1.2, yf - proud, za + dz, zb - dz, PORT)
    lx = x0 + span * 0.97
    _status_leds(p, lx, yf, proud, h, lower=LED_GREEN)
    # rear: NVLink spine connectors
    c0, c1 = _spread(-w * 0.4, w * 0.4, 4, 0.7)
    p.grid_x(c0, c1, d / 2 - d * 0.001, d / 2, h * 0.15, h * 0.85, CAGE)
    return p.mesh()


def _network_switch(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    yf, x0, x1 = _front_tray(w, d, h, p)
    span = x1 - x0
    proud = min(0.003, d * 0.004)
    # 2 rows of 32 ports, grouped into four silver cage blocks per row
    for za, zb in ((h * 0.1, h * 0.48), (h * 0.52, h * 0.9)):
        g0, g1 = _spread(x0, x0 + span * 0.88, 4, 0.96)
        p.grid_x(g0, g1, yf - proud, yf, za, zb, CAGE)
        for a, b in zip(g0, g1):
            s0, s1 = _spread(a, b, 8, 0.72)
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
    f0, f1 = _spread(-w * 0.45, w * 0.45, 6, 0.85)
    p.grid_x(f0, f1, d / 2 - d * 0.002, d / 2, h * 0.08, h * 0.92, CHASSIS_DARK)
    return p.mesh()


def _power_shelf(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    handle_d = min(0.02, d * 0.025)
    y_front = -d / 2
    yf = y_front + handle_d  # PSU faces
    p.box(-w / 2, w / 2, yf + d * 0.02, d / 2, 0, h, TRAY_BODY)  # shelf body
    # six PSU bays across the front: alternating shades so each unit reads separately
    b0, b1 = _spread(-w / 2, w / 2, 6, 0.96)
    bw = b1 - b0
    for i, (a, b) in enumerate(zip(b0, b1)):
        p.box(a, b, yf, yf + d * 0.02, h * 0.04, h * 0.96, PSU if i % 2 == 0 else PSU_ALT)
    proud = min(0.003, d * 0.004)
    # grille on each PSU (left 60 %): 5 slots each
    for a, bwi in zip(b0, bw):
        s0, s1 = _spread(a + bwi * 0.06, a + bwi * 0.6, 5, 0.5)
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
    p = _Parts()
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
    p = _Parts()
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


def _cabinet_shell(p: _Parts, w: float, d: float, h: float, body: Color, top: float) -> float:
    """A cabinet body from z=0 to z=top with a plinth; returns the front face y (doors start there)."""
    inset = min(0.01, d * 0.01)
    plinth = min(0.08, top * 0.04)
    p.box(-w / 2 + inset, w / 2 - inset, -d / 2 + inset, d / 2 - inset, 0, plinth, CHASSIS_DARK)
    p.box(-w / 2, w / 2, -d / 2 + inset, d / 2, plinth, top, body)
    return -d / 2 + inset


def _cdu(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    stub_h = min(0.15, h * 0.07)
    top = h - stub_h
    yf = _cabinet_shell(p, w, d, h, CABINET, top)
    fy = -d / 2
    # front panel: display, grille, door split line and handle
    p.box(-w * 0.3, w * 0.3, fy, yf, top * 0.72, top * 0.85, CHASSIS)
    p.box(-w * 0.25, w * 0.25, fy, fy + (yf - fy) * 0.3, top * 0.74, top * 0.83, DISPLAY)
    z0, z1 = _spread(top * 0.1, top * 0.6, 14, 0.5)  # grille louvres
    p.grid_z(-w * 0.4, w * 0.4, fy, yf, z0, z1, CABINET_DARK)
    p.box(w * 0.36, w * 0.4, fy, yf, top * 0.62, top * 0.7, HANDLE)
    # pipe stubs on top: supply (blue) and return (red) pairs for facility and rack loops
    r = min(0.05, w * 0.08)
    for cx, cy, col in ((-w * 0.25, -d * 0.2, PIPE_BLUE), (-w * 0.25, d * 0.2, PIPE_RED),
                        (w * 0.25, -d * 0.2, PIPE_BLUE), (w * 0.25, d * 0.2, PIPE_RED)):
        p.box(cx - r, cx + r, cy - r, cy + r, top, h - stub_h * 0.2, col)
        p.box(cx - r * 1.4, cx + r * 1.4, cy - r * 1.4, cy + r * 1.4, h - stub_h * 0.2, h, STAINLESS)
    return p.mesh()


def _crah(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    yf = _cabinet_shell(p, w, d, h, CABINET, h)
    fy = -d / 2
    # large fan grilles across the front: one per ~0.8 m of width, each with a slot lattice
    nf = max(1, int(round(w / 0.8)))
    g0, g1 = _spread(-w / 2, w / 2, nf, 0.85)
    for a, b in zip(g0, g1):
        gz0, gz1 = h * 0.35, h * 0.92
        p.box(a, b, fy + (yf - fy) * 0.5, yf, gz0, gz1, CHASSIS_DARK)
        z0, z1 = _spread(gz0, gz1, 12, 0.4)
        p.grid_z(a, b, fy, yf, z0, z1, CABINET_DARK)
    # control panel and lower access panels
    p.box(-w * 0.08, w * 0.08, fy, yf, h * 0.22, h * 0.3, DISPLAY)
    a0, a1 = _spread(-w / 2, w / 2, nf, 0.9)
    p.grid_x(a0, a1, fy + (yf - fy) * 0.5, yf, h * 0.05, h * 0.2, CABINET_DARK)
    return p.mesh()


def _ups(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    yf = _cabinet_shell(p, w, d, h, CHASSIS, h)
    fy = -d / 2
    n = max(1, int(round(w / 0.6)))
    a0, a1 = _spread(-w / 2, w / 2, n, 0.96)
    p.grid_x(a0, a1, fy + (yf - fy) * 0.5, yf, h * 0.04, h * 0.97, PANEL)  # doors
    # display on the first door, vent slots low on each door
    p.box(a0[0] + (a1[0] - a0[0]) * 0.2, a1[0] - (a1[0] - a0[0]) * 0.2, fy, yf, h * 0.72, h * 0.8, DISPLAY)
    for a, b in zip(a0, a1):
        z0, z1 = _spread(h * 0.08, h * 0.3, 6, 0.45)
        p.grid_z(a + (b - a) * 0.15, b - (b - a) * 0.15, fy, yf, z0, z1, SLOT)
        p.box(b - (b - a) * 0.1, b - (b - a) * 0.06, fy, yf, h * 0.5, h * 0.6, HANDLE)
    led = 0.02
    p.box(a0[0] + 0.05, a0[0] + 0.05 + led, fy, yf, h * 0.84, h * 0.84 + led, LED_GREEN)
    return p.mesh()


def _switchboard(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    yf = _cabinet_shell(p, w, d, h, CABINET, h)
    fy = -d / 2
    n = max(1, int(round(w / 0.8)))
    s0, s1 = _spread(-w / 2, w / 2, n, 0.97)
    for a, b in zip(s0, s1):
        # each section: three stacked breaker compartments with a dark breaker face
        c0, c1 = _spread(h * 0.05, h * 0.85, 3, 0.92)
        for z0, z1 in zip(c0, c1):
            p.box(a, b, fy + (yf - fy) * 0.5, yf, z0, z1, (196, 198, 200))
            p.box(a + (b - a) * 0.3, b - (b - a) * 0.3, fy, yf, z0 + (z1 - z0) * 0.3, z1 - (z1 - z0) * 0.3, CHASSIS)
        p.box(a + (b - a) * 0.2, b - (b - a) * 0.2, fy, yf, h * 0.88, h * 0.95, DISPLAY)
    return p.mesh()


def _busway(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    # long housing along X with tap-off boxes hanging beneath every ~0.6 m
    tap_h = h * 0.4
    p.box(-w / 2, w / 2, -d / 2 + d * 0.15, d / 2 - d * 0.15, tap_h, h, GALV)
    p.box(-w / 2, w / 2, -d / 2 + d * 0.05, d / 2 - d * 0.05, h - h * 0.08, h, (140, 145, 150))  # top flange
    n = max(1, int(w / 0.6))
    t0, t1 = _spread(-w / 2, w / 2, n, 0.35)
    p.grid_x(t0, t1, -d / 2, d / 2, 0, tap_h, (70, 75, 82))
    # joint covers
    j = np.linspace(-w / 2, w / 2, max(2, int(w / 3.0) + 1))
    p.grid_x(np.clip(j - 0.03, -w / 2, w / 2), np.clip(j + 0.03, -w / 2, w / 2), -d / 2 + d * 0.1, d / 2 - d * 0.1,
             tap_h, h, (120, 125, 130))
    return p.mesh()


def _pdu(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    p.box(-w / 2, w / 2, -d / 2 + d * 0.1, d / 2, 0, h, CHASSIS)
    # outlets along the front face
    n = max(1, int(h / 0.045))
    z0, z1 = _spread(h * 0.08, h * 0.95, n, 0.6)
    p.grid_z(-w * 0.3, w * 0.3, -d / 2, -d / 2 + d * 0.1, z0, z1, OUTLET)
    # metering display near the bottom
    p.box(-w * 0.35, w * 0.35, -d / 2, -d / 2 + d * 0.1, h * 0.02, h * 0.06, DISPLAY)
    return p.mesh()


def _cable_tray(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
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


def _floor_tile(w: float, d: float, h: float) -> Mesh:
    p = _Parts()
    bevel = min(0.003, w * 0.01, h * 0.2)
    p.box(-w / 2, w / 2, -d / 2, d / 2, 0, h - bevel, TILE_EDGE)
    p.box(-w / 2 + bevel, w / 2 - bevel, -d / 2 + bevel, d / 2 - bevel, h - bevel, h, TILE)
    return p.mesh()


def _wall(w: float, d: float, h: float) -> Mesh:
    return box_mesh((w, d, h), WALL)


_BUILDERS: dict[str, Callable[[float, float, float], Mesh]] = {
    "rack": _rack,
    "compute_tray": _compute_tray,
    "switch_tray": _switch_tray,
    "network_switch": _network_switch,
    "power_shelf": _power_shelf,
    "busbar": _busbar,
    "manifold": _manifold,
    "cdu": _cdu,
    "crah": _crah,
    "ups": _ups,
    "switchboard": _switchboard,
    "busway": _busway,
    "pdu": _pdu,
    "cable_tray": _cable_tray,
    "floor_tile": _floor_tile,
    "wall": _wall,
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
