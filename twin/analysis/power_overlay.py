"""The power overlay: utilization in bands (green / amber / red) that read at hall scale.

What each thing shows:
- rack frames and what they hold: the rack's load as a share of its power budget (the rack
  box at hall scale takes its frame's colour, so an over-budget rack stands out among racks
  just under budget even where their power gear is overloaded);
- power gear that is a node or a piece of one (busbar, power shelves, UPS, switchboard):
  that node's utilization; members of a redundancy group at least the group's load over
  what survives the loss of its largest unit (so a UPS of a group that lost N+1 is red);
- the chain drawn as pipes above the racks: each busway as a run along its taps (the taps
  themselves stay grey so the rack roofs keep the rack's colour), and strips over each rack's
  roof: its busbar across the middle, its shelf group or PDU near the front edge. At hall
  scale a rack reads as a tile in its budget colour crossed by the colours of its own gear.

Bands: the `utilization` colour map turns amber at the warning threshold and red above 100 %;
its range is chosen so its band edges fall on the analysis's `warn_utilization` and 100 %.
"""

from __future__ import annotations

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import AnalysisResult
from twin.model import Design
from twin.model.transform import local_to_world

#: Where the `utilization` colour map's bands start, as fractions of its range (see colormap).
BAND_EDGES = (2 / 3, 5 / 6)


def band_range(warn: float) -> tuple[float, float]:
    """(vmin, vmax) in % so that the amber band starts at `warn` (0–1) and red at 100 %."""
    warn_pct = min(max(warn * 100.0, 1.0), 99.0)
    span = (100.0 - warn_pct) / (BAND_EDGES[1] - BAND_EDGES[0])
    vmin = 100.0 - BAND_EDGES[1] * span
    return vmin, vmin + span


def power_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Per part utilization % (rack budget share, or the node the part is a piece of) and the
    chain as pipes coloured by node utilization."""
    power = result.detail
    parts = design.parts
    values = np.full(len(parts), np.nan)
    rack = parts.rack
    in_rack = rack >= 0
    values[in_rack] = power.racks.share[rack[in_rack]] * 100.0
    piece = power.piece
    has = piece >= 0
    values[has] = shown_utilization(power)[piece[has]] * 100.0
    # pieces of a node drawn as a run (busway taps on the rack roofs) leave the roof to the rack
    values[has & _drawn_as_run(design, power)[np.maximum(piece, 0)]] = np.nan
    pipes, pipe_values = chain_pipes(design, power)
    vmin, vmax = band_range(power.warn_utilization)
    how = {"nominal": "nominal power", "max": "maximum power", "measured": "measured power"}[power.basis]
    when = f" at {power.reading_ts}" if power.basis == "measured" and power.reading_ts else ""
    label = f"Power utilization ({how}{when})"
    return Overlay("power", label, "%", values, vmin, vmax, "utilization", rack_reduce="frame",
                   measured=np.asarray(power.part_measured, bool) if power.basis == "measured" else None,
                   pipes=pipes, pipe_values=pipe_values)


def shown_utilization(power) -> np.ndarray:
    """Per node, the share the overlay shows: its utilization, or for a member of a redundancy
    group the group's load over what survives the loss of its largest unit, if that is higher
    (a UPS whose N+1 group cannot lose a module shows red although it is under capacity)."""
    util = np.array(power.nodes.utilization, float, copy=True)
    for g in power.groups:
        if g.surviving_w > 0:
            util[g.members] = np.fmax(util[g.members], g.load_w / g.surviving_w)
        elif g.load_w > 0:
            util[g.members] = np.inf
    return util


def chain_pipes(design: Design, power) -> tuple[np.ndarray, np.ndarray]:
    """(k, 4, 3) polylines and their utilization % for the overlay (see module doc)."""
    nodes, tree = power.nodes, power.tree
    n = tree.n
    if not n:
        return np.zeros((0, 4, 3)), np.zeros(0)
    util = nodes.utilization * 100.0
    lo, hi, centre = nodes.lo, nodes.hi, nodes.centre
    runs, vals = [], []
    # busway-like runs: logical nodes whose pieces stretch along a line
    extent = hi[:, :2] - lo[:, :2]
    for i in np.flatnonzero(_drawn_as_run(design, power)):
        axis = int(np.argmax(extent[i]))
        z = hi[i, 2] + 0.15
        pts = np.tile(np.array([centre[i, 0], centre[i, 1], z]), (4, 1))
        pts[:, axis] = np.linspace(lo[i, axis], hi[i, axis], 4)
        runs.append(pts)
        vals.append(util[i])
    strips, strip_vals = _rack_strips(design, power)
    if len(runs):
        strips = np.concatenate([np.asarray(runs, float).reshape(-1, 4, 3), strips])
        strip_vals = np.concatenate([np.asarray(vals, float), strip_vals])
    return strips, strip_vals


def _drawn_as_run(design: Design, power) -> np.ndarray:
    """Per node: a logical node outside racks whose pieces stretch over a metre (a busway)."""
    nodes = power.nodes
    has_piece = np.bincount(power.piece[power.piece >= 0], minlength=len(nodes)) > 0
    own = np.asarray(design.power_nodes.part) >= 0
    return has_piece & ~own & (nodes.rack < 0) & ((nodes.hi[:, :2] - nodes.lo[:, :2]).max(axis=1) > 1.0)


def _rack_strips(design: Design, power) -> tuple[np.ndarray, np.ndarray]:
    """Strips over each rack's roof (whose own colour is the rack's budget share): its busbar
    node(s) across the middle, its other in-rack nodes (shelf group, PDU) near the front edge
    (the busway run passes over the rear). Vectorised over nodes."""
    nodes, parts = power.nodes, design.parts
    frames = np.flatnonzero((design.part_types.kind[parts.type] == "rack") & (parts.rack >= 0))
    frame_of = np.full(len(design.racks), -1)
    frame_of[parts.rack[frames]] = frames
    inside = np.flatnonzero((nodes.rack >= 0) & (frame_of[np.maximum(nodes.rack, 0)] >= 0))
    busbar = np.asarray(design.power_nodes.kind, object)[inside] == "busbar"
    which = nodes.rack[inside]
    side = np.where(busbar, 0.0, -0.3)
    values = nodes.utilization[inside] * 100.0
    if not len(which):
        return np.zeros((0, 4, 3)), np.zeros(0)
    f = frame_of[which]
    size = design.part_types.size[parts.type[f]]
    pos = parts.position[f]
    lx = np.linspace(-0.36, 0.36, 4)[None, :] * size[:, :1]          # (k, 4) along the rack's width
    ly = np.repeat((side * size[:, 1])[:, None], 4, axis=1)
    xy = local_to_world(pos[:, None, :], parts.yaw_deg[f][:, None], np.stack([lx, ly, np.zeros_like(lx)], axis=2))
    x, y = xy[..., 0], xy[..., 1]
    top = np.full(len(design.racks), -np.inf)
    np.maximum.at(top, nodes.rack[inside], nodes.hi[inside, 2])
    roof = np.maximum(pos[:, 2] + size[:, 2], top[which]) + 0.3
    z = np.repeat(roof[:, None], 4, axis=1)
    return np.stack([x, y, z], axis=2), values
