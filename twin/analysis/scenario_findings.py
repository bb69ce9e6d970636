"""The "what if" analysis: what a scenario itself breaks, beside the checks every analysis makes.

Registered like any analysis, it runs only on a design made under a scenario
(`twin.analysis.scenario.apply_scenario`); the other analyses (thermal, power, cabling…)
run on the same design and report what the failure does to capacities and temperatures.
This one names the consequences no other analysis sees:

- `power-lost` (critical): racks whose power is gone, one finding per node that went down
  with nobody to carry it, naming its racks and the IT load lost;
- `cooling-lost` (critical): liquid loops with no working unit left, their cold-plate heat
  now going to air (how far each part's outlet rises is the `rise_k` part value);
- `network-isolated` (critical): racks that lost every cable to other racks;
- `redundancy-spent` (warning): groups running without their spare.

Part values: `scenario_state` (`STATES`: what happened to each part) and `rise_k`.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from twin.analysis import power_tree
from twin.analysis.findings import Finding, sort_findings
from twin.analysis.overlays import Overlay
from twin.analysis.registry import Analysis, AnalysisResult, OverlayDef, register_analysis, register_overlay
from twin.analysis.scenario import ScenarioEffect, effect_of
from twin.analysis.thermal_findings import part_location, rack_locations
from twin.model import Design, physics
from twin.model.readings import ReadingSnapshot

#: What happened to a part under a scenario (`scenario_state` values index this).
STATES = ("unaffected", "failed", "lost power", "isolated", "overheating")
#: Colours of `STATES` in the what-if overlay: unaffected parts stay neutral grey (and the view
#: dims them), failed ones near black, lost power purple, isolated blue, overheating red.
STATE_RGB = ((170, 172, 176), (35, 35, 40), (123, 50, 148), (33, 102, 172), (215, 48, 39))
#: Names listed in a finding's message before "and N more".
NAMED = 6


def _names(values: np.ndarray) -> str:
    names = [str(v) for v in values[:NAMED]]
    return ", ".join(names) + (f" and {len(values) - NAMED} more" if len(values) > NAMED else "")


def dead_tops(design: Design, effect: ScenarioEffect) -> np.ndarray:
    """Per node: the highest node above it that is off with nobody to carry it (itself if its
    parent is live), -1 for nodes that are powered."""
    tree = power_tree.build_tree(design)
    dead = effect.off_nodes & ~effect.carried
    top = np.where(dead, np.arange(len(dead)), -1)
    for level in tree.levels[1:]:
        p = tree.parent[level]
        up = dead[level] & dead[p]
        top[level[up]] = top[p[up]]
    return top


def liquid_rise_k(design: Design, effect: ScenarioEffect) -> np.ndarray:
    """How far each part's outlet air rises because its loop lost cooling: its cold-plate heat
    over its own airflow (ΔT ≈ 1.76 · P / CFM); 0 elsewhere, NaN for a part with no airflow."""
    parts, types = design.parts, design.part_types
    base_loop = effect.baseline_loop
    moved = (base_loop >= 0) & np.append(effect.lost_loops, False)[base_loop]
    t = parts.type
    mode = np.asarray(types.cooling_mode, object)[t]
    frac = np.nan_to_num(np.asarray(types.liquid_fraction, float)[t]).clip(0.0, 1.0)
    frac = np.where((mode == "liquid") & (frac <= 0), 1.0, np.where(np.isin(mode, ["liquid", "hybrid"]), frac, 0.0))
    heat = np.nan_to_num(design.part_power_w()).clip(min=0.0) * frac
    cfm = np.nan_to_num(np.asarray(types.airflow_cfm, float)[t])
    rise = np.zeros(len(parts))
    hot = moved & (heat > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rise[hot] = np.where(cfm[hot] > 0, physics.air_delta_t_c(heat[hot], np.where(cfm[hot] > 0, cfm[hot], 1.0)),
                             np.nan)
    return rise


def scenario_findings(design: Design, effect: ScenarioEffect) -> tuple[list[Finding], dict[str, np.ndarray]]:
    """The findings and part values of the module doc."""
    parts, racks, nodes = design.parts, design.racks, design.power_nodes
    out: list[Finding] = []
    where = rack_locations(design) if len(racks) else np.zeros((0, 3))
    frames = design.rack_frames()
    rack_names = np.asarray(racks.name, object)
    base = effect.baseline_power_w
    feed = np.asarray(parts.power_node, np.int64)
    top = dead_tops(design, effect)
    part_top = np.where(feed >= 0, np.append(top, -1)[feed], -1)
    lost_part = effect.unpowered & (base > 0)
    for t in np.unique(part_top[lost_part]).tolist():
        mine = lost_part & (part_top == t)
        in_racks = np.unique(parts.rack[mine & (parts.rack >= 0)])
        kw = float(base[mine].sum()) / 1e3
        name = str(nodes.name[t])
        why = "failed" if effect.failed_nodes[t] else "down"
        group = str(design.power_nodes.redundancy_group[t])
        alone = f" and no partner in {group} is left to carry it" if group else " with no redundant path"
        what = f"{len(in_racks)} racks lose power ({_names(rack_names[in_racks])})" if len(in_racks) else \
            f"{int(mine.sum())} parts lose power ({_names(np.asarray(parts.name, object)[np.flatnonzero(mine)])})"
        r = int(in_racks[0]) if len(in_racks) else -1
        out.append(Finding("critical", "power-lost", f"{name} {why}{alone}: {what}, {kw:,.1f} kW",
                           rack=r, part=int(frames[r]) if r >= 0 else int(np.flatnonzero(mine)[0]),
                           location=tuple(where[r]) if r >= 0 else part_location(design, int(np.flatnonzero(mine)[0])),
                           value=kw, unit="kW", subject=name, analysis="whatif"))
    rise = liquid_rise_k(design, effect)
    loops = design.cooling_loops
    base_loop = effect.baseline_loop
    for i in np.flatnonzero(effect.lost_loops).tolist():
        on = base_loop == i
        if not (on & (rise != 0)).any():
            continue                      # nothing on the loop makes heat any more (its racks lost power too)
        in_racks = np.unique(parts.rack[on & (parts.rack >= 0)])
        units = np.flatnonzero(on & effect.down & effect.unit_part)
        worst = float(np.nanmax(rise[on])) if np.isfinite(rise[on]).any() else 0.0
        still = int(np.sum(on & np.isnan(rise)))
        no_air = f"; {still} parts with no airflow of their own cannot shed it at all" if still else ""
        r = int(in_racks[0]) if len(in_racks) else -1
        out.append(Finding("critical", "cooling-lost",
                           f"{loops.name[i]} has no working cooling unit ({_names(np.asarray(parts.name, object)[units]) or 'failed'} "
                           f"down): the cold-plate heat of {len(in_racks)} racks ({_names(rack_names[in_racks])}) goes to "
                           f"air, parts' outlet up to {worst:.1f} K hotter{no_air}", loop=i, rack=r,
                           part=int(frames[r]) if r >= 0 else -1, location=tuple(where[r]) if r >= 0 else None,
                           value=worst, unit="K", subject=str(loops.name[i]), analysis="whatif"))
    for r in np.flatnonzero(effect.isolated).tolist():
        out.append(Finding("critical", "network-isolated",
                           f"{rack_names[r]} loses every cable to other racks (its uplinks run through "
                           f"{_names(np.asarray(parts.name, object)[np.flatnonzero(effect.failed_parts)]) or 'failed trays'})",
                           rack=r, part=int(frames[r]), location=tuple(where[r]), subject=str(rack_names[r]),
                           analysis="whatif"))
    for g in effect.spent_groups:
        members = np.flatnonzero((np.asarray(effect.baseline_groups, object) == g) & effect.off_nodes)
        out.append(Finding("warning", "redundancy-spent",
                           f"{g} runs without its spare ({_names(np.asarray(nodes.name, object)[members])} out): "
                           "the survivors are judged by their own capacity", subject=g, analysis="whatif"))
    state = np.zeros(len(parts), np.int8)
    state[rise > 0] = STATES.index("overheating")
    in_isolated = (parts.rack >= 0) & np.append(effect.isolated, False)[parts.rack]
    state[in_isolated] = STATES.index("isolated")
    state[lost_part | (effect.unpowered & (parts.rack >= 0) & np.append(effect.lost_power, False)[parts.rack])] = \
        STATES.index("lost power")
    state[effect.failed_parts] = STATES.index("failed")
    # a rack's frame shows the worst that happens inside it, so the rack reads from any view
    frames = design.rack_frames()
    inside = (parts.rack >= 0) & ~effect.failed_parts
    rack_worst = np.zeros(len(racks), np.int8)
    np.maximum.at(rack_worst, parts.rack[inside], state[inside])
    has = frames >= 0
    state[frames[has]] = np.maximum(state[frames[has]], rack_worst[has])
    return sort_findings(out), {"scenario_state": state.astype(float), "rise_k": rise}


def _available(design: Design) -> str | None:
    return None if effect_of(design) is not None else "no scenario is active"


def _run(design: Design, _snapshot: ReadingSnapshot | None, _settings: Mapping[str, Any]) -> AnalysisResult:
    effect = effect_of(design)
    assert effect is not None
    findings, values = scenario_findings(design, effect)
    return AnalysisResult("whatif", findings=findings, part_values=values, detail=effect)


WHATIF = register_analysis(Analysis(
    "whatif", "What if (scenario)", _available, _run,
    description="what a scenario breaks: racks that lose power, loops that lose cooling, racks cut off the network"))


def affected_parts(result: AnalysisResult) -> np.ndarray:
    """Rows of the parts a scenario touches (failed, lost power, isolated, overheating)."""
    return np.flatnonzero(np.asarray(result.part_values["scenario_state"]) > 0)


def whatif_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Parts coloured by what the scenario does to them (`STATES`); unaffected parts neutral."""
    state = np.asarray(result.part_values["scenario_state"], float)
    effect: ScenarioEffect = result.detail
    return Overlay("whatif", f"What if: {effect.scenario.name}", "", np.where(state > 0, state, np.nan), 0.0,
                   float(len(STATES) - 1), "categorical", categories=STATES, category_rgb=STATE_RGB,
                   rack_reduce="max")


register_overlay(OverlayDef("whatif", "What if", whatif_overlay, analysis="whatif",
                            description="what the active scenario breaks: failed, lost power, isolated, overheating"))
