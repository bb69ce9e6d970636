"""Batched layers and recolouring: every triangle knows its colour key, colours are a gather.

A layer (detail meshes, rack boxes, facility gear…) is cut into square floor cells, one
actor per cell, so whole cells outside the view are culled and no layer is ever one actor
per part. Each triangle keeps a colour key: its part, or `n_parts + rack` for a rack drawn
as one box. Recolouring (an overlay, a selection, a highlight) is then one numpy gather per
chunk into a colour table indexed by key: milliseconds, not a scene rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Hashable

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor, vtkPolyDataMapper

from twin.analysis.overlays import Overlay
from twin.geometry.instancing import Batch
from twin.analysis import colouring
from twin.scene import vtk_arrays
from twin.scene.parts import PartGeometry
from twin.scene.site import RowBlocks

#: Side of the square floor cells that layers are cut into (one actor each, culled as a whole).
CHUNK_M = 8.0
#: Layers whose colours never change (context, ghosts).
FIXED_COLOUR_LAYERS = ("hall", "hall_moving", "ghost")
#: What dimmed parts fade towards while a highlight is shown (the light floor's grey).
DIM_RGB = (214, 217, 222)
#: Share of a dimmed part's own colour that remains, in percent.
DIM_KEEP_PERCENT = 22
#: Colour emphasised parts lean towards when no overlay colours them.
TRACE_RGB = (255, 140, 0)
RACK_BOX_RGB = (58, 61, 67)
FREE_BOX_RGB = (140, 128, 110)
GHOST_RGB = (120, 150, 190)


@dataclass
class Chunk:
    """One actor of one layer: its triangles' colour keys and their natural colours."""

    layer: str
    actor: vtkActor
    mapper: vtkPolyDataMapper
    face_key: np.ndarray
    base_rgb: np.ndarray
    shade: np.ndarray | None = None     # (n, 1) baked light factor of an unlit layer, None: lit by VTK
    coloured: int = -1                  # the `Layers.recolour` colouring it last got (-1: none yet)


#: Fixed light of unlit (baked) layers: from above, a little south-west, like the iso view's camera.
BAKED_LIGHT = np.array((-0.3, -0.45, 1.0)) / np.linalg.norm((-0.3, -0.45, 1.0))


def baked_shade(points: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(n, 1) brightness of each triangle under `BAKED_LIGHT`, two-sided: tops brightest, walls
    told apart by their facing. Drawn unlit, a moving frame skips per-pixel lighting, which costs
    software GL a fifth of a frame; a moving camera needs shape cues, not a headlight."""
    p = points[faces].astype(np.float64)
    normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    return np.minimum(0.5 + 0.55 * np.abs(normal @ BAKED_LIGHT), 1.0)[:, None]


def shaded(rgb: np.ndarray, shade: np.ndarray | None) -> np.ndarray:
    return rgb if shade is None else (rgb * shade).astype(np.uint8)


def cell_coloured_actor(poly) -> vtkActor:
    """An actor drawing `poly` with its per-cell RGB."""
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(poly)
    mapper.SetScalarModeToUseCellData()
    mapper.SetColorModeToDirectScalars()
    actor = vtkActor()
    actor.SetMapper(mapper)
    return actor


class Layers:
    """The scene's batched layers. `add_actor` / `remove_actor` put actors into the renderer
    (the scene's, which also applies its section plane to every new actor)."""

    def __init__(self, add_actor: Callable[[vtkActor], None], remove_actor: Callable[[vtkActor], None]):
        self._add, self._remove = add_actor, remove_actor
        self._layers: dict[str, list[Chunk]] = {}
        self._pieces: dict[str, dict[Hashable, list[Chunk]]] = {}     # layers built by `build_pieces`
        self._stamps: dict[str, bytes] = {}
        self._colouring: tuple | None = None          # (table, selected, emphasised) of the last recolour
        self._generation = 0

    def build(self, name: str, batch: Batch, face_key: np.ndarray | None = None, opacity: float = 1.0,
              pickable: bool = True, chunk_m: float | None = CHUNK_M, baked: bool = False) -> None:
        """(Re)build one layer: its triangles cut into spatial chunks, one actor per chunk
        (`chunk_m` None: the whole layer in one actor). `baked`: drawn unlit, with a fixed light's
        shading baked into the colours (`baked_shade`)."""
        for old in self._layers.pop(name, []):
            self._remove(old.actor)
        self._pieces.pop(name, None)
        self._layers[name] = self._chunks(name, batch, face_key, opacity, pickable, chunk_m, baked)

    def build_pieces(self, name: str, wanted: dict[Hashable, Callable[[], tuple[Batch, np.ndarray | None]]],
                     stamp: bytes = b"", opacity: float = 1.0, pickable: bool = True) -> int:
        """(Re)build a layer made of keyed pieces (one rack's meshes, one floor cell's boxes), one
        actor each: a piece already built under the same key, while `stamp` (what every piece
        depends on, such as the visible parts) is unchanged, stays as it is; the others are made
        by calling `wanted[key]` for (batch, face keys), and pieces no longer wanted go. Returns
        how many pieces were built. A batch of close-ups along a row then builds one rack's
        meshes per image instead of all its neighbours' again."""
        pieces = self._pieces.get(name)
        if pieces is None or self._stamps.get(name) != stamp:
            for old in self._layers.pop(name, []):
                self._remove(old.actor)
            pieces = {}
        for key in [k for k in pieces if k not in wanted]:
            for old in pieces.pop(key):
                self._remove(old.actor)
        built = 0
        for key, make in wanted.items():
            if key not in pieces:
                batch, face_key = make()
                pieces[key] = self._chunks(name, batch, face_key, opacity, pickable, None, False)
                built += 1
        self._pieces[name], self._stamps[name] = pieces, stamp
        self._layers[name] = [chunk for chunks in pieces.values() for chunk in chunks]
        return built

    def forget_pieces(self) -> None:
        """Let the next `build_pieces` of every layer build all its pieces anew (and the next
        recolour colour every chunk): what each image cost before pieces were kept, the batch
        benchmark's baseline."""
        for name in self._pieces:
            self._stamps[name] = b"\0forgotten"
        self._colouring = None

    def _chunks(self, name: str, batch: Batch, face_key: np.ndarray | None, opacity: float, pickable: bool,
                chunk_m: float | None, baked: bool) -> list[Chunk]:
        if batch.triangle_count == 0:
            return []
        key = batch.face_part if face_key is None else face_key
        chunks = []
        cells = batch.spatial_chunks(chunk_m) if chunk_m else [np.arange(batch.triangle_count)]
        for faces in cells:
            part = batch.subset(faces) if chunk_m else batch
            shade = baked_shade(part.points, part.faces) if baked else None
            actor = cell_coloured_actor(vtk_arrays.triangles(part.points, part.faces, shaded(part.face_rgb, shade)))
            actor.SetPickable(pickable)
            prop = actor.GetProperty()
            prop.SetAmbient(0.25)
            prop.SetDiffuse(0.8)
            prop.SetSpecular(0.05)
            prop.SetLighting(not baked)
            if opacity < 1:
                prop.SetOpacity(opacity)
            else:
                prop.BackfaceCullingOn()        # meshes are closed boxes facing out: skip their backs
            self._add(actor)
            chunks.append(Chunk(name, actor, actor.GetMapper(), key[faces], part.face_rgb.copy(), shade))
        return chunks

    def names(self) -> list[str]:
        """Layers that currently draw something."""
        return [name for name, chunks in self._layers.items() if chunks]

    def show(self, names: tuple[str, ...], on: bool) -> None:
        """Show or hide whole layers without rebuilding them (interactive level of detail)."""
        for name in names:
            for chunk in self._layers.get(name, []):
                chunk.actor.SetVisibility(on)

    def chunks(self) -> list[Chunk]:
        return [chunk for chunks in self._layers.values() for chunk in chunks]

    def actors(self) -> list[vtkActor]:
        return [chunk.actor for chunk in self.chunks()]

    def triangle_count(self) -> int:
        return int(sum(chunk.mapper.GetInput().GetNumberOfCells() for chunk in self.chunks()
                       if chunk.actor.GetVisibility()))

    def recolour(self, table: np.ndarray | None, selected: np.ndarray, emphasised: np.ndarray | None) -> None:
        """Colour every chunk from its keys: overlay `table` (None: natural colours), then the
        selection tint on `selected` keys (natural colours only: under an overlay the
        selection is drawn by its outline alone), then (when `emphasised` is given) dim every other key."""
        hi = np.array(colouring.HIGHLIGHT, np.uint16)
        dim = np.array(DIM_RGB, np.uint16) * (100 - DIM_KEEP_PERCENT)
        trace = np.array(TRACE_RGB, np.uint16)
        # the same colouring as last time (the next image of a batch, new detail for a camera step):
        # only the pieces built since then need their colours
        same = self._colouring is not None and all(
            (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
            for a, b in zip(self._colouring, (table, selected, emphasised)))
        if not same:
            self._colouring = tuple(None if a is None else np.array(a, copy=True) for a in (table, selected, emphasised))
            self._generation += 1
        for chunk in self.chunks():
            if chunk.layer in FIXED_COLOUR_LAYERS or chunk.coloured == self._generation:
                continue
            chunk.coloured = self._generation
            key = chunk.face_key
            if table is None:
                rgb = chunk.base_rgb.copy()
            else:
                # keep some of the mesh shading so parts stay recognisable under an overlay
                rgb = ((table[key].astype(np.uint16) * 4 + chunk.base_rgb.astype(np.uint16)) // 5).astype(np.uint8)
            if emphasised is not None:
                keep = emphasised[key]
                if table is None and keep.any():
                    rgb[keep] = ((rgb[keep].astype(np.uint16) * 40 + trace * 60) // 100).astype(np.uint8)
                fade = ~keep
                if fade.any():
                    rgb[fade] = ((rgb[fade].astype(np.uint16) * DIM_KEEP_PERCENT + dim) // 100).astype(np.uint8)
            # under an overlay the selection is the outline only: a tint would hide the very
            # colour the reviewer is looking at (the hot rack must stay red when selected)
            sel = selected[key] if table is None else None
            if sel is not None and sel.any():
                rgb[sel] = ((rgb[sel].astype(np.uint16) * 35 + hi * 65) // 100).astype(np.uint8)
            vtk_arrays.set_cell_rgb(chunk.mapper.GetInput(), shaded(rgb, chunk.shade))


def colour_table(parts: PartGeometry, overlay: Overlay | None, blocks: RowBlocks | None = None,
                 drawn: np.ndarray | None = None) -> np.ndarray | None:
    """Colours by key (parts first, then one summary colour per rack box, then, with `blocks`,
    one per row block of a far hall: its racks' aggregate); None: natural colours. With
    `drawn` (a part mask), only those parts get colours: the others are drawn as blocks,
    and a site of 200,000 parts recolours in the time of the few it draws."""
    if overlay is None:
        return None
    n, n_racks = parts.n_parts, parts.n_racks
    n_blocks = blocks.n if blocks is not None else 0
    table = np.zeros((n + n_racks + n_blocks, 3), np.uint8)
    values = np.asarray(overlay.values, float)

    def colours(v: np.ndarray) -> np.ndarray:
        return colouring.value_colours(overlay, v)
    rack_values = parts.rack_summary(values, overlay.rack_reduce)
    if drawn is None:
        table[:n] = colours(values)
    else:
        table[np.flatnonzero(drawn)] = colours(values[drawn])
    table[n:n + n_racks] = colours(rack_values)
    block_values = np.zeros(0)
    if n_blocks:
        # the row shows its worst rack: the hottest, the busiest, the highest category code
        block_values = blocks.summary(rack_values, "min" if overlay.rack_reduce == "min" else "max")
        table[n + n_racks:] = colours(block_values)
    if overlay.measured is not None:
        # estimates read paler (`colouring.paler`); a rack box or row block is measured when any part in it is
        measured = np.asarray(overlay.measured, float)
        rack_measured = np.nan_to_num(parts.rack_summary(measured, "max"))
        measured = np.concatenate([measured, rack_measured] +
                                  ([np.nan_to_num(blocks.summary(rack_measured, "max"))] if n_blocks else []))
        known = np.concatenate([values, np.zeros(n_racks), np.zeros(len(block_values))])
        pale = colouring.estimated(overlay, known, measured)
        table[pale] = colouring.paler(table[pale])
    return table


def build_rack_layers(layers: Layers, parts: PartGeometry, visible: np.ndarray, detail_racks: np.ndarray,
                      doors: bool, xray: bool, drawn: np.ndarray | None = None) -> None:
    """The racks' layers: full meshes (and doors) for `detail_racks`, one box per other rack,
    boxes for free parts, and translucent ghost boxes for hidden parts when `xray` is on.
    With `drawn`, parts outside it (those of far halls, drawn as row blocks) get nothing.

    Detail and doors are one piece per rack, boxes one piece per floor cell (`Layers.build_pieces`):
    when the detailed racks change (the next close-up of a batch, a camera step), only the racks
    that came near get meshes and only the cells whose boxes changed are rebuilt."""
    g = parts
    drawn = np.ones(g.n_parts, bool) if drawn is None else drawn
    vis = visible & drawn
    stamp = np.packbits(vis).tobytes()               # every piece depends on which parts are shown
    detail_racks = np.asarray(detail_racks, np.int64)
    detail = np.zeros(g.n_racks, bool)
    detail[detail_racks] = True
    rack_of = g.design.parts.rack
    in_detail = (g.is_frame | g.is_inner) & detail[np.maximum(rack_of, 0)]
    shown = in_detail & vis

    def rack_meshes(r: int) -> tuple[Batch, None]:
        own = g.rack_parts(r)
        return g.parts_batch(own[shown[own]]), None

    def rack_doors(r: int) -> tuple[Batch, None]:
        own = g.rack_parts(r)
        return g.doors_batch(own[shown[own] & g.is_frame[own]]), None

    racks = detail_racks.tolist()
    layers.build_pieces("detail", {r: (lambda r=r: rack_meshes(r)) for r in racks}, stamp)
    if doors:
        layers.build_pieces("doors", {r: (lambda r=r: rack_doors(r)) for r in racks}, stamp, opacity=0.22,
                            pickable=False)
    else:
        layers.build("doors", Batch.empty())
    layers.build_pieces("boxes", _box_cells(g, g.is_frame & ~in_detail & vis, g.is_free & vis, detail_racks), stamp)
    ghost = Batch.empty()
    if xray:
        hidden = np.flatnonzero(~vis & drawn & (g.is_inner | g.is_facility | g.is_free | (g.is_frame & ~in_detail)))
        ghost = g.boxes_batch(hidden, GHOST_RGB)
    layers.build("ghost", ghost, opacity=0.12, pickable=False)


def _box_cells(g: PartGeometry, frames: np.ndarray, free: np.ndarray, detail_racks: np.ndarray) -> dict:
    """The boxes layer as one piece per floor cell (`CHUNK_M`): rack boxes (keyed by rack) and free
    parts' boxes. A cell's key names the detailed racks standing in it, so a cell is rebuilt only
    when one of its racks gains or loses full meshes."""
    cell = np.floor(g.position[:, :2] / CHUNK_M).astype(np.int64)
    cell_id = cell[:, 0] * 1_000_003 + cell[:, 1]
    boxed = np.flatnonzero(frames | free)
    if not len(boxed):
        return {}
    order = boxed[np.argsort(cell_id[boxed], kind="stable")]
    groups = np.split(order, np.flatnonzero(np.diff(cell_id[order])) + 1)
    frame_parts = g.frame_of_rack[detail_racks]
    detailed_in: dict[int, tuple] = {}
    for r, f in zip(detail_racks.tolist(), frame_parts.tolist()):
        if f >= 0:
            detailed_in.setdefault(int(cell_id[f]), []).append(r)     # type: ignore[attr-defined]
    rack_of = g.design.parts.rack

    def boxes(members: np.ndarray) -> tuple[Batch, np.ndarray | None]:
        frame_batch = g.boxes_batch(members[frames[members]], RACK_BOX_RGB)
        free_batch = g.boxes_batch(members[free[members]], FREE_BOX_RGB)
        batch = Batch.concat([frame_batch, free_batch])
        key = np.concatenate([g.n_parts + rack_of[frame_batch.face_part], free_batch.face_part]) \
            if batch.triangle_count else None
        return batch, key

    wanted = {}
    for members in groups:
        c = int(cell_id[members[0]])
        wanted[(c, tuple(sorted(detailed_in.get(c, ()))))] = (lambda m=members: boxes(m))
    return wanted


#: What a moving camera skips: the full rack meshes, their doors, the facility gear's meshes
#: and the hall with its cable trays' rungs...
STILL_ONLY_LAYERS = ("detail", "doors", "facility", "hall")
#: ...and what it draws instead: boxes, and the hall with box trays.
MOVING_ONLY_LAYERS = ("moving", "moving_detail", "hall_moving")


def moving_layer_swap(merged: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(layers hidden, layers shown) while the camera moves. Merged stand-ins replace the
    per-floor-cell rack boxes too, since they hold a box for every rack."""
    return (STILL_ONLY_LAYERS + ("boxes",) if merged else STILL_ONLY_LAYERS), MOVING_ONLY_LAYERS


def build_moving_layer(layers: Layers, parts: PartGeometry, visible: np.ndarray, detail_racks: np.ndarray,
                       merged: bool = True, kept: np.ndarray | None = None) -> None:
    """The stand-ins drawn while the camera moves (as ParaView's interactive LOD), hidden until
    `Layers.show` turns them on.

    merged: one box per visible rack, free part and facility part, all in one actor. Software
    GL pays a fixed cost per actor (state, uniforms, a draw call), which at hall scale outweighs
    the culling that per-floor-cell actors buy (DESIGN.md §5). Not merged: boxes only for the
    racks drawn in detail and the facility gear, cut into floor cells; the still frame's
    per-cell rack boxes stay drawn beside them. `kept`: racks drawn in full meshes instead of
    boxes (`lod.moving_detail_racks`), in one more actor."""
    g = parts
    rack_of = g.design.parts.rack
    in_kept = np.zeros(g.n_racks, bool)
    if kept is not None:
        in_kept[kept] = True
    in_kept = in_kept[np.maximum(rack_of, 0)] & (rack_of >= 0)
    layers.build("moving_detail", g.parts_batch(np.flatnonzero((g.is_frame | g.is_inner) & visible & in_kept)),
                 chunk_m=None)
    layers.show(("moving_detail",), False)
    frames = g.is_frame & visible & ~in_kept
    if not merged:
        detail = np.zeros(g.n_racks, bool)
        detail[detail_racks] = True
        frames &= detail[np.maximum(rack_of, 0)]
    frame_batch = g.boxes_batch(np.flatnonzero(frames), RACK_BOX_RGB)
    free_batch = g.boxes_batch(np.flatnonzero(g.is_free & visible), FREE_BOX_RGB) if merged else Batch.empty()
    gear = np.flatnonzero(g.is_facility & visible)
    gear_batch = g.boxes_batch(gear, g.mesh_rgb(gear, FREE_BOX_RGB) if merged else FREE_BOX_RGB)
    batch = Batch.concat([frame_batch, free_batch, gear_batch])
    key = np.concatenate([g.n_parts + rack_of[frame_batch.face_part], free_batch.face_part, gear_batch.face_part]) \
        if batch.triangle_count else None
    layers.build("moving", batch, key, chunk_m=None if merged else CHUNK_M, baked=merged)
    layers.show(("moving",), False)
