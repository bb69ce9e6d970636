"""Cable routes of a loaded design, and the trace: which cables leave a port, cable or device, and where they run.

The routing itself is `twin.geometry.routing` (the same code `twin build` stores routes
with); this module applies it to a `Design`, caches the result on the design, and turns
routes into polylines for the scene and the trace. Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from twin.geometry.routing import (DIRECT, LOCAL, NO_PATH, TRAYS, UNROUTED, CableRoutes, _direct_points,
                                   route_between_parts, row_keys)
from twin.geometry.trays import TrayNetwork, build_tray_network
from twin.model import Design


def tray_network(design: Design) -> TrayNetwork:
    """The design's tray network (cut at junctions, shortest paths), built once per design."""
    def build() -> TrayNetwork:
        t = design.cable_trays
        return build_tray_network(t.start, t.end, t.width_m) if len(t) else \
            build_tray_network(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0))
    return design.derived("tray_network", build)


def port_positions(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """World positions (k, 3) of both ends of every cable; NaN where a port or its part is missing."""
    a, b = design.cable_ends()
    c = design.cables
    a = np.where(((c.a_part >= 0) & c.a_port_found)[:, None], a, np.nan) if "a_port_found" in c else a
    b = np.where(((c.b_part >= 0) & c.b_port_found)[:, None], b, np.nan) if "b_port_found" in c else b
    return a, b


def design_routes(design: Design) -> CableRoutes:
    """Every cable routed through the design's trays as it stands now (cached on the design).

    The stored route (`cables.route`, `routed_length_m`) is what `twin build` computed; this
    recomputes the same from the geometry for drawing and tracing, and for old files that
    carry no stored route.
    """
    def build() -> CableRoutes:
        a, b = port_positions(design)
        c = design.cables
        part_top = design.parts.position[:, 2] + design.part_size()[:, 2]
        return route_between_parts(a, b, np.where(np.isfinite(a[:, 0]), c.a_part, -1),
                                   np.where(np.isfinite(b[:, 0]), c.b_part, -1),
                                   design.parts.rack, part_top, tray_network(design),
                                   frame=design.part_kind() == "rack")
    return design.derived("routes", build)


def polylines(design: Design, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Route polylines of cables `rows` (default all): (points (M, 3), point count per cable).

    Cables in one tray piece and direct runs are built as arrays; only cables crossing tray
    junctions walk their node path (they are few: one path per distinct pair of tray nodes).
    """
    routes = design_routes(design)
    rows = np.arange(len(routes.length)) if rows is None else np.asarray(rows, np.int64)
    st = routes.status[rows]
    a, b = routes.a[rows], routes.b[rows]
    ea, eb = routes.entry_a[rows], routes.entry_b[rows]
    simple_tray = (st == TRAYS) & (routes.node_a[rows] < 0)
    direct = np.isin(st, (LOCAL, DIRECT, NO_PATH))
    # every simple cable as 6 points; direct runs are 5, the last repeated
    pts = np.full((len(rows), 6, 3), np.nan)
    if simple_tray.any():
        s = simple_tray
        pts[s] = np.stack([a[s], np.column_stack([a[s, :2], ea[s, 2]]), ea[s], eb[s],
                           np.column_stack([b[s, :2], eb[s, 2]]), b[s]], axis=1)
    if direct.any():
        d = direct
        five = _direct_points(a[d], b[d], routes.over_z[rows][d], st[d] != LOCAL)
        pts[d] = np.concatenate([five, five[:, -1:]], axis=1)
    counts = np.where(simple_tray | direct, 6, 0)
    network = tray_network(design)
    complex_rows = np.flatnonzero((st == TRAYS) & ~simple_tray)
    if not len(complex_rows):
        ok = counts > 0
        return pts[ok].reshape(-1, 3), counts
    chunks, out_counts = [], counts.copy()
    extra = {int(i): routes.polyline(int(rows[i]), network) for i in complex_rows}
    for i in range(len(rows)):
        if i in extra:
            chunks.append(extra[i])
            out_counts[i] = len(extra[i])
        elif counts[i]:
            chunks.append(pts[i])
    return (np.concatenate(chunks) if chunks else np.zeros((0, 3))), out_counts


def all_polylines(design: Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every cable's polyline, cached on the design: (points, count per cable, first point per cable)."""
    def build() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pts, counts = polylines(design)
        return pts, counts, np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
    return design.derived("polylines", build)


def select_polylines(design: Design, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cached polylines of cable `rows`, in that order: (points, count per chosen cable)."""
    pts, counts, first = all_polylines(design)
    rows = np.asarray(rows, np.int64)
    n = counts[rows]
    run_start = np.repeat(first[rows] - np.r_[0, np.cumsum(n)[:-1]], n)
    return pts[run_start + np.arange(int(n.sum()))], n


def bundle(design: Design, rows: np.ndarray, values: np.ndarray, cell_m: float = 1.0,
           levels: int = 16) -> np.ndarray:
    """One representative per bundle of cables that run together, for drawing at hall scale.

    Cables whose two ends fall in the same `cell_m` floor cells (plan view: the cables of one
    rack to one network rack) and whose values fall in the same of `levels` colour steps draw
    the same few pixels from afar; `rows` must be sorted by value
    (ascending), and the last of each bundle (its highest value) represents it, so a bundle
    holding a faulty cable shows the fault's colour. Returns the chosen rows, in input order.
    """
    rows = np.asarray(rows, np.int64)
    if not len(rows):
        return rows
    a, b = port_positions(design)
    v = np.nan_to_num(np.asarray(values, float), nan=-1.0)
    span = max(float(v.max() - v.min()), 1e-9)
    key = row_keys(np.column_stack([np.round(np.nan_to_num(a[rows, :2]) / cell_m),
                                    np.round(np.nan_to_num(b[rows, :2]) / cell_m),
                                    np.round((v - v.min()) / span * levels)]))
    _, last_from_end = np.unique(key[::-1], return_index=True)
    return np.sort(len(rows) - 1 - last_from_end)


@dataclass
class Trace:
    """What a trace found: cable rows, and the route of each as an (m, 3) polyline."""

    cables: np.ndarray
    routes: list[np.ndarray]
    ends: np.ndarray          # (k, 2) part rows at the a and b ends (-1 where missing)

    def __len__(self) -> int:
        return len(self.cables)


def trace(design: Design, cables: Iterable[int] | np.ndarray = (), parts: Iterable[int] | np.ndarray = (),
          ports: Iterable[int] | np.ndarray = ()) -> Trace:
    """The cables of the given cable rows, of every port id in `ports`, and of every part row in
    `parts` (a rack frame stands for every part of its rack), each with its route end to end."""
    c = design.cables
    chosen = np.zeros(len(c), bool)
    rows = np.asarray(list(cables), np.int64)
    chosen[rows[(rows >= 0) & (rows < len(c))]] = True
    port_ids = np.asarray(list(ports), np.int64)
    if len(port_ids) and "a_port_id" in c:
        chosen |= np.isin(c.a_port_id, port_ids) | np.isin(c.b_port_id, port_ids)
    part_rows = np.asarray(list(parts), np.int64)
    if len(part_rows):
        kind = design.part_kind()[part_rows]
        racks = design.parts.rack[part_rows[(kind == "rack") & (design.parts.rack[part_rows] >= 0)]]
        members = np.zeros(len(design.parts), bool)
        members[part_rows] = True
        if len(racks):
            members |= np.isin(design.parts.rack, racks)
        chosen |= members[np.maximum(c.a_part, 0)] & (c.a_part >= 0)
        chosen |= members[np.maximum(c.b_part, 0)] & (c.b_part >= 0)
    idx = np.flatnonzero(chosen)
    pts, counts = polylines(design, idx)
    bounds = np.r_[0, np.cumsum(counts)]
    lines = [pts[bounds[i]:bounds[i + 1]] for i in range(len(idx))]
    return Trace(idx, lines, np.column_stack([c.a_part[idx], c.b_part[idx]]) if len(idx) else np.zeros((0, 2), np.int64))


__all__ = ["bundle", "all_polylines", "select_polylines", "DIRECT", "LOCAL", "NO_PATH", "TRAYS", "UNROUTED", "Trace", "design_routes", "polylines",
           "port_positions", "trace", "tray_network"]
