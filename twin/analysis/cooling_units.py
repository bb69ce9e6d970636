"""What cools each loop: the units installed on it, against the loop's design figures.

Why: a loop's `cooling_loops` row holds the capacity and flow the loop was designed for,
written when the design was made. What really removes the heat is the CDU (or, for the air
loop, the CRAHs) installed on it: the parts with a cooling capacity whose
`parts.cooling_loop_id` is the loop. When a CDU is swapped for another model the row goes
stale, so the analyses judge heat and flow against the installed units, and a difference
between the two is itself a finding. The row's figure is used only where the loop has no
unit with a rating (an imported or hand-edited design).

Coolant demand: what the liquid and hybrid parts on a loop need (Σ `part_types.coolant_lpm`
of its parts other than the units) against what its units deliver (Σ of the units' own
`coolant_lpm`). Numpy only, one bincount per figure.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.analysis.findings import Finding
from twin.model import Columns, Design

#: Part kinds that are cooling units even when their catalog rating is missing.
UNIT_KINDS = ("cdu", "crah")
#: A difference between installed and design figures smaller than this share is rounding.
MISMATCH_TOLERANCE = 0.005


def loop_units(design: Design) -> Columns:
    """Per cooling loop (len(design.cooling_loops)):

    - `units`: how many cooling units are installed on it; `unrated`: how many have no rating;
    - `installed_capacity_w`, `installed_flow_lpm`: Σ of the units' catalog ratings;
    - `design_capacity_w`, `design_flow_lpm`: the loop row's figures (0 where NULL);
    - `capacity_w`, `flow_lpm`: what the analyses judge against: the installed figure where
      every unit on the loop is rated (capacity and flow each on their own), else the design figure;
    - `from_units`: True where `capacity_w` comes from the installed units;
    - `need_lpm`: coolant the loop's other parts need (Σ catalog `coolant_lpm`), `needing`: how many;
    - `unit_part`: the first unit's part row (-1 none), for fly-to and names; `largest_w`: the
      largest unit's rating (what N+1 loses).
    """
    parts, types, loops = design.parts, design.part_types, design.cooling_loops
    n = len(loops)
    t = parts.type
    loop = parts.cooling_loop
    on_loop = loop >= 0
    rating = np.nan_to_num(np.asarray(types.cooling_capacity_w, float)[t]).clip(min=0.0)
    lpm = np.nan_to_num(np.asarray(types.coolant_lpm, float)[t]).clip(min=0.0)
    kind = np.asarray(types.kind, object)[t]
    unit = on_loop & ((rating > 0) | np.isin(kind, UNIT_KINDS))
    units = np.bincount(loop[unit], minlength=n)
    unrated = np.bincount(loop[unit & (rating <= 0)], minlength=n)
    inst_cap = np.bincount(loop[unit], weights=rating[unit], minlength=n)
    inst_flow = np.bincount(loop[unit], weights=lpm[unit], minlength=n)
    mode = np.asarray(types.cooling_mode, object)[t]
    consumer = on_loop & ~unit & np.isin(mode, ["liquid", "hybrid"]) & (lpm > 0)
    need = np.bincount(loop[consumer], weights=lpm[consumer], minlength=n)
    needing = np.bincount(loop[consumer], minlength=n)
    design_cap = np.nan_to_num(np.asarray(loops.capacity_w, float)).clip(min=0.0)
    design_flow = np.nan_to_num(np.asarray(loops.flow_lpm, float)).clip(min=0.0)
    from_units = (units > 0) & (unrated == 0)
    liquid = np.asarray(loops.medium, object) == "liquid"
    capacity = np.where(from_units, inst_cap, design_cap)
    flow_rated = (units > 0) & (np.bincount(loop[unit & (lpm <= 0)], minlength=n) == 0)
    flow = np.where(flow_rated & liquid, inst_flow, design_flow)
    largest = np.zeros(n)
    np.maximum.at(largest, loop[unit], rating[unit])
    first = np.full(n, -1, np.int64)
    idx = np.flatnonzero(unit)[::-1]
    first[loop[idx]] = idx
    return Columns(units=units, unrated=unrated, installed_capacity_w=inst_cap, installed_flow_lpm=inst_flow,
                   design_capacity_w=design_cap, design_flow_lpm=design_flow, capacity_w=capacity, flow_lpm=flow,
                   from_units=from_units, need_lpm=need, needing=needing, unit_part=first, largest_w=largest)


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b) > MISMATCH_TOLERANCE * np.maximum(np.abs(a), np.abs(b))


def _unit_text(design: Design, units: Columns, i: int) -> str:
    p = int(units.unit_part[i])
    if p < 0:
        return "its units"
    name, model = design.parts.name[p], design.part_types.name[design.parts.type[p]]
    more = f" and {int(units.units[i]) - 1} more" if units.units[i] > 1 else ""
    return f"{name} ({model}){more}"


def unit_findings(design: Design, units: Columns, measured_flow: np.ndarray,
                  where: list[tuple[float, float, float] | None]) -> list[Finding]:
    """Design figures that disagree with the installed units, units without a rating, and
    loops whose parts need more coolant than their units deliver. `measured_flow`: the loop's
    flow sensor reading (NaN none), quoted beside the rated flow; `where`: fly-to per loop."""
    loops = design.cooling_loops
    liquid = np.asarray(loops.medium, object) == "liquid"
    out: list[Finding] = []
    for i in range(len(loops)):
        name = str(loops.name[i])
        common: dict[str, Any] = dict(part=int(units.unit_part[i]), loop=i, location=where[i], subject=name, analysis="thermal")
        what = _unit_text(design, units, i)
        if units.unrated[i] > 0:
            out.append(Finding("warning", "cooling-unit-unrated",
                               f"{int(units.unrated[i])} cooling unit(s) on the loop ({what}) have no "
                               f"cooling_capacity_w; judged against the loop row's design figure "
                               f"{units.design_capacity_w[i] / 1e3:,.0f} kW", **common))
        elif units.units[i] > 0 and units.design_capacity_w[i] > 0:
            cap_off = _differs(units.installed_capacity_w[i:i + 1], units.design_capacity_w[i:i + 1])[0]
            flow_off = liquid[i] and units.design_flow_lpm[i] > 0 and units.installed_flow_lpm[i] > 0 and \
                _differs(units.installed_flow_lpm[i:i + 1], units.design_flow_lpm[i:i + 1])[0]
            if cap_off or flow_off:
                inst = f"{units.installed_capacity_w[i] / 1e3:,.0f} kW"
                des = f"{units.design_capacity_w[i] / 1e3:,.0f} kW"
                if liquid[i]:
                    inst += f" / {units.installed_flow_lpm[i]:,.0f} L/min"
                    des += f" / {units.design_flow_lpm[i]:,.0f} L/min"
                out.append(Finding("warning", "cooling-design-mismatch",
                                   f"installed {what} rated {inst}; the loop was designed for {des} "
                                   "(checks use the installed rating)",
                                   value=float(units.installed_capacity_w[i]) / 1e3,
                                   limit=float(units.design_capacity_w[i]) / 1e3, unit="kW", **common))
        need, flow = float(units.need_lpm[i]), float(units.flow_lpm[i])
        if liquid[i] and need > 0 and need > flow * (1 + 1e-9):
            meas = f"; {measured_flow[i]:,.0f} L/min measured" if np.isfinite(measured_flow[i]) else ""
            share = f" ({need / flow:.0%})" if flow > 0 else ""
            out.append(Finding("critical", "coolant-demand",
                               f"{int(units.needing[i])} liquid-cooled parts need {need:,.0f} L/min of coolant; "
                               f"{what} delivers {flow:,.0f} L/min{share}{meas}",
                               value=need, limit=flow, unit="L/min", **common))
    return out
