"""The N-1 sweep: fail every element of some kinds in turn, all at once as matrices.

Why vectorised: hall-2000 has hundreds of UPS modules, busways, CDUs and CRAHs; applying
each failure as a scenario and re-running every analysis costs a whole analysis per element.
Here each kind is one set of numpy steps over an (elements × nodes) or (elements × parts)
matrix, the same rules as `twin.analysis.scenario` (which the test checks element by element
against the full scenario analyses, `contingency_report.naive_sweep`):

1. `off`: each element's failed node and its subtree, less what a redundancy partner carries
   (a member of a group whose live partners outside the subtree have capacity);
2. loads: the tree roll-up for every element at once (`power_tree.roll_up` with one column
   per element), carried nodes' load moved to their partners by capacity, one more roll-up;
3. cooling: units, liquid and air heat per loop from the baseline thermal result, less what
   each element takes down; a liquid loop left without units sends its heat to the hall air;
4. network: cables between racks lost where an end is down; racks that lose them all.

What each element's failure causes (`Outcome`): racks that lose power, power nodes over
capacity, loops over capacity, liquid loops that lose cooling, racks cut off the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.analysis import power_tree
from twin.analysis.scenario import group_codes, rack_uplinks
from twin.analysis.scenario_air import air_rise_c, hall_air_loops, it_airflow_cfm
from twin.model import Design

#: Kinds the sweep knows: name → (table, the kind column's value there).
KINDS: dict[str, tuple[str, str]] = {"ups": ("node", "ups"), "busway": ("node", "busway"),
                                     "switchboard": ("node", "switchboard"), "cdu": ("part", "cdu"),
                                     "crah": ("part", "crah"), "switch": ("part", "network_switch")}
#: What a `twin contingency` sweeps when not told.
DEFAULT_KINDS = ("ups", "busway", "switchboard", "cdu", "crah", "switch")
#: Elements swept per block (bounds the matrices' memory on a big site).
BLOCK = 256


@dataclass
class Outcome:
    """What one element's failure causes (names, in table order)."""

    element: str
    kind: str
    lost_power: list[str] = field(default_factory=list)
    over_nodes: list[str] = field(default_factory=list)
    over_loops: list[str] = field(default_factory=list)
    lost_loops: list[str] = field(default_factory=list)
    isolated: list[str] = field(default_factory=list)
    over_inlet: list[str] = field(default_factory=list)

    @property
    def critical(self) -> bool:
        return bool(self.lost_power or self.over_nodes or self.over_loops or self.lost_loops or self.isolated
                    or self.over_inlet)

    def to_dict(self) -> dict[str, Any]:
        return {"element": self.element, "kind": self.kind, "critical": self.critical,
                "racks_lose_power": self.lost_power, "nodes_over_capacity": self.over_nodes,
                "loops_over_capacity": self.over_loops, "loops_lose_cooling": self.lost_loops,
                "racks_isolated": self.isolated, "racks_over_inlet_limit": self.over_inlet}


def elements(design: Design, kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(failed node row or -1, failed part row or -1) of every element of `kind`, in table order;
    a node that is a part (a UPS) fails both."""
    table, value = KINDS[kind]
    if table == "node":
        nodes = np.flatnonzero(np.asarray(design.power_nodes.kind, object) == value)
        return nodes, np.asarray(design.power_nodes.part, np.int64)[nodes]
    parts = np.flatnonzero(np.asarray(design.part_kind(), object) == value)
    own = np.asarray(design.power_nodes.part, np.int64)
    node_of = np.full(len(design.parts) + 1, -1, np.int64)
    node_of[own[own >= 0]] = np.flatnonzero(own >= 0)
    return node_of[parts], parts


class Sweep:
    """The baseline figures every element's failure is measured from (built once per design)."""

    def __init__(self, design: Design, power: Any, thermal: Any):
        self.design = design
        nodes, parts = design.power_nodes, design.parts
        self.n_nodes, self.n_parts, self.n_loops = len(nodes), len(parts), len(design.cooling_loops)
        self.tree = power_tree.build_tree(design)
        self.feed = np.asarray(parts.power_node, np.int64)
        self.capacity = np.nan_to_num(np.asarray(nodes.capacity_w, float)).clip(min=0.0)
        self.efficiency = np.asarray(power.nodes.efficiency, float)
        self.part_load = np.asarray(power.part_load_w, float)
        fed = self.feed >= 0
        self.direct = np.bincount(self.feed[fed], weights=self.part_load[fed], minlength=self.n_nodes)
        self.group, self.side = group_codes(nodes)
        # racks each node feeds directly (a part drawing power there)
        self.baseline_w = np.nan_to_num(design.part_power_w()).clip(min=0.0)
        rack = np.asarray(parts.rack, np.int64)
        feeds_rack = fed & (rack >= 0) & (self.baseline_w > 0)
        self.rack_pairs = Pairs(self.feed[feeds_rack], rack[feeds_rack], np.ones(int(feeds_rack.sum())),
                                len(design.racks))
        # heat and units per loop, per feeding node
        self.liquid_w = np.asarray(thermal.liquid_heat_w, float)
        self.air_w = np.asarray(thermal.air_heat_w, float)
        self.part_loop = np.asarray(parts.cooling_loop, np.int64)
        self.air_loop = self._air_loops()
        loops = thermal.loops
        self.loop_heat = np.asarray(loops.heat_w, float)
        self.loop_cap = np.asarray(loops.capacity_w, float)
        self.loop_units = np.asarray(loops.units, np.int64)
        self.liquid = np.asarray(loops.liquid, bool)
        t = parts.type
        rating = np.nan_to_num(np.asarray(design.part_types.cooling_capacity_w, float)[t]).clip(min=0.0)
        kind = np.asarray(design.part_types.kind, object)[t]
        self.unit = (self.part_loop >= 0) & ((rating > 0) | np.isin(kind, ["cdu", "crah"]))
        self.rating = np.where(self.unit, rating, 0.0)
        self.node_liquid = self._per_node_loop(self.liquid_w, self.part_loop)
        self.node_air = self._per_node_loop(self.air_w, self.air_loop)
        self.node_unit_cap = self._per_node_loop(self.rating, np.where(self.unit, self.part_loop, -1))
        self.node_unit_n = self._per_node_loop(self.unit.astype(float), np.where(self.unit, self.part_loop, -1))
        loop_hall = np.asarray(design.cooling_loops.hall, np.int64)
        self.loop_air = np.where(loop_hall >= 0, self._hall_air()[np.maximum(loop_hall, 0)], -1)
        # supply air: what the IT fans move per hall, and the inlet each rack has as built
        self.hall_air = hall_air_loops(design)
        hall = design.part_hall()
        moving = (rack >= 0) & (self.baseline_w > 0) & (hall >= 0)
        self.hall_cfm = it_airflow_cfm(design, self.baseline_w)
        cfm = np.nan_to_num(np.asarray(design.part_types.airflow_cfm, float)[parts.type]).clip(min=0.0)
        self.part_cfm = np.where(moving, cfm, 0.0)
        self.part_hall = hall
        self.node_cfm = Pairs(self.feed[moving & fed], hall[moving & fed], cfm[moving & fed], len(design.halls))
        rack_hall = np.asarray(design.racks.hall, np.int64)
        self.rack_hall = rack_hall
        supply = np.asarray(design.hall_supply_air_c(), float)
        recirc = np.asarray(design.hall_recirculation_c(), float)
        ok = rack_hall >= 0
        self.rack_estimate = np.where(ok, (supply + recirc)[np.maximum(rack_hall, 0)], np.nan)
        self.rack_inlet = np.asarray(thermal.racks.inlet_c, float)
        self.rack_limit = np.asarray(thermal.racks.allowable_high_c, float)
        self.uplinks, self.up_a, self.up_b = rack_uplinks(design)
        cables = design.cables
        self.up_pa = np.asarray(cables.a_part, np.int64)[self.uplinks] if len(self.uplinks) else np.zeros(0, np.int64)
        self.up_pb = np.asarray(cables.b_part, np.int64)[self.uplinks] if len(self.uplinks) else np.zeros(0, np.int64)

    def _hall_air(self) -> np.ndarray:
        """The air loop of each hall: its first air loop (the thermal analysis's rule), -1 none."""
        loops = self.design.cooling_loops
        out = np.full(max(len(self.design.halls), 1), -1, np.int64)
        idx = np.flatnonzero((np.asarray(loops.medium, object) == "air") & (np.asarray(loops.hall) >= 0))[::-1]
        out[np.asarray(loops.hall, np.int64)[idx]] = idx
        return out

    def _air_loops(self) -> np.ndarray:
        hall = self.design.part_hall()
        hall = np.where(hall < 0, 0, hall)
        return self._hall_air()[hall] if len(self.design.halls) else np.full(self.n_parts, -1)

    def _per_node_loop(self, values: np.ndarray, loop: np.ndarray) -> "Pairs":
        """`values` summed over the parts each node feeds, by the parts' `loop`, as (node, loop) pairs."""
        ok = (self.feed >= 0) & (loop >= 0)
        return Pairs(self.feed[ok], loop[ok], values[ok], self.n_loops)

    # ------------------------------------------------------------------ one block of elements
    def run(self, kind: str, fail_node: np.ndarray, fail_part: np.ndarray, names: np.ndarray) -> list[Outcome]:
        design, tree = self.design, self.tree
        e_n = len(fail_node)
        if not e_n:
            return []
        rows = np.arange(e_n)
        failed = np.zeros((e_n, self.n_nodes), bool)
        has_node = fail_node >= 0
        failed[rows[has_node], fail_node[has_node]] = True
        under = failed.copy()                                   # each failed node and its subtree
        for level in tree.levels[1:]:
            under[:, level] |= under[:, tree.parent[level]]
        partner = self._partner_capacity(~under)
        carried = under & (self.group >= 0) & (partner > 0)
        off = failed.copy()
        for level in tree.levels[1:]:
            p = tree.parent[level]
            off[:, level] |= off[:, p] & ~carried[:, p]
        carried &= off
        dead = off & ~carried
        # the failed part itself, where no dead node already takes it down
        named = fail_part >= 0
        part_feed = np.where(named, self.feed[np.maximum(fail_part, 0)], -1)
        own_gone = named & ~((part_feed >= 0) & dead[rows, np.maximum(part_feed, 0)])
        ep, pp = rows[own_gone], fail_part[own_gone]

        # -- power ------------------------------------------------------------------------
        direct = self.direct[:, None] * ~dead.T
        fed = part_feed[own_gone] >= 0
        np.add.at(direct, (part_feed[own_gone][fed], ep[fed]), -self.part_load[pp[fed]])
        out, _ = power_tree.roll_up(tree, direct, self.efficiency, carried.T)
        if carried.any():
            extra = self._transfer(out, carried, partner, ~off)
            out, _ = power_tree.roll_up(tree, direct + extra, self.efficiency, carried.T)
        out = np.where(carried.T, 0.0, out)
        with np.errstate(divide="ignore", invalid="ignore"):
            over_nodes = (self.capacity[:, None] > 0) & (out / np.where(self.capacity > 0, self.capacity, 1.0)[:, None]
                                                          > 1.0)
        lost_power = self.rack_pairs.total(dead) > 0

        # -- cooling ----------------------------------------------------------------------
        units_down = self.node_unit_n.total(dead)
        cap = self.loop_cap[None, :] - self.node_unit_cap.total(dead)
        units = self.loop_units[None, :] - units_down
        liquid = np.where(self.liquid, self.loop_heat, 0.0)[None, :] - self.node_liquid.total(dead)
        air = np.where(self.liquid, 0.0, self.loop_heat)[None, :] - self.node_air.total(dead)
        lp = self.part_loop[pp]
        unit_gone = self.unit[pp]
        np.add.at(cap, (ep[unit_gone], lp[unit_gone]), -self.rating[pp[unit_gone]])
        np.add.at(units, (ep[unit_gone], lp[unit_gone]), -1)
        on_liquid = (lp >= 0) & self.liquid[np.maximum(lp, 0)] & ~unit_gone
        np.add.at(liquid, (ep[on_liquid], lp[on_liquid]), -self.liquid_w[pp[on_liquid]])
        al = self.air_loop[pp]
        np.add.at(air, (ep[al >= 0], al[al >= 0]), -self.air_w[pp[al >= 0]])
        touched = units_down > 0
        touched[ep[unit_gone], lp[unit_gone]] = True
        lost = self.liquid[None, :] & touched & (units <= 0.5)
        moved = np.where(lost, liquid, 0.0)
        has_air = self.loop_air >= 0
        for col in np.flatnonzero(lost.any(axis=0) & has_air):
            air[:, self.loop_air[col]] += moved[:, col]
        heat = np.where(self.liquid[None, :], np.where(lost, 0.0, liquid), air)
        cap = np.clip(cap, 0.0, None)
        over_loops = (cap > 1e-9) & (heat > cap * (1 + 1e-12))
        lost_loops = lost & (moved > 1e-9)
        over_inlet = self._over_inlet(heat, cap, dead, ep, pp) & ~lost_power

        # -- network ----------------------------------------------------------------------
        isolated = self._isolated(dead, fail_part) & ~lost_power if len(self.uplinks) else \
            np.zeros((e_n, len(design.racks)), bool)
        return [self._outcome(kind, str(names[i]), lost_power[i], over_nodes[:, i], over_loops[i], lost_loops[i],
                              isolated[i], over_inlet[i]) for i in range(e_n)]

    def _over_inlet(self, heat: np.ndarray, cap: np.ndarray, dead: np.ndarray, ep: np.ndarray,
                    pp: np.ndarray) -> np.ndarray:
        """(elements, racks) racks whose inlet passes its allowable limit once the heat the CRAHs
        cannot remove warms the hall's supply air (`scenario.air_rise_c`, the scenario's rule)."""
        e_n, n_halls = dead.shape[0], len(self.hall_air)
        air = self.hall_air
        if not (air >= 0).any():                  # no CRAHs modelled: the inlets stay as they are
            return np.asarray(np.broadcast_to(self.rack_inlet > self.rack_limit, (e_n, len(self.rack_inlet))))
        h_heat = np.where(air[None, :] >= 0, heat[:, np.maximum(air, 0)], 0.0) if n_halls else np.zeros((e_n, 0))
        h_cap = np.where(air[None, :] >= 0, cap[:, np.maximum(air, 0)], np.inf) if n_halls else np.zeros((e_n, 0))
        cfm = self.hall_cfm[None, :] - self.node_cfm.total(dead)
        own = self.part_cfm[pp] > 0
        np.add.at(cfm, (ep[own], self.part_hall[pp[own]]), -self.part_cfm[pp[own]])
        rise = air_rise_c(h_heat - h_cap, cfm)
        hall = np.maximum(self.rack_hall, 0)
        r_rise = np.where(self.rack_hall[None, :] >= 0, rise[:, hall], 0.0) if n_halls else \
            np.zeros((e_n, len(self.rack_hall)))
        inlet = np.where(r_rise > 0, self.rack_estimate[None, :] + r_rise, self.rack_inlet[None, :])
        return np.asarray(inlet > self.rack_limit[None, :])

    def _isolated(self, dead: np.ndarray, fail_part: np.ndarray) -> np.ndarray:
        """(elements, racks) racks whose every network cable to other racks is lost: an end's part
        is the failed part or fed by a dead node. Cables are grouped by (rack end, feed at a, feed
        at b) for the power term; the failed part's own cables are counted per element (only
        elements that are a cable's end: switches)."""
        ends, pa, pb, total, groups, group_of, links = self._links()
        ga, gb = groups[:, 1], groups[:, 2]
        dead_x = np.concatenate([dead, np.zeros((dead.shape[0], 1), bool)], axis=1)     # -1 → never dead
        gone = dead_x[:, ga] | dead_x[:, gb]                                           # (elements, groups)
        lost = links.total_rows(gone)
        order_a, order_b = self._by_end()
        sorted_a, sorted_b = pa[order_a], pb[order_b]
        group_of = group_of.reshape(-1)
        for e in np.flatnonzero(fail_part >= 0):     # a switch: its own cables, where power left them up
            p = fail_part[e]
            rows = np.union1d(order_a[np.searchsorted(sorted_a, p):np.searchsorted(sorted_a, p, "right")],
                              order_b[np.searchsorted(sorted_b, p):np.searchsorted(sorted_b, p, "right")])
            if len(rows):
                still = rows[~gone[e, group_of[rows]]]
                np.add.at(lost[e], ends[still], 1.0)
        return (total > 0)[None, :] & (lost >= total[None, :] - 0.5)

    def _by_end(self) -> tuple[np.ndarray, np.ndarray]:
        """The link rows sorted by the part at end a, and at end b (to find a switch's own cables)."""
        if not hasattr(self, "_end_order"):
            _ends, pa, pb = self._links()[:3]
            self._end_order = (np.argsort(pa, kind="stable"), np.argsort(pb, kind="stable"))
        return self._end_order

    def _links(self) -> tuple[Any, ...]:
        """The network cables out of racks, once per sweep: each end's rack and parts, cables per
        rack, and the cables grouped by (rack, feed at a, feed at b) with their counts."""
        if not hasattr(self, "_link_cache"):
            ends = np.concatenate([self.up_a, self.up_b])
            pa, pb = np.concatenate([self.up_pa, self.up_pa]), np.concatenate([self.up_pb, self.up_pb])
            keep = ends >= 0
            ends, pa, pb = ends[keep], pa[keep], pb[keep]
            n_racks, width = len(self.design.racks), self.n_nodes + 1
            total = np.bincount(ends, minlength=n_racks)
            # rows of the same (rack, fa, fb) fall together: the power term per group, not per cable
            key = (ends * width + (self.feed[pa] + 1)) * width + (self.feed[pb] + 1)
            uniq, group_of, counts = np.unique(key, return_inverse=True, return_counts=True)
            groups = np.stack([uniq // (width * width), (uniq // width) % width - 1, uniq % width - 1], axis=1)
            links = Pairs(np.arange(len(groups)), groups[:, 0], counts.astype(float), n_racks)
            self._link_cache = (ends, pa, pb, total, groups, group_of, links)
        return self._link_cache

    def _partner_capacity(self, live: np.ndarray) -> np.ndarray:
        """(elements, nodes) capacity of each node's live partners (see `scenario.partner_capacity`)."""
        inside = self.group >= 0
        out = np.zeros(live.shape)
        if not inside.any():
            return out
        g = self.group[inside]
        cap = np.where(live[:, inside], self.capacity[inside][None, :], 0.0)
        onehot = np.zeros((int(inside.sum()), int(g.max()) + 1))
        onehot[np.arange(len(g)), g] = 1.0
        per_group = cap @ onehot
        out[:, inside] = per_group[:, g]
        sided = self.side[inside] >= 0
        if sided.any():
            key = g * (int(self.side.max()) + 1) + np.maximum(self.side[inside], 0)
            uniq, inv = np.unique(key[sided], return_inverse=True)
            oh = np.zeros((int(sided.sum()), len(uniq)))
            oh[np.arange(len(inv)), inv] = 1.0
            own = cap[:, sided] @ oh
            idx = np.flatnonzero(inside)[sided]
            out[:, idx] -= own[:, inv]
        return out

    def _transfer(self, out: np.ndarray, carried: np.ndarray, partner: np.ndarray, live: np.ndarray) -> np.ndarray:
        """(nodes, elements) load each live partner takes from the carried nodes, by capacity."""
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(carried, out.T / np.where(partner > 0, partner, 1.0), 0.0)      # (elements, nodes)
        inside = self.group >= 0
        g = self.group[inside]
        onehot = np.zeros((int(inside.sum()), int(g.max()) + 1))
        onehot[np.arange(len(g)), g] = 1.0
        take = np.zeros_like(q)
        take[:, inside] = (q[:, inside] @ onehot)[:, g]
        sided = inside & (self.side >= 0)
        if sided.any():
            key = self.group[sided] * (int(self.side.max()) + 1) + self.side[sided]
            uniq, inv = np.unique(key, return_inverse=True)
            oh = np.zeros((int(sided.sum()), len(uniq)))
            oh[np.arange(len(inv)), inv] = 1.0
            take[:, sided] -= (q[:, sided] @ oh)[:, inv]
        extra = take * np.where(live & inside[None, :], self.capacity[None, :], 0.0)
        return extra.T

    def _outcome(self, kind: str, name: str, lost_power: np.ndarray, over_nodes: np.ndarray, over_loops: np.ndarray,
                 lost_loops: np.ndarray, isolated: np.ndarray, over_inlet: np.ndarray) -> Outcome:
        d = self.design
        return Outcome(name, kind, [str(v) for v in np.asarray(d.racks.name, object)[lost_power]],
                       [str(v) for v in np.asarray(d.power_nodes.name, object)[over_nodes]],
                       [str(v) for v in np.asarray(d.cooling_loops.name, object)[over_loops]],
                       [str(v) for v in np.asarray(d.cooling_loops.name, object)[lost_loops]],
                       [str(v) for v in np.asarray(d.racks.name, object)[isolated]],
                       [str(v) for v in np.asarray(d.racks.name, object)[over_inlet]])


class Pairs:
    """A sparse (rows × columns) table as (row, column, value) triples, summed per column for
    each element at once: `total(mask)` = Σ over triples whose row is set in `mask` (elements ×
    rows), per column. Cheaper than a dense matrix product when rows feed few columns each."""

    def __init__(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, n_cols: int):
        keep = np.asarray(values, float) != 0
        rows, cols, values = np.asarray(rows, np.int64)[keep], np.asarray(cols, np.int64)[keep], \
            np.asarray(values, float)[keep]
        # one triple per (row, column): the sum of the values given for it, columns ascending
        key, inverse = np.unique(cols * (int(rows.max()) + 1 if len(rows) else 1) + rows, return_inverse=True)
        width = int(rows.max()) + 1 if len(rows) else 1
        values = np.bincount(inverse.reshape(-1), weights=values, minlength=len(key))
        rows, cols = key % width, key // width
        self.rows, self.cols, self.values, self.n_cols = rows, cols, values, n_cols
        self.starts = np.r_[0, np.flatnonzero(self.cols[1:] != self.cols[:-1]) + 1] if len(self.cols) else \
            np.zeros(0, np.int64)

    def total(self, mask: np.ndarray) -> np.ndarray:
        return self.total_rows(mask[:, self.rows] if len(self.rows) else np.zeros((mask.shape[0], 0), bool),
                               gathered=True)

    def total_rows(self, mask: np.ndarray, gathered: bool = False) -> np.ndarray:
        out = np.zeros((mask.shape[0], self.n_cols))
        if not len(self.rows):
            return out
        picked = mask if gathered else mask[:, self.rows]
        sums = np.add.reduceat(np.where(picked, self.values[None, :], 0.0), self.starts, axis=1)
        out[:, self.cols[self.starts]] = sums
        return out


def sweep(design: Design, power: Any, thermal: Any, kinds: tuple[str, ...] = DEFAULT_KINDS) -> list[Outcome]:
    """Every element of `kinds` failed in turn (vectorised, see the module doc); `power` and
    `thermal` are the baseline `PowerResult` and `ThermalResult` (nominal basis)."""
    base = Sweep(design, power, thermal)
    out: list[Outcome] = []
    for kind in kinds:
        nodes, parts = elements(design, kind)
        names = (np.asarray(design.power_nodes.name, object)[nodes] if KINDS[kind][0] == "node"
                 else np.asarray(design.parts.name, object)[parts])
        for start in range(0, len(nodes), BLOCK):
            s = slice(start, start + BLOCK)
            out += base.run(kind, nodes[s], parts[s], names[s])
    return out
