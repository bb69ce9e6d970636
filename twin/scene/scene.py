"""The 3D scene of a design: batched VTK layers, level of detail, overlays, picking, cameras.

This is the only place (with twin.export) that knows VTK. The desktop app and the headless
export drive the same `Scene`, so there is exactly one way to build a view.

Layers (each one actor, never one actor per part):
- boxes:    one box per rack drawn far away, plus small free parts (busway taps);
- detail:   full meshes of the racks near the camera or selected (a triangle budget);
- facility: CDUs, CRAHs, UPS and switchboards as full meshes;
- cables:   one polyline per cable, shown by overlays that colour cables;
- ghost:    hidden parts as translucent boxes when x-ray is on;
- hall:     floor, tile grid, walls and cable trays (not pickable).
Every triangle knows its part, so an overlay or a selection is one numpy gather.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import vtkmodules.vtkInteractionStyle  # noqa: F401  (interactor styles for windows that use them)
import vtkmodules.vtkRenderingFreeType  # noqa: F401  (text)
from vtkmodules.vtkRenderingOpenGL2 import vtkEGLRenderWindow  # the OpenGL backend; offscreen EGL
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkPlane
from vtkmodules.vtkRenderingAnnotation import vtkScalarBarActor
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkRenderWindow,
    vtkTextActor,
    vtkWindowToImageFilter,
)

from twin.analysis.overlays import Overlay
from twin.geometry.instancing import Batch, instance, world_boxes
from twin.geometry.raycast import ray_box_hits
from twin.model import Design
from twin.scene import colormap, vtk_arrays
from twin.geometry.routing import overhead_routes
from twin.scene.camera import CameraPose, look_from, part_pose
from twin.scene.hall import hall_batch, row_labels, tile_grid
from twin.scene.legend import continuous_lut, overlay_legend, scalar_bar
from twin.scene.meshes import split_doors, type_meshes, unit_box

FACILITY_KINDS = ("cdu", "crah", "ups", "switchboard", "pdu")
RACK_BOX_RGB = (58, 61, 67)
FREE_BOX_RGB = (140, 128, 110)
BACKGROUND_TOP = (0.80, 0.84, 0.89)
BACKGROUND_BOTTOM = (0.97, 0.97, 0.98)
VIEWS = ("iso", "top", "front", "aisle")
#: Side of the square floor cells that layers are cut into (one actor each, culled as a whole).
CHUNK_M = 8.0
#: Racks shorter than this on screen stay boxes: their trays would be a few pixels each.
DETAIL_MIN_PIXELS = 200


@dataclass
class _Layer:
    name: str
    actor: vtkActor
    mapper: vtkPolyDataMapper
    face_key: np.ndarray      # index into the colour table (part, or n_parts + rack for rack boxes)
    base_rgb: np.ndarray


def offscreen_window(size: tuple[int, int], multisamples: int = 0) -> vtkRenderWindow:
    """An offscreen render window: EGL (Mesa or a GPU) when there is no X display.

    Multisampling smooths edges for exported images but triples the frame cost on
    software GL, so interactive and benchmark windows leave it off.
    """
    window = vtkEGLRenderWindow() if not os.environ.get("DISPLAY") else vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.SetMultiSamples(multisamples)
    window.SetSize(*size)
    return window


class Scene:
    """A design drawn in a VTK renderer. Give it a render window to draw into one that an
    app owns; without one it makes an offscreen window of `size` (no display needed).

    The defaults suit interactive frames on software GL; exports ask for multisampling,
    full detail at any screen size and translucent rack doors."""

    def __init__(self, design: Design, render_window: vtkRenderWindow | None = None,
                 size: tuple[int, int] = (1280, 720), detail_budget: int = 100_000,
                 labels: bool = True, multisamples: int = 0, detail_min_pixels: float = DETAIL_MIN_PIXELS,
                 doors: bool = False):
        self.design = design
        self.detail_budget = detail_budget
        self.detail_min_pixels = detail_min_pixels
        self.doors = doors      # translucent rack doors: a blending pass that costs a third of a close-up
        self.warnings: list[str] = list(design.warnings)
        self.renderer = vtkRenderer()
        self.renderer.GradientBackgroundOn()
        self.renderer.SetBackground(*BACKGROUND_BOTTOM)
        self.renderer.SetBackground2(*BACKGROUND_TOP)
        if render_window is None:
            render_window = offscreen_window(size, multisamples)
        self.render_window = render_window
        render_window.AddRenderer(self.renderer)
        self._prepare_parts()
        self.visible = np.ones(self.n_parts, bool)
        self.selected = np.zeros(self.n_parts, bool)
        self.xray = False
        self.overlay: Overlay | None = None
        self.detail_racks = np.zeros(0, np.int64)
        self._forced_racks: set[int] = set()
        self._layers: dict[str, list[_Layer]] = {}
        self._section: vtkPlane | None = None
        self._build_hall()
        self._build_facility()
        self._cable_actor: vtkActor | None = None
        self._outline: vtkActor | None = None
        self._legend: vtkScalarBarActor | None = None
        self._title = vtkTextActor()
        self._title.GetTextProperty().SetFontSize(18)
        self._title.GetTextProperty().SetColor(0.12, 0.13, 0.15)
        self._title.SetPosition(12, 12)
        self.renderer.AddViewProp(self._title)
        if labels:
            self._add_row_labels()
        self.set_view("iso")
        self._rebuild_racks()
        self.recolour()

    # ------------------------------------------------------------------ data
    def _prepare_parts(self) -> None:
        d = self.design
        self.n_parts, self.n_racks = len(d.parts), len(d.racks)
        self.kind = d.part_kind()
        self.size = d.part_size()
        self.position = d.parts.position
        self.yaw = d.parts.yaw_deg
        self.centre = self.position + np.column_stack([np.zeros((self.n_parts, 2)), self.size[:, 2] / 2])
        self.box_lo, self.box_hi = world_boxes(self.position, self.size, self.yaw)
        self.is_frame = (self.kind == "rack") & (d.parts.rack >= 0)
        self.frame_of_rack = np.full(self.n_racks, -1, np.int64)
        self.frame_of_rack[d.parts.rack[self.is_frame]] = np.flatnonzero(self.is_frame)
        self.is_inner = (d.parts.parent >= 0) & (d.parts.rack >= 0)
        self.is_facility = np.isin(self.kind, FACILITY_KINDS) & (d.parts.rack < 0)
        self.is_free = ~(self.is_frame | self.is_inner | self.is_facility)
        self.meshes, warnings = type_meshes(d)
        self.warnings += warnings
        self.door_meshes = {}
        for t in np.unique(d.parts.type[self.is_frame]):
            self.meshes[t], self.door_meshes[int(t)] = split_doors(self.meshes[t], float(d.part_types.size[t, 1]))
        tris = np.array([m.triangle_count for m in self.meshes], np.int64)   # doors included
        racked = self.is_frame | self.is_inner
        self.rack_triangles = np.bincount(d.parts.rack[racked], weights=tris[d.parts.type[racked]],
                                          minlength=self.n_racks).astype(np.int64)
        order = np.argsort(d.parts.rack, kind="stable")
        self._rack_order = order
        self._rack_bounds = np.searchsorted(d.parts.rack[order], np.arange(-1, self.n_racks + 1) - 0.5)[1:]
        self.rack_height = np.where(self.frame_of_rack >= 0, self.size[np.maximum(self.frame_of_rack, 0), 2], 2.2)
        self.rack_centre = np.where(self.frame_of_rack[:, None] >= 0, self.centre[np.maximum(self.frame_of_rack, 0)],
                                    np.column_stack([d.racks.position, np.ones(self.n_racks)]))
        everything = self.box_lo, self.box_hi
        self.bounds = (everything[0].min(axis=0), everything[1].max(axis=0)) if self.n_parts else \
            (np.zeros(3), np.ones(3))

    def rack_parts(self, rack: int) -> np.ndarray:
        """Part indices of one rack (frame, trays, busbar, manifolds, tap)."""
        lo, hi = self._rack_bounds[rack], self._rack_bounds[rack + 1]
        return self._rack_order[lo:hi]

    # ------------------------------------------------------------------ layers
    def _layer(self, name: str, batch: Batch, face_key: np.ndarray | None = None, opacity: float = 1.0,
               pickable: bool = True) -> None:
        """(Re)build one layer: its triangles cut into spatial chunks, one actor per chunk."""
        for old in self._layers.pop(name, []):
            self.renderer.RemoveActor(old.actor)
        if batch.triangle_count == 0:
            return
        key = batch.face_part if face_key is None else face_key
        chunks = []
        for faces in batch.spatial_chunks(CHUNK_M):
            part = batch.subset(faces)
            actor = self._cell_coloured_actor(vtk_arrays.triangles(part.points, part.faces, part.face_rgb))
            actor.SetPickable(pickable)
            prop = actor.GetProperty()
            prop.SetAmbient(0.25)
            prop.SetDiffuse(0.8)
            prop.SetSpecular(0.05)
            if opacity < 1:
                prop.SetOpacity(opacity)
            else:
                prop.BackfaceCullingOn()        # meshes are closed boxes facing out: skip their backs
            self.renderer.AddActor(actor)
            chunks.append(_Layer(name, actor, actor.GetMapper(), key[faces], part.face_rgb.copy()))
        self._layers[name] = chunks

    def _parts_batch(self, parts: np.ndarray) -> Batch:
        """Full meshes of `parts`, one instancing call per part type."""
        types = self.design.parts.type[parts]
        batches = []
        for t in np.unique(types):
            sel = parts[types == t]
            batches.append(instance(self.meshes[t], sel, self.position[sel], self.yaw[sel]))
        return Batch.concat(batches)

    def _boxes_batch(self, parts: np.ndarray, rgb: Sequence[int]) -> Batch:
        box = unit_box()
        return instance(box, parts, self.position[parts], self.yaw[parts], scale=self.size[parts],
                        rgb=np.tile(np.asarray(rgb, np.uint8), (len(parts), 1)))

    def _build_facility(self) -> None:
        self._layer("facility", self._parts_batch(np.flatnonzero(self.is_facility & self.visible)))

    def _rebuild_racks(self) -> None:
        """Detail meshes for the chosen racks, boxes for the rest, ghosts for hidden parts."""
        detail = np.zeros(self.n_racks, bool)
        detail[self.detail_racks] = True
        vis = self.visible
        racked = self.is_frame | self.is_inner
        rack_of = self.design.parts.rack
        in_detail = racked & detail[np.maximum(rack_of, 0)]
        self._layer("detail", self._parts_batch(np.flatnonzero(in_detail & vis)))
        frames = np.flatnonzero(in_detail & vis & self.is_frame) if self.doors else np.zeros(0, np.int64)
        types = self.design.parts.type[frames]
        doors = Batch.concat([instance(self.door_meshes[int(t)], frames[types == t], self.position[frames[types == t]],
                                       self.yaw[frames[types == t]]) for t in np.unique(types)])
        self._layer("doors", doors, opacity=0.22, pickable=False)
        far_frames = np.flatnonzero(self.is_frame & ~in_detail & vis)
        frame_batch = self._boxes_batch(far_frames, RACK_BOX_RGB)
        frame_batch.face_rgb[:] = RACK_BOX_RGB
        free = np.flatnonzero(self.is_free & vis)
        free_batch = self._boxes_batch(free, FREE_BOX_RGB)
        batch = Batch.concat([frame_batch, free_batch])
        key = np.concatenate([self.n_parts + rack_of[frame_batch.face_part], free_batch.face_part]) \
            if batch.triangle_count else None
        self._layer("boxes", batch, key)
        if self.xray:
            hidden = np.flatnonzero(~vis & (self.is_inner | self.is_facility | self.is_free |
                                             (self.is_frame & ~in_detail)))
            ghost = self._boxes_batch(hidden, (120, 150, 190))
            self._layer("ghost", ghost, opacity=0.12, pickable=False)
        else:
            self._layer("ghost", Batch.empty())

    # ------------------------------------------------------------------ hall
    def _build_hall(self) -> None:
        d = self.design
        size = tuple(float(v) for v in (d.halls.size[0] if len(d.halls) else np.maximum(self.bounds[1], 1.0)))
        batch = hall_batch(d, size)
        self._layer("hall", batch, np.full(batch.triangle_count, -1), pickable=False)
        self.renderer.AddActor(tile_grid(size[0], size[1]))

    def _add_row_labels(self) -> None:
        z = float(self.box_hi[:, 2].max()) + 0.4 if self.n_parts else 2.5
        for label in row_labels(self.design, self.rack_centre, z):
            self.renderer.AddActor(label)

    # ------------------------------------------------------------------ level of detail
    def update_lod(self, force: bool = False) -> bool:
        """Choose which racks get full meshes from the camera; rebuild only if that changed."""
        cam = self.renderer.GetActiveCamera()
        eye = np.array(cam.GetPosition())
        dist = np.linalg.norm(self.rack_centre - eye, axis=1)
        in_view = self._racks_in_view()
        forced = np.array(sorted(self._forced_racks), np.int64)
        # screen-space size: a rack only earns full meshes when it stands tall enough on screen
        _, h = self.render_window.GetSize()
        px_per_m = h / (2 * np.tan(np.radians(cam.GetViewAngle()) / 2)) / np.maximum(dist, 1e-3)
        tall_enough = self.rack_height * px_per_m >= self.detail_min_pixels
        candidates = np.flatnonzero(in_view & tall_enough)
        # closest to what the camera looks at first, then to the eye
        focal = np.array(cam.GetFocalPoint())
        priority = np.linalg.norm(self.rack_centre - focal, axis=1) + 0.5 * dist
        candidates = candidates[np.argsort(priority[candidates], kind="stable")]
        budget = self.detail_budget - int(self.rack_triangles[forced].sum()) if len(forced) else self.detail_budget
        fits = np.cumsum(self.rack_triangles[candidates]) <= max(budget, 0)
        chosen = np.union1d(candidates[fits], forced).astype(np.int64)
        if not force and np.array_equal(chosen, self.detail_racks):
            return False
        self.detail_racks = chosen
        self._rebuild_racks()
        self.recolour()
        return True

    def _racks_in_view(self) -> np.ndarray:
        """Racks whose box has a corner in front of the camera and inside (or near) the frame."""
        frames = np.maximum(self.frame_of_rack, 0)
        lo, hi = self.box_lo[frames], self.box_hi[frames]
        corners = np.stack([np.column_stack([np.where(k & 1, hi[:, 0], lo[:, 0]), np.where(k & 2, hi[:, 1], lo[:, 1]),
                                             np.where(k & 4, hi[:, 2], lo[:, 2])]) for k in range(8)], axis=1)
        ndc = self.project_ndc(corners.reshape(-1, 3)).reshape(-1, 8, 3)
        ahead = (ndc[:, :, 2] > -1) & (ndc[:, :, 2] < 1)
        x_lo, x_hi = np.where(ahead, ndc[:, :, 0], np.inf).min(axis=1), np.where(ahead, ndc[:, :, 0], -np.inf).max(axis=1)
        y_lo, y_hi = np.where(ahead, ndc[:, :, 1], np.inf).min(axis=1), np.where(ahead, ndc[:, :, 1], -np.inf).max(axis=1)
        return ahead.any(axis=1) & (x_lo < 1.05) & (x_hi > -1.05) & (y_lo < 1.05) & (y_hi > -1.05)

    def project_ndc(self, points: np.ndarray) -> np.ndarray:
        """World points to normalised device coordinates of the current camera."""
        cam = self.renderer.GetActiveCamera()
        w, h = self.render_window.GetSize()
        m = cam.GetCompositeProjectionTransformMatrix(w / max(h, 1), -1, 1)
        mat = np.array([[m.GetElement(i, j) for j in range(4)] for i in range(4)])
        hom = np.column_stack([points, np.ones(len(points))]) @ mat.T
        return hom[:, :3] / np.where(np.abs(hom[:, 3:4]) < 1e-12, 1e-12, hom[:, 3:4])

    def project(self, points: np.ndarray) -> np.ndarray:
        """World points to pixel coordinates (x right, y down from the top-left, like an image)."""
        ndc = self.project_ndc(np.atleast_2d(points))
        w, h = self.render_window.GetSize()
        return np.column_stack([(ndc[:, 0] + 1) / 2 * w, (1 - (ndc[:, 1] + 1) / 2) * h])

    # ------------------------------------------------------------------ colour
    def set_overlay(self, overlay: Overlay | None) -> None:
        """Colour the scene by an overlay (None: natural colours), with its legend and cables."""
        self.overlay = overlay
        self._update_cables()
        self._update_legend()
        self.recolour()

    def recolour(self) -> None:
        """Apply overlay and selection colours to every layer: one gather per layer."""
        table = self._colour_table()
        selected_keys = self._selected_keys()
        for layer in self._chunks():
            if layer.name in ("hall", "ghost"):
                continue
            key = layer.face_key
            if self.overlay is None:
                rgb = layer.base_rgb.copy()
            else:
                rgb = table[key]
                # keep some of the mesh shading so parts stay recognisable under an overlay
                rgb = (rgb.astype(np.uint16) * 4 + layer.base_rgb.astype(np.uint16)) // 5
                rgb = rgb.astype(np.uint8)
            sel = selected_keys[key]
            if sel.any():
                mixed = rgb[sel].astype(np.uint16) * 35 + np.array(colormap.HIGHLIGHT, np.uint16) * 65
                rgb[sel] = (mixed // 100).astype(np.uint8)
            vtk_arrays.set_cell_rgb(layer.mapper.GetInput(), rgb)
        self._update_outline()
        self._update_title()

    def _colour_table(self) -> np.ndarray:
        """Colours by key: parts first, then one summary colour per rack (for rack boxes)."""
        table = np.zeros((self.n_parts + self.n_racks, 3), np.uint8)
        ov = self.overlay
        if ov is None:
            return table
        values = np.asarray(ov.values, float)
        table[: self.n_parts] = colormap.map_values(values, ov.colormap, ov.vmin, ov.vmax)
        table[self.n_parts:] = colormap.map_values(self.rack_summary(values, ov.rack_reduce), ov.colormap,
                                                   ov.vmin, ov.vmax)
        if ov.measured is not None:
            # estimates read paler than sensor readings, so reviewers see which is which
            measured = np.concatenate([np.asarray(ov.measured, float),
                                       np.nan_to_num(self.rack_summary(np.asarray(ov.measured, float), "max"))])
            estimated = (measured < 0.5) & np.isfinite(np.concatenate([values, np.zeros(self.n_racks)]))
            table[estimated] = (table[estimated].astype(np.uint16) * 55 // 100 + 255 * 45 // 100).astype(np.uint8)
        return table

    def rack_summary(self, values: np.ndarray, how: str = "max") -> np.ndarray:
        """One value per rack from its parts' values (NaN ignored): max, min or mean."""
        out = np.full(self.n_racks, np.nan)
        if not self.n_racks:
            return out
        # parts are pre-sorted by rack (self._rack_order); reduce each rack's run at once
        start = self._rack_bounds[:-1]
        ordered = np.asarray(values, float)[self._rack_order]
        finite = np.isfinite(ordered)
        has_parts = self._rack_bounds[1:] > start
        idx = np.minimum(start, len(ordered) - 1)
        if how == "mean":
            sums = np.add.reduceat(np.where(finite, ordered, 0.0), idx)
            counts = np.add.reduceat(finite.astype(np.int64), idx)
            out[has_parts] = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)[has_parts]
            return out
        fill = -np.inf if how == "max" else np.inf
        reduce = np.maximum if how == "max" else np.minimum
        acc = reduce.reduceat(np.where(finite, ordered, fill), idx)
        out[has_parts] = np.where(np.isfinite(acc), acc, np.nan)[has_parts]
        return out

    def _selected_keys(self) -> np.ndarray:
        """Which colour-table keys are selected: a selected rack frame stands for its whole rack."""
        keys = np.zeros(self.n_parts + self.n_racks, bool)
        rack = self.design.parts.rack
        whole = rack[self.selected & self.is_frame]
        keys[: self.n_parts] = self.selected | ((rack >= 0) & np.isin(rack, whole))
        chosen = rack[self.selected & (rack >= 0)]
        keys[self.n_parts + chosen] = True
        return keys

    def _update_title(self) -> None:
        name = self.design.meta.get("design_name", self.design.source.name if self.design.source else "")
        text = name
        if self.overlay is not None:
            text += f"  ·  {self.overlay.label}"
            if self.overlay.measured is not None and not np.all(self.overlay.measured):
                text += "  (pale: estimated)" if np.any(self.overlay.measured) else "  (all estimated)"
        self._title.SetInput(text)

    def _update_legend(self) -> None:
        if self._legend is not None:
            self.renderer.RemoveViewProp(self._legend)
            self._legend = None
        ov = self.overlay
        if ov is None:
            return
        self._legend = overlay_legend(ov)
        self.renderer.AddViewProp(self._legend)

    def set_overlay_range(self, vmin: float, vmax: float) -> None:
        """Change the colour range of the current overlay (legend follows)."""
        if self.overlay is None or vmax <= vmin:
            return
        self.overlay.vmin, self.overlay.vmax = float(vmin), float(vmax)
        self._update_legend()
        self._update_cables()
        self.recolour()

    # ------------------------------------------------------------------ cables
    def _update_cables(self) -> None:
        if self._cable_actor is not None:
            self.renderer.RemoveActor(self._cable_actor)
            self._cable_actor = None
        if getattr(self, "_pipe_actor", None) is not None:
            self.renderer.RemoveActor(self._pipe_actor)
            self._pipe_actor = None
        ov = self.overlay
        if ov is not None and ov.pipes is not None and len(ov.pipes):
            rgb = colormap.map_values(ov.pipe_values, ov.colormap, ov.vmin, ov.vmax)
            self._pipe_actor = self._lines_actor(ov.pipes.reshape(-1, 3), 4, rgb, width=5, tubes=True)
        if ov is None or ov.cable_values is None or not len(self.design.cables):
            return
        d = self.design
        a, b = d.cable_ends()
        ok = (d.cables.a_part >= 0) & (d.cables.b_part >= 0)
        ok &= self.visible[np.maximum(d.cables.a_part, 0)] & self.visible[np.maximum(d.cables.b_part, 0)]
        a, b = a[ok], b[ok]
        top = np.where(self.frame_of_rack >= 0, self.box_hi[np.maximum(self.frame_of_rack, 0), 2], 2.3)
        pts = overhead_routes(a, b, d.parts.rack[d.cables.a_part[ok]], d.parts.rack[d.cables.b_part[ok]], top)
        pts = pts.reshape(-1, 3)
        rgb = colormap.map_values(np.asarray(ov.cable_values, float)[ok], ov.colormap, ov.vmin, ov.vmax)
        self._cable_actor = self._lines_actor(pts, 4, rgb, width=1.5)

    def _cell_coloured_actor(self, poly) -> vtkActor:
        """An actor drawing `poly` with its per-cell RGB, clipped by the section plane if any."""
        mapper = vtkPolyDataMapper()
        mapper.SetInputData(poly)
        mapper.SetScalarModeToUseCellData()
        mapper.SetColorModeToDirectScalars()
        if self._section is not None:
            mapper.AddClippingPlane(self._section)
        actor = vtkActor()
        actor.SetMapper(mapper)
        return actor

    def _lines_actor(self, points: np.ndarray, per_line: int, rgb: np.ndarray, width: float,
                     tubes: bool = False) -> vtkActor:
        """An actor of polylines (fixed point count each), one colour per line, added to the scene."""
        actor = self._cell_coloured_actor(vtk_arrays.polylines(points, per_line, rgb))
        actor.PickableOff()
        actor.GetProperty().SetLineWidth(width)
        if tubes:
            actor.GetProperty().RenderLinesAsTubesOn()
        else:
            actor.GetProperty().SetLighting(False)
        self.renderer.AddActor(actor)
        return actor

    # ------------------------------------------------------------------ selection
    def select(self, parts: Iterable[int]) -> None:
        """Highlight these parts (and draw their racks in detail)."""
        self.selected[:] = False
        idx = np.asarray(list(parts), np.int64)
        idx = idx[(idx >= 0) & (idx < self.n_parts)]
        self.selected[idx] = True
        racks = self.design.parts.rack[idx]
        self._forced_racks = set(int(r) for r in racks[racks >= 0])
        if self._forced_racks - set(self.detail_racks.tolist()):
            self.update_lod(force=True)
        else:
            self.recolour()

    def _update_outline(self) -> None:
        if self._outline is not None:
            self.renderer.RemoveActor(self._outline)
            self._outline = None
        idx = np.flatnonzero(self.selected)
        if not len(idx):
            return
        lo, hi = self.box_lo[idx].min(axis=0) - 0.01, self.box_hi[idx].max(axis=0) + 0.01
        c = np.array([[x, y, z] for z in (lo[2], hi[2]) for y in (lo[1], hi[1]) for x in (lo[0], hi[0])])
        edges = [(0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (0, 4), (1, 5), (2, 6), (3, 7)]
        pts = np.concatenate([c[[i, j]] for i, j in edges])
        rgb = np.tile(np.array(colormap.HIGHLIGHT, np.uint8), (len(edges), 1))
        self._outline = self._lines_actor(pts, 2, rgb, width=3)

    # ------------------------------------------------------------------ visibility
    def set_visible(self, mask: np.ndarray) -> None:
        """Show exactly the parts where `mask` is True (hidden ones become ghosts in x-ray)."""
        self.visible = np.asarray(mask, bool).copy()
        self._build_facility()             # facility gear has no level of detail: only visibility
        self._rebuild_racks()
        self._update_cables()
        self.recolour()

    def parts_matching(self, kinds: Sequence[str] = (), racks: Sequence[str] = (), rows: Sequence[str] = (),
                       generations: Sequence[str] = ()) -> np.ndarray:
        """Mask of parts that match every given filter (empty filter = no constraint)."""
        d = self.design
        mask = np.ones(self.n_parts, bool)
        if kinds:
            mask &= np.isin(self.kind, list(kinds))
        rack = d.parts.rack
        if racks:
            mask &= (rack >= 0) & np.isin(d.racks.name[np.maximum(rack, 0)], list(racks))
        if rows:
            mask &= (rack >= 0) & np.isin(d.racks.row[np.maximum(rack, 0)], list(rows))
        if generations:
            gen_names = np.asarray(list(d.generations.name) + [""], dtype=object)
            part_gen = d.part_types.generation[d.parts.type]
            rack_gen = np.where(rack >= 0, d.racks.generation[np.maximum(rack, 0)], part_gen)
            mask &= np.isin(gen_names[rack_gen], list(generations))
        return mask

    def hide(self, mask: np.ndarray) -> None:
        self.set_visible(self.visible & ~np.asarray(mask, bool))

    def isolate(self, mask: np.ndarray) -> None:
        """Show only these parts, with their racks' frames for context."""
        mask = np.asarray(mask, bool).copy()
        racks = self.design.parts.rack[mask]
        frames = self.frame_of_rack[racks[racks >= 0]]
        mask[frames[frames >= 0]] = True
        # racks drawn in full: the selection's, then the isolated ones that fit the detail budget
        # (an isolate of 2,024 rack frames once forced every rack of hall-2000 to full meshes, 7 GB)
        wanted = np.unique(racks[racks >= 0])
        fits = wanted[np.cumsum(self.rack_triangles[wanted]) <= self.detail_budget]
        selected = self.design.parts.rack[self.selected]
        self._forced_racks = set(selected[selected >= 0].tolist()) | set(fits.tolist())
        self.set_visible(mask)
        if self._forced_racks:
            self.update_lod(force=True)

    def show_all(self) -> None:
        self.set_visible(np.ones(self.n_parts, bool))

    def set_xray(self, on: bool) -> None:
        self.xray = bool(on)
        self._rebuild_racks()
        self.recolour()

    def set_section(self, axis: str | None, position: float = 0.0, keep: str = "-") -> None:
        """Clip the scene with a plane normal to `axis` at `position`, keeping the `keep` side."""
        planes = [layer.mapper for layer in self._chunks()]
        if self._cable_actor is not None:
            planes.append(self._cable_actor.GetMapper())
        for mapper in planes:
            mapper.RemoveAllClippingPlanes()
        self._section = None
        if axis is None:
            return
        normal = {"x": (1, 0, 0), "y": (0, 1, 0), "z": (0, 0, 1)}[axis]
        sign = -1.0 if keep == "-" else 1.0
        plane = vtkPlane()
        origin = [0.0, 0.0, 0.0]
        origin["xyz".index(axis)] = position
        plane.SetOrigin(*origin)
        plane.SetNormal(*(sign * v for v in normal))
        self._section = plane
        for mapper in planes:
            mapper.AddClippingPlane(plane)

    # ------------------------------------------------------------------ cameras
    def aspect(self) -> float:
        w, h = self.render_window.GetSize()
        return w / max(h, 1)

    def view_pose(self, name: str) -> CameraPose:
        """Pose of a named view: iso, top, front, aisle or rack:NAME (ValueError otherwise)."""
        lo, hi = self._content_bounds()
        if name == "iso":
            return self._tight(look_from(np.array([-0.75, -1.0, 0.85]), lo, hi, self.aspect()), lo, hi)
        if name == "top":
            return self._tight(look_from(np.array([0.0, 0.0, 1.0]), lo, hi, self.aspect(), view_up=(0.0, 1.0, 0.0)),
                               lo, hi)
        if name == "front":
            return self._tight(look_from(np.array([0.0, -1.0, 0.18]), lo, hi, self.aspect()), lo, hi)
        if name == "aisle":
            return self._aisle_pose()
        if name.startswith("rack:"):
            rack = name[5:]
            try:
                r = self.design.rack_index(rack)
            except KeyError:
                raise ValueError(f"no rack called {rack!r} in this design") from None
            return self.fly_to_pose(int(self.frame_of_rack[r]))
        raise ValueError(f"unknown view {name!r}: use iso, top, front, aisle or rack:NAME")

    def _tight(self, pose: CameraPose, lo: np.ndarray, hi: np.ndarray, margin: float = 0.92) -> CameraPose:
        """Move the camera along its view direction until the box's corners just fill the frame."""
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
        focal, eye = np.array(pose.focal_point), np.array(pose.position)
        for _ in range(3):
            self.set_camera_pose(CameraPose(tuple(eye), tuple(focal), pose.view_up, pose.view_angle))
            extent = np.abs(self.project_ndc(corners)[:, :2]).max()
            eye = focal + (eye - focal) * max(extent / margin, 0.05)
        return CameraPose(tuple(eye), tuple(focal), pose.view_up, pose.view_angle)

    def _content_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        keep = self.is_frame | self.is_facility
        if not keep.any():
            return self.bounds
        return self.box_lo[keep].min(axis=0), self.box_hi[keep].max(axis=0)

    def _aisle_pose(self) -> CameraPose:
        """Stand in the first cold aisle at eye height, looking down the row."""
        d = self.design
        if not self.n_racks:
            return self.view_pose("front")
        first = int(np.lexsort((d.racks.position[:, 0], d.racks.position[:, 1]))[0])
        yaw = np.radians(d.racks.yaw_deg[first])
        front = np.array([np.sin(yaw), -np.cos(yaw), 0.0])
        frame = self.frame_of_rack[first]
        depth = self.size[frame, 1] if frame >= 0 else 1.2
        start = self.rack_centre[first].copy()
        eye = start + front * (depth / 2 + 0.9) + np.array([-1.5, 0, 0])
        eye[2] = 1.7
        focal = eye + np.array([6.0, 0.0, -0.25]) - front * 0.6
        return CameraPose(tuple(eye), tuple(focal), (0.0, 0.0, 1.0), 60.0)

    def fly_to_pose(self, part: int) -> CameraPose:
        """Where the camera should end up to look at `part` (the app animates towards it).

        From the part's front; in a hall the camera stays in the aisle in front of it
        (closer, with a wider lens) rather than behind the opposite row.
        """
        pose = part_pose(self.centre[part], self.size[part], float(self.yaw[part]), self.aspect())
        focal = np.array(pose.focal_point)
        offset = np.array(pose.position) - focal
        wanted = float(np.linalg.norm(offset))
        direction = offset / wanted
        rack = int(self.design.parts.rack[part])
        others = self.visible & ~((self.design.parts.rack == rack) & (rack >= 0))
        others[part] = False
        idx = np.flatnonzero(others & ~self.is_inner)
        t = ray_box_hits(focal, direction, self.box_lo[idx], self.box_hi[idx])
        clear = float(t.min()) if len(t) else np.inf
        if clear >= wanted + 0.2:
            return pose
        distance = max(clear - 0.25, 0.5)
        half_height = max(float(self.size[part, 2]), float(self.size[part, 0])) / 2 * 1.15
        angle = float(np.clip(np.degrees(2 * np.arctan(half_height / distance)), 30.0, 100.0))
        return CameraPose(tuple(focal + direction * distance), tuple(focal), pose.view_up, angle)

    def camera_pose(self) -> CameraPose:
        cam = self.renderer.GetActiveCamera()
        return CameraPose(cam.GetPosition(), cam.GetFocalPoint(), cam.GetViewUp(), cam.GetViewAngle())

    def set_camera_pose(self, pose: CameraPose) -> None:
        cam = self.renderer.GetActiveCamera()
        cam.SetPosition(*pose.position)
        cam.SetFocalPoint(*pose.focal_point)
        cam.SetViewUp(*pose.view_up)
        cam.SetViewAngle(pose.view_angle)
        self.renderer.ResetCameraClippingRange()

    def set_view(self, name: str) -> None:
        self.set_camera_pose(self.view_pose(name))

    # ------------------------------------------------------------------ picking
    def pick(self, x: float, y: float) -> int:
        """Part under pixel (x, y) (image convention: y down from the top), or -1.

        Pure arithmetic on part boxes: no render pass. Racks drawn as boxes answer with
        their frame; racks drawn in detail answer with the part inside them.
        """
        w, h = self.render_window.GetSize()
        ren = self.renderer
        ren.SetDisplayPoint(float(x), float(h - 1 - y), 0.0)
        ren.DisplayToWorld()
        near = np.array(ren.GetWorldPoint()[:3]) / (ren.GetWorldPoint()[3] or 1.0)
        ren.SetDisplayPoint(float(x), float(h - 1 - y), 1.0)
        ren.DisplayToWorld()
        far = np.array(ren.GetWorldPoint()[:3]) / (ren.GetWorldPoint()[3] or 1.0)
        return self.pick_ray(near, far - near)

    def pick_ray(self, origin: np.ndarray, direction: np.ndarray) -> int:
        detail = np.zeros(self.n_racks, bool)
        detail[self.detail_racks] = True
        rack = self.design.parts.rack
        in_detail = detail[np.maximum(rack, 0)] & (rack >= 0)
        candidate = self.visible & ~(self.is_inner & ~in_detail)
        idx = np.flatnonzero(candidate)
        t = ray_box_hits(origin, direction, self.box_lo[idx], self.box_hi[idx])
        if self._section is not None:
            hit_points = origin + np.outer(np.where(np.isfinite(t), t, 0), direction)
            n = np.array(self._section.GetNormal())
            o = np.array(self._section.GetOrigin())
            t = np.where((hit_points - o) @ n < 0, np.inf, t)   # VTK keeps the side the normal points to
        if not np.isfinite(t).any():
            return -1
        best = idx[int(np.argmin(t))]
        if self.is_frame[best] and in_detail[best]:
            inner = np.isfinite(t) & self.is_inner[idx] & (rack[idx] == rack[best])
            if inner.any():
                best = idx[np.flatnonzero(inner)[np.argmin(t[inner])]]
        return int(best)

    # ------------------------------------------------------------------ CFD field
    def show_field(self, data, axis: str = "z", position: float = 1.2, iso: float | None = None,
                   vmin: float | None = None, vmax: float | None = None) -> None:
        """Draw a scalar field (twin.scene.field.load_field) as a slice plane and an isosurface."""
        from twin.scene.field import field_actors, field_range

        self.clear_field()
        lo, hi = field_range(data)
        if -30 < lo and hi < 120:           # air or water temperatures: the thermal overlay's scale
            lo, hi = min(lo, 18.0), max(min(hi, 45.0), lo + 1)
        vmin = lo if vmin is None else vmin
        vmax = hi if vmax is None else vmax
        self._field_actors = field_actors(data, axis, position, iso, vmin, vmax)
        self._field_actors.append(scalar_bar(continuous_lut("thermal", vmin, vmax), "field °C", left=True))
        for actor in self._field_actors:
            if self._section is not None and actor.IsA("vtkActor"):
                actor.GetMapper().AddClippingPlane(self._section)
            self.renderer.AddViewProp(actor)
        self.field_range = (vmin, vmax)

    def clear_field(self) -> None:
        for actor in getattr(self, "_field_actors", []):
            self.renderer.RemoveViewProp(actor)
        self._field_actors = []

    @property
    def field_actors(self) -> list:
        """What the shown CFD field adds to the renderer (slice, isosurface, its legend)."""
        return list(getattr(self, "_field_actors", []))

    @property
    def section(self) -> vtkPlane | None:
        """The clipping plane in use, or None."""
        return self._section

    @property
    def legend(self) -> vtkScalarBarActor | None:
        """The overlay's scalar bar, or None when no overlay is shown."""
        return self._legend

    def detach(self) -> None:
        """Take the scene off its render window (before another scene replaces it)."""
        self.render_window.RemoveRenderer(self.renderer)

    # ------------------------------------------------------------------ output
    def render(self) -> None:
        self.renderer.ResetCameraClippingRange()
        self.render_window.Render()

    def screenshot(self) -> np.ndarray:
        """The current frame as an (h, w, 3) uint8 image, top row first."""
        self.render()
        grab = vtkWindowToImageFilter()
        grab.SetInput(self.render_window)
        grab.SetInputBufferTypeToRGB()
        grab.ReadFrontBufferOff()
        grab.Update()
        image = grab.GetOutput()
        w, h, _ = image.GetDimensions()
        pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)[:, :, :3]
        return np.ascontiguousarray(pixels[::-1])

    def triangle_count(self) -> int:
        """Triangles in the layers currently drawn (what a frame costs on software GL)."""
        return int(sum(layer.mapper.GetInput().GetNumberOfCells() for layer in self._chunks()))

    def _chunks(self) -> list[_Layer]:
        return [chunk for chunks in self._layers.values() for chunk in chunks]
