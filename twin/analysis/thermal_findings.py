"""Findings of the thermal analysis: inlet envelope, loops against their installed units,
coolant demand, stranded liquid heat, part outlet air, and readings too old to trust.

Each finding carries its numbers with units, the rack / loop / part it is about and a
place to fly to. Loops run over flagged rows only (a few), never over parts.
"""

from __future__ import annotations

from typing import Any, TYPE_CHECKING

import numpy as np

from twin.analysis.findings import Finding
from twin.model import Design
from twin.model import physics

if TYPE_CHECKING:
    from twin.analysis.thermal import ThermalResult


def _ext(values: np.ndarray, fill: Any) -> np.ndarray:
    values = np.asarray(values)
    return np.append(values, np.array([fill], dtype=values.dtype if values.size else None))


def rack_locations(design: Design) -> np.ndarray:
    """(n_racks, 3) fly-to points: rack footprint centre at half the rack's height."""
    racks, n = design.racks, len(design.racks)
    height = np.where(racks.type >= 0, _ext(design.part_types.size[:, 2], 2.0)[racks.type], 2.0)
    pos = np.nan_to_num(racks.position.reshape(n, 2))
    return np.column_stack([pos[:, 0], pos[:, 1], height / 2.0])


def part_location(design: Design, part: int) -> tuple[float, float, float]:
    x, y, z = design.parts.position[part]
    return float(x), float(y), float(z + design.part_types.size[design.parts.type[part], 2] / 2.0)


def inlet_findings(design: Design, result: "ThermalResult", class_names: list[str]) -> list[Finding]:
    r = result.racks
    inlet, lo, hi = r.inlet_c, r.allowable_low_c, r.allowable_high_c
    rec_lo, rec_hi = physics.ASHRAE_RECOMMENDED_C
    finite = np.isfinite(inlet)
    critical = finite & ((inlet > hi) | (inlet < lo))
    warning = finite & ~critical & ((inlet > rec_hi) | (inlet < rec_lo))
    flagged = np.flatnonzero(critical | warning)
    if not len(flagged):
        return []
    where = rack_locations(design)
    frames = design.rack_frames()
    hall_ext = list(class_names)      # one per hall, then the default for racks in no hall
    out = []
    for i in flagged.tolist():
        name = str(design.racks.name[i])
        how = "measured" if r.measured[i] else "estimated"
        value = float(inlet[i])
        cls = hall_ext[int(design.racks.hall[i])]
        if critical[i]:
            limit, side = (float(hi[i]), "above") if value > hi[i] else (float(lo[i]), "below")
            out.append(Finding("critical", "inlet-allowable", below=side == "below", message=
                               f"inlet air {value:.1f} °C ({how}) is {side} the ASHRAE {cls} allowable "
                               f"{lo[i]:.0f}–{hi[i]:.0f} °C", part=int(frames[i]), rack=i, location=tuple(where[i]),
                               value=value, limit=limit, unit="°C", subject=name, analysis="thermal"))
        else:
            limit, side = (rec_hi, "above") if value > rec_hi else (rec_lo, "below")
            out.append(Finding("warning", "inlet-recommended", below=side == "below", message=
                               f"inlet air {value:.1f} °C ({how}) is {side} the ASHRAE recommended "
                               f"{rec_lo:.0f}–{rec_hi:.0f} °C", part=int(frames[i]), rack=i, location=tuple(where[i]),
                               value=value, limit=float(limit), unit="°C", subject=name, analysis="thermal"))
    return out


def loop_location(design: Design, result: "ThermalResult", loop: int) -> tuple[float, float, float] | None:
    unit = int(result.loops.unit_part[loop])
    if unit >= 0:
        return part_location(design, unit)
    members = np.flatnonzero(design.racks.cooling_loop == loop)
    if len(members):
        x, y, z = (float(v) for v in rack_locations(design)[members].mean(axis=0))
        return x, y, z
    return None


def loop_findings(design: Design, result: "ThermalResult") -> list[Finding]:
    L, loops = result.loops, design.cooling_loops
    heat, cap, flow = L.heat_w, L.capacity_w, L.flow_lpm
    dt, design_dt = L.delta_t_k, np.nan_to_num(loops.design_dt_k)
    need_flow = physics.MIN_COOLANT_LPM_PER_KW * heat / 1000.0
    over = (cap > 0) & (heat > cap)
    surviving = cap - L.largest_unit_w
    no_spare = ~L.liquid & ~over & (L.units >= 2) & (heat > surviving)
    hot = L.liquid & (design_dt > 0) & np.isfinite(dt) & (dt > design_dt)
    starved = L.liquid & (heat > 0) & ~(flow >= need_flow)
    out = []
    for i in np.flatnonzero(over | hot | starved | no_spare).tolist():
        name, where = str(loops.name[i]), loop_location(design, result, i)
        common: dict[str, Any] = dict(part=int(L.unit_part[i]), loop=i, location=where, subject=name, analysis="thermal")
        if over[i] and L.liquid[i]:
            unit = int(L.unit_part[i])
            on = (f"{design.parts.name[unit]} ({design.part_types.name[design.parts.type[unit]]}) rated"
                  if L.capacity_from_units[i] and unit >= 0 else "a loop designed for (no rated CDU installed)")
            out.append(Finding("critical", "cdu-capacity",
                               f"{heat[i] / 1e3:,.0f} kW of liquid heat on {on} {cap[i] / 1e3:,.0f} kW "
                               f"({heat[i] / cap[i]:.0%})", value=float(heat[i]) / 1e3, limit=float(cap[i]) / 1e3, unit="kW", **common))
        elif over[i]:
            out.append(Finding("critical", "air-capacity",
                               f"{heat[i] / 1e3:,.0f} kW of heat to air (every air-cooled part in the hall) "
                               f"on {cap[i] / 1e3:,.0f} kW of CRAHs ({heat[i] / cap[i]:.0%})",
                               value=float(heat[i]) / 1e3, limit=float(cap[i]) / 1e3, unit="kW", **common))
        if no_spare[i]:
            out.append(Finding("warning", "air-redundancy",
                               f"{heat[i] / 1e3:,.0f} kW of heat to air on {int(L.units[i])} CRAHs of "
                               f"{cap[i] / 1e3:,.0f} kW: with the largest ({L.largest_unit_w[i] / 1e3:,.0f} kW) down, "
                               f"{surviving[i] / 1e3:,.0f} kW remain (N+1 lost)",
                               value=float(heat[i]) / 1e3, limit=float(surviving[i]) / 1e3, unit="kW", **common))
        if hot[i]:
            out.append(Finding("warning", "loop-dt",
                               f"coolant rises {dt[i]:.1f} K ({L.supply_c[i]:.1f} → {L.return_c[i]:.1f} °C), "
                               f"above the {design_dt[i]:.0f} K design ΔT", value=float(dt[i]),
                               limit=float(design_dt[i]), unit="K", **common))
        if starved[i]:
            per_kw = flow[i] / (heat[i] / 1e3) if np.isfinite(flow[i]) else 0.0
            out.append(Finding("warning", "coolant-flow",
                               f"coolant flow {np.nan_to_num(flow[i]):,.0f} L/min for {heat[i] / 1e3:,.0f} kW is "
                               f"{per_kw:.2f} L/min per kW; needs at least {physics.MIN_COOLANT_LPM_PER_KW:.1f} "
                               f"L/min per kW ({need_flow[i]:,.0f} L/min)", value=float(np.nan_to_num(flow[i])),
                               limit=float(need_flow[i]), unit="L/min", below=True, **common))
    return out


def stranded_findings(design: Design, stranded: np.ndarray, cold_plate_w: np.ndarray) -> list[Finding]:
    """Liquid-cooled parts attached to no liquid loop: one finding per rack (or per loose part)."""
    if not stranded.any():
        return []
    rack = design.parts.rack
    out = []
    in_rack = stranded & (rack >= 0)
    counts = np.bincount(rack[in_rack], minlength=len(design.racks))
    watts = np.bincount(rack[in_rack], weights=cold_plate_w[in_rack], minlength=len(design.racks))
    where = rack_locations(design)
    for i in np.flatnonzero(counts).tolist():
        out.append(Finding("warning", "liquid-unassigned",
                           f"{counts[i]} liquid-cooled parts ({watts[i] / 1e3:,.1f} kW of cold-plate heat) are on no "
                           "liquid cooling loop; counted as air heat", rack=i, location=tuple(where[i]),
                           value=float(watts[i]) / 1e3, unit="kW", subject=str(design.racks.name[i]), analysis="thermal"))
    for p in np.flatnonzero(stranded & (rack < 0)).tolist():
        out.append(Finding("warning", "liquid-unassigned",
                           f"liquid-cooled part ({cold_plate_w[p] / 1e3:,.1f} kW of cold-plate heat) is on no liquid "
                           "cooling loop; counted as air heat", part=p, location=part_location(design, p),
                           value=float(cold_plate_w[p]) / 1e3, unit="kW", subject=str(design.parts.name[p]), analysis="thermal"))
    return out




def outlet_findings(design: Design, result: "ThermalResult", cfm: np.ndarray, max_rise_k: float,
                    max_outlet_c: float) -> list[Finding]:
    """Parts whose own exhaust air is too hot: outlet above `max_outlet_c` (critical) or a rise
    across the part above `max_rise_k` (warning). One finding per part type and severity,
    naming how many parts and flying to the hottest (a catalog airflow too small for the heat
    shows on every part of the type; recirculation shows on the parts of the racks it heats)."""
    rise = result.outlet_c - result.inlet_c
    judged = (cfm > 0) & (result.air_heat_w > 0) & np.isfinite(result.outlet_c)
    hot = judged & (result.outlet_c > max_outlet_c)
    steep = judged & ~hot & (rise > max_rise_k)
    types, parts = design.part_types, design.parts
    out: list[Finding] = []
    for severity, mask in (("critical", hot), ("warning", steep)):
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        t = parts.type[rows]
        for ty in np.unique(t).tolist():
            mine = rows[t == ty]
            worst = int(mine[np.argmax(result.outlet_c[mine])])
            n = len(mine)
            air, flow = float(result.air_heat_w[worst]), float(cfm[worst])
            what = f"{n} parts of type {types.name[ty]}" if n > 1 else f"{parts.name[worst]} ({types.name[ty]})"
            head = f"hottest {parts.name[worst]}: " if n > 1 else ""
            if severity == "critical":
                value, limit, unit = float(result.outlet_c[worst]), max_outlet_c, "°C"
                judged_by = f"exhaust above {max_outlet_c:.0f} °C"
            else:
                value, limit, unit = float(rise[worst]), max_rise_k, "K"
                judged_by = f"a rise above {max_rise_k:.0f} K"
            out.append(Finding(severity, "part-outlet",
                               f"{what}: {head}{air:,.0f} W to air on {flow:,.0f} CFM rises {rise[worst]:.1f} K, "
                               f"{result.inlet_c[worst]:.1f} → {result.outlet_c[worst]:.1f} °C ({judged_by})",
                               part=worst, rack=int(parts.rack[worst]), location=part_location(design, worst),
                               value=value, limit=limit, unit=unit, subject=str(parts.name[worst]),
                               analysis="thermal"))
    return out
