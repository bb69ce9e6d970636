"""Site level of detail: a far hall is drawn as one block per row, a near one rack by rack.

The rack level of detail (`twin.scene.lod`) picks racks for full meshes; this is the same
choice one level up. A hall whose racks would be a few pixels wide on screen is drawn as a
block per row of racks (12 triangles a row, not 12 per rack), coloured under an overlay by
the row's aggregate (the hottest rack, the worst category), so the hot spot still shows
from the site view. Only halls that come near get their rack boxes, part meshes, cables and
tray meshes built, and those are released when the hall goes far again.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable

import numpy as np

from twin.geometry.instancing import Batch, instance
from twin.geometry.raycast import ray_box_hits
from twin.scene.meshes import unit_box
from twin.scene.parts import PartGeometry

#: A hall is drawn rack by rack only when a rack would be at least this many pixels wide
#: where the hall comes nearest the camera; narrower, its rows are blocks.
HALL_RACK_MIN_PIXELS = 4.0
#: How wide a rack is taken to be for that test (metres).
RACK_WIDTH_M = 0.6
#: Halls whose tray meshes stay cached after they went far (the rest are released).
CACHED_HALLS = 2
#: Side of the floor cells picking sorts parts into (as the layers' chunks).
PICK_CELL_M = 8.0
#: Colour of a block under no overlay (the rack boxes' dark grey).
BLOCK_RGB = (58, 61, 67)
#: Colour of a far hall's facility gear drawn as boxes (its meshes' grey, a shade lighter than the rows).
FAR_GEAR_RGB = (104, 108, 116)


class RowBlocks:
    """One box per row of racks (per hall): where it stands, which racks it holds."""

    def __init__(self, parts: PartGeometry):
        d = parts.design
        self.parts = parts
        n_racks = parts.n_racks
        rack_hall = np.asarray(d.racks.hall, np.int64) if "hall" in d.racks else np.zeros(n_racks, np.int64)
        rows, row_code = np.unique(np.asarray(d.racks.row, object).astype(str), return_inverse=True)
        pair = rack_hall * max(len(rows), 1) + row_code.reshape(-1)
        pairs, self.block_of_rack = np.unique(pair, return_inverse=True)
        self.block_of_rack = self.block_of_rack.reshape(-1).astype(np.int64)
        self.n = len(pairs)
        self.hall = pairs // max(len(rows), 1)
        self.row = rows[pairs % max(len(rows), 1)] if len(rows) else np.zeros(0, str)
        # a rack's box: its frame's, or a nominal one at its position when it has no frame
        has = parts.frame_of_rack >= 0
        frames = np.maximum(parts.frame_of_rack, 0)
        half = np.array([0.3, 0.6, 1.1])
        lo = np.where(has[:, None], parts.box_lo[frames], parts.rack_centre - half)
        hi = np.where(has[:, None], parts.box_hi[frames], parts.rack_centre + half)
        self.lo = np.full((self.n, 3), np.inf)
        self.hi = np.full((self.n, 3), -np.inf)
        np.minimum.at(self.lo, self.block_of_rack, lo)
        np.maximum.at(self.hi, self.block_of_rack, hi)

    def of_halls(self, halls: np.ndarray) -> np.ndarray:
        """Indices of the blocks standing in these halls."""
        return np.flatnonzero(np.isin(self.hall, halls))

    def batch(self, blocks: np.ndarray) -> Batch:
        """One box per block; each face's key is the block index."""
        centre = (self.lo[blocks] + self.hi[blocks]) / 2
        size = self.hi[blocks] - self.lo[blocks]
        base = np.column_stack([centre[:, :2], self.lo[blocks, 2]])
        return instance(unit_box(), blocks, base, np.zeros(len(blocks)), scale=size,
                        rgb=np.tile(np.asarray(BLOCK_RGB, np.uint8), (len(blocks), 1)))

    def summary(self, rack_values: np.ndarray, how: str = "max") -> np.ndarray:
        """One value per block from its racks' values (NaN ignored): the lowest for `min`,
        else the highest (the hottest rack, the busiest, the worst category code)."""
        values = np.asarray(rack_values, float)
        finite = np.isfinite(values)
        out = np.full(self.n, -np.inf if how != "min" else np.inf)
        (np.minimum if how == "min" else np.maximum).at(out, self.block_of_rack[finite], values[finite])
        return np.where(np.isfinite(out), out, np.nan)

    def pick(self, blocks: np.ndarray, origin: np.ndarray, direction: np.ndarray) -> tuple[int, float]:
        """The first of `blocks` the ray hits and the ray parameter there, or (-1, inf)."""
        if not len(blocks):
            return -1, np.inf
        t = ray_box_hits(origin, direction, self.lo[blocks], self.hi[blocks])
        if not np.isfinite(t).any():
            return -1, np.inf
        best = int(np.argmin(t))
        return int(blocks[best]), float(t[best])


def hall_boxes(parts: PartGeometry) -> tuple[np.ndarray, np.ndarray]:
    """(halls, 3) lowest and highest corners of each hall's room in site coordinates."""
    d = parts.design
    boxes = [d.hall_box(h) for h in range(len(d.halls))]
    if not boxes:
        return np.zeros((0, 3)), np.zeros((0, 3))
    return np.array([b[0] for b in boxes], float), np.array([b[1] for b in boxes], float)


def near_halls(lo: np.ndarray, hi: np.ndarray, eye: np.ndarray, view_angle_deg: float, window_height: int,
               in_view: np.ndarray, min_pixels: float = HALL_RACK_MIN_PIXELS) -> np.ndarray:
    """Mask of halls drawn rack by rack for a camera at `eye`: in view, and near enough that a
    rack is at least `min_pixels` wide where the hall comes closest to the camera."""
    nearest = np.clip(eye, lo, hi)
    dist = np.maximum(np.linalg.norm(nearest - eye, axis=1), 1e-3)
    px_per_m = window_height / (2 * np.tan(np.radians(view_angle_deg) / 2)) / dist
    return in_view & (RACK_WIDTH_M * px_per_m >= min_pixels)


def boxes_in_view(lo: np.ndarray, hi: np.ndarray, project_ndc: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Boxes with a corner in front of the camera and inside (or near) the frame, or that hold the eye."""
    if not len(lo):
        return np.zeros(0, bool)
    corners = np.stack([np.column_stack([np.where(k & 1, hi[:, 0], lo[:, 0]), np.where(k & 2, hi[:, 1], lo[:, 1]),
                                         np.where(k & 4, hi[:, 2], lo[:, 2])]) for k in range(8)], axis=1)
    ndc = project_ndc(corners.reshape(-1, 3)).reshape(-1, 8, 3)
    ahead = (ndc[:, :, 2] > -1) & (ndc[:, :, 2] < 1)
    x = np.where(ahead, ndc[:, :, 0], np.nan)
    y = np.where(ahead, ndc[:, :, 1], np.nan)
    with np.errstate(invalid="ignore"):
        seen = ahead.any(axis=1) & (np.nanmin(np.where(ahead, x, np.inf), axis=1) < 1.05) \
            & (np.nanmax(np.where(ahead, x, -np.inf), axis=1) > -1.05) \
            & (np.nanmin(np.where(ahead, y, np.inf), axis=1) < 1.05) \
            & (np.nanmax(np.where(ahead, y, -np.inf), axis=1) > -1.05)
    return seen


class HallCache:
    """Per-hall geometry built when a hall comes near, kept for the last `size` halls that
    went far (a camera flying back finds them ready) and released beyond that."""

    def __init__(self, size: int = CACHED_HALLS):
        self.size = size
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self.builds = 0

    def get(self, key: tuple, build: Callable[[], object]) -> object:
        """The item for `key`, built now if it is not cached."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        self.builds += 1
        item = self._items[key] = build()
        return item

    def keep_only(self, wanted: set[tuple]) -> None:
        """Drop every item not `wanted` beyond the `size` most recently used."""
        spare = [k for k in self._items if k not in wanted]
        for key in spare[: max(len(spare) - self.size, 0)]:
            del self._items[key]

    def __len__(self) -> int:
        return len(self._items)


def tray_halls(design, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Hall of every cable tray (the one holding both its ends), -1 for the campus ducts and
    leads that run between halls (drawn at every distance: they join the site together)."""
    trays = design.cable_trays
    out = np.full(len(trays), -1, np.int64)
    if not len(trays):
        return out
    a, b = np.asarray(trays.start, float)[:, :2], np.asarray(trays.end, float)[:, :2]
    for h in range(len(lo)):                  # a handful of halls: a loop over halls, not trays
        a_in = np.all((a >= lo[h, :2] - 1e-6) & (a <= hi[h, :2] + 1e-6), axis=1)
        b_in = np.all((b >= lo[h, :2] - 1e-6) & (b <= hi[h, :2] + 1e-6), axis=1)
        out[(out < 0) & a_in & b_in] = h
    return out


class SiteLevel:
    """Which halls a frame draws rack by rack, what each part's and rack's hall is, and the
    blocks of the far ones. `enabled` is False when the halls have no places on the site
    (an old import: every hall at 0, 0), and then every hall is near."""

    def __init__(self, parts: PartGeometry, min_pixels: float = HALL_RACK_MIN_PIXELS):
        d = parts.design
        self.parts = parts
        self.min_pixels = min_pixels
        self.n_halls = len(d.halls)
        self.enabled = self.n_halls == 1 or bool(d.hall_origin().any())
        self.lo, self.hi = hall_boxes(parts)
        self.blocks = RowBlocks(parts)
        self.part_hall = d.part_hall() if self.n_halls else np.full(parts.n_parts, -1, np.int64)
        self.rack_hall = np.asarray(d.racks.hall, np.int64) if "hall" in d.racks \
            else np.zeros(parts.n_racks, np.int64)
        self.tray_hall = tray_halls(d, self.lo, self.hi)
        self.near = np.ones(self.n_halls, bool)
        self.cache = HallCache()
        self._index_cells()

    def _index_cells(self) -> None:
        """Sort the parts into floor cells per hall, each with the box around its parts: a pick
        tests the cells its ray crosses, then only their parts (a spatial index, numpy only)."""
        g = self.parts
        if not g.n_parts:
            self._cell_order, self._cell_bounds = np.zeros(0, np.int64), np.zeros(1, np.int64)
            self._cell_lo = self._cell_hi = np.zeros((0, 3))
            self._cell_hall = np.zeros(0, np.int64)
            return
        xy = np.floor(g.centre[:, :2] / PICK_CELL_M).astype(np.int64)
        xy -= xy.min(axis=0)
        span = xy.max(axis=0) + 1
        key = ((self.part_hall + 1) * span[0] + xy[:, 0]) * span[1] + xy[:, 1]
        cells, cell_of = np.unique(key, return_inverse=True)
        cell_of = cell_of.reshape(-1)
        self._cell_order = np.argsort(cell_of, kind="stable")
        self._cell_bounds = np.searchsorted(cell_of[self._cell_order], np.arange(len(cells) + 1))
        self._cell_lo = np.full((len(cells), 3), np.inf)
        self._cell_hi = np.full((len(cells), 3), -np.inf)
        np.minimum.at(self._cell_lo, cell_of, g.box_lo)
        np.maximum.at(self._cell_hi, cell_of, g.box_hi)
        self._cell_hall = cells // (span[0] * span[1]) - 1

    def choose(self, eye: np.ndarray, view_angle_deg: float, window_height: int,
               project_ndc: Callable[[np.ndarray], np.ndarray], forced_racks: np.ndarray) -> np.ndarray:
        """Mask of halls to draw rack by rack from this camera (a hall holding a selected or
        focused rack always is)."""
        if not self.enabled or not self.n_halls:
            return np.ones(self.n_halls, bool)
        near = near_halls(self.lo, self.hi, np.asarray(eye, float), view_angle_deg, window_height,
                          boxes_in_view(self.lo, self.hi, project_ndc), self.min_pixels)
        forced = self.rack_hall[np.asarray(forced_racks, np.int64)]
        near[forced[forced >= 0]] = True
        return near

    def parts_near(self, near: np.ndarray | None = None) -> np.ndarray:
        """Mask of parts drawn one by one: those of near halls and those standing in no hall."""
        near = self.near if near is None else near
        return (self.part_hall < 0) | np.r_[near, False][self.part_hall]

    def racks_near(self, near: np.ndarray | None = None) -> np.ndarray:
        near = self.near if near is None else near
        return (self.rack_hall < 0) | np.r_[near, False][self.rack_hall]

    def far_blocks(self) -> np.ndarray:
        """The blocks drawn now: the rows of the far halls."""
        return self.blocks.of_halls(np.flatnonzero(~self.near))

    def tray_rows(self) -> np.ndarray:
        """The trays drawn now: those of the near halls and the campus ducts between halls."""
        return np.flatnonzero((self.tray_hall < 0) | np.r_[self.near, False][self.tray_hall])

    def with_blocks(self, keys: np.ndarray, rack_keys_n: int) -> np.ndarray:
        """A mask over part and rack keys, extended over the blocks: a block is marked when any
        of its racks' keys is."""
        out = np.zeros(rack_keys_n + self.blocks.n, bool)
        out[:rack_keys_n] = keys
        racks = keys[self.parts.n_parts:rack_keys_n]
        out[rack_keys_n + np.unique(self.blocks.block_of_rack[racks])] = True
        return out

    def pick(self, origin: np.ndarray, direction: np.ndarray) -> tuple[int, float]:
        """The block of a far hall the ray hits first and the ray parameter there, or (-1, inf)."""
        return self.blocks.pick(self.far_blocks(), origin, direction)

    def parts_under_ray(self, origin: np.ndarray, direction: np.ndarray) -> np.ndarray:
        """Indices of the parts a ray may hit: those in the cells it crosses, of near halls or
        of no hall (the parts of far halls are drawn as row blocks)."""
        t = ray_box_hits(origin, direction, self._cell_lo, self._cell_hi)
        near = np.r_[self.near, True][self._cell_hall]          # index -1: parts standing in no hall
        hit = np.flatnonzero(np.isfinite(t) & near)
        if not len(hit):
            return np.zeros(0, np.int64)
        b = self._cell_bounds
        return np.concatenate([self._cell_order[b[c]:b[c + 1]] for c in hit.tolist()])


def label_in_sight(anchor: np.ndarray, eye: np.ndarray, project_ndc: Callable[[np.ndarray], np.ndarray],
                   site: SiteLevel, drawn: np.ndarray) -> bool:
    """Whether a label anchored at world point `anchor` is in front of the camera, in frame, and
    seen: no drawn part box or row block stands between the eye and it (2D text draws over the
    scene, so a hall's name would otherwise show through the racks of a close-up)."""
    ndc = project_ndc(np.asarray(anchor, float)[None])[0]
    if not (abs(ndc[2]) < 1 and abs(ndc[0]) < 1.1 and abs(ndc[1]) < 1.1):
        return False
    direction = np.asarray(anchor, float) - eye            # the ray reaches the anchor at t = 1
    parts = site.parts_under_ray(eye, direction)
    parts = parts[drawn[parts]]
    t = ray_box_hits(eye, direction, site.parts.box_lo[parts], site.parts.box_hi[parts])
    return not (t < 0.999).any() and site.pick(eye, direction)[1] >= 0.999
