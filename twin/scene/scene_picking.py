"""What lies under a pixel or along a ray in a `Scene`: parts, far halls' row blocks, cables,
and the surface point zoom-to-cursor aims at. Ray–box arithmetic, no render pass.

A part of `Scene` (`scene.picking`), with one job: what is under a pixel or a ray. It reads
the scene's geometry, site level, level of detail and view state, and never changes them.
"""

from __future__ import annotations

import numpy as np

from typing import TYPE_CHECKING

from twin.geometry.raycast import ray_box_hits
from twin.scene.cables import nearest_cable
from twin.scene.camera import inside_boxes
from twin.scene.picking import display_ray, pick_ray, surface_point

if TYPE_CHECKING:
    from twin.scene.scene import Scene


class Picker:
    """Picking of parts, row blocks and cables, in window pixels (image convention) or by ray."""

    def __init__(self, scene: "Scene"):
        self.scene = scene

    # ------------------------------------------------------------------ picking
    def pick(self, x: float, y: float) -> int:
        """Part under pixel (x, y) (image convention: y down from the top), or -1 (also over the
        legend strip). No render pass."""
        if not self.scene.camera.in_view(x, y):
            return -1
        return self.pick_ray(*display_ray(self.scene.renderer, self.scene.render_window.GetSize()[1], x, y))

    def pick_ray(self, origin: np.ndarray, direction: np.ndarray) -> int:
        """The part the ray meets first, or -1 (also when a far hall's row block is in front)."""
        return self.first_hit(origin, direction)[0]

    def pick_row(self, x: float, y: float) -> tuple[str, str] | None:
        """(hall, row) of the far hall's row block under pixel (x, y), or None (a part, nothing,
        or the legend strip)."""
        if not self.scene.camera.in_view(x, y):
            return None
        _, block = self.first_hit(*display_ray(self.scene.renderer, self.scene.render_window.GetSize()[1], x, y))
        if block < 0:
            return None
        blocks = self.scene.site.blocks
        return str(self.scene.design.halls.name[blocks.hall[block]]), str(blocks.row[block])

    def first_hit(self, origin: np.ndarray, direction: np.ndarray) -> tuple[int, int]:
        """(part, -1) or (-1, row block) for what the ray meets first among the drawn parts of
        near halls (through the pick cell index) and the row blocks of far halls; (-1, -1): nothing."""
        part = pick_ray(self.scene.geometry, self.scene.visible, self.scene.lod.detail_racks, self.scene.state.section, origin, direction,
                        self.scene.site.parts_under_ray(origin, direction))
        block, t_block = self.scene.site.pick(origin, direction)
        if part >= 0 and block >= 0:
            t_part = float(ray_box_hits(origin, direction, self.scene.geometry.box_lo[[part]], self.scene.geometry.box_hi[[part]])[0])
            return (part, -1) if t_part <= t_block else (-1, block)
        return part, block

    def point_under(self, x: float, y: float) -> np.ndarray:
        """The world point under pixel (x, y) (what zoom-to-cursor zooms toward); over the legend
        strip, under the nearest pixel of the 3D view."""
        x0, y0, x1, y1 = self.scene.camera.view_box()
        x, y = min(max(x, x0), x1 - 1), min(max(y, y0), y1 - 1)
        return surface_point(self.scene.geometry, self.scene.drawn, self.scene.lod.detail_racks, self.scene.state.section, self.scene.renderer,
                             self.scene.render_window.GetSize()[1], x, y)

    def inside_solid(self, point: np.ndarray, margin: float = 0.05) -> bool:
        """Whether `point` lies inside a rack or a free-standing part's box (not a place for a camera)."""
        solid = ~self.scene.geometry.is_inner
        return bool(inside_boxes(point, self.scene.geometry.box_lo[solid], self.scene.geometry.box_hi[solid], margin).any())

    def pick_cable(self, x: float, y: float, tolerance_px: float = 6.0) -> int:
        """Cable row drawn nearest pixel (x, y) (image convention) within `tolerance_px`, or -1.

        Arithmetic on the drawn routes projected to the screen, no render pass; at hall scale
        it answers with the cable that stands for its bundle."""
        if not self.scene.camera.in_view(x, y):
            return -1
        return nearest_cable(self.scene.design, self.scene.decorations.cable_rows, self.scene.camera.project, self.scene.camera.project_ndc, x, y,
                             tolerance_px)
