"""Applying a scenario to a design: what fails with what, as a changed copy of the design.

Why a changed copy: every registered analysis then runs under the scenario unchanged (thermal,
power, cabling, supply), and each failure rule lives here, once:

- **Power** (`energise`): a failed power node is off. An off member of a redundancy group with
  live partners is *carried*: its load moves to them in proportion to their capacity (an N+1
  group shares among its survivors; in a 2N group the other side takes it), and what it fed
  stays powered. An off node that nobody carries takes its whole subtree down: every part it
  feeds loses power, draws nothing and makes no heat, and the mechanical panels under a
  switchboard take their CDUs and CRAHs with them. A group that lost a member has spent its
  redundancy: its survivors are judged by their own capacity (`twin.analysis.scenario_power`
  moves the load in the power roll-up).
- **Cooling**: a failed (or unpowered) CDU or CRAH leaves its loop; the loop keeps what its
  other units remove (capacity and flow of the survivors; the loop row's design figures are
  scaled alike so they still agree). A liquid loop with no unit left removes nothing: its
  parts' cold-plate heat goes to their air path, so their outlet air rises by
  ΔT = 1.76 · P_liquid / CFM (DESIGN.md §4) and the hall's CRAHs must take it. A failed CRAH
  reduces the hall's air capacity; heat the CRAHs left cannot remove stays in the air the IT
  fans move, so the hall's supply air rises by 1.76 · P_short / CFM_IT (`scenario_air`) and the
  racks' inlets with it. (No cross-connection between loops is modelled: the schema has none.)
- **Readings** of what a scenario changes no longer hold under it (`twin.analysis.scenario_readings`).
- **Network**: a cable drops when a part at either end is down (a failed or unpowered switch)
  or when it runs through a failed tray. A rack that had cables to other racks and loses every
  one of them is isolated.

Settings (supply air, ASHRAE class, coolant supply) change the halls and loops; loads scale
parts' draw (a rack, a row or a generation × factor); a swap changes a part's type. Names that
are not in the design are one TwinError naming them. Numpy over parts and cables; Python loops
only over the scenario's few changes and the power tree's levels.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.analysis import power_tree
from twin.errors import TwinError
from twin.model import Columns, Design
from twin.model.routes import parse_route_texts
from twin.model.scenario import SCALE_SCOPES, Scenario

#: Key under which a scenario's design keeps its `ScenarioEffect` (`Design.derived`).
EFFECT_KEY = "scenario.effect"
#: Part kinds that are cooling units.
UNIT_KINDS = ("cdu", "crah")


@dataclass
class ScenarioEffect:
    """What a scenario does to a design (rows of the baseline design's tables).

    Nodes: `failed_nodes` (named), `off_nodes` (failed or fed by an off node nobody carries),
    `carried` (off, their load moved to partners), `transfer` (source node, partner node,
    share) rows. Parts: `failed_parts` (named, or the part of a failed node), `unpowered`
    (fed by an off node that nobody carries), `down` (either: draws nothing, cools nothing,
    switches nothing). `lost_loops`: liquid loops with no unit left. Cables: `lost_cables`.
    Racks: `lost_power` (a part drawing power in it lost it), `isolated` (every cable to other
    racks dropped), `scaled` (load changed). `spent_groups`: redundancy groups with a member off.
    """

    scenario: Scenario
    failed_nodes: np.ndarray
    off_nodes: np.ndarray
    carried: np.ndarray
    transfer: tuple[np.ndarray, np.ndarray, np.ndarray]
    failed_parts: np.ndarray
    unpowered: np.ndarray
    down: np.ndarray
    failed_loops: np.ndarray
    lost_loops: np.ndarray
    lost_cables: np.ndarray
    lost_power: np.ndarray
    isolated: np.ndarray
    scaled: np.ndarray
    spent_groups: tuple[str, ...]
    baseline_power_w: np.ndarray
    baseline_loop: np.ndarray
    baseline_groups: np.ndarray
    unit_part: np.ndarray
    touched_loops: np.ndarray
    supply_halls: np.ndarray
    supply_loops: np.ndarray


def effect_of(design: Design) -> ScenarioEffect | None:
    """The scenario a design was made under (None for a design as stored)."""
    effect = design._cache.get(EFFECT_KEY)
    return effect if isinstance(effect, ScenarioEffect) else None


# ---------------------------------------------------------------------- names
@dataclass
class Targets:
    """Rows the failed names resolve to in each table."""

    nodes: np.ndarray
    parts: np.ndarray
    loops: np.ndarray
    trays: np.ndarray


def resolve_failures(design: Design, names: tuple[str, ...]) -> Targets:
    """Rows of the power nodes, parts, cooling loops and cable trays named `names` (a rack name
    fails the rack's frame and so everything in it). TwinError naming the first unknown name."""
    tables = {"nodes": design.power_nodes, "parts": design.parts, "loops": design.cooling_loops,
              "trays": design.cable_trays}
    out = {k: np.zeros(len(t), bool) for k, t in tables.items()}
    rack_names = np.asarray(design.racks.name, object) if len(design.racks) else np.zeros(0, object)
    for name in names:
        hit = False
        for key, table in tables.items():
            if len(table) and "name" in table:
                rows = np.asarray(table.name, object) == name
                out[key] |= rows
                hit |= bool(rows.any())
        racks = np.flatnonzero(rack_names == name)
        if len(racks):
            out["parts"] |= np.isin(design.parts.rack, racks)
            hit = True
        if not hit:
            raise TwinError(design.source, f"scenario fails {name!r}: no power node, part, cooling loop, cable tray "
                                           "or rack of that name in this design", where="scenario")
    return Targets(**out)


def _scale_mask(design: Design, target: str) -> np.ndarray:
    """Racks a scale target names: `rack:`, `row:` or `gen:` + name, else the first of those that matches."""
    racks = design.racks
    scope, colon, name = target.partition(":")
    gen_names = np.asarray(design.generations.name, object) if len(design.generations) else np.zeros(0, object)
    rack_gen = np.asarray(racks.generation, np.int64) if "generation" in racks else np.full(len(racks), -1)
    rows = np.asarray(racks.row, object) if "row" in racks else np.full(len(racks), None, object)

    def test(kind: str, n: str) -> np.ndarray:
        if kind == "rack":
            return np.asarray(np.asarray(racks.name, object) == n, bool)
        if kind == "row":
            return np.asarray(rows == n, bool)
        return np.isin(rack_gen, np.flatnonzero(gen_names == n))
    if colon and scope in SCALE_SCOPES:
        mask = test(scope, name)
    else:
        mask = np.zeros(len(racks), bool)
        for scope in SCALE_SCOPES:
            mask = test(scope, target)
            if mask.any():
                break
    if not mask.any():
        raise TwinError(design.source, f"scenario scales {target!r}: no rack, row or generation of that name",
                        where="scenario")
    return mask


# ---------------------------------------------------------------------- power
def group_codes(nodes: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Per node: its redundancy group as an integer (-1: in none, or alone in it) and its side code
    (-1: no side). A group of one node (a shelf group) has N+1 inside its capacity: no partners."""
    n = len(nodes)
    names = np.asarray(nodes.redundancy_group, object).astype(str) if n else np.zeros(0, str)
    uniq, inverse, counts = np.unique(names, return_inverse=True, return_counts=True)
    group = np.where((names != "") & (counts[inverse] >= 2), inverse, -1).astype(np.int64)
    sides = np.asarray(nodes.redundancy_side, object).astype(str) if "redundancy_side" in nodes else np.full(n, "")
    s_uniq, s_inv = np.unique(sides, return_inverse=True)
    side = np.where(sides != "", s_inv, -1).astype(np.int64)
    return group, side


def partner_capacity(group: np.ndarray, side: np.ndarray, capacity: np.ndarray, live: np.ndarray) -> np.ndarray:
    """Per node: the capacity of its live partners (the live members of its group; with sides,
    those on the other sides). 0 outside groups."""
    n = len(group)
    out = np.zeros(n)
    inside = group >= 0
    if not inside.any():
        return out
    g_n = int(group.max()) + 1
    cap = np.where(live & inside, capacity, 0.0)
    total = np.bincount(group[inside], weights=cap[inside], minlength=g_n)
    out[inside] = total[group[inside]]
    sided = inside & (side >= 0)
    if sided.any():
        s_n = int(side.max()) + 1
        key = group[sided] * s_n + side[sided]
        own = np.bincount(key, weights=cap[sided], minlength=g_n * s_n)
        out[sided] -= own[key]
    return out


def energise(design: Design, tree: power_tree.PowerTree, failed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(off, carried) per node for the `failed` nodes (see the module doc): a fixed point, each
    pass one sweep down the tree's levels; a pass can only turn more nodes off."""
    nodes = design.power_nodes
    group, side = group_codes(nodes)
    capacity = np.nan_to_num(np.asarray(nodes.capacity_w, float)).clip(min=0.0)
    off = failed.copy()
    carried = np.zeros(len(nodes), bool)
    for _ in range(len(nodes) + 1):
        carried = off & (partner_capacity(group, side, capacity, ~off) > 0)
        new = failed.copy()
        for level in tree.levels[1:]:
            p = tree.parent[level]
            new[level] |= new[p] & ~carried[p]
        if (new == off).all():
            break
        off = new | off
    return off, carried


def transfers(design: Design, off: np.ndarray, carried: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, partner, share) rows: each carried node's load goes to its live partners in
    proportion to their capacity."""
    nodes = design.power_nodes
    group, side = group_codes(nodes)
    capacity = np.nan_to_num(np.asarray(nodes.capacity_w, float)).clip(min=0.0)
    live = ~off
    src, dst, share = [], [], []
    for f in np.flatnonzero(carried).tolist():          # a handful: the scenario's failed group members
        mates = np.flatnonzero((group == group[f]) & live & (capacity > 0))
        if side[f] >= 0:
            mates = mates[side[mates] != side[f]]
        total = capacity[mates].sum()
        src += [f] * len(mates)
        dst += mates.tolist()
        share += (capacity[mates] / total).tolist()
    return np.array(src, np.int64), np.array(dst, np.int64), np.array(share, float)


# ---------------------------------------------------------------------- the whole scenario
def apply_scenario(design: Design, scenario: Scenario) -> Design:
    """`design` as it is under `scenario`: a new Design whose tables carry the changes and the
    failures' consequences; its `ScenarioEffect` is `effect_of(result)`."""
    parts, nodes, loops, types = design.parts, design.power_nodes, design.cooling_loops, design.part_types
    cols = {name: {k: getattr(t, k) for k in t} for name, t in
            (("parts", parts), ("nodes", nodes), ("loops", loops), ("halls", design.halls))}
    type_names = np.asarray(types.name, object)
    part_type = np.asarray(parts.type, np.int64).copy()
    for change in scenario.of_kind("swap"):
        new = np.flatnonzero(type_names == change.value)
        if not len(new):
            raise TwinError(design.source, f"scenario swaps to {change.value!r}: no part type of that name",
                            where="scenario")
        rows = np.asarray(parts.name, object) == change.target
        if not rows.any():
            rows = np.isin(part_type, np.flatnonzero(type_names == change.target))
        if not rows.any():
            raise TwinError(design.source, f"scenario swaps {change.target!r}: no part or part type of that name",
                            where="scenario")
        part_type[rows] = int(new[0])
    cols["parts"]["type"] = part_type
    nominal = np.where(parts.power_w >= 0, parts.power_w, np.asarray(types.power_nominal_w, float)[part_type])
    power = np.asarray(parts.power_w, float).copy()
    factor = np.ones(len(design.racks))
    for change in scenario.of_kind("scale"):
        factor[_scale_mask(design, change.target)] *= float(change.value)
    scaled_rack = factor != 1.0
    in_scaled = (parts.rack >= 0) & np.append(scaled_rack, False)[parts.rack]
    power[in_scaled] = (nominal * np.append(factor, 1.0)[parts.rack])[in_scaled]
    _apply_settings(design, scenario, cols)

    # -- failures ---------------------------------------------------------------------------
    targets = resolve_failures(design, scenario.failed)
    failed_nodes = targets.nodes.copy()
    own = np.asarray(nodes.part, np.int64) if len(nodes) else np.zeros(0, np.int64)
    failed_nodes |= (own >= 0) & np.append(targets.parts, False)[own]       # a failed UPS part is its node
    failed_parts = targets.parts.copy()
    failed_parts[own[failed_nodes & (own >= 0)]] = True
    tree = power_tree.build_tree(design)
    off, carried = energise(design, tree, failed_nodes)
    feed = np.asarray(parts.power_node, np.int64)
    unpowered = (feed >= 0) & np.append(off & ~carried, False)[feed]
    down = failed_parts | unpowered
    power[down] = 0.0
    cols["parts"]["power_w"] = power

    failed_loops, lost_loops = _cooling(design, cols, down, targets.loops, part_type)
    lost_cables = _lost_cables(design, down, targets.trays)
    racks = np.asarray(parts.rack, np.int64)
    baseline = np.nan_to_num(design.part_power_w()).clip(min=0.0)
    n_racks = len(design.racks)
    lost_power = np.bincount(racks[(racks >= 0) & unpowered & (baseline > 0)], minlength=n_racks) > 0 if n_racks \
        else np.zeros(0, bool)
    isolated = _isolated(design, lost_cables) & ~lost_power

    group, _ = group_codes(nodes)
    # a group with a member off and one still live runs on its survivors (all off: its load is lost)
    spent = np.intersect1d(group[off & (group >= 0)], group[~off & (group >= 0)])
    spent_names = tuple(sorted({str(nodes.redundancy_group[i]) for i in np.flatnonzero(np.isin(group, spent) & (group >= 0))}))
    if len(spent):
        groups = np.asarray(nodes.redundancy_group, object).copy()
        groups[np.isin(group, spent) & (group >= 0)] = ""
        cols["nodes"]["redundancy_group"] = groups
    effect = ScenarioEffect(scenario=scenario, failed_nodes=failed_nodes, off_nodes=off, carried=carried,
                            transfer=transfers(design, off, carried), failed_parts=failed_parts, unpowered=unpowered,
                            down=down, failed_loops=failed_loops, lost_loops=lost_loops, lost_cables=lost_cables,
                            lost_power=lost_power, isolated=isolated, scaled=scaled_rack, spent_groups=spent_names,
                            baseline_power_w=baseline, baseline_loop=np.asarray(parts.cooling_loop, np.int64),
                            baseline_groups=np.asarray(nodes.redundancy_group, object),
                            unit_part=_unit_parts(design, part_type),
                            touched_loops=failed_loops | lost_loops | _loops_changed(design, part_type),
                            supply_halls=_set_rows(design, scenario, "supply_air_c"),
                            supply_loops=_set_rows(design, scenario, "coolant_supply_c"))
    out = dataclasses.replace(design, parts=Columns(**cols["parts"]), power_nodes=Columns(**cols["nodes"]),
                              cooling_loops=Columns(**cols["loops"]), halls=Columns(**cols["halls"]), _cache={})
    for key in ("ports", "cable_text"):                 # what is read from the file stays shared
        if key in design._cache:
            out._cache[key] = design._cache[key]
    out._cache[EFFECT_KEY] = effect
    if scenario.failed or scenario.of_kind("scale") or scenario.of_kind("swap"):
        from twin.analysis.scenario_air import supply_rise

        rise = supply_rise(out)
        if (rise > 0).any():            # the CRAHs cannot take it all: the hall's supply air warms
            supply = np.asarray(out.hall_supply_air_c(), float) + rise
            out.halls = Columns(**{k: getattr(out.halls, k) for k in out.halls if k != "supply_air_c"},
                                supply_air_c=supply)
            effect.supply_halls = effect.supply_halls | (rise > 0)
    return out



def _apply_settings(design: Design, scenario: Scenario, cols: dict[str, dict[str, Any]]) -> None:
    halls, loops = cols["halls"], cols["loops"]
    hall_names = np.asarray(design.halls.name, object)
    loop_names = np.asarray(design.cooling_loops.name, object)
    for change in scenario.of_kind("set"):
        setting, _, where = change.target.partition("@")
        if setting == "coolant_supply_c":
            rows = np.asarray(design.cooling_loops.medium, object) == "liquid"
            if where:
                rows &= loop_names == where
            values = np.asarray(loops["supply_c"], float).copy()
            values[rows] = float(change.value)
            loops["supply_c"] = values
            continue
        rows = hall_names == where if where else np.ones(len(hall_names), bool)
        if where and not rows.any():
            raise TwinError(design.source, f"scenario sets {change.target!r}: no hall called {where!r}", where="scenario")
        if setting == "supply_air_c":
            values = np.asarray(halls["supply_air_c"], float).copy()
            values[rows] = float(change.value)
            halls["supply_air_c"] = values
        elif setting == "ashrae_class":
            classes = np.asarray(halls["ashrae_class"], object).copy()
            classes[rows] = change.value.strip().upper()
            halls["ashrae_class"] = classes
        else:
            raise TwinError(design.source, f"scenario sets {setting!r}: not a setting a scenario can change",
                            where="scenario")
    if any(c.target.startswith("coolant_supply_c@") and not (loop_names == c.target.partition("@")[2]).any()
           for c in scenario.of_kind("set")):
        bad = next(c for c in scenario.of_kind("set") if c.target.startswith("coolant_supply_c@"))
        raise TwinError(design.source, f"scenario sets {bad.target!r}: no cooling loop of that name", where="scenario")


def _unit_parts(design: Design, part_type: np.ndarray) -> np.ndarray:
    """Parts that are cooling units (a rating, or a unit kind) on a loop."""
    types = design.part_types
    rating = np.nan_to_num(np.asarray(types.cooling_capacity_w, float)[part_type])
    kind = np.asarray(types.kind, object)[part_type]
    return (np.asarray(design.parts.cooling_loop) >= 0) & ((rating > 0) | np.isin(kind, UNIT_KINDS))


def _cooling(design: Design, cols: dict[str, dict[str, Any]], down: np.ndarray, failed_loops: np.ndarray,
             part_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Take down units off their loops; a liquid loop left with none drops its parts' cold plates
    (their heat goes to air). Returns (failed loops, lost liquid loops)."""
    parts, types, loops = design.parts, design.part_types, design.cooling_loops
    n = len(loops)
    loop = np.asarray(parts.cooling_loop, np.int64).copy()
    rating = np.nan_to_num(np.asarray(types.cooling_capacity_w, float)[part_type]).clip(min=0.0)
    kind = np.asarray(types.kind, object)[part_type]
    unit = (loop >= 0) & ((rating > 0) | np.isin(kind, UNIT_KINDS))
    failed_loops = failed_loops.copy()
    gone = unit & (down | np.append(failed_loops, False)[loop])
    before = np.bincount(loop[unit], weights=np.maximum(rating[unit], 1.0), minlength=n)
    after = np.bincount(loop[unit & ~gone], weights=np.maximum(rating[unit & ~gone], 1.0), minlength=n)
    keep = np.where(before > 0, after / np.where(before > 0, before, 1.0), np.where(failed_loops, 0.0, 1.0))
    lpm = np.nan_to_num(np.asarray(types.coolant_lpm, float)[part_type])
    flow_before = np.bincount(loop[unit], weights=lpm[unit], minlength=n)
    flow_after = np.bincount(loop[unit & ~gone], weights=lpm[unit & ~gone], minlength=n)
    keep_flow = np.where(flow_before > 0, flow_after / np.where(flow_before > 0, flow_before, 1.0), keep)
    liquid = np.asarray(loops.medium, object) == "liquid"
    lost = liquid & (keep <= 0) & (failed_loops | (np.bincount(loop[gone], minlength=n) > 0))
    loop[gone] = -1
    loop[(loop >= 0) & np.append(lost, False)[loop]] = -1        # cold plates on a dead loop: heat to air
    cols["parts"]["cooling_loop"] = loop
    cols["loops"]["capacity_w"] = np.asarray(loops.capacity_w, float) * keep
    cols["loops"]["flow_lpm"] = np.asarray(loops.flow_lpm, float) * keep_flow
    return failed_loops | (np.bincount(np.asarray(parts.cooling_loop)[gone], minlength=n) > 0), lost


def _lost_cables(design: Design, down: np.ndarray, failed_trays: np.ndarray) -> np.ndarray:
    cables = design.cables
    if not len(cables):
        return np.zeros(0, bool)
    a, b = np.asarray(cables.a_part, np.int64), np.asarray(cables.b_part, np.int64)
    ext = np.append(down, False)
    lost = ext[a] | ext[b]
    if failed_trays.any():
        path, paths, _ = parse_route_texts(design.cable_text().route, design.cable_trays.id)
        through = np.array([bool(failed_trays[list(p)].any()) for p in paths] + [False])
        lost |= through[path]
    return lost


#: Cable kinds that are not network links (a rack's power or coolant hoses are not its uplinks).
NOT_NETWORK = ("power", "coolant")


def rack_uplinks(design: Design) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(network cable rows that join two different racks, or a rack to gear outside racks; their
    rack at end a; at end b), -1 for an end outside racks."""
    cables, parts = design.cables, design.parts
    if not len(cables):
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    a, b = np.asarray(cables.a_part, np.int64), np.asarray(cables.b_part, np.int64)
    rack = np.append(np.asarray(parts.rack, np.int64), -1)
    ra, rb = rack[a], rack[b]
    network = ~np.isin(np.arange(len(design.cable_kinds)), [design.cable_kinds.index(k) for k in NOT_NETWORK
                                                            if k in design.cable_kinds])
    kind = np.asarray(cables.kind, np.int64)
    rows = np.flatnonzero((ra != rb) & (a >= 0) & (b >= 0) & network[kind])
    return rows, ra[rows], rb[rows]


def _isolated(design: Design, lost_cables: np.ndarray) -> np.ndarray:
    """Racks that had cables out of the rack and lost every one."""
    n = len(design.racks)
    rows, ra, rb = design.derived("scenario.uplinks", lambda: rack_uplinks(design))
    if not len(rows):
        return np.zeros(n, bool)
    ends = np.concatenate([ra, rb])
    lost = np.concatenate([lost_cables[rows], lost_cables[rows]])
    keep = ends >= 0
    total = np.bincount(ends[keep], minlength=n)
    gone = np.bincount(ends[keep & lost], minlength=n)
    return (total > 0) & (gone == total)


def _loops_changed(design: Design, part_type: np.ndarray) -> np.ndarray:
    """Loops on which a unit was swapped for another type (their flow and capacity change)."""
    loop = np.asarray(design.parts.cooling_loop, np.int64)
    swapped = (part_type != np.asarray(design.parts.type)) & (loop >= 0)
    return np.bincount(loop[swapped], minlength=len(design.cooling_loops)) > 0


def _set_rows(design: Design, scenario: Scenario, setting: str) -> np.ndarray:
    """Halls (supply air) or liquid loops (coolant supply) a `set` change moves."""
    table = design.halls if setting == "supply_air_c" else design.cooling_loops
    out = np.zeros(len(table), bool)
    for change in scenario.of_kind("set"):
        name, _, where = change.target.partition("@")
        if name == setting:
            out |= (np.asarray(table.name, object) == where) if where else np.ones(len(table), bool)
    if setting == "coolant_supply_c":
        out &= np.asarray(design.cooling_loops.medium, object) == "liquid"
    return out
