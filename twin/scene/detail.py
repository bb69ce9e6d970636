"""The scene's level of detail: which halls are drawn rack by rack (the site), which racks get
full meshes (the camera's distance and the view state's forced racks), the hall, facility
and rack layers built for that choice, and the lighter stand-ins a moving camera draws (as
ParaView's interactive level of detail).

A part of `Scene` (`scene.lod`), with one job: keep the built layers in line with the camera.
It rebuilds only what a change of camera or view state touched, and asks the scene to recolour
and redraw the cable lines when it rebuilt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor

from twin.geometry.instancing import Batch
from twin.scene.hall import hall_batch, tile_grid, tray_batch
from twin.scene.labels import AXES_CORNER
from twin.scene.layers import CHUNK_M, build_moving_layer, build_rack_layers, moving_layer_swap
from twin.scene.lod import choose_detail_racks, moving_detail_racks, racks_in_view
from twin.scene.site import FAR_GEAR_RGB, label_in_sight

if TYPE_CHECKING:
    from twin.scene.scene import Scene

MAX_TILED_HALLS = 8           # beyond that the floor tile grids are sub-pixel clutter


class DetailLevel:
    """What the scene draws in full and what as boxes or row blocks, for its camera."""

    def __init__(self, scene: "Scene"):
        self.scene = scene
        self.detail_racks = np.zeros(0, np.int64)
        self.moving = False                  # the camera is moving: stand-in boxes (set_moving)
        self._moving_stale = True
        self._moving_kept = np.zeros(0, np.int64)   # racks whose full meshes a moving camera keeps
        self._grids: list[vtkActor] = []

    # ------------------------------------------------------------------ building layers
    def build_site(self) -> None:
        """The hall layers (rooms, the near halls' trays) and the row blocks of the far halls;
        tray meshes of halls gone far stay cached for a few halls, then are released."""
        sc = self.scene
        blocks = sc.site.far_blocks()
        batch = sc.site.blocks.batch(blocks)
        # twelve triangles a row: one actor for them all (per-actor cost, not triangles, is what counts)
        sc.layers.build("blocks", batch, sc.geometry.n_parts + sc.geometry.n_racks + batch.face_part, chunk_m=None)
        self._build_hall()
        wanted = [-1] + np.flatnonzero(sc.site.near).tolist()
        sc.site.cache.keep_only({(h, simple) for h in wanted for simple in (False, True)})

    def _build_hall(self) -> None:
        sc = self.scene
        still = self._hall_batch(simple=False)
        sc.layers.build("hall", still, np.full(still.triangle_count, -1), pickable=False)
        self._build_hall_moving()
        sc.layers.show(("hall",), not self.moving)
        d = sc.design
        origin = d.hall_origin()
        if self._grids:
            return                              # the tile grids are lines: drawn once, near or far
        if len(d.halls) > 1 and not origin.any():
            size = np.maximum(sc.geometry.bounds[1] + [2.0, 2.0, 0.5], 1.0)
            self._grids = [tile_grid(float(size[0]), float(size[1]))]
        else:
            self._grids = [tile_grid(float(d.halls.size[h][0]), float(d.halls.size[h][1]), tuple(origin[h]))
                           for h in range(len(d.halls) if len(d.halls) <= MAX_TILED_HALLS else 0)]
        for grid in self._grids:
            sc.add_actor(grid)

    def _build_hall_moving(self) -> None:
        """The hall a moving camera draws: trays as plain boxes (one actor when merged). It stays
        lit by the headlight, as in the still frame: a baked light would turn the floor of a
        close-up from grey to white and back at every move, and its few triangles cost little."""
        sc = self.scene
        light = self._hall_batch(simple=True)
        sc.layers.build("hall_moving", light, np.full(light.triangle_count, -1), pickable=False,
                          chunk_m=None if sc.options.moving_merged else CHUNK_M)
        sc.layers.show(("hall_moving",), self.moving)

    def _hall_batch(self, simple: bool) -> Batch:
        """Floors and walls of every hall, trays and campus ducts once (plain boxes with `simple`)."""
        sc = self.scene
        d = sc.design
        origin = d.hall_origin()
        if len(d.halls) > 1 and not origin.any():
            # several halls with no place on the site (an old import): one floor under all of them
            size = tuple(float(v) for v in np.maximum(sc.geometry.bounds[1] + [2.0, 2.0, 0.5], 1.0))
            return hall_batch(d, size, simple=simple)
        # each hall at its own place on the site; trays of the near halls and the ducts between them
        sizes = [tuple(float(v) for v in d.halls.size[h]) for h in range(len(d.halls))]
        site = sc.site
        trays = [site.cache.get((h, simple), lambda h=h: tray_batch(d, simple, np.flatnonzero(site.tray_hall == h)))
                 for h in [-1] + np.flatnonzero(site.near).tolist()]
        return Batch.concat([hall_batch(d, sizes[h], tuple(origin[h]), trays=False) for h in range(len(d.halls))]
                            + trays)

    def build_facility(self) -> None:
        sc = self.scene
        g = sc.geometry
        gear, near = g.is_facility & sc.visible, sc.site.parts_near()
        sc.layers.build("facility", g.parts_batch(np.flatnonzero(gear & near)))
        # gear of far halls as plain boxes in one actor: the galleries and CRAHs still show where they stand
        sc.layers.build("gear_far", g.boxes_batch(np.flatnonzero(gear & ~near), FAR_GEAR_RGB), chunk_m=None)
        self._moving_stale = True
        if self.moving:
            sc.layers.show(moving_layer_swap(sc.options.moving_merged)[0], False)

    def rebuild_racks(self) -> None:
        """Detail meshes for the chosen racks, boxes for the rest, ghosts for hidden parts."""
        sc = self.scene
        build_rack_layers(sc.layers, sc.geometry, sc.visible, self.detail_racks, sc.options.doors,
                          sc.state.xray, sc.site.parts_near())
        self._moving_stale = True
        if self.moving:                      # new full meshes arrived mid-move: keep them hidden till it stops
            sc.layers.show(moving_layer_swap(sc.options.moving_merged)[0], False)

    # ------------------------------------------------------------------ interactive level of detail
    def set_moving(self, moving: bool) -> None:
        """While the camera moves, draw less (as ParaView's interactive LOD): boxes in place of
        full rack and facility meshes, no name labels, and at reduced resolution
        (`RenderOptions.moving_*`); full detail again once it stops. The stand-ins are built on
        the first move after the detail changed (boxes: milliseconds)."""
        sc = self.scene
        if moving == self.moving or not sc.options.interactive_lod:
            return
        opts = sc.options
        kept = moving_detail_racks(sc.geometry, self.detail_racks, sc.state.forced_racks(),
                                   np.array(sc.renderer.GetActiveCamera().GetFocalPoint()),
                                   opts.moving_detail_budget) if moving else self._moving_kept
        if moving and (self._moving_stale or not np.array_equal(kept, self._moving_kept)):
            build_moving_layer(sc.layers, sc.geometry, sc.drawn, self.detail_racks, opts.moving_merged, kept)
            self._moving_stale, self._moving_kept = False, kept
            sc.recolour()
        still_only, moving_only = moving_layer_swap(opts.moving_merged)
        sc.layers.show(still_only, not moving)
        sc.layers.show(moving_only, moving)
        sc.moving_frame.set(moving, opts)
        self.moving = moving

    def set_moving_options(self, **changes) -> None:
        """Change how a moving camera draws (`RenderOptions.moving_reduction`, `moving_merged`,
        `moving_labels`, `moving_detail_budget`; the app's View menu, the orbit benchmark); applies
        from the next move."""
        sc = self.scene
        unknown = set(changes) - {"moving_reduction", "moving_merged", "moving_labels", "moving_detail_budget"}
        if unknown:
            raise TypeError(f"not a moving-camera option: {', '.join(sorted(unknown))}")
        self.set_moving(False)
        merged_before = sc.options.moving_merged
        sc.options = sc.options.but(**changes)
        if sc.options.moving_merged != merged_before:
            self._moving_stale = True
            self._build_hall_moving()

    # ------------------------------------------------------------------ level of detail
    def choose_halls(self) -> np.ndarray:
        """Mask of the halls this camera draws rack by rack (`twin.scene.site`)."""
        sc = self.scene
        cam = sc.renderer.GetActiveCamera()
        return sc.site.choose(np.array(cam.GetPosition()), cam.GetViewAngle(), sc.camera.view_size()[1],
                                sc.camera.project_ndc, sc.state.forced_racks())

    def place_labels(self) -> None:
        """Row and rack names for the camera now: only of racks drawn (a search or isolation
        leaves no name floating over empty floor), never over the caption or the axes' corner."""
        sc = self.scene
        labels = sc.decorations.screen_labels
        if labels is None:
            return
        # racks shown in any form: one by one, or in a far hall's row blocks (`sc.drawn` is only
        # the first, and would leave a whole far hall unnamed)
        rack, shown_parts = sc.design.parts.rack, sc.visible
        shown = np.bincount(rack[shown_parts & (rack >= 0)], minlength=sc.geometry.n_racks) > 0
        w, h = sc.camera.view_size()
        corner = np.array([0.0, h * (1 - AXES_CORNER[1]), w * AXES_CORNER[0], h])     # the orientation axes
        labels.update(sc.renderer.GetActiveCamera(), (w, h), shown=shown,
                      reserved=[sc.decorations.title_box((w, h)), corner])

    def update(self, force: bool = False) -> bool:
        """Choose which halls are drawn rack by rack and which racks get full meshes from the
        camera; rebuild only what changed."""
        sc = self.scene
        cam = sc.renderer.GetActiveCamera()
        _, h = sc.camera.view_size()
        near = self.choose_halls()
        site_changed = not np.array_equal(near, sc.site.near)
        if site_changed:                    # a hall came near or went far: its racks, trays, gear, cables
            sc.site.near = near
            self.build_site()
            self.build_facility()
            for stand_in in ("moving", "moving_detail"):      # rebuilt on the next move, for the new halls
                sc.layers.build(stand_in, Batch.empty())
        in_view = racks_in_view(sc.geometry, sc.camera.project_ndc) & sc.site.racks_near()
        chosen = choose_detail_racks(sc.geometry, in_view,
                                     np.array(cam.GetPosition()), np.array(cam.GetFocalPoint()), cam.GetViewAngle(),
                                     h, sc.state.forced_racks(), sc.options.detail_budget,
                                     sc.options.detail_min_pixels)
        if site_changed or sc.decorations.cables_need_redraw():   # hall scale ↔ close-up: bundles ↔ every cable
            sc.update_overlay_lines()
        if not (self.moving and not sc.options.moving_labels):
            self.place_labels()
        eye, drawn = np.array(cam.GetPosition()), sc.drawn
        for label in sc.decorations.hall_labels:
            anchor = np.array(label.GetPositionCoordinate().GetValue())
            label.SetVisibility(label_in_sight(anchor, eye, sc.camera.project_ndc, sc.site, drawn))
        if not force and not site_changed and np.array_equal(chosen, self.detail_racks):
            return False
        self.detail_racks = chosen
        self.rebuild_racks()
        sc.recolour()
        return True

