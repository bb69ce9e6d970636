"""The 3D scene of a design: applies a view state to batched VTK layers and decorations.

This is the only place (with twin.export) that knows VTK. The desktop app and the headless
export drive the same `Scene`, so there is exactly one way to build a view.

Layers (each one actor per floor cell, never one actor per part; `twin.scene.layers`):
- boxes:    one box per rack drawn far away, plus small free parts (busway taps);
- detail:   full meshes of the racks near the camera or selected (`twin.scene.lod`);
- doors:    translucent rack doors of the detailed racks (exports only);
- facility: CDUs, CRAHs, UPS and switchboards as full meshes;
- ghost:    hidden parts as translucent boxes when x-ray is on;
- hall:     floor, walls and cable trays (not pickable), and the tile grid.
Decorations (`twin.scene.decorations`): cables, cooling pipes, the selection outline,
highlighted cables, title, legend, row labels, a CFD field. Legends are drawn in a strip of
their own at the right of the window (`twin.scene.legend_area`); the 3D renderer draws in the
rest, and every camera framing, projection and pick is made in that rest.

Camera, projection and the 3D view's box live in `twin.scene.scene_viewing`, picking in
`twin.scene.scene_picking` (mixins of `Scene`).

What is shown (visible, selected, x-ray, section, highlight) is a `twin.viewstate.ViewState`:
the convenience methods below edit `scene.state` and call `apply()`, which does only the
work that changed.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import vtkmodules.vtkInteractionStyle  # noqa: F401  (interactor styles for windows that use them)
import vtkmodules.vtkRenderingFreeType  # noqa: F401  (text)
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkPlane
from vtkmodules.vtkRenderingCore import vtkActor, vtkRenderer, vtkRenderWindow, vtkWindowToImageFilter

from twin.analysis.overlays import Overlay
from twin.geometry.instancing import Batch
from twin.model import Design
from twin.scene import views
from twin.scene.camera import FramedView
from twin.scene.decorations import Decorations
from twin.scene.hall import hall_batch, tile_grid, tray_batch
from twin.scene.layers import (CHUNK_M, Layers, build_moving_layer, build_rack_layers, colour_table,
                               moving_layer_swap)
from twin.scene.legend import LegendBlock
from twin.scene.legend_area import LegendArea
from twin.scene.lod import choose_detail_racks, moving_detail_racks, racks_in_view
from twin.scene.options import INTERACTIVE, RenderOptions, offscreen_window
from twin.scene.parts import PartGeometry
from twin.scene.scene_picking import ScenePicking
from twin.scene.scene_viewing import SceneViewing
from twin.scene.site import FAR_GEAR_RGB, SiteLevel, label_in_sight
from twin.scene.moving_frame import MovingFrame
from twin.viewstate import DRAWN, Section, ViewSnapshot, ViewState

BACKGROUND_TOP = (0.80, 0.84, 0.89)
MAX_TILED_HALLS = 8           # beyond that the floor tile grids are sub-pixel clutter
BACKGROUND_BOTTOM = (0.97, 0.97, 0.98)
#: Per-part arrays and helpers of `PartGeometry` that a scene answers for directly.
_PART_ATTRIBUTES = frozenset((
    "n_parts", "n_racks", "kind", "size", "position", "yaw", "centre", "box_lo", "box_hi", "is_frame",
    "frame_of_rack", "is_inner", "is_facility", "is_free", "meshes", "rack_triangles", "rack_height",
    "rack_centre", "bounds", "rack_parts", "rack_summary", "parts_matching", "content_bounds"))


class Scene(SceneViewing, ScenePicking):
    """A design drawn in a VTK renderer. Give it a render window to draw into one that an
    app owns; without one it makes an offscreen window of `size` (no display needed).

    `options` (twin.scene.options) says how it draws: `INTERACTIVE` by default, `EXPORT` for
    stills; keyword overrides (e.g. `detail_budget=0`) change single options. `state` is
    the view state to start from (a fresh one by default)."""

    def __init__(self, design: Design, render_window: vtkRenderWindow | None = None,
                 size: tuple[int, int] = (1280, 720), options: RenderOptions = INTERACTIVE,
                 state: ViewState | None = None, **overrides):
        self.design = design
        self.options = options.but(**overrides) if overrides else options
        self.geometry = PartGeometry(design)
        self.warnings = self.geometry.warnings
        self.site = SiteLevel(self.geometry, self.options.hall_min_pixels)   # far halls: row blocks
        self.renderer = vtkRenderer()
        self.renderer.GradientBackgroundOn()
        self.renderer.SetBackground(*BACKGROUND_BOTTOM)
        self.renderer.SetBackground2(*BACKGROUND_TOP)
        if render_window is None:
            render_window = offscreen_window(size, self.options.multisamples)
        self.render_window = render_window
        render_window.AddRenderer(self.renderer)
        self.legend_area = LegendArea(render_window, self.renderer)
        self._framed = FramedView()
        self._frame_observer = render_window.AddObserver("StartEvent", self._before_frame)
        self.state = state if state is not None else ViewState(design)
        self.detail_racks = np.zeros(0, np.int64)
        self.moving = False                  # the camera is moving: stand-in boxes (set_moving)
        self._moving_stale = True
        self._moving_kept = np.zeros(0, np.int64)   # racks whose full meshes a moving camera keeps
        self.moving_frame = MovingFrame(self.renderer, lambda: self.decorations.label_actors(),
                                        (BACKGROUND_BOTTOM, BACKGROUND_TOP))
        self.reduced = self.moving_frame.reduced
        self._plane: vtkPlane | None = None
        self._grids: list[vtkActor] = []
        self._applied = ViewSnapshot.empty(self.n_parts)
        self.layers = Layers(self.add_actor, self.remove_actor)
        self.decorations = Decorations(self.geometry, self.renderer, self.add_actor, self.remove_actor,
                                       self.legend_area, labels=self.options.labels, screen_labels=self.options.screen_labels)
        self.place_camera(views.view_pose(self, "iso"))
        self._framed.remember("iso", self.camera_pose(), self.view_size())
        self.site.near = self._choose_halls()
        self._build_site()
        self._sync(force=True)
        if self.state.overlay is not None:
            self._show_overlay()
        self.state.changed.connect(self._on_state)     # from now on the scene follows the state

    def __getattr__(self, name: str):
        # the per-part arrays live on self.geometry; the scene answers for them (scene.centre…)
        if name in _PART_ATTRIBUTES:
            return getattr(self.geometry, name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    # ------------------------------------------------------------------ actors and the section
    def add_actor(self, actor: vtkActor) -> None:
        """Add a 3D actor, clipped by the current section plane: the one way actors enter."""
        if self._plane is not None:
            actor.GetMapper().AddClippingPlane(self._plane)
        self.renderer.AddActor(actor)

    def remove_actor(self, actor: vtkActor) -> None:
        self.renderer.RemoveActor(actor)

    def actors(self) -> list[vtkActor]:
        """Every 3D actor in the renderer (layers, hall, grid, decorations, field)."""
        collection = self.renderer.GetActors()
        collection.InitTraversal()
        return [collection.GetNextActor() for _ in range(collection.GetNumberOfItems())]

    def apply_section(self, section: Section | None) -> None:
        """Clip every actor of the scene with `section` (None: no clipping)."""
        plane = None
        if section is not None:
            plane = vtkPlane()
            plane.SetOrigin(*section.origin)
            plane.SetNormal(*section.normal)
        self._plane = plane
        for actor in self.actors():
            mapper = actor.GetMapper()
            if mapper is None:
                continue
            mapper.RemoveAllClippingPlanes()
            if plane is not None:
                mapper.AddClippingPlane(plane)

    @property
    def section(self) -> vtkPlane | None:
        """The clipping plane in use, or None."""
        return self._plane

    # ------------------------------------------------------------------ following the view state
    def _on_state(self, aspects: frozenset) -> None:
        """The view state changed: redraw what the changed aspects touch, nothing else."""
        if aspects & DRAWN:
            self._sync()
        if "overlay" in aspects:
            self._show_overlay()
        elif "range" in aspects:
            self._show_range()
        if "camera" in aspects and self.state.camera is not None:
            self.place_camera(self.state.camera)

    def _sync(self, force: bool = False) -> None:
        """Bring the drawing in line with the view state, rebuilding only what changed."""
        s, last = self.state, self._applied
        visible = s.visible
        now = ViewSnapshot.of(s, visible)
        changed = now.changes(last)
        visibility_changed, xray_changed, section_changed, highlight_changed, selection_changed = (
            force or what in changed for what in ("visible", "xray", "section", "highlight", "selected"))
        self._applied = now
        if section_changed:
            self.apply_section(s.section)
        forced = s.forced_racks()
        needs_detail = len(np.setdiff1d(forced, self.detail_racks))
        if visibility_changed:
            self._build_facility()
        if needs_detail or force:
            self.update_lod(force=True)
        elif visibility_changed or xray_changed:
            self._rebuild_racks()
        if visibility_changed or highlight_changed or force:
            self._update_overlay_lines()
        if highlight_changed:
            self.decorations.update_trace(s.highlight_cables, self.overlay)
        if selection_changed:
            self.decorations.update_outline(s.selected)
        if not (needs_detail or force) and (visibility_changed or xray_changed or highlight_changed or selection_changed):
            self.recolour()

    @property
    def visible(self) -> np.ndarray:
        """Mask of the parts drawn (from the view state)."""
        return self._applied.visible

    @property
    def selected(self) -> np.ndarray:
        return self.state.selected_mask()

    @property
    def xray(self) -> bool:
        return self.state.xray

    # convenience edits of the view state, each applied at once
    def select(self, parts: Iterable[int]) -> None:
        """Select these parts (tinted, outlined, their racks drawn in detail)."""
        self.state.select(parts)

    def set_visible(self, mask: np.ndarray) -> None:
        """Show exactly the parts where `mask` is True (hidden ones become ghosts in x-ray)."""
        with self.state.hold():
            self.state.show_all()
            self.state.set_filter("shown", mask)

    def hide(self, mask: np.ndarray) -> None:
        self.state.set_filter("shown", self.visible & ~np.asarray(mask, bool))

    def isolate(self, mask: np.ndarray) -> None:
        """Show only these parts, with their racks' frames for context."""
        self.state.set_focus("isolate", mask)

    def show_all(self) -> None:
        self.state.show_all()

    def set_xray(self, on: bool) -> None:
        self.state.xray = bool(on)

    def set_section(self, axis: str | None, position: float = 0.0, keep: str = "-") -> None:
        """Clip the scene with a plane normal to `axis` at `position`, keeping the `keep` side."""
        self.state.set_section(axis, position, keep)

    def highlight(self, parts: Iterable[int] | None = None, cables: Iterable[int] | None = None) -> None:
        """Draw these parts and cables emphasised and dim the rest; both ends of each cable stay shown."""
        self.state.highlight(parts, cables)

    def clear_highlight(self) -> None:
        self.state.clear_highlight()

    # ------------------------------------------------------------------ building layers
    def _build_site(self) -> None:
        """The hall layers (rooms, the near halls' trays) and the row blocks of the far halls;
        tray meshes of halls gone far stay cached for a few halls, then are released."""
        blocks = self.site.far_blocks()
        batch = self.site.blocks.batch(blocks)
        # twelve triangles a row: one actor for them all (per-actor cost, not triangles, is what counts)
        self.layers.build("blocks", batch, self.n_parts + self.n_racks + batch.face_part, chunk_m=None)
        self._build_hall()
        wanted = [-1] + np.flatnonzero(self.site.near).tolist()
        self.site.cache.keep_only({(h, simple) for h in wanted for simple in (False, True)})

    def _build_hall(self) -> None:
        still = self._hall_batch(simple=False)
        self.layers.build("hall", still, np.full(still.triangle_count, -1), pickable=False)
        self._build_hall_moving()
        self.layers.show(("hall",), not self.moving)
        d = self.design
        origin = d.hall_origin()
        if self._grids:
            return                              # the tile grids are lines: drawn once, near or far
        if len(d.halls) > 1 and not origin.any():
            size = np.maximum(self.bounds[1] + [2.0, 2.0, 0.5], 1.0)
            self._grids = [tile_grid(float(size[0]), float(size[1]))]
        else:
            self._grids = [tile_grid(float(d.halls.size[h][0]), float(d.halls.size[h][1]), tuple(origin[h]))
                           for h in range(len(d.halls) if len(d.halls) <= MAX_TILED_HALLS else 0)]
        for grid in self._grids:
            self.add_actor(grid)

    def _build_hall_moving(self) -> None:
        """The hall a moving camera draws: trays as plain boxes (one actor when merged). It stays
        lit by the headlight, as in the still frame: a baked light would turn the floor of a
        close-up from grey to white and back at every move, and its few triangles cost little."""
        light = self._hall_batch(simple=True)
        self.layers.build("hall_moving", light, np.full(light.triangle_count, -1), pickable=False,
                          chunk_m=None if self.options.moving_merged else CHUNK_M)
        self.layers.show(("hall_moving",), self.moving)

    def _hall_batch(self, simple: bool) -> Batch:
        """Floors and walls of every hall, trays and campus ducts once (plain boxes with `simple`)."""
        d = self.design
        origin = d.hall_origin()
        if len(d.halls) > 1 and not origin.any():
            # several halls with no place on the site (an old import): one floor under all of them
            size = tuple(float(v) for v in np.maximum(self.bounds[1] + [2.0, 2.0, 0.5], 1.0))
            return hall_batch(d, size, simple=simple)
        # each hall at its own place on the site; trays of the near halls and the ducts between them
        sizes = [tuple(float(v) for v in d.halls.size[h]) for h in range(len(d.halls))]
        site = self.site
        trays = [site.cache.get((h, simple), lambda h=h: tray_batch(d, simple, np.flatnonzero(site.tray_hall == h)))
                 for h in [-1] + np.flatnonzero(site.near).tolist()]
        return Batch.concat([hall_batch(d, sizes[h], tuple(origin[h]), trays=False) for h in range(len(d.halls))]
                            + trays)

    def _build_facility(self) -> None:
        g = self.geometry
        gear, near = g.is_facility & self.visible, self.site.parts_near()
        self.layers.build("facility", g.parts_batch(np.flatnonzero(gear & near)))
        # gear of far halls as plain boxes in one actor: the galleries and CRAHs still show where they stand
        self.layers.build("gear_far", g.boxes_batch(np.flatnonzero(gear & ~near), FAR_GEAR_RGB), chunk_m=None)
        self._moving_stale = True
        if self.moving:
            self.layers.show(moving_layer_swap(self.options.moving_merged)[0], False)

    def _rebuild_racks(self) -> None:
        """Detail meshes for the chosen racks, boxes for the rest, ghosts for hidden parts."""
        build_rack_layers(self.layers, self.geometry, self.visible, self.detail_racks, self.options.doors,
                          self.state.xray, self.site.parts_near())
        self._moving_stale = True
        if self.moving:                      # new full meshes arrived mid-move: keep them hidden till it stops
            self.layers.show(moving_layer_swap(self.options.moving_merged)[0], False)

    # ------------------------------------------------------------------ interactive level of detail
    def set_moving(self, moving: bool) -> None:
        """While the camera moves, draw less (as ParaView's interactive LOD): boxes in place of
        full rack and facility meshes, no name labels, and at reduced resolution
        (`RenderOptions.moving_*`); full detail again once it stops. The stand-ins are built on
        the first move after the detail changed (boxes: milliseconds)."""
        if moving == self.moving or not self.options.interactive_lod:
            return
        opts = self.options
        kept = moving_detail_racks(self.geometry, self.detail_racks, self.state.forced_racks(),
                                   np.array(self.renderer.GetActiveCamera().GetFocalPoint()),
                                   opts.moving_detail_budget) if moving else self._moving_kept
        if moving and (self._moving_stale or not np.array_equal(kept, self._moving_kept)):
            build_moving_layer(self.layers, self.geometry, self.drawn, self.detail_racks, opts.moving_merged, kept)
            self._moving_stale, self._moving_kept = False, kept
            self.recolour()
        still_only, moving_only = moving_layer_swap(opts.moving_merged)
        self.layers.show(still_only, not moving)
        self.layers.show(moving_only, moving)
        self.moving_frame.set(moving, opts)
        self.moving = moving

    def set_moving_options(self, **changes) -> None:
        """Change how a moving camera draws (`RenderOptions.moving_reduction`, `moving_merged`,
        `moving_labels`, `moving_detail_budget`; the app's View menu, the orbit benchmark); applies
        from the next move."""
        unknown = set(changes) - {"moving_reduction", "moving_merged", "moving_labels", "moving_detail_budget"}
        if unknown:
            raise TypeError(f"not a moving-camera option: {', '.join(sorted(unknown))}")
        self.set_moving(False)
        merged_before = self.options.moving_merged
        self.options = self.options.but(**changes)
        if self.options.moving_merged != merged_before:
            self._moving_stale = True
            self._build_hall_moving()

    # ------------------------------------------------------------------ level of detail
    def _choose_halls(self) -> np.ndarray:
        """Mask of the halls this camera draws rack by rack (`twin.scene.site`)."""
        cam = self.renderer.GetActiveCamera()
        return self.site.choose(np.array(cam.GetPosition()), cam.GetViewAngle(), self.view_size()[1],
                                self.project_ndc, self.state.forced_racks())

    def update_lod(self, force: bool = False) -> bool:
        """Choose which halls are drawn rack by rack and which racks get full meshes from the
        camera; rebuild only what changed."""
        cam = self.renderer.GetActiveCamera()
        _, h = self.view_size()
        near = self._choose_halls()
        site_changed = not np.array_equal(near, self.site.near)
        if site_changed:                    # a hall came near or went far: its racks, trays, gear, cables
            self.site.near = near
            self._build_site()
            self._build_facility()
            for stand_in in ("moving", "moving_detail"):      # rebuilt on the next move, for the new halls
                self.layers.build(stand_in, Batch.empty())
        in_view = racks_in_view(self.geometry, self.project_ndc) & self.site.racks_near()
        chosen = choose_detail_racks(self.geometry, in_view,
                                     np.array(cam.GetPosition()), np.array(cam.GetFocalPoint()), cam.GetViewAngle(),
                                     h, self.state.forced_racks(), self.options.detail_budget,
                                     self.options.detail_min_pixels)
        if site_changed or self.decorations.cables_need_redraw():   # hall scale ↔ close-up: bundles ↔ every cable
            self._update_overlay_lines()
        if self.decorations.screen_labels is not None and not (self.moving and not self.options.moving_labels):
            self.decorations.screen_labels.update(cam, self.view_size())
        eye, drawn = np.array(cam.GetPosition()), self.drawn
        for label in self.decorations.hall_labels:
            anchor = np.array(label.GetPositionCoordinate().GetValue())
            label.SetVisibility(label_in_sight(anchor, eye, self.project_ndc, self.site, drawn))
        if not force and not site_changed and np.array_equal(chosen, self.detail_racks):
            return False
        self.detail_racks = chosen
        self._rebuild_racks()
        self.recolour()
        return True

    # ------------------------------------------------------------------ colour
    @property
    def overlay(self) -> Overlay | None:
        """The overlay shown (the view state's, its colour range applied)."""
        return self.state.overlay

    def set_overlay(self, overlay: Overlay | None) -> None:
        """Colour the scene by an overlay (None: natural colours): an edit of the view state."""
        self.state.set_overlay(overlay)

    def set_overlay_range(self, vmin: float, vmax: float) -> None:
        """Change the colour range of the current overlay (legend follows): an edit of the view state."""
        self.state.set_overlay_range(vmin, vmax)

    def _show_overlay(self) -> None:
        """A new overlay: its cables, pipes, trace colours, legend and part colours."""
        overlay = self.overlay
        self._update_overlay_lines()
        self.decorations.update_trace(self.state.highlight_cables, overlay)
        self.decorations.update_legend(overlay)
        self._keep_framed()
        self.recolour()

    def _show_range(self) -> None:
        """Only the colour range changed: colours and legend again, the cable lines stay as built."""
        overlay = self.overlay
        self.decorations.recolour_lines(overlay, self.state.highlighting)
        self.decorations.update_trace(self.state.highlight_cables, overlay)
        self.decorations.update_legend(overlay)
        self._keep_framed()
        self.recolour()

    def _update_overlay_lines(self) -> None:
        dimmed = self.state.highlighting
        self.decorations.update_cables(self.overlay, self.drawn, dimmed)
        self.decorations.update_pipes(self.overlay, dimmed)

    def recolour(self) -> None:
        """Apply overlay, highlight and selection colours to every layer: one gather per layer."""
        g, s = self.geometry, self.state
        emphasised = self._emphasised_keys() if s.highlighting else None
        n_keys = g.n_parts + g.n_racks
        emphasised = None if emphasised is None else self.site.with_blocks(emphasised, n_keys)
        self.layers.recolour(colour_table(g, self.overlay, self.site.blocks, self.site.parts_near() | g.is_facility),
                             self.site.with_blocks(g.rack_keys(s.selected_mask()), n_keys), emphasised)
        self.decorations.update_title(self.overlay)

    def _emphasised_keys(self) -> np.ndarray:
        """Colour keys drawn emphasised: highlighted parts (a frame: its whole rack), the boxes of
        racks holding one, and those racks' frames (so a highlighted tray's rack stands out from
        above too, while its other trays stay dimmed)."""
        g, lit = self.geometry, self.state.highlighted_mask()
        keys = g.rack_keys(lit)                 # a highlighted frame stands for its whole rack
        racks = np.unique(self.design.parts.rack[lit])
        frames = g.frame_of_rack[racks[racks >= 0]]
        keys[frames[frames >= 0]] = True
        return keys

    def colour_of(self, part: int | None = None, rack: int | None = None, block: int | None = None) -> np.ndarray:
        """The overlay colour (RGB) a part, a rack drawn as one box, or a far hall's row block
        gets (before shading mixes in)."""
        table = colour_table(self.geometry, self.overlay, self.site.blocks)
        if table is None:
            raise ValueError("no overlay is shown")
        if block is not None:
            return table[self.n_parts + self.n_racks + block]
        return table[part] if rack is None else table[self.n_parts + rack]

    @property
    def legend(self) -> LegendBlock | None:
        """The overlay's legend (drawn in the legend strip), or None when no overlay is shown."""
        return self.decorations.legend

    @property
    def title(self) -> str:
        """The caption drawn at the bottom left (design name, overlay, estimated or measured)."""
        return self.decorations.title.GetInput() or ""

    @property
    def cable_actor(self) -> vtkActor | None:
        """The overlay's cables (None when the overlay colours no cables)."""
        return self.decorations.cables

    # ------------------------------------------------------------------ CFD field
    def show_field(self, data, axis: str = "z", position: float = 1.2, iso: float | None = None,
                   vmin: float | None = None, vmax: float | None = None) -> None:
        """Draw a scalar field (twin.scene.field.load_field) as a slice plane and an isosurface."""
        self.decorations.show_field(data, axis, position, iso, vmin, vmax)
        self._keep_framed()

    def clear_field(self) -> None:
        self.decorations.clear_field()
        self._keep_framed()

    @property
    def field_actors(self) -> list:
        """What the shown CFD field adds to the renderer (slice, isosurface, its legend)."""
        return list(self.decorations.field)

    @property
    def field_range(self) -> tuple[float, float] | None:
        return self.decorations.field_range

    def detach(self) -> None:
        """Take the scene off its render window (before another scene replaces it)."""
        self.render_window.RemoveObserver(self._frame_observer)
        self.legend_area.detach()
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
        if self.render_window.GetOffScreenRendering():
            # offscreen, the frame just drawn is still in the back buffer: rendering it again for
            # the grab would double the cost of every exported image. (An on-screen window has
            # swapped buffers by now, so it must redraw.)
            grab.ShouldRerenderOff()
        grab.Update()
        image = grab.GetOutput()
        w, h, _ = image.GetDimensions()
        pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(h, w, -1)[:, :, :3]
        return np.ascontiguousarray(pixels[::-1])

    def triangle_count(self) -> int:
        """Triangles in the layers currently drawn (what a frame costs on software GL)."""
        return self.layers.triangle_count()

