"""Labels that stay legible at every scale: row and rack names placed in screen space.

Every row has a label candidate at every scale; rack names join when a rack stands at least
`RACK_LABEL_MIN_PX` tall on screen (a close-up). After each camera stop (`scene.lod.update`)
the candidates in view are projected and kept greedily, rows first, then racks, nearest the
point looked at first, skipping any whose screen box would overlap one already kept. So a
hall with forty rows shows a readable subset at hall scale instead of a pile (or, as before,
nothing), and a close-up names every row and rack around it. Labels are dark text on a light
panel, legible over dark racks and the light floor alike, drawn over the scene (2D text
anchored at world points) so trays overhead never hide them.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkRenderer, vtkTextActor

from twin.geometry.raycast import ray_box_hits
from twin.model import Design
from twin.scene.camera import project_ndc
from twin.text import display_text

ROW_FONT_PX = 16
RACK_FONT_PX = 12
RACK_LABEL_MIN_PX = 90          # a rack this tall on screen is close enough to carry its name
MAX_RACK_LABELS = 48            # a pool of actors, reused: never one actor per rack of hall-2000
LABEL_GAP_PX = 4
ROW_LABEL_GAP_M = 0.5           # a row's name ends this far west of its first rack: beside the row, not over it
#: The lower-left corner the viewer's orientation axes take, as shares of the view (width, height):
#: no label is placed there.
AXES_CORNER = (0.11, 0.17)


def _label_actor(font_px: int, bold: bool) -> vtkTextActor:
    """A 2D text anchored at a world point: drawn over the scene, so a cable tray or a rack in
    front never hides it (which labels show is decided by screen-space decimation instead)."""
    label = vtkTextActor()
    label.GetPositionCoordinate().SetCoordinateSystemToWorld()
    prop = label.GetTextProperty()
    prop.SetFontSize(font_px)
    prop.SetColor(0.08, 0.10, 0.16)
    prop.SetBold(bold)
    prop.SetBackgroundColor(1.0, 1.0, 1.0)
    prop.SetBackgroundOpacity(0.82)
    prop.SetFrame(True)
    prop.SetFrameColor(0.55, 0.58, 0.64)
    prop.SetJustificationToCentered()
    prop.SetVerticalJustificationToBottom()
    label.PickableOff()
    return label


def screen_boxes(xy: np.ndarray, texts: list[str], font_px: int, align: str = "centre") -> np.ndarray:
    """Approximate pixel boxes (x0, y0, x1, y1) of bottom-anchored labels at `xy`: centred on
    it, with `align="right"` ending at it, with "left" starting at it (row names stand beside
    their row, not over it)."""
    widths = np.array([len(t) for t in texts], float) * font_px * 0.62 + 8
    height = font_px * 1.35 + 4
    left = xy[:, 0] - {"right": widths, "left": 0.0 * widths}.get(align, widths / 2)
    return np.column_stack([left, xy[:, 1] - height, left + widths, xy[:, 1]])


def keep_without_overlap(boxes: np.ndarray, order: np.ndarray, taken: list[np.ndarray],
                         limit: int | None = None, size: tuple[int, int] | None = None) -> list[int]:
    """Greedy decimation: indices of `boxes` in `order` that overlap none kept before (`taken`
    grows with each kept box) and, given the view's `size`, lie wholly inside it (a name cut
    at the frame's edge is not kept)."""
    kept: list[int] = []
    for i in order.tolist():
        b = boxes[i]
        if size is not None and (b[0] < 0 or b[1] < 0 or b[2] > size[0] or b[3] > size[1]):
            continue
        if taken:
            t = np.array(taken)
            if ((t[:, 0] < b[2] + LABEL_GAP_PX) & (b[0] < t[:, 2] + LABEL_GAP_PX) &
                    (t[:, 1] < b[3] + LABEL_GAP_PX) & (b[1] < t[:, 3] + LABEL_GAP_PX)).any():
                continue
        taken.append(b)
        kept.append(i)
        if limit is not None and len(kept) >= limit:
            break
    return kept


class ScreenLabels:
    """Row and rack name labels of one scene, placed and decimated in screen space."""

    def __init__(self, design: Design, rack_centre: np.ndarray, rack_height: np.ndarray, renderer: vtkRenderer,
                 row_z: float | None = None, rack_boxes: tuple[np.ndarray, np.ndarray] | None = None):
        """`row_z`: the height row labels stand at (default: just above the row's racks);
        `rack_boxes` (lo, hi): what hides a rack's name (a rack behind another row is not named)."""
        self.rack_boxes = rack_boxes
        self.renderer = renderer
        rack_top = rack_centre[:, 2] + rack_height / 2 if len(rack_centre) else np.zeros(0)
        rows: dict[str, list[int]] = {}
        for r, row in enumerate(design.racks.row.tolist()):
            if row:
                rows.setdefault(str(row), []).append(r)
        self.row_text = [display_text(f"Row {row}") for row in rows]
        self.row_racks = [np.array(racks, np.int64) for racks in rows.values()]
        self.row_pos = np.zeros((len(rows), 3))           # beside the row's west end, the name ending there
        self.row_east = np.zeros((len(rows), 3))          # beside its east end, starting there (no room west)
        for i, racks in enumerate(rows.values()):
            racks_arr = np.array(racks)
            first = racks_arr[np.argmin(rack_centre[racks_arr, 0])]
            last = racks_arr[np.argmax(rack_centre[racks_arr, 0])]
            z = row_z if row_z is not None else float(rack_top[racks_arr].max()) + 0.2
            self.row_pos[i] = (rack_centre[first, 0] - ROW_LABEL_GAP_M, rack_centre[first, 1], z)
            self.row_east[i] = (rack_centre[last, 0] + ROW_LABEL_GAP_M, rack_centre[last, 1], z)
        self.row_anchor = self.row_pos.copy()             # where each row's name stands now
        self.row_align = ["right"] * len(rows)
        self.rack_text = [display_text(n) for n in design.racks.name.tolist()]
        self.rack_pos = np.column_stack([rack_centre[:, :2], rack_top + 0.08]) if len(rack_centre) else \
            np.zeros((0, 3))
        self.rack_height = np.asarray(rack_height, float)
        self.row_actors = [_label_actor(ROW_FONT_PX, True) for _ in self.row_text]
        for actor, text, pos in zip(self.row_actors, self.row_text, self.row_pos):
            actor.GetTextProperty().SetJustificationToRight()
            actor.SetInput(text)
            actor.GetPositionCoordinate().SetValue(*pos)
            actor.VisibilityOff()
            renderer.AddViewProp(actor)
        self.rack_actors = [_label_actor(RACK_FONT_PX, False) for _ in range(min(MAX_RACK_LABELS, len(self.rack_text)))]
        for actor in self.rack_actors:
            actor.VisibilityOff()
            renderer.AddViewProp(actor)
        self.shown_rows: list[int] = []
        self.shown_racks: list[int] = []

    def _hidden(self, eye: np.ndarray, rack: int) -> bool:
        """Whether another rack's box stands between the camera and `rack`'s name."""
        lo, hi = self.rack_boxes
        t = ray_box_hits(eye, self.rack_pos[rack] - eye, lo, hi)
        t[rack] = np.inf
        return bool((t < 0.98).any())

    def actors(self) -> list[vtkTextActor]:
        return self.row_actors + self.rack_actors

    def update(self, camera, window_size: tuple[int, int], shown: np.ndarray | None = None,
               reserved: list[np.ndarray] | None = None) -> None:
        """Place the labels for `camera` drawing into `window_size` (call when it stops).
        `shown`: mask of the racks drawn (a row is named while any of its racks is);
        `reserved`: pixel boxes no label may overlap (the caption)."""
        w, h = window_size
        rack_shown = np.ones(len(self.rack_pos), bool) if shown is None else np.asarray(shown, bool)
        row_shown = np.array([rack_shown[racks].any() for racks in self.row_racks], bool)
        eye, focal = np.array(camera.GetPosition()), np.array(camera.GetFocalPoint())
        scale = h / (2 * np.tan(np.radians(camera.GetViewAngle()) / 2))

        def project_ndc_(points: np.ndarray) -> np.ndarray:
            return project_ndc(camera, window_size, points)

        def project(points: np.ndarray) -> np.ndarray:
            ndc = project_ndc_(points)
            return np.column_stack([(ndc[:, 0] + 1) / 2 * w, (1 - ndc[:, 1]) / 2 * h])

        def px_per_m(points: np.ndarray) -> np.ndarray:
            return scale / np.maximum(np.linalg.norm(points - eye, axis=1), 1e-3)

        taken: list[np.ndarray] = [np.asarray(b, float) for b in (reserved or [])]
        self.shown_rows = []
        if len(self.row_pos):
            ndc = project_ndc_(self.row_pos)
            inside = (np.abs(ndc[:, 0]) < 0.97) & (np.abs(ndc[:, 1]) < 0.97) & (ndc[:, 2] > -1) & (ndc[:, 2] < 1)
            inside &= row_shown
            west = screen_boxes(project(self.row_pos), self.row_text, ROW_FONT_PX, align="right")
            east = screen_boxes(project(self.row_east), self.row_text, ROW_FONT_PX, align="left")
            # west of the row where the name fits in the frame there, else east of it
            fits = (west[:, 0] >= 0) & (west[:, 2] <= w) & (west[:, 1] >= 0) & (west[:, 3] <= h)
            boxes = np.where(fits[:, None], west, east)
            self.row_anchor = np.where(fits[:, None], self.row_pos, self.row_east)
            self.row_align = ["right" if f else "left" for f in fits.tolist()]
            ndc_east = project_ndc_(self.row_east)
            inside |= ~fits & (np.abs(ndc_east[:, 0]) < 0.97) & (np.abs(ndc_east[:, 1]) < 0.97) & (ndc_east[:, 2] > -1) \
                & (ndc_east[:, 2] < 1) & row_shown
            order = np.flatnonzero(inside)[np.argsort(np.linalg.norm(self.row_anchor[inside] - focal, axis=1))]
            self.shown_rows = keep_without_overlap(boxes, order, taken, size=(w, h))
        for i, actor in enumerate(self.row_actors):
            if i in set(self.shown_rows):
                prop = actor.GetTextProperty()
                prop.SetJustificationToRight() if self.row_align[i] == "right" else prop.SetJustificationToLeft()
                actor.GetPositionCoordinate().SetValue(*self.row_anchor[i])
            actor.SetVisibility(i in set(self.shown_rows))
        self.shown_racks = []
        if len(self.rack_pos) and self.rack_actors:
            ndc = project_ndc_(self.rack_pos)
            inside = (np.abs(ndc[:, 0]) < 0.97) & (np.abs(ndc[:, 1]) < 0.97) & (ndc[:, 2] > -1) & (ndc[:, 2] < 1)
            near = inside & rack_shown & (self.rack_height * px_per_m(self.rack_pos) >= RACK_LABEL_MIN_PX)
            candidates = np.flatnonzero(near)
            if len(candidates):
                order = candidates[np.argsort(np.linalg.norm(self.rack_pos[candidates] - focal, axis=1))]
                order = order[:MAX_RACK_LABELS * 4]
                if self.rack_boxes is not None:
                    order = np.array([r for r in order.tolist() if not self._hidden(eye, r)], np.int64)
                xy = np.zeros((len(self.rack_pos), 2))
                xy[order] = project(self.rack_pos[order])
                boxes = np.zeros((len(self.rack_pos), 4))
                boxes[order] = screen_boxes(xy[order], [self.rack_text[i] for i in order.tolist()], RACK_FONT_PX)
                self.shown_racks = keep_without_overlap(boxes, order, taken, limit=len(self.rack_actors))
        for actor, rack in zip(self.rack_actors, self.shown_racks):
            actor.SetInput(self.rack_text[rack])
            actor.GetPositionCoordinate().SetValue(*self.rack_pos[rack])
            actor.VisibilityOn()
        for actor in self.rack_actors[len(self.shown_racks):]:
            actor.VisibilityOff()
