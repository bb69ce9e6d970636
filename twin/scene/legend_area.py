"""The legend area: a strip at the right of the render window, with its own renderer, that
holds the legends of the overlay and of a CFD field.

Why: as in ParaView and CAD viewers, a legend gets screen space of its own instead of
floating over the design. The 3D renderer's viewport is shrunk to the rest of the window, so
every camera framing (named views, Home, fly-to) fits the design in what remains and no
part of the design is ever drawn under a legend; the strip's panel is a renderer of its own,
so nothing of the 3D scene reaches into it either. The strip is as wide as its legends'
text measured in the font they are drawn in; the font follows the window height; long
category lists wrap into columns, and the font shrinks before the strip would take more than
`MAX_SHARE` of the width. Nothing is ever cut. The app and every export draw the same strip,
since both render a `twin.scene.Scene`; it is laid out again whenever the window's size
changes (checked before each frame).
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkRenderWindow, vtkTextActor

from twin.scene.legend import Drawn, LegendBlock, LegendStyle, rectangles_actor

BACKGROUND = (0.94, 0.945, 0.955)
EDGE_RGB = (0.70, 0.72, 0.76)
MAX_SHARE = 0.36            # of the window width, before the font shrinks
MIN_FONT_PX, MAX_FONT_PX = 8, 20
PX_PER_FONT_PX = 50         # window height per pixel of font: 14 px at 720, 20 px at 1080, 11 px at 360


def font_for(height: int) -> int:
    """The legend font for a window `height` pixels tall (never below 11 px unless it must shrink)."""
    return int(np.clip(round(height / PX_PER_FONT_PX), 11, MAX_FONT_PX))


class LegendArea:
    """The legends of one scene, laid out in a strip at the right of `render_window`; the strip's
    width is taken from `view_renderer`'s viewport (the whole window when there is no legend)."""

    def __init__(self, render_window: vtkRenderWindow, view_renderer: vtkRenderer):
        self.window = render_window
        self.view = view_renderer
        self.renderer = vtkRenderer()
        self.renderer.SetBackground(*BACKGROUND)
        self.renderer.InteractiveOff()         # mouse events over the strip go to the 3D view
        self.blocks: list[LegendBlock] = []
        self.drawn: list[Drawn] = []
        self.style: LegendStyle | None = None
        self.width_px = 0
        self._laid_out_for: tuple[int, int] | None = None

    # ------------------------------------------------------------------ content
    def set_blocks(self, blocks: list[LegendBlock | None]) -> None:
        """Show these legends, top to bottom (None entries are skipped), and lay the strip out."""
        self.blocks = [b for b in blocks if b is not None]
        self._laid_out_for = None
        self.layout()

    def text_actors(self) -> list[vtkTextActor]:
        """Every title and label drawn in the strip, top block first."""
        return [t for d in self.drawn for t in d.texts]

    # ------------------------------------------------------------------ where things are, in window pixels
    def view_size(self) -> tuple[int, int]:
        """Pixels of the window the 3D view draws in (laid out for the window's size first)."""
        self.layout()
        w, h = self.view.GetSize()
        return max(int(w), 1), max(int(h), 1)

    def view_box(self) -> tuple[int, int, int, int]:
        """The 3D view as (x0, y0, x1, y1) window pixels, image convention (y down from the top)."""
        return self._box(self.view)

    def strip_box(self) -> tuple[int, int, int, int] | None:
        """The legend strip as (x0, y0, x1, y1) window pixels, image convention; None when hidden."""
        self.layout()
        return self._box(self.renderer) if self.width_px else None

    def _box(self, renderer: vtkRenderer) -> tuple[int, int, int, int]:
        self.layout()
        (x0, y0), (w, h) = renderer.GetOrigin(), renderer.GetSize()
        height = int(self.window.GetSize()[1])
        return int(x0), int(height - y0 - h), int(x0 + w), int(height - y0)

    # ------------------------------------------------------------------ layout
    def layout(self) -> bool:
        """Lay the strip out for the window's current size; True when anything moved."""
        size = tuple(int(v) for v in self.window.GetSize())
        if size == self._laid_out_for:
            return False
        self._laid_out_for = size
        for drawn in self.drawn:
            for prop in drawn.props:
                self.renderer.RemoveViewProp(prop)
        self.drawn = []
        w, h = max(size[0], 1), max(size[1], 1)
        if not self.blocks:
            self.width_px = 0
            self.view.SetViewport(0.0, 0.0, 1.0, 1.0)
            if self.window.HasRenderer(self.renderer):
                self.window.RemoveRenderer(self.renderer)
            return True
        style, heights, sizes = self._fit(w, h)
        pad = style.font_px
        self.style = style
        self.width_px = min(max(s[0] for s in sizes) + 2 * pad + 1, w - 16)
        split = 1.0 - self.width_px / w
        self.view.SetViewport(0.0, 0.0, split, 1.0)
        self.renderer.SetViewport(split, 0.0, 1.0, 1.0)
        if not self.window.HasRenderer(self.renderer):
            self.window.AddRenderer(self.renderer)
        edge = Drawn([rectangles_actor([(0, 0, 1, h, EDGE_RGB)])], [])
        self.drawn = [edge]
        top = h - pad
        for block, height, (_, used) in zip(self.blocks, heights, sizes):
            self.drawn.append(block.draw(style, pad + 1, top, height))
            top -= used + style.row_px
        for drawn in self.drawn:
            for prop in drawn.props:
                self.renderer.AddViewProp(prop)
        return True

    def _fit(self, w: int, h: int) -> tuple[LegendStyle, list[int], list[tuple[int, int]]]:
        """The largest font (from the window height down) at which the legends fit the strip's
        share of the width, with the height each block may use and the size it takes."""
        dpi = int(self.window.GetDPI()) or 72
        best = None
        for font in range(font_for(h), MIN_FONT_PX - 1, -1):
            style = LegendStyle(font, dpi)
            heights = self._allot(style, h - 2 * font)
            sizes = [b.size(style, hh) for b, hh in zip(self.blocks, heights)]
            best = (style, heights, sizes)
            if max(s[0] for s in sizes) + 2 * font + 1 <= MAX_SHARE * w:
                break
        return best

    def _allot(self, style: LegendStyle, room: int) -> list[int]:
        """Height each block may use: all it wants if everything fits one under another, else
        ramps keep their shortest and category lists share the rest (and wrap into columns)."""
        gaps = style.row_px * (len(self.blocks) - 1)
        wanted = [b.size(style, 1 << 20)[1] for b in self.blocks]
        if sum(wanted) + gaps <= room:
            return wanted
        shortest = [b.min_height(style) for b in self.blocks]
        wraps = [b.wraps for b in self.blocks]
        fixed = sum(m for m, wrap in zip(shortest, wraps) if not wrap)
        share = max(room - gaps - fixed, 0)
        want_wrapping = sum(w for w, wrap in zip(wanted, wraps) if wrap) or 1
        return [max(int(share * w / want_wrapping), m) if wrap else m
                for w, m, wrap in zip(wanted, shortest, wraps)]

    def detach(self) -> None:
        """Take the strip off the render window (the scene is being replaced)."""
        if self.window.HasRenderer(self.renderer):
            self.window.RemoveRenderer(self.renderer)
