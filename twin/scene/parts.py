"""The parts of a design as the scene needs them: boxes, roles, per-rack indexes, mesh batches.

Computed once per design, whole-column numpy (no loop over parts): what level of detail,
picking, recolouring and the camera poses all read.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from twin.geometry.instancing import Batch, instance, world_boxes
from twin.model import Design
from twin.scene.meshes import split_doors, type_meshes, unit_box

FACILITY_KINDS = ("cdu", "crah", "ups", "switchboard", "pdu")


class PartGeometry:
    """Per-part boxes and roles (frame, inner, facility, free), per-rack indexes and meshes."""

    def __init__(self, design: Design):
        d = self.design = design
        self.warnings: list[str] = list(design.warnings)
        self.n_parts, self.n_racks = len(d.parts), len(d.racks)
        self.kind = d.part_kind()
        self.size = d.part_size()
        self.position = d.parts.position
        self.yaw = d.parts.yaw_deg
        self.centre = self.position + np.column_stack([np.zeros((self.n_parts, 2)), self.size[:, 2] / 2])
        self.box_lo, self.box_hi = world_boxes(self.position, self.size, self.yaw)
        rack = d.parts.rack
        self.is_frame = d.frame_mask()
        self.frame_of_rack = d.rack_frames()
        self.is_inner = (d.parts.parent >= 0) & (rack >= 0)
        self.is_facility = np.isin(self.kind, FACILITY_KINDS) & (rack < 0)
        self.is_free = ~(self.is_frame | self.is_inner | self.is_facility)
        self.meshes, warnings = type_meshes(d)
        self.warnings += warnings
        self.door_meshes = {}
        for t in np.unique(d.parts.type[self.is_frame]):
            self.meshes[t], self.door_meshes[int(t)] = split_doors(self.meshes[t], float(d.part_types.size[t, 1]))
        tris = np.array([m.triangle_count for m in self.meshes], np.int64)   # doors included
        racked = self.is_frame | self.is_inner
        self.rack_triangles = np.bincount(rack[racked], weights=tris[d.parts.type[racked]],
                                          minlength=self.n_racks).astype(np.int64)
        self._rack_order = np.argsort(rack, kind="stable")
        self._rack_bounds = np.searchsorted(rack[self._rack_order], np.arange(-1, self.n_racks + 1) - 0.5)[1:]
        frames = np.maximum(self.frame_of_rack, 0)
        self.rack_height = np.where(self.frame_of_rack >= 0, self.size[frames, 2], 2.2)
        self.rack_centre = np.where(self.frame_of_rack[:, None] >= 0, self.centre[frames],
                                    np.column_stack([d.racks.position, np.ones(self.n_racks)]))
        self.bounds = (self.box_lo.min(axis=0), self.box_hi.max(axis=0)) if self.n_parts else \
            (np.zeros(3), np.ones(3))

    # ------------------------------------------------------------------ racks
    def rack_parts(self, rack: int) -> np.ndarray:
        """Part indices of one rack (frame, trays, busbar, manifolds, tap)."""
        lo, hi = self._rack_bounds[rack], self._rack_bounds[rack + 1]
        return self._rack_order[lo:hi]

    def rack_summary(self, values: np.ndarray, how: str = "max") -> np.ndarray:
        """One value per rack from its parts' values (NaN ignored): max, min, mean, or its frame's."""
        out = np.full(self.n_racks, np.nan)
        if not self.n_racks:
            return out
        if how == "frame":
            has = self.frame_of_rack >= 0
            out[has] = np.asarray(values, float)[self.frame_of_rack[has]]
            return out
        # parts are pre-sorted by rack; reduce each rack's run at once
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

    def rack_keys(self, part_mask: np.ndarray) -> np.ndarray:
        """Colour-table keys (parts, then one per rack) marked where a part is marked; a marked
        rack frame stands for its whole rack, and any marked racked part marks its rack box."""
        keys = np.zeros(self.n_parts + self.n_racks, bool)
        rack = self.design.parts.rack
        whole = rack[part_mask & self.is_frame]
        keys[: self.n_parts] = part_mask | ((rack >= 0) & np.isin(rack, whole))
        keys[self.n_parts + rack[part_mask & (rack >= 0)]] = True
        return keys

    def content_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Box around the racks and facility gear (what the named views frame)."""
        keep = self.is_frame | self.is_facility
        if not keep.any():
            return self.bounds
        return self.box_lo[keep].min(axis=0), self.box_hi[keep].max(axis=0)

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

    # ------------------------------------------------------------------ batches
    def parts_batch(self, parts: np.ndarray) -> Batch:
        """Full meshes of `parts`, one instancing call per part type."""
        types = self.design.parts.type[parts]
        return Batch.concat([instance(self.meshes[t], parts[types == t], self.position[parts[types == t]],
                                      self.yaw[parts[types == t]]) for t in np.unique(types)])

    def doors_batch(self, frames: np.ndarray) -> Batch:
        """The translucent doors of these rack frames."""
        types = self.design.parts.type[frames]
        return Batch.concat([instance(self.door_meshes[int(t)], frames[types == t], self.position[frames[types == t]],
                                      self.yaw[frames[types == t]]) for t in np.unique(types)])

    def boxes_batch(self, parts: np.ndarray, rgb: Sequence[int]) -> Batch:
        """One box per part, of its size, in one colour (or one (k, 3) colour per part)."""
        rgb = np.asarray(rgb, np.uint8)
        return instance(unit_box(), parts, self.position[parts], self.yaw[parts], scale=self.size[parts],
                        rgb=rgb if rgb.ndim == 2 else np.tile(rgb, (len(parts), 1)))

    def mesh_rgb(self, parts: np.ndarray, fallback: Sequence[int]) -> np.ndarray:
        """(k, 3) average face colour of each part's mesh (`fallback` for uncoloured meshes): what a
        box standing in for the part is painted, so a white CDU stays white when drawn as a box."""
        types = self.design.parts.type[parts]
        rgb = np.tile(np.asarray(fallback, np.uint8), (len(parts), 1))
        for t in np.unique(types):                        # one step per part type, not per part
            mesh = self.meshes[t]
            if mesh.face_colors is None or not len(mesh.face_colors):
                continue
            v = mesh.vertices[mesh.faces].astype(np.float64)
            area = np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1)
            if area.sum() > 0:                            # what the eye sees: colours weighed by area
                rgb[types == t] = (mesh.face_colors.T @ area / area.sum()).astype(np.uint8)
        return rgb
