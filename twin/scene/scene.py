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

The scene is composed of named parts, each with one job: `camera` (projection, the 3D view's
box, poses: `twin.scene.scene_viewing`), `picking` (`twin.scene.scene_picking`), `lod` (level of
detail and the site: `twin.scene.detail`), `decorations` (cables, pipes, outline, trace,
title, legend, labels, field: `twin.scene.decorations`), `legend_area` (the legend strip),
`site` (far halls as row blocks), `layers` (the batched actors) and `geometry` (per-part
arrays: `twin.scene.parts`).

What is shown (visible, selected, x-ray, section, highlight, overlay, camera) is a
`twin.viewstate.ViewState`, and the scene follows it: it subscribes to the state's `changed`
event and redraws only what the changed aspects touch. Edit `scene.state` (or use
`set_overlay`); nobody tells the scene to apply anything.
"""

from __future__ import annotations

import numpy as np
import vtkmodules.vtkInteractionStyle  # noqa: F401  (interactor styles for windows that use them)
import vtkmodules.vtkRenderingFreeType  # noqa: F401  (text)
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonDataModel import vtkPlane
from vtkmodules.vtkRenderingCore import vtkActor, vtkRenderer, vtkRenderWindow, vtkWindowToImageFilter

from twin.analysis.overlays import Overlay
from twin.model import Design
from twin.scene import views
from twin.scene.decorations import Decorations
from twin.scene.detail import DetailLevel
from twin.scene.layers import Layers, colour_table
from twin.scene.legend import LegendBlock
from twin.scene.legend_area import LegendArea
from twin.scene.options import INTERACTIVE, RenderOptions, offscreen_window
from twin.scene.parts import PartGeometry
from twin.scene.scene_picking import Picker
from twin.scene.scene_viewing import SceneCamera
from twin.scene.site import SiteLevel
from twin.scene.trace_path import TracePath
from twin.scene.moving_frame import MovingFrame
from twin.viewstate import DRAWN, Section, ViewSnapshot, ViewState

BACKGROUND_TOP = (0.80, 0.84, 0.89)
BACKGROUND_BOTTOM = (0.97, 0.97, 0.98)

class Scene:
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
        self.state = state if state is not None else ViewState(design)
        self.camera = SceneCamera(self)
        self.picking = Picker(self)
        self.lod = DetailLevel(self)
        self._frame_observer = render_window.AddObserver("StartEvent", self.camera.before_frame)
        self.moving_frame = MovingFrame(self.renderer, lambda: self.decorations.label_actors(),
                                        (BACKGROUND_BOTTOM, BACKGROUND_TOP))
        self.reduced = self.moving_frame.reduced
        self._plane: vtkPlane | None = None
        self._applied = ViewSnapshot.empty(self.geometry.n_parts)
        self.layers = Layers(self.add_actor, self.remove_actor)
        self.decorations = Decorations(self.geometry, self.renderer, self.add_actor, self.remove_actor,
                                       self.legend_area, labels=self.options.labels, screen_labels=self.options.screen_labels)
        self.trace_path = TracePath(self.add_actor, self.remove_actor)
        self.camera.place_camera(views.view_pose(self, "iso"))
        self.camera.framed.remember("iso", self.camera.camera_pose(), self.camera.view_size())
        self.site.near = self.lod.choose_halls()
        self.lod.build_site()
        self._sync(force=True)
        if self.state.overlay is not None:
            self._show_overlay()
        self.state.changed.connect(self._on_state)     # from now on the scene follows the state

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
        if "highlight" in aspects:
            self.trace_path.show(self.state.trace_path)
        if "camera" in aspects and self.state.camera is not None:
            self.camera.place_camera(self.state.camera)

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
        needs_detail = len(np.setdiff1d(forced, self.lod.detail_racks))
        if visibility_changed:
            self.lod.build_facility()
        if needs_detail or force:
            self.lod.update(force=True)
        elif visibility_changed or xray_changed:
            self.lod.rebuild_racks()
        if visibility_changed or highlight_changed or force:
            self.update_overlay_lines()
        if visibility_changed and not force:
            self.lod.place_labels()                 # no name floats over a rack a filter hides
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
    def drawn(self) -> np.ndarray:
        """Mask of the parts drawn one by one: shown, and not in a far hall (drawn as row blocks)."""
        return self.visible & self.site.parts_near()

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
        self.update_overlay_lines()
        self.decorations.update_trace(self.state.highlight_cables, overlay)
        self.decorations.update_legend(overlay)
        self.camera.keep_framed()
        self.recolour()

    def _show_range(self) -> None:
        """Only the colour range changed: colours and legend again, the cable lines stay as built."""
        overlay = self.overlay
        self.decorations.recolour_lines(overlay, self.state.highlighting)
        self.decorations.update_trace(self.state.highlight_cables, overlay)
        self.decorations.update_legend(overlay)
        self.camera.keep_framed()
        self.recolour()

    def update_overlay_lines(self) -> None:
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
            return table[self.geometry.n_parts + self.geometry.n_racks + block]
        return table[part] if rack is None else table[self.geometry.n_parts + rack]

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
        self.camera.keep_framed()

    def clear_field(self) -> None:
        self.decorations.clear_field()
        self.camera.keep_framed()

    def detach(self) -> None:
        """Take the scene off its render window (before another scene replaces it) and stop
        following its view state."""
        self.state.changed.disconnect(self._on_state)
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

