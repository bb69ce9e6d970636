"""Where a cable runs: through the overhead tray network, or directly where there is none.

Why here and numpy only: `twin build` routes every cable once and stores the result; the
analysis, the trace and the scene redraw the same routes. A hall of 2,000 racks has ~300,000
cables but only a few hundred tray nodes, so the graph work (Floyd–Warshall over the nodes)
is tiny and the per-cable work is array arithmetic.

The model of a route, used by the tests to check every point:
- a **tray** is a straight segment (its centre line) with a width; a cable lying in it may sit
  anywhere across that width, so a point is *on a tray* when it is within half the width of
  the centre line horizontally, at the centre line's height;
- a **drop** is the cable's vertical run from its port straight up to tray height, plus (when
  the port is not under the tray) a horizontal reach at tray height to the tray's nearest edge;
- a cable between two racks (or to a part outside any rack) drops into the tray above each
  end and follows the shortest path through the network; a cable inside one rack, and every
  cable of a design without trays, takes a direct run: vertical first, then along X, then Y
  (its length is the Manhattan distance), over the racks' tops when it leaves its rack.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.geometry.trays import TrayNetwork
from twin.model.routes import DIRECT, LOCAL, NO_PATH, STATUS_CODES, STATUS_NAMES, TRAYS, UNROUTED, path_texts

__all__ = ["DIRECT", "LOCAL", "NO_PATH", "STATUS_CODES", "STATUS_NAMES", "TRAYS", "UNROUTED", "CableRoutes",
           "route_cables", "route_between_parts", "route_texts", "row_keys", "tray_entries"]

OVER_RACK_M = 0.35        # height above the taller rack's top where direct runs cross between racks
ENTRY_CELL_M = 0.25      # ports in one cell of this size drop from the same tray piece
TILE_M = 4.0             # cells in one floor tile of this size weigh the same candidate tray pieces
FIT_SLACK = 1e-6         # room for rounding in the bounds that prune candidate pieces


# ----------------------------------------------------------------------------- routing cables

@dataclass
class CableRoutes:
    """Routes of k cables. `length` is the routed length (NaN where not routed); `status` one of
    LOCAL, TRAYS, DIRECT, NO_PATH, UNROUTED; `path` indexes `paths`, the distinct tray paths
    (tuples of tray rows, first to last), -1 for cables outside trays."""

    length: np.ndarray
    status: np.ndarray
    path: np.ndarray
    paths: list[tuple[int, ...]]
    entry_a: np.ndarray               # (k, 3) where each end meets its tray (NaN outside trays)
    entry_b: np.ndarray
    node_a: np.ndarray                # (k,) network node each end leaves the entry piece by (-1: same piece)
    node_b: np.ndarray
    a: np.ndarray                     # (k, 3) port positions
    b: np.ndarray
    over_z: np.ndarray                # (k,) height of direct runs between racks

    def polyline(self, i: int, network: TrayNetwork) -> np.ndarray:
        """(m, 3) points of cable i from its a-end to its b-end (empty when not routed)."""
        st = int(self.status[i])
        a, b = self.a[i], self.b[i]
        if st == UNROUTED:
            return np.zeros((0, 3))
        if st in (LOCAL, DIRECT, NO_PATH):
            return _direct_points(a[None], b[None], self.over_z[i:i + 1], st != LOCAL)[0]
        ea, eb = self.entry_a[i], self.entry_b[i]
        mid = [ea]
        if self.node_a[i] >= 0:
            mid += [network.nodes[n] for n in network.node_path(int(self.node_a[i]), int(self.node_b[i]))]
        mid.append(eb)
        pts = [a, np.array([a[0], a[1], ea[2]]), *mid, np.array([b[0], b[1], eb[2]]), b]
        return _dedupe(np.array(pts))


def row_keys(cols: np.ndarray) -> np.ndarray:
    """One int64 per row of a small-integer matrix, equal exactly where rows are equal.

    np.unique(axis=0) sorts rows as raw bytes and is ~10x slower than unique on one column;
    shifting each column to start at 0 and mixing them in mixed radix keeps it exact.
    """
    cols = np.asarray(cols)
    if cols.dtype.kind == "f":      # cells of points far beyond any hall: clipped, not cast with a warning
        cols = np.clip(np.nan_to_num(cols), -2.0 ** 52, 2.0 ** 52)
    cols = cols.astype(np.int64)
    if not len(cols):
        return np.zeros(0, np.int64)
    shifted = cols - cols.min(axis=0)
    dims = shifted.max(axis=0) + 1
    if float(np.prod(dims.astype(float))) >= 2 ** 62:       # too wide to mix: fall back to row sorting
        _, inverse = np.unique(cols, axis=0, return_inverse=True)
        return inverse.reshape(-1).astype(np.int64)
    return np.ravel_multi_index(tuple(shifted.T), tuple(int(d) for d in dims))


def _dedupe(points: np.ndarray) -> np.ndarray:
    keep = np.r_[True, np.linalg.norm(np.diff(points, axis=0), axis=1) > 1e-9]
    return points[keep]


def _direct_points(a: np.ndarray, b: np.ndarray, over_z: np.ndarray, overhead: np.ndarray | bool) -> np.ndarray:
    """(k, 5, 3) direct runs: vertical first, then X, then Y; over the racks when `overhead`."""
    z = np.where(overhead, np.maximum(over_z, np.maximum(a[:, 2], b[:, 2])), b[:, 2])
    p1 = np.column_stack([a[:, :2], z])
    p2 = np.column_stack([b[:, 0], a[:, 1], z])
    p3 = np.column_stack([b[:, :2], z])
    return np.stack([a, p1, p2, p3, b], axis=1)


def _direct_length(a: np.ndarray, b: np.ndarray, over_z: np.ndarray, overhead: np.ndarray) -> np.ndarray:
    pts = _direct_points(a, b, over_z, overhead)
    return np.linalg.norm(np.diff(pts, axis=1), axis=2).sum(axis=1)


def tray_entries(points: np.ndarray, network: TrayNetwork, chunk: int = 500_000) -> tuple[np.ndarray, np.ndarray]:
    """For each port point, the tray piece it drops from and where it meets that piece.

    The piece chosen is the one above the port whose footprint (centre line ± half width) is
    nearest horizontally; a port under the tray meets it straight above itself. The choice is
    made once per ENTRY_CELL_M cell of ports (the ports of a rack share a few cells), then each
    port meets its cell's piece at its own point. Each cell weighs only the pieces that can win
    anywhere in its floor tile (`_candidate_pieces`), not every piece of the site.
    """
    m = len(points)
    best = np.full(m, -1, np.int64)
    entry = np.full((m, 3), np.nan)
    if network.empty or not m:
        return best, entry
    key = row_keys(np.round(points / ENTRY_CELL_M))
    _, first, cell = np.unique(key, return_index=True, return_inverse=True)
    reps = points[first]
    tile, candidates = _candidate_pieces(reps, network)
    choice = np.empty(len(reps), np.int64)
    step = max(1, chunk // candidates.shape[1])
    for lo in range(0, len(reps), step):
        pieces = candidates[tile[lo:lo + step]]
        _, score, _ = _piece_fit(reps[lo:lo + step, None, :], network, np.maximum(pieces, 0))
        score[pieces < 0] = np.inf
        choice[lo:lo + step] = pieces[np.arange(len(pieces)), np.argmin(score, axis=1)]
    best = choice[cell.reshape(-1)]
    entry, _, _ = _piece_fit(points[:, None, :], network, best[:, None])
    return best, entry[:, 0]


def _candidate_pieces(points: np.ndarray, network: TrayNetwork, chunk: int = 1_000_000) -> tuple[np.ndarray, np.ndarray]:
    """Group points into TILE_M floor tiles; per tile, the pieces that can be the best choice of one of them.

    Returns the tile of each point and (tiles, K) piece rows in ascending order, padded with -1.
    A piece is kept when its lowest possible score over the tile is at most the lowest of all
    pieces' highest possible scores; the best piece of every point always passes, and so does
    every piece tied with it (ties go to the lowest row, as over all pieces). The bounds: the
    horizontal distance to a piece changes by at most the distance moved from the tile's
    centre, and the height term lies between the piece's and the points' height ranges.
    """
    tile_key = row_keys(np.floor(points[:, :2] / TILE_M))
    _, first, tile = np.unique(tile_key, return_index=True, return_inverse=True)
    tile = tile.reshape(-1)
    n_tiles = len(first)
    order = np.argsort(tile, kind="stable")
    starts = np.searchsorted(tile[order], np.arange(n_tiles))
    low = np.minimum.reduceat(points[order], starts, axis=0)
    high = np.maximum.reduceat(points[order], starts, axis=0)
    centre = np.column_stack([(low[:, :2] + high[:, :2]) / 2, high[:, 2]])
    radius = np.linalg.norm((high[:, :2] - low[:, :2]) / 2, axis=1)
    n_pieces = len(network.piece_tray)
    half = network.width[network.piece_tray] / 2
    z0 = np.minimum(network.piece_a[:, 2], network.piece_b[:, 2])
    z1 = np.maximum(network.piece_a[:, 2], network.piece_b[:, 2])
    keep = np.zeros((n_tiles, n_pieces), bool)
    step = max(1, chunk // n_pieces)
    for lo in range(0, n_tiles, step):
        hi = min(n_tiles, lo + step)
        _, _, lateral = _piece_fit(centre[lo:hi, None, :], network, np.arange(n_pieces)[None])
        r, pz0, pz1 = radius[lo:hi, None], low[lo:hi, 2:3], high[lo:hi, 2:3]
        lower = (np.maximum(lateral - r - half, 0.0) + 1e-3 * np.maximum(np.maximum(z0 - pz1, pz0 - z1), 0.0)
                 + np.where(z1 < pz0 - 1e-6 - FIT_SLACK, 1e6, 0.0))
        upper = (np.maximum(lateral + r - half, 0.0) + 1e-3 * np.maximum(z1 - pz0, pz1 - z0)
                 + np.where(z0 < pz1 - 1e-6 + FIT_SLACK, 1e6, 0.0))
        bar = upper.min(axis=1, keepdims=True)
        keep[lo:hi] = (lower <= bar + FIT_SLACK * (1.0 + np.abs(bar))) | np.isnan(lower)
    width = int(keep.sum(axis=1).max())
    ranked = np.argsort(~keep, axis=1, kind="stable")[:, :width]
    return tile, np.where(np.take_along_axis(keep, ranked, axis=1), ranked, -1)


def _piece_fit(p: np.ndarray, network: TrayNetwork, piece: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points p (c, 1, 3) against pieces (c or 1, P): meeting point (c, P, 3), choice score, lateral offset."""
    a, d = network.piece_a[piece], network.piece_b[piece] - network.piece_a[piece]
    dd = np.maximum((d[..., :2] ** 2).sum(axis=-1), 1e-12)
    half = network.width[network.piece_tray[piece]] / 2
    s = np.clip(((p[..., :2] - a[..., :2]) * d[..., :2]).sum(axis=-1) / dd, 0.0, 1.0)
    foot = a[..., :2] + s[..., None] * d[..., :2]
    off = p[..., :2] - foot
    lateral = np.sqrt((off ** 2).sum(axis=-1))
    z = a[..., 2] + s * d[..., 2]
    below = z < p[..., 2] - 1e-6
    score = np.maximum(lateral - half, 0.0) + 1e-3 * np.abs(z - p[..., 2]) + np.where(below, 1e6, 0.0)
    scale = np.minimum(1.0, half / np.maximum(lateral, 1e-12))
    xy = foot + off * scale[..., None]
    return np.concatenate([xy, z[..., None]], axis=-1), score, lateral


def route_cables(a: np.ndarray, b: np.ndarray, use_trays: np.ndarray, over_z: np.ndarray,
                 network: TrayNetwork) -> CableRoutes:
    """Route k cables between port points `a` and `b` (k, 3).

    `use_trays`: the cable leaves its rack (otherwise it runs directly inside the rack);
    `over_z`: the height a direct run between racks crosses at. Cables with a NaN end are
    UNROUTED; cables whose ends drop into unconnected parts of the network take a direct run
    and are marked NO_PATH.
    """
    a = np.asarray(a, float)
    b = np.asarray(b, float)
    k = len(a)
    valid = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    use = np.asarray(use_trays, bool) & valid & (not network.empty)
    status = np.where(valid, np.where(use_trays, DIRECT, LOCAL), UNROUTED).astype(np.int8)
    length = np.full(k, np.nan)
    path = np.full(k, -1, np.int64)
    entry_a = np.full((k, 3), np.nan)
    entry_b = np.full((k, 3), np.nan)
    node_a = np.full(k, -1, np.int64)
    node_b = np.full(k, -1, np.int64)
    paths: list[tuple[int, ...]] = []

    idx = np.flatnonzero(use)
    if len(idx):
        piece_a, ea = tray_entries(a[idx], network)
        piece_b, eb = tray_entries(b[idx], network)
        drop = (np.abs(a[idx, 2] - ea[:, 2]) + np.linalg.norm(a[idx, :2] - ea[:, :2], axis=1)
                + np.abs(b[idx, 2] - eb[:, 2]) + np.linalg.norm(b[idx, :2] - eb[:, :2], axis=1))
        same = piece_a == piece_b
        run = np.where(same, np.linalg.norm(ea - eb, axis=1), np.inf)
        na = np.full(len(idx), -1, np.int64)
        nb = np.full(len(idx), -1, np.int64)
        nodes = network.nodes
        for i in (0, 1):
            for j in (0, 1):
                u = network.piece_nodes[piece_a, i]
                v = network.piece_nodes[piece_b, j]
                cost = (np.linalg.norm(ea - nodes[u], axis=1) + network.dist[u, v]
                        + np.linalg.norm(nodes[v] - eb, axis=1))
                better = ~same & (cost < run)
                run = np.where(better, cost, run)
                na = np.where(better, u, na)
                nb = np.where(better, v, nb)
        ok = np.isfinite(run)
        sel = idx[ok]
        status[sel] = TRAYS
        length[sel] = drop[ok] + run[ok]
        entry_a[sel], entry_b[sel] = ea[ok], eb[ok]
        node_a[sel], node_b[sel] = na[ok], nb[ok]
        status[idx[~ok]] = NO_PATH
        # One tray path per distinct (entry piece, exit piece, leaving node, arriving node).
        keys = np.column_stack([piece_a[ok], piece_b[ok], na[ok], nb[ok]])
        _, first, inverse = np.unique(row_keys(keys), return_index=True, return_inverse=True)
        for pa_, pb_, u, v in keys[first].tolist():
            trays = [int(network.piece_tray[pa_])]
            if u >= 0:
                hops = network.node_path(u, v)
                trays += [network.edge_tray[(x, y)] for x, y in zip(hops[:-1], hops[1:])]
            trays.append(int(network.piece_tray[pb_]))
            paths.append(tuple(t for n, t in enumerate(trays) if n == 0 or t != trays[n - 1]))
        path[sel] = inverse.reshape(-1)

    direct = (status == LOCAL) | (status == DIRECT) | (status == NO_PATH)
    length[direct] = _direct_length(a[direct], b[direct], over_z[direct], status[direct] != LOCAL)
    return CableRoutes(length, status, path, paths, entry_a, entry_b, node_a, node_b, a, b,
                       np.asarray(over_z, float))


def route_texts(routes: CableRoutes, tray_ids: np.ndarray) -> np.ndarray:
    """Each cable's tray path as stored in the `route` column (`twin.model.routes.path_texts`)."""
    return path_texts(routes.paths, routes.path, tray_ids)


def rack_tops(part_rack: np.ndarray, part_top: np.ndarray, frame: np.ndarray | None = None) -> np.ndarray:
    """Top (z, m) of each rack: its frame's top where `frame` marks one of its parts as the rack
    frame, else its highest part. Why the frame: gear hung above a rack (a busway tap 0.9 m
    over it) belongs to the rack but is not what a cable crosses over."""
    part_rack = np.asarray(part_rack, np.int64)
    n_racks = int(part_rack.max()) + 1 if len(part_rack) else 0
    top = np.zeros(max(n_racks, 1))
    inside = part_rack >= 0
    np.maximum.at(top, part_rack[inside], part_top[inside])
    if frame is not None:
        framed = inside & np.asarray(frame, bool)
        frame_top = np.full(len(top), -np.inf)
        np.maximum.at(frame_top, part_rack[framed], part_top[framed])
        top = np.where(np.isfinite(frame_top), frame_top, top)
    return top


def route_between_parts(a: np.ndarray, b: np.ndarray, a_part: np.ndarray, b_part: np.ndarray,
                        part_rack: np.ndarray, part_top: np.ndarray, network: TrayNetwork,
                        frame: np.ndarray | None = None) -> CableRoutes:
    """Route cables given their end points and the parts they plug into.

    A cable leaves its rack (and takes the trays) when its ends are in different racks or an
    end is on a part outside any rack; a missing part (-1) leaves the cable unrouted.
    Direct runs between racks cross OVER_RACK_M above the taller rack's top (`rack_tops`:
    the frame's top where `frame` marks each rack's frame part).
    """
    a_part = np.asarray(a_part, np.int64)
    b_part = np.asarray(b_part, np.int64)
    a = np.where((a_part >= 0)[:, None], a, np.nan)
    b = np.where((b_part >= 0)[:, None], b, np.nan)
    rack_top = rack_tops(part_rack, part_top, frame)
    ra = np.where(a_part >= 0, part_rack[np.maximum(a_part, 0)], -1)
    rb = np.where(b_part >= 0, part_rack[np.maximum(b_part, 0)], -1)
    top_a = np.where(ra >= 0, rack_top[np.maximum(ra, 0)], np.nan_to_num(a[:, 2]))
    top_b = np.where(rb >= 0, rack_top[np.maximum(rb, 0)], np.nan_to_num(b[:, 2]))
    over_z = np.maximum(top_a, top_b) + OVER_RACK_M
    use_trays = (ra != rb) | (ra < 0)
    return route_cables(a, b, use_trays, over_z, network)
