"""What the scene draws besides the part layers: cables, cooling pipes, the selection
outline, highlighted cables, the title, the overlay legend, row labels and a CFD field.

Every 3D actor goes through the scene's `add_actor`, which applies the current section
plane, so nothing here keeps a stale clip plane when the section moves.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor, vtkProp, vtkRenderer, vtkTextActor

from twin.analysis.overlays import Overlay
from twin.analysis.routes import select_polylines
from twin.analysis import colouring
from twin.scene import vtk_arrays
from twin.scene.cables import CABLE_TUBE_DISTANCE_M, cable_colours, cables_to_draw
from twin.scene.hall import hall_labels, row_labels
from twin.scene.labels import ScreenLabels
from twin.text import display_text
from twin.scene.layers import DIM_KEEP_PERCENT, DIM_RGB, TRACE_RGB, cell_coloured_actor
from twin.scene.legend import LegendBlock, RampLegend, overlay_legend, text_size
from twin.scene.legend_area import LegendArea
from twin.scene.parts import PartGeometry

TITLE_FONT_PX, MIN_TITLE_FONT_PX = 18, 10
TITLE_CHARS = 300       # the caption: the design name (cut at 200) and the overlay
OUTLINE_EDGES = ((0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7))


def lines_actor(points: np.ndarray, per_line: int, rgb: np.ndarray, width: float, tubes: bool = False) -> vtkActor:
    """An actor of polylines (fixed point count each), one colour per line, not pickable."""
    actor = cell_coloured_actor(vtk_arrays.polylines(points, per_line, rgb))
    actor.PickableOff()
    actor.GetProperty().SetLineWidth(width)
    if tubes:
        actor.GetProperty().RenderLinesAsTubesOn()
    else:
        actor.GetProperty().SetLighting(False)
    return actor


def polyline_actor(points: np.ndarray, counts: np.ndarray, rgb: np.ndarray, width: float,
                   tubes: bool = False) -> vtkActor:
    """An actor of polylines of varying point counts, one colour per line, not pickable."""
    actor = cell_coloured_actor(vtk_arrays.polylines_varying(points, counts, rgb))
    actor.PickableOff()
    prop = actor.GetProperty()
    prop.SetLineWidth(width)
    prop.SetRenderLinesAsTubes(tubes)
    prop.SetLighting(tubes)
    return actor


class Decorations:
    """Owns the decoration actors of one scene; each `update_*` replaces its actor."""

    def __init__(self, parts: PartGeometry, renderer: vtkRenderer, add_actor: Callable[[vtkActor], None],
                 remove_actor: Callable[[vtkActor], None], legend_area: LegendArea, labels: bool = True,
                 screen_labels: bool = False):
        self.parts = parts
        self.renderer = renderer
        self.legend_area = legend_area
        self._add, self._remove = add_actor, remove_actor
        self.cables: vtkActor | None = None
        self.cables_top: vtkActor | None = None       # cables with a finding, drawn again over the rest
        self.cable_rows = np.zeros(0, np.int64)        # the cable (or bundle) of each drawn line
        self.cables_far = True                         # drawn as hall-scale bundles
        self.pipes: vtkActor | None = None
        self.outline: vtkActor | None = None
        self.subject_outline: vtkActor | None = None   # the rack an exported image is of
        self.subject = ""                              # its caption ("rack A06 (row A) · rear")
        self.trace: vtkActor | None = None
        self.legend: LegendBlock | None = None        # the overlay's, in the legend area
        self.field_legend: LegendBlock | None = None  # the CFD field's, below it
        self.field: list[vtkProp] = []
        self.field_range: tuple[float, float] | None = None
        self.title = vtkTextActor()
        self.title.GetTextProperty().SetFontSize(TITLE_FONT_PX)
        self._title_fitted: tuple[str, int] = ("", 0)
        caption = self.title.GetTextProperty()
        caption.SetColor(0.08, 0.10, 0.16)               # dark on a light panel: legible on the grey floor
        caption.SetBackgroundColor(1.0, 1.0, 1.0)
        caption.SetBackgroundOpacity(0.85)
        caption.SetFrame(True)
        caption.SetFrameColor(0.55, 0.58, 0.64)
        self.title.SetPosition(12, 12)
        renderer.AddViewProp(self.title)
        self.labels = []
        self.hall_labels = []                      # 2D text at world points: hidden where something stands in front
        self.screen_labels: ScreenLabels | None = None
        if labels and screen_labels:            # placed and decimated in screen space at each camera stop
            frames = np.maximum(parts.frame_of_rack, 0)
            boxes = (np.where(parts.frame_of_rack[:, None] >= 0, parts.box_lo[frames], np.inf),
                     np.where(parts.frame_of_rack[:, None] >= 0, parts.box_hi[frames], -np.inf))
            self.screen_labels = ScreenLabels(parts.design, parts.rack_centre, parts.rack_height, renderer,
                                              rack_boxes=boxes)
            self.hall_labels = hall_labels(parts.design)    # one per hall of a site, over its back wall
            self.labels = list(self.hall_labels)
            for label in self.labels:
                renderer.AddActor(label)
        elif labels:
            z = float(parts.box_hi[:, 2].max()) + 0.4 if parts.n_parts else 2.5
            self.hall_labels = hall_labels(parts.design)
            self.labels = row_labels(parts.design, parts.rack_centre, z) + self.hall_labels
            for label in self.labels:
                renderer.AddActor(label)

    def label_actors(self) -> list[vtkProp]:
        """Row, rack and hall name labels and the title (what a moving camera may leave out)."""
        return [self.title] + list(self.labels) + (self.screen_labels.actors() if self.screen_labels is not None else [])

    def _swap(self, old: vtkActor | None, new: vtkActor | None) -> vtkActor | None:
        if old is not None:
            self._remove(old)
        if new is not None:
            self._add(new)
        return new

    def actors(self) -> list[vtkActor]:
        """The 3D decoration actors shown now (cables, pipes, outline, trace, field)."""
        shown = [self.cables, self.cables_top, self.pipes, self.outline, self.subject_outline, self.trace] + \
            [a for a in self.field if a.IsA("vtkActor")]
        return [a for a in shown if a is not None]

    # ------------------------------------------------------------------ cables and pipes
    def close_up(self) -> bool:
        """The camera is near enough that every cable is drawn, as a tube (else: bundled lines)."""
        cam = self.renderer.GetActiveCamera()
        return float(np.linalg.norm(np.subtract(cam.GetPosition(), cam.GetFocalPoint()))) < CABLE_TUBE_DISTANCE_M

    def cables_need_redraw(self) -> bool:
        """True when the camera crossed between hall scale and close-up since the cables were drawn."""
        return self.cables is not None and self.close_up() == self.cables_far

    def update_cables(self, overlay: Overlay | None, visible: np.ndarray, dimmed: bool) -> None:
        """Cables along their routes, coloured by the overlay (when it colours cables), faded while a
        highlight shows: bundled lines at hall scale, every cable as a tube up close (DESIGN.md §5)."""
        actor = top_actor = None
        self.cable_rows = np.zeros(0, np.int64)
        d = self.parts.design
        if overlay is not None and overlay.cable_values is not None and len(d.cables):
            self.cables_far = not self.close_up()
            rows, values = cables_to_draw(d, visible, overlay, self.cables_far)
            pts, counts = select_polylines(d, rows)
            keep = counts > 0
            self.cable_rows = rows[keep]
            rgb = cable_colours(overlay, values[keep])
            if dimmed:
                rgb = _dim(rgb)
            actor = polyline_actor(pts, counts[keep], rgb, width=1.5 if self.cables_far else 3.0,
                                   tubes=not self.cables_far)
            if overlay.cable_on_top is not None and not dimmed:
                # cables with a finding, again as wider tubes: a bundle of fine cables cannot hide them
                top = np.asarray(overlay.cable_on_top, bool)[self.cable_rows]
                if top.any():
                    tp, tc = select_polylines(d, self.cable_rows[top])
                    top_actor = polyline_actor(tp, tc, rgb[top], width=5.0, tubes=True)
        self.cables = self._swap(self.cables, actor)
        self.cables_top = self._swap(self.cables_top, top_actor)

    def recolour_lines(self, overlay: Overlay | None, dimmed: bool) -> None:
        """New colours for the drawn cables and pipes (a new colour range): the polylines stay."""
        if self.cables is not None and overlay is not None and overlay.cable_values is not None:
            rgb = cable_colours(overlay, np.asarray(overlay.cable_values, float)[self.cable_rows])
            rgb = _dim(rgb) if dimmed else rgb
            vtk_arrays.set_cell_rgb(self.cables.GetMapper().GetInput(), rgb)
            if self.cables_top is not None and overlay.cable_on_top is not None:
                top = np.asarray(overlay.cable_on_top, bool)[self.cable_rows]
                vtk_arrays.set_cell_rgb(self.cables_top.GetMapper().GetInput(), rgb[top])
        if self.pipes is not None and overlay is not None and overlay.pipes is not None:
            rgb = colouring.value_colours(overlay, overlay.pipe_values)
            vtk_arrays.set_cell_rgb(self.pipes.GetMapper().GetInput(), _dim(rgb) if dimmed else rgb)

    def update_pipes(self, overlay: Overlay | None, dimmed: bool) -> None:
        actor = None
        if overlay is not None and overlay.pipes is not None and len(overlay.pipes):
            rgb = colouring.value_colours(overlay, overlay.pipe_values)
            actor = lines_actor(overlay.pipes.reshape(-1, 3), 4, _dim(rgb) if dimmed else rgb, width=5, tubes=True)
        self.pipes = self._swap(self.pipes, actor)

    def update_trace(self, cables: np.ndarray, overlay: Overlay | None) -> None:
        """Highlighted cables drawn bold along their routes, in the overlay's cable colours or the trace colour."""
        actor = None
        d = self.parts.design
        if len(cables):
            cables = cables[(d.cables.a_part[cables] >= 0) & (d.cables.b_part[cables] >= 0)]
        if len(cables):
            if overlay is not None and overlay.cable_values is not None:
                rgb = cable_colours(overlay, np.asarray(overlay.cable_values, float)[cables])
            else:
                rgb = np.tile(np.array(TRACE_RGB, np.uint8), (len(cables), 1))
            pts, counts = select_polylines(d, cables)
            keep = counts > 0
            actor = polyline_actor(pts, counts[keep], rgb[keep], width=6 if self.close_up() else 4, tubes=True)
        self.trace = self._swap(self.trace, actor)

    # ------------------------------------------------------------------ selection outline, title, legend
    def update_outline(self, selected: np.ndarray) -> None:
        """A cyan box around the selected parts: one per part for a few (both ends of a traced
        cable), one around them all for many."""
        self.outline = self._swap(self.outline, self._outline_actor(selected))

    def show_subject(self, caption: str, parts: np.ndarray) -> None:
        """What an exported image is of (a rack of a batch): `caption` joins the title after the
        design's name, and `parts` get an outline of their own, beside any selection's ("" and no
        parts: none). Why: a folder of per-rack close-ups must say, and show, which rack each is."""
        self.subject = caption
        self.subject_outline = self._swap(self.subject_outline, self._outline_actor(np.asarray(parts, np.int64)))

    def _outline_actor(self, selected: np.ndarray) -> vtkActor | None:
        actor = None
        if len(selected):
            if len(selected) <= 32:
                lo, hi = self.parts.box_lo[selected] - 0.01, self.parts.box_hi[selected] + 0.01
            else:
                lo = self.parts.box_lo[selected].min(axis=0, keepdims=True) - 0.01
                hi = self.parts.box_hi[selected].max(axis=0, keepdims=True) + 0.01
            pts = []
            for l, h in zip(lo, hi):
                c = np.array([[x, y, z] for z in (l[2], h[2]) for y in (l[1], h[1]) for x in (l[0], h[0])])
                pts += [c[[i, j]] for i, j in OUTLINE_EDGES]
            rgb = np.tile(np.array(colouring.HIGHLIGHT, np.uint8), (len(pts), 1))
            actor = lines_actor(np.concatenate(pts), 2, rgb, width=3)
        return actor

    def update_title(self, overlay: Overlay | None) -> None:
        design = self.parts.design
        text = display_text(design.meta.get("design_name", design.source.name if design.source else ""))
        if self.subject:
            text += f"  ·  {display_text(self.subject)}"
        if overlay is not None:
            text += f"  ·  {overlay.label}"
            if overlay.measured is not None and not np.all(overlay.measured):
                text += "  (pale: estimated)" if np.any(overlay.measured) else "  (all estimated)"
        self.title.SetInput(display_text(text, TITLE_CHARS))

    def title_box(self, view_size: tuple[int, int]) -> np.ndarray:
        """The caption's pixel box (x0, y0, x1, y1), image convention, in a view of `view_size`."""
        text = self.title.GetInput() or ""
        width, height = text_size(text, self.title.GetTextProperty().GetFontSize()) if text else (0, 0)
        x, y = self.title.GetPosition()
        h = view_size[1]
        return np.array([x - 4, h - y - height - 4, x + width + 4, h - y + 4], float)

    def fit_title(self, view_width: int) -> None:
        """Shrink the caption's font (down to `MIN_TITLE_FONT_PX`) until it fits the 3D view's width."""
        text = self.title.GetInput() or ""
        if (text, view_width) == self._title_fitted:
            return
        self._title_fitted = (text, view_width)
        font = TITLE_FONT_PX
        while font > MIN_TITLE_FONT_PX and text_size(text, font)[0] > view_width - 24:
            font -= 1
        self.title.GetTextProperty().SetFontSize(font)

    def update_legend(self, overlay: Overlay | None) -> None:
        """The overlay's legend (none without an overlay) in the legend area, above a field's."""
        self.legend = overlay_legend(overlay) if overlay is not None else None
        self.legend_area.set_blocks([self.legend, self.field_legend])

    # ------------------------------------------------------------------ CFD field
    def show_field(self, data, axis: str, position: float, iso: float | None, vmin: float | None,
                   vmax: float | None) -> None:
        """A scalar field as a slice plane and an isosurface, with its own legend under the overlay's."""
        from twin.scene.field import field_actors, field_range

        self.clear_field()
        lo, hi = field_range(data)
        if -30 < lo and hi < 120:           # air or water temperatures: the thermal overlay's scale
            lo, hi = min(lo, 18.0), max(min(hi, 45.0), lo + 1)
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
        actors = field_actors(data, axis, position, iso, vmin, vmax)
        for actor in actors:
            self._add(actor)
        self.field = actors
        self.field_range = (vmin, vmax)
        self.field_legend = RampLegend("Field °C", "thermal", vmin, vmax)
        self.legend_area.set_blocks([self.legend, self.field_legend])

    def clear_field(self) -> None:
        for prop in self.field:
            if prop.IsA("vtkActor"):
                self._remove(prop)
            else:
                self.renderer.RemoveViewProp(prop)
        self.field = []
        if self.field_legend is not None:
            self.field_legend = None
            self.legend_area.set_blocks([self.legend])


def _dim(rgb: np.ndarray) -> np.ndarray:
    """Fade colours towards the floor grey, as dimmed parts are."""
    dim = np.array(DIM_RGB, np.uint16) * (100 - DIM_KEEP_PERCENT)
    return ((rgb.astype(np.uint16) * DIM_KEEP_PERCENT + dim) // 100).astype(np.uint8)
