"""Boxes, colours and spacing shared by the procedural part meshes (twin.geometry.parts for rack
equipment, twin.geometry.facility_parts for hall gear).

Frame convention (shared by all geometry layers): metres, Z up, X across the width, Y along
the depth with the FRONT facing -Y, origin at the centre of the bottom face of the bounding
box. A part of size (w, d, h) spans x in [-w/2, w/2], y in [-d/2, d/2], z in [0, h].
"""

from __future__ import annotations

import numpy as np

from twin.geometry.mesh import Color, Mesh, boxes_mesh

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
class PartBoxes:
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


def spread(a: float, b: float, n: int, fill: float) -> tuple[np.ndarray, np.ndarray]:
    """n equal cells spread over [a, b]; each occupies `fill` of its pitch, centred. Returns (starts, ends)."""
    pitch = (b - a) / n
    centres = a + pitch * (np.arange(n) + 0.5)
    half = pitch * fill / 2
    return centres - half, centres + half
