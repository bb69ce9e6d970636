"""Findings of the power analysis: capacity, budgets, redundancy, stranded capacity, bad input.

Each finding carries numbers with units, the node or rack it is about and a place to fly to.
Loops run over findings (nodes over a limit, groups, busways), never over parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from twin.analysis.findings import Finding, findings_from_columns
from twin.model import Design

if TYPE_CHECKING:
    from twin.analysis.power import PowerResult

ANALYSIS = "power"


def _kw(watts: float) -> str:
    return f"{watts / 1000:,.1f} kW"


def power_findings(design: Design, result: "PowerResult") -> list[Finding]:
    """Every power finding except part-load input problems (those come with the loads)."""
    return (_node_findings(design, result) + _rack_findings(design, result) + _group_findings(design, result)
            + _stranded_findings(design, result) + _structure_findings(design, result))


def _node_place(result: "PowerResult", node: int) -> tuple[float, float, float]:
    c, hi = result.nodes.centre[node], result.nodes.hi[node]
    return float(c[0]), float(c[1]), float(hi[2])


def _node_part(design: Design, result: "PowerResult", node: int) -> int:
    return int(result.nodes.part_shown[node])


def _basis_note(result: "PowerResult", node: int | None = None) -> str:
    if result.basis != "measured":
        return f"{result.basis} power"
    if node is None:
        return "measured power"
    share = float(result.nodes.measured_share[node])
    return "measured" if share >= 0.999 else ("estimated" if share <= 0.001 else f"{share:.0%} measured")


def _node_findings(design: Design, result: "PowerResult") -> list[Finding]:
    """Nodes over capacity (critical) and above the warning share (warning), built from whole
    columns (a hall can have thousands of overloaded busbars)."""
    nodes = result.nodes
    util = nodes.utilization
    names, kinds = design.power_nodes.name, design.power_nodes.kind
    place = np.column_stack([nodes.centre[:, :2], nodes.hi[:, 2]])
    out: list[Finding] = []
    over = np.flatnonzero(util > 1.0)
    high = np.flatnonzero((util > result.warn_utilization) & (util <= 1.0))
    for severity, code, idx in (("critical", "node-over-capacity", over), ("warning", "node-high-load", high)):
        verb = "over capacity" if severity == "critical" else f"above {result.warn_utilization:.0%}"
        load, cap = nodes.load_w[idx] / 1000, nodes.capacity_w[idx] / 1000
        how = [_basis_note(result, i) for i in idx.tolist()] if result.basis == "measured" else \
            [f"{result.basis} power"] * len(idx)
        messages = [f"{k} carries {w:,.1f} kW of {c:,.1f} kW ({u:.1%}, {h}): {verb}" for k, w, c, u, h in
                    zip(kinds[idx].tolist(), load.tolist(), cap.tolist(), util[idx].tolist(), how)]
        out += findings_from_columns(severity, code, messages, names[idx].tolist(), analysis=ANALYSIS, unit="kW",
                                     part=nodes.part_shown[idx], rack=nodes.rack[idx], location=place[idx],
                                     value=load, limit=cap)
    return out


def _rack_findings(design: Design, result: "PowerResult") -> list[Finding]:
    racks = result.racks
    out = []
    for r in np.flatnonzero(racks.share > 1.0):
        how = ("measured" if racks.measured[r] else "estimated") if result.basis == "measured" else f"{result.basis} power"
        x, y = design.racks.position[r]
        severity = "critical" if racks.share[r] > 1.0 + result.critical_budget_margin else "warning"
        out.append(Finding(
            severity, "rack-over-budget", f"IT draws {_kw(racks.load_w[r])} against a budget of "
            f"{_kw(racks.budget_w[r])} ({racks.share[r]:.1%}, {how}); shelf and busbar losses "
            f"{_kw(racks.losses_w[r])} beside it", rack=int(r), location=(x, y, 1.1),
            value=float(racks.load_w[r]) / 1000, limit=float(racks.budget_w[r]) / 1000, unit="kW",
            subject=str(design.racks.name[r]), analysis=ANALYSIS))
    return out


def _group_findings(design: Design, result: "PowerResult") -> list[Finding]:
    out = []
    for g in result.groups:
        first = int(g.members[0])
        common: dict[str, Any] = dict(part=_node_part(design, result, first), rack=int(result.nodes.rack[first]),
                      location=_node_place(result, first), limit=g.surviving_w / 1000, unit="kW",
                      subject=g.name, analysis=ANALYSIS)
        lost = " + ".join(g.lost)
        if not g.holds:
            out.append(Finding("critical", "redundancy-lost",
                               f"{g.mode} group of {len(g.members)} cannot carry {_kw(g.load_w)} with {lost} "
                               f"lost: {_kw(g.surviving_w)} remains ({result.basis} power)",
                               value=g.load_w / 1000, **common))
        elif not g.holds_at_max and result.basis != "max":
            out.append(Finding("warning", "redundancy-at-max",
                               f"{g.mode} group holds {_kw(g.load_w)} ({result.basis}) with {lost} lost, but not "
                               f"{_kw(g.load_max_w)} at maximum power: {_kw(g.surviving_w)} remains",
                               value=g.load_max_w / 1000, **common))
    return out


#: Stranded spare below this (W) is rounding, not capacity a reviewer would act on.
STRANDED_MIN_W = 500.0


def _stranded_findings(design: Design, result: "PowerResult") -> list[Finding]:
    """Busway spare that the nodes above could not deliver, as one summary finding.

    Why one: a site sized with N+1 headroom strands some spare on nearly every busway (the
    chain above is sized for the racks' budgets, not for every busway full), so one finding per
    busway buried a hall's real problems under hundreds of info lines. The summary counts the
    busways, totals what they strand and points at the largest; each busway's own spare stays
    in the Power dock and `--json` of the power result.
    """
    nodes, tree = result.nodes, result.tree
    kinds = np.asarray(design.power_nodes.kind, object)
    headroom = np.where(nodes.capacity_w > 0, nodes.capacity_w - nodes.load_w, np.inf)
    # smallest headroom strictly above each node, one pass per level from the root down
    above = np.full(tree.n, np.inf)
    for level in tree.levels[1:]:
        p = tree.parent[level]
        above[level] = np.minimum(above[p], headroom[p])
    idx = np.flatnonzero((kinds == "busway") & np.isfinite(headroom))
    if not len(idx):
        return []
    spare = np.maximum(headroom[idx], 0.0)
    stranded = spare - np.clip(np.minimum(headroom[idx], above[idx]), 0.0, None)
    keep = stranded > STRANDED_MIN_W
    if not keep.any():
        return []
    idx, stranded = idx[keep], stranded[keep]
    worst = int(np.argmax(stranded))
    node = int(idx[worst])
    name = str(design.power_nodes.name[node])
    budget = float(_budget_below(design, result)[node])
    ab = above[node]
    chain = f"{_kw(float(ab))} spare" if np.isfinite(ab) and ab >= 0 else \
        "none to spare: a node above is over capacity" if np.isfinite(ab) else "no limit"
    message = (f"{len(idx):,} busway{'s' if len(idx) != 1 else ''} strand {_kw(float(stranded.sum()))} of spare "
               f"capacity that the chain above cannot deliver; the most here: {_kw(float(stranded[worst]))} of "
               f"{_kw(float(spare[keep][worst]))} spare (the chain above has {chain}; racks on it are budgeted "
               f"{_kw(budget)})")
    x, y = nodes.centre[node, :2]
    return [Finding("info", "stranded-capacity", message, part=int(nodes.part_shown[node]),
                    location=(float(x), float(y), float(nodes.hi[node, 2])), value=float(stranded.sum()) / 1000,
                    limit=float(nodes.capacity_w[idx].sum()) / 1000, unit="kW", subject=name, analysis=ANALYSIS)]


def _budget_below(design: Design, result: "PowerResult") -> np.ndarray:
    """Per node, the power budgets of the racks it feeds: each rack counted once, at the node
    nearest the root that feeds any of its parts, then rolled up the tree."""
    from twin.analysis.power_tree import roll_up

    parts, tree = design.parts, result.tree
    feed = parts.power_node
    ok = np.flatnonzero((feed >= 0) & (parts.rack >= 0))
    direct = np.zeros((tree.n, 1))
    if len(ok) and tree.n:
        order = ok[np.lexsort((tree.depth[feed[ok]], parts.rack[ok]))]
        first = order[np.r_[True, parts.rack[order][1:] != parts.rack[order][:-1]]]
        direct[:, 0] = np.bincount(feed[first], weights=result.racks.budget_w[parts.rack[first]], minlength=tree.n)
    return roll_up(tree, direct, np.ones(tree.n))[0][:, 0]


def _structure_findings(design: Design, result: "PowerResult") -> list[Finding]:
    """Bad input in the tree and the links to it: cycles, orphans, dangling ids, no capacity."""
    nodes, parts, tree = design.power_nodes, design.parts, result.tree
    out = []

    def row(i: int) -> str:
        return f"power_nodes row id {int(nodes.id[i])} ({nodes.name[i]})"

    for cycle in tree.cycles:
        ids = " → ".join(str(int(nodes.id[i])) for i in cycle + cycle[:1])
        out.append(Finding("warning", "power-cycle", f"power_nodes rows id {ids} form a cycle; cut at "
                           f"{row(min(cycle, key=lambda i: int(nodes.id[i])))}: its load reaches no utility",
                           location=_node_place(result, cycle[0]), subject=str(nodes.name[cycle[0]]), analysis=ANALYSIS))
    for i in tree.dangling:
        out.append(Finding("warning", "power-dangling", f"{row(i)}: parent_id {int(nodes.parent_id[i])} names no "
                           f"node; its {_kw(result.nodes.input_w[i])} reaches no utility",
                           location=_node_place(result, i), subject=str(nodes.name[i]), analysis=ANALYSIS))
    for i in tree.orphans:
        out.append(Finding("warning", "power-orphan", f"{row(i)} has no parent; its {_kw(result.nodes.input_w[i])} "
                           "reaches no utility", location=_node_place(result, i), subject=str(nodes.name[i]),
                           analysis=ANALYSIS))
    for i in np.flatnonzero(~(np.asarray(nodes.capacity_w, float) > 0)).tolist():
        out.append(Finding("warning", "node-no-capacity", f"{row(i)} has no capacity "
                           f"({nodes.capacity_w[i]:g} W); it carries {_kw(result.nodes.load_w[i])}, utilization unknown",
                           part=_node_part(design, result, i), location=_node_place(result, i),
                           value=float(result.nodes.load_w[i]) / 1000, unit="kW", subject=str(nodes.name[i]),
                           analysis=ANALYSIS))
    eff = result.nodes.efficiency
    for i in np.flatnonzero(np.isfinite(eff) & ((eff <= 0) | (eff > 1))).tolist():
        out.append(Finding("warning", "power-efficiency", f"{row(i)}: its part type's efficiency {eff[i]:g} is "
                           "outside 0–1; no loss counted", part=int(nodes.part[i]), location=_node_place(result, i),
                           subject=str(nodes.name[i]), analysis=ANALYSIS))
    feed = parts.power_node
    raw = np.asarray(parts.power_node_id, float) if "power_node_id" in parts else np.full(len(parts), np.nan)
    draws = result.part_load_w > 0
    for code, mask, why in (
            ("part-node-missing", np.isfinite(raw) & (feed < 0),
             lambda p: f"power_node_id {int(raw[p])} names no power node"),
            ("part-unfed", ~np.isfinite(raw) & (feed < 0) & draws, lambda p: "is fed by no power node")):
        bad = np.flatnonzero(mask)
        if not len(bad):
            continue
        p = int(bad[0])
        more = f" ({len(bad)} parts like this, {_kw(result.part_load_w[bad].sum())} in all)" if len(bad) > 1 else ""
        out.append(Finding("warning", code, f"parts row id {int(parts.id[p])} ({parts.name[p]}) {why(p)}; its "
                           f"{_kw(result.part_load_w[p])} is counted on no node{more}", part=p,
                           rack=int(parts.rack[p]), location=tuple(parts.position[p]),
                           value=float(result.part_load_w[bad].sum()) / 1000, unit="kW",
                           subject=str(parts.name[p]), analysis=ANALYSIS))
    return out
