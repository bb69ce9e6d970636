"""The power overlay: utilization in bands (green / amber / red) that read at hall scale.

What each thing shows:
- rack frames and what they hold: the rack's load as a share of its power budget (the rack
  box at hall scale takes its frame's colour, so an over-budget rack stands out among racks
  just under budget even where their power gear is overloaded);
- power gear that is a node or a piece of one (busbar, power shelves, busway taps, UPS,
  switchboard): that node's utilization;
- the chain drawn over the floor as pipes: each busway as a run along its taps, feeders from
  UPS to busway and switchboard to UPS, and a strip on each rack's roof for the rack's own
  nodes (busbar at the rear edge, shelf group or PDU at the front), each coloured by its node.

Bands: the `utilization` colour map turns amber at the warning threshold and red above 100 %;
its range is chosen so its band edges fall on the analysis's `warn_utilization` and 100 %.
"""

from __future__ import annotations

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import AnalysisResult, OverlayDef, register_overlay
from twin.model import Design

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
    values[has] = power.nodes.utilization[piece[has]] * 100.0
    pipes, pipe_values = chain_pipes(design, power)
    vmin, vmax = band_range(power.warn_utilization)
    how = {"nominal": "nominal power", "max": "maximum power", "measured": "measured power"}[power.basis]
    when = f" at {power.reading_ts}" if power.basis == "measured" and power.reading_ts else ""
    label = f"Power utilization ({how}{when})"
    return Overlay("power", label, "%", values, vmin, vmax, "utilization", rack_reduce="frame",
                   measured=np.asarray(power.part_measured, bool) if power.basis == "measured" else None,
                   pipes=pipes, pipe_values=pipe_values)


def chain_pipes(design: Design, power) -> tuple[np.ndarray, np.ndarray]:
    """(k, 4, 3) polylines and their utilization % for the overlay (see module doc)."""
    nodes, tree = power.nodes, power.tree
    n = tree.n
    if not n:
        return np.zeros((0, 4, 3)), np.zeros(0)
    has_piece = np.bincount(power.piece[power.piece >= 0], minlength=n) > 0
    util = nodes.utilization * 100.0
    lo, hi, centre = nodes.lo, nodes.hi, nodes.centre
    own = np.asarray(design.power_nodes.part) >= 0
    runs, vals = [], []
    # busway-like runs: logical nodes whose pieces stretch along a line
    extent = hi[:, :2] - lo[:, :2]
    line = has_piece & ~own & (nodes.rack < 0) & (extent.max(axis=1) > 1.0)
    for i in np.flatnonzero(line):
        axis = int(np.argmax(extent[i]))
        z = hi[i, 2] + 0.15
        pts = np.tile(np.array([centre[i, 0], centre[i, 1], z]), (4, 1))
        pts[:, axis] = np.linspace(lo[i, axis], hi[i, axis], 4)
        runs.append(pts)
        vals.append(util[i])
    # feeders between placed facility nodes (outside racks)
    child = np.flatnonzero((tree.parent >= 0) & has_piece & (nodes.rack < 0))
    child = child[has_piece[tree.parent[child]] & (nodes.rack[tree.parent[child]] < 0)]
    for i in child:
        p = tree.parent[i]
        z = max(hi[p, 2], hi[i, 2]) + 0.6
        a, b = (centre[p, 0], centre[p, 1]), (centre[i, 0], centre[i, 1])
        runs.append([[a[0], a[1], hi[p, 2]], [a[0], a[1], z], [b[0], b[1], z], [b[0], b[1], hi[i, 2] + 0.15]])
        vals.append(util[i])
    strips, strip_vals = _rack_strips(design, power)
    if len(runs):
        strips = np.concatenate([np.asarray(runs, float).reshape(-1, 4, 3), strips])
        strip_vals = np.concatenate([np.asarray(vals, float), strip_vals])
    return strips, strip_vals


def _rack_strips(design: Design, power) -> tuple[np.ndarray, np.ndarray]:
    """One strip on the roof of each rack per in-rack node: busbars at the rear edge, others
    at the front. Vectorised over those nodes."""
    nodes = power.nodes
    inside = np.flatnonzero(nodes.rack >= 0)
    if not len(inside):
        return np.zeros((0, 4, 3)), np.zeros(0)
    kinds = design.part_kind()
    parts = design.parts
    frames = np.flatnonzero((kinds == "rack") & (parts.rack >= 0))
    frame_of = np.full(len(design.racks), -1)
    frame_of[parts.rack[frames]] = frames
    r = nodes.rack[inside]
    f = frame_of[r]
    ok = f >= 0
    inside, f = inside[ok], f[ok]
    size = design.part_size()[f]
    pos = parts.position[f]
    yaw = np.radians(parts.yaw_deg[f])
    rear = np.asarray(design.power_nodes.kind, object)[inside] == "busbar"
    ly = np.where(rear, 0.38, -0.38) * size[:, 1]
    lx = np.linspace(-0.42, 0.42, 4)[None, :] * size[:, :1]          # (k, 4)
    c, s = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    x = pos[:, :1] + c * lx - s * ly[:, None]
    y = pos[:, 1:2] + s * lx + c * ly[:, None]
    z = np.repeat((pos[:, 2] + size[:, 2] + 0.06)[:, None], 4, axis=1)
    return np.stack([x, y, z], axis=2), nodes.utilization[inside] * 100.0


def _available(design: Design) -> str | None:
    return None if len(design.power_nodes) else "this design has no power chain (power_nodes is empty)"


register_overlay(OverlayDef("power", "Power", power_overlay, analysis="power", available=_available,
                            description="utilization of racks (against budget) and of every node of the power "
                                        "chain, banded green / amber / red"))
