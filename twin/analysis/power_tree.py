"""The power chain as arrays: tree levels, load roll-up, drawable places and traces.

Why a module of its own: the power analysis, its overlay, the app's Power panel and the 3D
trace all walk the same `power_nodes` tree. Everything here is numpy over nodes and parts;
the only Python loops run over tree depth (a handful of levels) or over the few nodes of
one chain.

Tree. `power_nodes.parent` points up (utility at the root). Nodes are grouped by depth once
(`PowerTree.levels`); a roll-up then adds each level into its parents, deepest first. Bad
data never stops the walk: a cycle is cut at its lowest-id member (which becomes a root of
its own and is reported), a dangling parent makes a root (reported), and parts that point
at no node are left out of every node's load (reported by the analysis).

Drawable pieces. A node "is" its own part where `power_nodes.part_id` is set (busbar, UPS,
switchboard). Logical nodes are drawn through the parts that make them up: a busway through
the busway taps it feeds (parts whose kind is the node's kind), a power-shelf group through
the power shelves of its rack that its parent feeds (`PIECE_KINDS`). A node with no piece at
all (utility, panel) is placed at its children's centre, else beside its parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.model import Design

#: Logical node kind → the part kind that makes it up physically.
PIECE_KINDS = {"busway": "busway", "power_shelf_group": "power_shelf", "pdu": "pdu", "panel": "panel"}


@dataclass
class PowerTree:
    """The `power_nodes` tree with bad links cut.

    `parent`: row index of each node's parent after cutting (-1 for roots). `depth`: 0 for
    roots. `levels[d]`: node indices at depth d. `cycles`: each cut cycle as node indices in
    walk order. `orphans`: non-utility roots whose parent id is NULL; `dangling`: nodes whose
    parent id names no row.
    """

    parent: np.ndarray
    depth: np.ndarray
    levels: list[np.ndarray]
    cycles: list[list[int]]
    orphans: np.ndarray
    dangling: np.ndarray

    @property
    def n(self) -> int:
        return len(self.parent)


def build_tree(design: Design) -> PowerTree:
    """Levels of the power tree, cutting cycles so every node gets a depth."""
    nodes = design.power_nodes
    n = len(nodes)
    parent = np.asarray(nodes.parent, np.int64).copy() if n else np.zeros(0, np.int64)
    raw = np.asarray(nodes.parent_id, float) if "parent_id" in nodes else np.where(parent >= 0, 0.0, np.nan)
    dangling = np.flatnonzero(np.isfinite(raw) & (parent < 0))
    orphans = np.flatnonzero(~np.isfinite(raw) & (parent < 0) & (np.asarray(nodes.kind, object) != "utility")) \
        if n else np.zeros(0, np.int64)
    cycles: list[list[int]] = []
    while True:
        depth = _depths(parent)
        stuck = np.flatnonzero(depth < 0)
        if not len(stuck):
            break
        # walking up len(stuck) steps from any stuck node lands on a cycle
        cur = stuck.copy()
        for _ in range(len(stuck)):
            cur = parent[cur]
        start = int(cur.min())
        cycle, node = [start], int(parent[start])
        while node != start:
            cycle.append(node)
            node = int(parent[node])
        cut = min(cycle, key=lambda i: int(nodes.id[i]))
        cycles.append(cycle)
        parent[cut] = -1
    levels = [np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1)] if n else []
    return PowerTree(parent, depth, levels, cycles, orphans, dangling)


def _depths(parent: np.ndarray) -> np.ndarray:
    """Depth of every node (0 at roots), -1 for nodes in or below a cycle; one pass per level."""
    depth = np.where(parent < 0, 0, -1)
    frontier = depth == 0
    d = 0
    while frontier.any():
        d += 1
        nxt = (depth < 0) & (parent >= 0)
        nxt[nxt] = frontier[parent[nxt]]
        depth[nxt] = d
        frontier = nxt
    return depth


def roll_up(tree: PowerTree, direct: np.ndarray, efficiency: np.ndarray,
            cut: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Loads through the tree. `direct` (n, k): what parts draw straight from each node, for k
    bases at once. Returns (output, input): a node delivers `output` (direct + its children's
    inputs) and draws `input = output / efficiency` from its parent. Nodes marked in `cut`
    draw nothing from their parent (a failed node whose load a scenario moved elsewhere); an
    (n, k) `cut` cuts each column on its own (k scenarios at once: the N-1 sweep)."""
    out = np.array(direct, float, copy=True)
    eff = np.where(np.isfinite(efficiency) & (efficiency > 0) & (efficiency <= 1), efficiency, 1.0)
    for level in reversed(tree.levels[1:]):
        share = out[level] / eff[level, None]
        if cut is not None:              # (n,) one cut for every column, or (n, k) one per column
            share = np.where(cut[level] if cut.ndim == 2 else cut[level][:, None], 0.0, share)
        np.add.at(out, tree.parent[level], share)
    return out, out / eff[:, None]


def direct_loads(design: Design, part_loads: np.ndarray) -> np.ndarray:
    """(n_nodes, k) sum of `part_loads` (n_parts, k) over the parts each node feeds."""
    feed = design.parts.power_node
    ok = feed >= 0
    n = len(design.power_nodes)
    fed, cols = feed[ok], np.ascontiguousarray(part_loads[ok].T)
    return np.column_stack([np.bincount(fed, weights=col, minlength=n) for col in cols]) if len(cols) \
        else np.zeros((n, 0))


def subtree_mask(tree: PowerTree, node: int) -> np.ndarray:
    """True for `node` and every node below it (one pass per level under it)."""
    mark = np.zeros(tree.n, bool)
    mark[node] = True
    for level in tree.levels[int(tree.depth[node]) + 1:]:
        mark[level] |= mark[tree.parent[level]]
    return mark


def upstream(tree: PowerTree, node: int) -> list[int]:
    """`node` and its ancestors up to the root, in that order."""
    chain: list[int] = []
    while node >= 0 and len(chain) <= tree.n:
        chain.append(int(node))
        node = int(tree.parent[node])
    return chain


def node_racks(design: Design, tree: PowerTree) -> np.ndarray:
    """The rack each node lives in: the one rack holding every part its subtree feeds, else -1."""
    n = len(design.power_nodes)
    big = np.iinfo(np.int64).max
    lo, hi = np.full(n, big), np.full(n, -1)
    feed, rack = design.parts.power_node, design.parts.rack
    ok = feed >= 0
    r = np.where(rack[ok] >= 0, rack[ok], big)            # a part outside racks spoils "one rack"
    np.minimum.at(lo, feed[ok], r)
    np.maximum.at(hi, feed[ok], np.where(rack[ok] >= 0, rack[ok], big))
    own = np.asarray(design.power_nodes.part)
    has = own >= 0
    own_rack = np.where(rack[own[has]] >= 0, rack[own[has]], big)
    np.minimum.at(lo, np.flatnonzero(has), own_rack)
    np.maximum.at(hi, np.flatnonzero(has), own_rack)
    for level in reversed(tree.levels[1:]):
        np.minimum.at(lo, tree.parent[level], lo[level])
        np.maximum.at(hi, tree.parent[level], hi[level])
    return np.where((lo == hi) & (lo != big) & (hi >= 0), lo, -1)


def node_pieces(design: Design, tree: PowerTree, rack_of_node: np.ndarray) -> np.ndarray:
    """For every part, the node it is a physical piece of (-1 for none); see the module doc.
    Kinds are compared as integer codes per catalog type, never as strings per part."""
    nodes, parts = design.power_nodes, design.parts
    n_parts = len(parts)
    piece = np.full(n_parts, -1, np.int64)
    if not len(nodes) or not n_parts:
        return piece
    node_kind = np.asarray(nodes.kind, object)
    names = sorted(set(PIECE_KINDS.values()))
    code_of = {k: i for i, k in enumerate(names)}
    type_code = np.array([code_of.get(k, -1) for k in design.part_types.kind], np.int64)
    part_code = type_code[parts.type]
    node_code = np.array([code_of.get(PIECE_KINDS.get(k, ""), -1) for k in node_kind], np.int64)
    feed = parts.power_node
    cand = np.flatnonzero((feed >= 0) & (part_code >= 0))
    # 1. parts of the node's piece kind fed by the node itself (busway taps on their busway)
    same = part_code[cand] == node_code[feed[cand]]
    piece[cand[same]] = feed[cand[same]]
    cand = cand[~same & (parts.rack[cand] >= 0)]
    # 2. parts of a child's piece kind, in that child's rack, fed by its parent (shelves of a group)
    child = np.flatnonzero((tree.parent >= 0) & (rack_of_node >= 0) & (node_code >= 0))
    if len(child) and len(cand):
        n_racks, n_codes = max(len(design.racks), 1), len(names)
        key_child = (tree.parent[child] * n_racks + rack_of_node[child]) * n_codes + node_code[child]
        order = np.argsort(key_child, kind="stable")
        key = (feed[cand] * n_racks + parts.rack[cand]) * n_codes + part_code[cand]
        pos = np.minimum(np.searchsorted(key_child[order], key), len(child) - 1)
        hit = key_child[order][pos] == key
        piece[cand[hit]] = child[order][pos[hit]]
    # 3. the node's own part
    own = np.asarray(nodes.part)
    piece[own[own >= 0]] = np.flatnonzero(own >= 0)
    return piece


def node_places(design: Design, tree: PowerTree, piece: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(centre, lo, hi), each (n_nodes, 3): where each node is drawn. Nodes with pieces span
    their pieces' boxes; the others sit at their children's centre, else at their parent's."""
    n = len(design.power_nodes)
    lo = np.full((n, 3), np.inf)
    hi = np.full((n, 3), -np.inf)
    idx = np.flatnonzero(piece >= 0)
    if len(idx):
        idx = idx[np.argsort(piece[idx], kind="stable")]
        pos = design.parts.position[idx]
        size = design.part_types.size[design.parts.type[idx]]
        half = np.max(size[:, :2], axis=1, keepdims=True) / 2
        p_lo = np.column_stack([pos[:, :2] - half, pos[:, 2]])
        p_hi = np.column_stack([pos[:, :2] + half, pos[:, 2] + size[:, 2]])
        owner = piece[idx]
        starts = np.r_[0, np.flatnonzero(owner[1:] != owner[:-1]) + 1]
        lo[owner[starts]] = np.minimum.reduceat(p_lo, starts, axis=0)
        hi[owner[starts]] = np.maximum.reduceat(p_hi, starts, axis=0)
    placed = np.isfinite(lo[:, 0])
    centre = np.full((n, 3), np.nan)
    centre[placed] = (lo[placed] + hi[placed]) / 2
    # bottom-up: unplaced nodes take the mean of their placed children
    for level in reversed(tree.levels[1:]):
        ok = np.isfinite(centre[level, 0])
        src, dst = level[ok], tree.parent[level[ok]]
        acc = np.zeros((n, 3))
        cnt = np.bincount(dst, minlength=n)
        for c in range(3):
            acc[:, c] = np.bincount(dst, weights=centre[src, c], minlength=n)
        fill = ~np.isfinite(centre[:, 0]) & (cnt > 0)
        centre[fill] = acc[fill] / cnt[fill, None]
    # top-down: still unplaced nodes sit beside their parent
    for level in tree.levels[1:]:
        fill = level[~np.isfinite(centre[level, 0]) & np.isfinite(centre[tree.parent[level], 0])]
        centre[fill] = centre[tree.parent[fill]] + np.array([0.0, 0.0, 0.5])
    centre = np.where(np.isfinite(centre), centre, 0.0)
    lo = np.where(placed[:, None], lo, centre)
    hi = np.where(placed[:, None], hi, centre)
    return centre, lo, hi


@dataclass(frozen=True)
class Trace:
    """What a trace highlights: `nodes` (upstream chain first, from the start node to the root,
    then any downstream nodes), `parts` (the start part or rack, the traced nodes' pieces, and
    for a node the parts it feeds below; for a part or rack, pieces inside racks only in its own
    rack: the tap above it, not the whole row's busway), `cables` (power cables between traced
    parts)."""

    nodes: np.ndarray
    parts: np.ndarray
    cables: np.ndarray
    upstream: np.ndarray


def power_cables(design: Design) -> np.ndarray:
    """Rows of the cables of kind 'power' with both ends on a part (what a trace may light up)."""
    cables = design.cables
    if "power" not in design.cable_kinds or not len(cables):
        return np.zeros(0, np.int64)
    return np.flatnonzero((cables.kind == design.cable_kinds.index("power")) & (cables.a_part >= 0)
                          & (cables.b_part >= 0))


def trace(design: Design, tree: PowerTree, piece: np.ndarray, *, part: int | None = None, rack: int | None = None,
          node: int | None = None, power_cable_rows: np.ndarray | None = None) -> Trace:
    """The power chain of one part, rack or node (row indices), to the utility; a node also
    brings its whole subtree. Pure: arrays in, arrays out (`power_cable_rows` from
    `power_cables`, computed here when not given)."""
    parts = design.parts
    start_parts = np.zeros(0, np.int64)
    down = np.zeros(tree.n, bool)
    if node is not None:
        feeders = np.array([node], np.int64)
        down = subtree_mask(tree, int(node))
    elif rack is not None:
        start_parts = np.flatnonzero(parts.rack == rack)
        feeders = np.unique(np.concatenate([parts.power_node[start_parts], piece[start_parts]]))
    elif part is not None:
        start_parts = np.array([part], np.int64)
        feeders = np.array([piece[part], parts.power_node[part]])      # the node it is, then its feed
    else:
        raise ValueError("trace needs a part, a rack or a node")
    chain: list[int] = []
    for f in feeders[feeders >= 0]:
        for n in upstream(tree, int(f)):
            if n not in chain:
                chain.append(n)
    up = np.array(chain, np.int64)
    up = up[np.argsort(-tree.depth[up], kind="stable")]        # deepest first: a rack's own nodes lead
    traced = down.copy()
    traced[up] = True
    below = down.copy()
    if node is not None:
        below[node] = True
    fed_below = (parts.power_node >= 0) & below[np.maximum(parts.power_node, 0)] if tree.n else np.zeros(len(parts), bool)
    members = (piece >= 0) & traced[np.maximum(piece, 0)] if tree.n else np.zeros(len(parts), bool)
    if node is None:
        # a part's or rack's chain: of a node spread over racks (a busway and its taps) only the
        # pieces in the traced rack light up, so the rack stands out and not its whole row
        start_racks = np.zeros(max(len(design.racks), 1) + 1, bool)
        start_racks[parts.rack[start_parts]] = True          # -1 marks the last slot: free-standing
        start_racks[-1] = True
        members &= start_racks[parts.rack]
    mask = members | fed_below
    mask[start_parts] = True
    out_parts = np.flatnonzero(mask)
    in_up = np.zeros(tree.n, bool)
    in_up[up] = True
    extra = np.flatnonzero(down & ~in_up)
    power = power_cables(design) if power_cable_rows is None else power_cable_rows
    a, b = design.cables.a_part[power], design.cables.b_part[power]
    cab = power[mask[a] & mask[b]]
    return Trace(nodes=np.concatenate([up, extra]), parts=out_parts, cables=cab, upstream=up)
