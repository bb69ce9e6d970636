"""Air under a scenario: when the CRAHs left cannot remove a hall's heat, its supply air warms.

Why a module of its own: the scenario (`twin.analysis.scenario.apply_scenario`) and the N-1
sweep (`twin.analysis.contingency`) must apply the same rule, so both call `air_rise_c`.
The rule: the heat the CRAHs cannot take stays in the air the IT fans move, so the air they
breathe in is warmer by ΔT = 1.76 · P_short / CFM_IT (DESIGN.md §4); the racks' inlets rise
with it. A first-order, steady estimate: no CFD, no time.
"""

from __future__ import annotations

import numpy as np

from twin.model import Design, physics


def air_rise_c(shortfall_w: np.ndarray, it_cfm: np.ndarray) -> np.ndarray:
    """How much a hall's supply air warms when its CRAHs leave `shortfall_w` of heat unremoved:
    that heat stays in the air the IT equipment moves, ΔT = 1.76 · P / CFM (DESIGN.md §4).
    The one rule; the scenario and the N-1 sweep both call it."""
    short = np.clip(np.nan_to_num(np.asarray(shortfall_w, float)), 0.0, None)
    cfm = np.asarray(it_cfm, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((short > 0) & (cfm > 0), physics.air_delta_t_c(short, np.where(cfm > 0, cfm, 1.0)), 0.0)


def it_airflow_cfm(design: Design, power_w: np.ndarray) -> np.ndarray:
    """Per hall: the airflow of the parts in racks that draw power (what carries the hall's heat)."""
    parts = design.parts
    cfm = np.nan_to_num(np.asarray(design.part_types.airflow_cfm, float)[parts.type]).clip(min=0.0)
    hall = design.part_hall()
    moving = (np.asarray(parts.rack) >= 0) & (np.asarray(power_w) > 0) & (hall >= 0)
    return np.bincount(hall[moving], weights=cfm[moving], minlength=len(design.halls))


def hall_air_loops(design: Design) -> np.ndarray:
    """The air loop of each hall: its first air loop (the thermal analysis's rule), -1 none."""
    loops = design.cooling_loops
    out = np.full(len(design.halls), -1, np.int64)
    idx = np.flatnonzero((np.asarray(loops.medium, object) == "air") & (np.asarray(loops.hall) >= 0))[::-1]
    out[np.asarray(loops.hall, np.int64)[idx]] = idx
    return out


def supply_rise(design: Design) -> np.ndarray:
    """Per hall of a design under a scenario: the supply-air rise from heat its CRAHs cannot
    remove (the thermal estimate, nominal basis, against the CRAHs still working)."""
    from twin.analysis.thermal import analyse_thermal

    air = hall_air_loops(design)
    if not (air >= 0).any():
        return np.zeros(len(design.halls))       # no CRAHs are modelled: nothing to run short of
    loops = analyse_thermal(design).loops
    heat = np.where(air >= 0, np.asarray(loops.heat_w, float)[np.maximum(air, 0)], 0.0)
    cap = np.where(air >= 0, np.asarray(loops.capacity_w, float)[np.maximum(air, 0)], np.inf)
    power = np.nan_to_num(design.part_power_w()).clip(min=0.0)
    return air_rise_c(heat - cap, it_airflow_cfm(design, power))
