"""Power analysis: loads rolled up the whole chain, utilization, redundancy and stranded capacity.

Model
-----
Part loads, three bases at once (columns of one (n_parts, 3) array):
- nominal: the part's own `power_w` where set, else the catalog `power_nominal_w`;
- max: the catalog `power_max_w` (nominal where the catalog gives none), never below an override;
- measured: where a rack has power sensors (its rack meters summed: A/B feeds; else its part
  meters plus the estimate of the rest, `rack_power.measured_rack_power`), every
  part in it is scaled by measured / nominal rack power, as the thermal analysis does; parts
  elsewhere keep their nominal figure and count as estimated.

Roll-up (`power_tree.roll_up`): a node delivers what the parts it feeds draw plus what its
child nodes draw from it; it draws `delivered / efficiency` from its parent, the efficiency
being its part's catalog `efficiency` (no loss where none is given: equipment whose catalog
`power_nominal_w` already is its loss, such as UPSs and power shelves, is counted as a load).
Utilization = delivered / capacity on the chosen basis (setting `basis`).

Redundancy: nodes sharing a `redundancy_group` (two members or more) must carry the group's
load after losing one failure unit: each member on its own (N+1), or every member of one
`redundancy_side` together (A/B, 2N). A single-node group (a power-shelf group) already has
N+1 in its capacity (sum of shelves minus the largest) and is judged by its capacity alone.

Stranded capacity (per busway): spare capacity the chain above it cannot deliver, i.e. the
busway's headroom beyond the smallest headroom upstream.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from twin.analysis import power_tree, scenario_power
from twin.analysis.findings import Finding, sort_findings
from twin.analysis.power_tree import PowerTree
from twin.analysis.rack_power import it_parts, max_power_w, measured_rack_power, rack_it_and_losses
from twin.analysis.staleness import STALE_AFTER_MIN, fresh_values
from twin.analysis import settings as settings_module
from twin.analysis.registry import Analysis, AnalysisResult, OverlayDef, register_analysis, register_overlay
from twin.model import Columns, Design
from twin.model.readings import ReadingSnapshot

BASES = settings_module.BASES
#: critical_budget_margin: a rack more than this share over its budget is critical, less a warning.
#: 0 by default: the chain above a rack (busway, UPS, CDU) is sized for its budget, so any
#: excess eats another rack's share.
DEFAULT_SETTINGS: dict[str, Any] = {"warn_utilization": 0.8, "critical_budget_margin": 0.0, "basis": settings_module.DEFAULT_BASIS, "stale_after_min": STALE_AFTER_MIN}


@dataclass(frozen=True)
class RedundancyGroup:
    """One redundancy group: `mode` 'N+1' (each member a failure unit) or '2N' (sides).
    `surviving_w`: capacity left after losing the largest unit (`lost`: its member names)."""

    name: str
    members: np.ndarray
    mode: str
    load_w: float
    capacity_w: float
    surviving_w: float
    lost: tuple[str, ...]
    load_max_w: float

    @property
    def holds(self) -> bool:
        return self.load_w <= self.surviving_w

    @property
    def holds_at_max(self) -> bool:
        return self.load_max_w <= self.surviving_w


@dataclass
class PowerResult:
    """Everything the power analysis found. `nodes` (len(power_nodes)): load_w / input_w on the
    basis, nominal_w, max_w, measured_w (delivered, per basis), capacity_w, utilization (NaN without
    capacity), measured_share (0–1 of the load that comes from sensors), rack (-1 outside racks),
    centre/lo/hi (drawable place), part_shown (its own part, else its first piece, else -1). `racks`: load_w (IT
    power, `rack_power`), losses_w (shelves, busbar, tap: beside it), budget_w, share (IT / budget, NaN without
    budget), nominal_w, max_w, measured_w (IT, per basis), measured (has a power reading). `piece`: per part, the node it
    is a piece of (-1 for none)."""

    basis: str
    warn_utilization: float
    critical_budget_margin: float
    reading_ts: str | None
    tree: PowerTree
    nodes: Columns
    racks: Columns
    groups: list[RedundancyGroup]
    piece: np.ndarray
    part_load_w: np.ndarray
    part_measured: np.ndarray
    findings: list[Finding] = field(default_factory=list)
    _power_cables: np.ndarray | None = field(default=None, repr=False)

    def trace(self, design: Design, **start: int) -> power_tree.Trace:
        """The chain of a part, rack or node: `trace(design, part=i)`, `rack=r` or `node=n`."""
        if self._power_cables is None:
            self._power_cables = power_tree.power_cables(design)
        return power_tree.trace(design, self.tree, self.piece, power_cable_rows=self._power_cables, **start)


def part_loads(design: Design, snapshot: ReadingSnapshot | None,
               stale_after_min: float = STALE_AFTER_MIN) -> tuple[np.ndarray, np.ndarray, list[Finding]]:
    """(n_parts, 3) nominal / max / measured loads, the per-part measured flag and input problems.
    Power readings older than `stale_after_min` at the snapshot's moment are not used."""
    parts, types = design.parts, design.part_types
    problems: list[Finding] = []
    nominal_type, max_type = np.asarray(types.power_nominal_w, float), np.asarray(types.power_max_w, float)
    for column, values in (("power_nominal_w", nominal_type), ("power_max_w", max_type)):
        bad = np.flatnonzero(values < 0)
        if len(bad):
            i = int(bad[0])
            problems.append(Finding("warning", "power-negative", f"part_types row id {int(types.id[i])} "
                                    f"({types.name[i]}): {column} is {values[i]:,.0f} W; counted as 0 W"
                                    + (f" ({len(bad)} types like this)" if len(bad) > 1 else ""),
                                    value=float(values[i]), unit="W", subject=str(types.name[i]), analysis="power"))
    nominal = np.nan_to_num(design.part_power_w()).clip(min=0.0) if len(parts) else np.zeros(0)
    maximum = max_power_w(design, nominal)

    rack, n_racks = parts.rack, len(design.racks)
    in_rack = rack >= 0
    sensors = design.sensors
    values = fresh_values(snapshot, sensors.id, stale_after_min)[0] if len(sensors) else np.zeros(0)
    is_power = (sensors.kind == "power") & (sensors.rack >= 0) if len(sensors) else np.zeros(0, bool)
    negative = np.flatnonzero(is_power & (values < 0))
    if len(negative):
        s = int(negative[0])
        problems.append(Finding("warning", "power-negative", f"sensor {sensors.name[s]} (row id {int(sensors.id[s])}) "
                                f"reads {values[s]:,.0f} W; reading ignored"
                                + (f" ({len(negative)} sensors like this)" if len(negative) > 1 else ""),
                                rack=int(sensors.rack[s]), value=float(values[s]), unit="W",
                                subject=str(sensors.name[s]), analysis="power"))
    ok = is_power & np.isfinite(values) & (values >= 0)
    meas_rack = measured_rack_power(design, values, ok, nominal)        # a rack meter, else its part meters
    has_meas = np.isfinite(meas_rack)
    meas_rack = np.nan_to_num(meas_rack)
    est_rack = np.bincount(rack[in_rack], weights=nominal[in_rack], minlength=n_racks)
    ratio = np.where(has_meas & (est_rack > 0), meas_rack / np.where(est_rack > 0, est_rack, 1.0), 1.0)
    measured = in_rack & np.append(has_meas, False)[rack]
    measured_load = nominal * np.append(ratio, 1.0)[rack]
    return np.column_stack([nominal, maximum, measured_load]), measured, problems


def analyse_power(design: Design, snapshot: ReadingSnapshot | None = None,
                  settings: Mapping[str, Any] | None = None) -> PowerResult:
    """Roll loads up the power tree and judge capacity, budgets and redundancy (see module doc)."""
    from twin.analysis.power_findings import power_findings

    opts = DEFAULT_SETTINGS | dict(settings or {})
    basis = str(opts["basis"])
    if basis not in BASES:
        raise ValueError(f"unknown power basis {basis!r}: choose one of {', '.join(BASES)}")
    b = BASES.index(basis)
    nodes, parts = design.power_nodes, design.parts
    tree = power_tree.build_tree(design)
    loads, measured, problems = part_loads(design, snapshot, float(opts["stale_after_min"]))
    own = np.asarray(nodes.part, np.int64) if len(nodes) else np.zeros(0, np.int64)
    efficiency = np.full(len(nodes), np.nan)
    has_part = own >= 0
    efficiency[has_part] = design.part_types.efficiency[parts.type[own[has_part]]] if "efficiency" in design.part_types \
        else np.nan
    direct = power_tree.direct_loads(design, np.column_stack([loads, loads[:, 2] * measured]))
    out, inp = scenario_power.roll_up(design, tree, direct, efficiency)     # plain roll-up outside scenarios
    capacity = np.asarray(nodes.capacity_w, float) if len(nodes) else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilization = np.where(capacity > 0, out[:, b] / np.where(capacity > 0, capacity, 1.0), np.nan)
        share = np.where(out[:, 2] > 0, out[:, 3] / np.where(out[:, 2] > 0, out[:, 2], 1.0), 0.0)
    rack_of = power_tree.node_racks(design, tree)
    piece = power_tree.node_pieces(design, tree, rack_of)
    centre, lo, hi = power_tree.node_places(design, tree, piece)
    first_piece = np.full(len(nodes), -1, np.int64)
    pieces = np.flatnonzero(piece >= 0)[::-1]
    first_piece[piece[pieces]] = pieces
    node_table = Columns(load_w=out[:, b], input_w=inp[:, b], nominal_w=out[:, 0], max_w=out[:, 1],
                         measured_w=out[:, 2], capacity_w=capacity, utilization=utilization,
                         measured_share=share if basis == "measured" else np.zeros(len(nodes)),
                         efficiency=efficiency, rack=rack_of, centre=centre, lo=lo, hi=hi,
                         part_shown=np.where(own >= 0, own, first_piece))
    n_racks = len(design.racks)
    rack = parts.rack
    inr = rack >= 0
    rack_loads, rack_losses = rack_it_and_losses(design, loads) if n_racks else (np.zeros((0, 3)), np.zeros((0, 3)))
    budget = np.asarray(design.racks.power_budget_w, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rack_share = np.where(budget > 0, rack_loads[:, b] / np.where(budget > 0, budget, 1.0), np.nan)
    rack_measured = np.bincount(rack[inr & measured], minlength=n_racks) > 0
    rack_table = Columns(load_w=rack_loads[:, b], budget_w=budget, share=rack_share, nominal_w=rack_loads[:, 0],
                         max_w=rack_loads[:, 1], measured_w=rack_loads[:, 2], measured=rack_measured,
                         losses_w=rack_losses[:, b])
    result = PowerResult(basis=basis, warn_utilization=float(opts["warn_utilization"]),
                         critical_budget_margin=float(opts["critical_budget_margin"]),
                         reading_ts=snapshot.ts if snapshot is not None else None, tree=tree, nodes=node_table,
                         racks=rack_table, groups=redundancy_groups(design, out[:, b], out[:, 1]), piece=piece,
                         part_load_w=loads[:, b], part_measured=measured & (basis == "measured"))
    result.findings = sort_findings(problems + power_findings(design, result))
    return result


def redundancy_groups(design: Design, load: np.ndarray, load_max: np.ndarray) -> list[RedundancyGroup]:
    """Groups of two nodes or more sharing a `redundancy_group`; one loop per group (few)."""
    nodes = design.power_nodes
    names = np.asarray(nodes.redundancy_group, object) if len(nodes) else np.zeros(0, object)
    named_count = Counter(names.tolist())
    shared = {name for name, k in named_count.items() if k >= 2 and name}
    if not shared:
        return []
    named = np.flatnonzero([name in shared for name in names.tolist()])
    uniq, inverse, counts = np.unique(names[named].astype(str), return_inverse=True, return_counts=True)
    sides = np.asarray(nodes.redundancy_side, object) if "redundancy_side" in nodes else np.full(len(nodes), "", object)
    capacity = np.asarray(nodes.capacity_w, float).clip(min=0.0)
    groups = []
    for g in np.flatnonzero(counts >= 2):
        members = named[inverse == g]
        side = sides[members].astype(str)
        units = np.where(side != "", side, nodes.name[members].astype(str))
        unit_names, unit_of = np.unique(units, return_inverse=True)
        unit_cap = np.bincount(unit_of, weights=capacity[members])
        worst = int(np.argmax(unit_cap))
        mode = "2N" if (side != "").all() and len(unit_names) == 2 else ("N+1" if (side == "").all() else "mixed")
        groups.append(RedundancyGroup(
            name=str(uniq[g]), members=members, mode=mode, load_w=float(load[members].sum()),
            capacity_w=float(capacity[members].sum()), surviving_w=float(capacity[members].sum() - unit_cap[worst]),
            lost=tuple(str(nodes.name[m]) for m in members[unit_of == worst]),
            load_max_w=float(load_max[members].sum())))
    return groups


def power_totals(design: Design, result: PowerResult | None = None) -> dict[str, Any]:
    """Totals for `twin info`: loads at the roots, capacity, IT load, losses, problem counts."""
    result = result or analyse_power(design)
    nodes = result.nodes
    roots = result.tree.levels[0] if result.tree.levels else np.zeros(0, np.int64)
    it = it_parts(design)
    fed = design.parts.power_node >= 0
    util = nodes.utilization
    return {
        "basis": result.basis,
        "utility_load_kw": round(float(nodes.input_w[roots].sum()) / 1000, 1),
        "utility_capacity_kw": round(float(nodes.capacity_w[roots].sum()) / 1000, 1),
        "it_load_kw": round(float(result.part_load_w[it & fed].sum()) / 1000, 1),
        "losses_kw": round(float((nodes.input_w - nodes.load_w).sum()) / 1000, 1),
        "nodes_over_capacity": int(np.sum(util > 1.0)),
        "racks_over_budget": int(np.sum(result.racks.share > 1.0)),
        "redundancy_groups_failing": sum(not g.holds for g in result.groups),
    }


def power_part_rows(design: Design, result: PowerResult, part: int) -> list[tuple[str, str]]:
    """One part's power figures as (field, value) rows for Properties: its rack's load against
    the budget, the node feeding it and the node it is a piece of, each with its utilization."""
    def node_text(i: int) -> str:
        n = result.nodes
        util = f"{n.utilization[i]:.1%}" if np.isfinite(n.utilization[i]) else "no capacity"
        return f"{design.power_nodes.name[i]}: {n.load_w[i] / 1000:,.1f} of {n.capacity_w[i] / 1000:,.1f} kW ({util})"

    rows = [("basis", result.basis + (f" at {result.reading_ts}" if result.basis == "measured" and result.reading_ts
                                      else ""))]
    rack = int(design.parts.rack[part])
    if rack >= 0:
        r = result.racks
        share = f" ({r.share[rack]:.1%})" if np.isfinite(r.share[rack]) else ""
        source = ("measured" if r.measured[rack] else "estimated") if result.basis == "measured" else result.basis
        rows.append(("rack IT power / budget", f"{r.load_w[rack] / 1000:,.1f} / {r.budget_w[rack] / 1000:,.1f} kW{share}, "
                                               f"{source}"))
        rows.append(("rack shelf and busbar losses", f"{r.losses_w[rack] / 1000:,.1f} kW (not counted against the budget)"))
    rows.append(("part draws", f"{result.part_load_w[part] / 1000:,.2f} kW"))
    feed = int(design.parts.power_node[part])
    if feed >= 0:
        rows.append(("fed by", node_text(feed)))
    if result.piece[part] >= 0:
        rows.append(("part of node", node_text(int(result.piece[part]))))
    return rows


def _available(design: Design) -> str | None:
    if not len(design.power_nodes):
        return "this design has no power chain (power_nodes is empty)"
    return None


def _run(design: Design, snapshot: ReadingSnapshot | None, settings: Mapping[str, Any]) -> AnalysisResult:
    result = analyse_power(design, snapshot, settings)
    util = np.full(len(design.parts), np.nan)
    has = result.piece >= 0
    util[has] = result.nodes.utilization[result.piece[has]]
    return AnalysisResult("power", findings=list(result.findings),
                          part_values={"power_w": result.part_load_w, "node_utilization": util},
                          detail=result, reading_ts=result.reading_ts if result.basis == "measured" else None)


def power_check_lines(design: Design, result: PowerResult) -> list[str]:
    """The `twin check FILE --power` report: totals, the busiest nodes, then every finding."""
    from twin.analysis.findings import findings_to_lines, summary_line

    totals = power_totals(design, result)
    when = f" at {result.reading_ts}" if result.basis == "measured" and result.reading_ts else ""
    lines = [f"power check of {design.source} ({result.basis} power{when})",
             f"  utility {totals['utility_load_kw']:,.1f} of {totals['utility_capacity_kw']:,.1f} kW   "
             f"IT {totals['it_load_kw']:,.1f} kW   losses {totals['losses_kw']:,.1f} kW",
             f"  nodes over capacity {totals['nodes_over_capacity']}   racks over budget {totals['racks_over_budget']}   "
             f"redundancy groups failing {totals['redundancy_groups_failing']} of {len(result.groups)}",
             f"  findings: {summary_line(result.findings)}"]
    return lines + ["  " + line for line in findings_to_lines(result.findings)]


POWER = register_analysis(Analysis(
    "power", "Power chain", _available, _run, uses_readings=True, settings=dict(DEFAULT_SETTINGS),
    description="loads rolled up the power chain, capacity, rack budgets, N+1 and A/B redundancy",
    report=lambda design, result: power_check_lines(design, result.detail),
    part_rows=lambda design, result, part: power_part_rows(design, result.detail, part)))


def power_overlay(design: Design, result: AnalysisResult):
    """The banded utilization overlay (built in `twin.analysis.power_overlay`; registered here so
    menus list it in this module's place)."""
    from twin.analysis.power_overlay import power_overlay as build

    return build(design, result)


register_overlay(OverlayDef("power", "Power", power_overlay, analysis="power",
                            description="utilization of racks (against budget) and of every node of the power "
                                        "chain, banded green / amber / red"))
