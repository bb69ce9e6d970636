"""The tray network: straight tray segments joined where they meet, with all-pairs shortest paths.

Why apart from the cable routing: the network is built once per design from a few hundred
trays (Python loops over trays are fine here), and its problems (broken rows, gaps) are
reported by the cabling check on their own. Numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model.limits import limit

JOIN_M = 0.05             # tray ends closer than this meet; an end this close to another tray's side joins it
GAP_M = 1.5               # an unjoined tray end within this distance of another tray is reported as a gap
MIN_TRAY_M = 0.01         # shorter trays are treated as broken (zero length)
DEFAULT_TRAY_WIDTH_M = 0.3


@dataclass
class TrayNetwork:
    """Trays cut into pieces at their junctions, the junction nodes, and all-pairs shortest paths.

    `problems` lists (tray row, message) for trays left out (NaN, zero length) and for tray
    ends that stop short of another tray (gaps); the rest of the network still routes.
    """

    start: np.ndarray                 # (T, 3) every tray as given
    end: np.ndarray
    width: np.ndarray                 # (T,)
    piece_tray: np.ndarray            # (P,) tray row of each piece
    piece_a: np.ndarray               # (P, 3) piece end points on the centre line
    piece_b: np.ndarray
    piece_nodes: np.ndarray           # (P, 2) node of each end
    nodes: np.ndarray                 # (N, 3)
    dist: np.ndarray                  # (N, N) shortest path length, inf where unconnected
    next_hop: np.ndarray              # (N, N) next node on the shortest path, -1 where none
    edge_tray: dict[tuple[int, int], int] = field(default_factory=dict)
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return len(self.piece_tray) == 0

    def node_path(self, u: int, v: int) -> list[int]:
        """Nodes from u to v along the shortest path (empty when unconnected)."""
        if not np.isfinite(self.dist[u, v]):
            return []
        path = [u]
        while path[-1] != v:
            path.append(int(self.next_hop[path[-1], v]))
        return path


def build_tray_network(start: np.ndarray, end: np.ndarray, width: np.ndarray) -> TrayNetwork:
    """The routable network of straight tray segments (`start`/`end` (T, 3) centre lines)."""
    start = np.asarray(start, float).reshape(-1, 3)
    end = np.asarray(end, float).reshape(-1, 3)
    width = np.asarray(width, float).reshape(-1)
    problems: list[tuple[int, str]] = []
    far = limit("coordinate_m")
    with np.errstate(invalid="ignore"):
        finite = (np.isfinite(start).all(axis=1) & np.isfinite(end).all(axis=1)
                  & (np.abs(np.nan_to_num(start)) <= far).all(axis=1) & (np.abs(np.nan_to_num(end)) <= far).all(axis=1))
    length = np.zeros(len(start))
    length[finite] = np.linalg.norm(end[finite] - start[finite], axis=1)
    for t in np.flatnonzero(~finite):
        problems.append((int(t), "tray end points are not numbers (or too far away); left out of the routing"))
    for t in np.flatnonzero(finite & (length < MIN_TRAY_M)):
        problems.append((int(t), f"tray is {length[t]:.3f} m long (zero length); left out of the routing"))
    width = np.where(np.isfinite(width) & (width > 0), width, DEFAULT_TRAY_WIDTH_M)
    good = np.flatnonzero(finite & (length >= MIN_TRAY_M))

    # Split points along each good tray: its own ends, plus every other tray end that touches its side.
    ends = np.concatenate([start[good], end[good]])                 # (2G, 3)
    end_tray = np.concatenate([good, good])
    cuts: dict[int, list[float]] = {int(t): [0.0, 1.0] for t in good}
    connectors: list[tuple[np.ndarray, int, float]] = []            # (end point, tray it joins, t on it)
    for t in good:
        a, d = start[t], end[t] - start[t]
        s = np.clip(((ends - a) @ d) / (d @ d), 0.0, 1.0)
        foot = a + s[:, None] * d
        off = np.linalg.norm(ends - foot, axis=1)
        touch = (end_tray != t) & (off <= width[t] / 2 + JOIN_M) & (s > 1e-6) & (s < 1 - 1e-6)
        for i in np.flatnonzero(touch):
            cuts[int(t)].append(float(s[i]))
            connectors.append((ends[i], int(t), float(s[i])))

    points: list[np.ndarray] = []
    piece_tray, piece_a, piece_b = [], [], []
    for t in good:
        ts = np.unique(np.round(cuts[int(t)], 9))
        p = start[t] + ts[:, None] * (end[t] - start[t])
        points.append(p)
        piece_tray += [int(t)] * (len(ts) - 1)
        piece_a.append(p[:-1])
        piece_b.append(p[1:])
    if not len(good):
        z = np.zeros((0, 3))
        return TrayNetwork(start, end, width, np.zeros(0, np.int64), z, z, np.zeros((0, 2), np.int64), z,
                           np.zeros((0, 0)), np.zeros((0, 0), np.int64), {}, problems)
    pa, pb = np.concatenate(piece_a), np.concatenate(piece_b)
    nodes, node_of = _merge_points(np.concatenate([pa, pb, *[c[0][None] for c in connectors]])
                                   if connectors else np.concatenate([pa, pb]))
    n_p = len(pa)
    piece_nodes = np.column_stack([node_of[:n_p], node_of[n_p:2 * n_p]])
    n = len(nodes)
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0.0)
    edge_tray: dict[tuple[int, int], int] = {}
    seg = np.linalg.norm(pb - pa, axis=1)
    for (u, v), length_m, tray in zip(piece_nodes.tolist(), seg.tolist(), piece_tray):
        if u != v and length_m < dist[u, v]:
            dist[u, v] = dist[v, u] = length_m
            edge_tray[(u, v)] = edge_tray[(v, u)] = tray
    # A tray end touching another tray's side joins the node cut there.
    for k, (point, tray, s) in enumerate(connectors):
        u = int(node_of[2 * n_p + k])
        foot = start[tray] + s * (end[tray] - start[tray])
        v = int(np.argmin(np.linalg.norm(nodes - foot, axis=1)))
        if u != v:
            length_m = float(np.linalg.norm(nodes[u] - nodes[v]))
            if length_m < dist[u, v]:
                dist[u, v] = dist[v, u] = length_m
                edge_tray[(u, v)] = edge_tray[(v, u)] = tray
    next_hop = np.where(np.isfinite(dist), np.arange(n)[None, :], -1)
    for k in range(n):                              # Floyd–Warshall, one numpy sweep per node
        via = dist[:, k:k + 1] + dist[k:k + 1, :]
        better = via < dist - 1e-12
        if better.any():
            dist = np.where(better, via, dist)
            next_hop = np.where(better, next_hop[:, k:k + 1], next_hop)
    problems += _gaps(start, end, good, piece_nodes, np.asarray(piece_tray), nodes, dist)
    return TrayNetwork(start, end, width, np.asarray(piece_tray, np.int64), pa, pb, piece_nodes, nodes, dist,
                       next_hop, edge_tray, problems)


def _merge_points(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points closer than JOIN_M become one node: (unique nodes, node index of each point)."""
    key = np.round(points / JOIN_M).astype(np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    return points[first], inverse.reshape(-1)


def _gaps(start, end, good, piece_nodes, piece_tray, nodes, dist) -> list[tuple[int, str]]:
    """Tray ends that stop within GAP_M of a tray they are not connected to."""
    out = []
    degree = np.bincount(piece_nodes.reshape(-1), minlength=len(nodes))
    a, d = start[good], end[good] - start[good]
    dd = np.maximum((d ** 2).sum(axis=1), 1e-12)
    other_node = np.array([piece_nodes[np.flatnonzero(piece_tray == o)[0], 0] for o in good])
    for t in good:
        for which, p in (("start", start[t]), ("end", end[t])):
            u = int(np.argmin(np.linalg.norm(nodes - p, axis=1)))
            if degree[u] != 1:
                continue
            s = np.clip(((p - a) * d).sum(axis=1) / dd, 0.0, 1.0)
            gap = np.linalg.norm(a + s[:, None] * d - p, axis=1)
            hit = (good != t) & (gap <= GAP_M) & ~np.isfinite(dist[u, other_node])
            for o in np.flatnonzero(hit):
                out.append((int(t), f"tray {which} stops {gap[o]:.2f} m short of tray row {int(good[o]) + 1}: "
                                    "not joined, cables cannot pass"))
    return out


