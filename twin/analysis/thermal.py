"""Thermal analysis: heat, air and coolant temperatures per part, rack and cooling loop.

Everything is whole-column numpy (no Python loop over parts or racks): a 2,000-rack hall of
~80,000 parts analyses in milliseconds. Physics and limits come from `twin.model.physics`
(DESIGN.md §4).

Model
-----
Basis (setting `basis`, one per run: docs/severity.md). Each part rejects what it draws on
the basis: 'nominal' (`Design.part_power_w()`: its override, else the catalog nominal),
'max' (the catalog maximum) or 'measured': where a rack has a fresh power sensor reading,
every part in that rack is scaled by measured / estimated rack power (several power sensors
on one rack are summed: A/B feeds). Sensors of conditions (inlet air, coolant supply and
flow) are used on every basis, sensors of results (rack power and outlet, loop return) only
on 'measured'. A reading older than `stale_after_min` at the moment asked is not used.

Split. Parts whose catalog cooling mode is 'hybrid' or 'liquid' send `liquid_fraction` of
their heat to cold plates (a 'liquid' part with no fraction set counts as 1.0), the rest to
air. The liquid share only reaches a loop when the part is attached to a loop whose medium is
'liquid'; a liquid-capable part on no liquid loop has all its heat counted as air heat and
is reported ('liquid-unassigned').

Air path. A rack's inlet is its inlet sensor where it has one (the hottest, if several), else
the estimate: hall supply air + the hall's recirculation allowance (halls.recirculation_c,
the hot-aisle air that mixes into the cold aisle; `physics.DEFAULT_RECIRCULATION_C` where
the file gives none). Parts in a rack share its inlet;
parts outside racks (CDUs, CRAHs, UPS) get their hall's estimate. A part's outlet is its
inlet + `air_delta_t_c(air heat, catalog CFM)`; a part with no airflow has outlet = inlet.
A rack's outlet is its outlet sensor where present, else inlet + ΔT of the rack's summed air
heat over its summed CFM.

Liquid path. Per liquid loop: heat = Σ liquid heat of its parts; flow = the loop's flow
sensor (mean of several) else the installed CDU's rated flow (`cooling_units.loop_units`;
the loop row's `flow_lpm` only where no rated CDU is installed); supply = supply sensor else `supply_c`;
return = the return sensor where present, else supply + `liquid_delta_t_c(heat, flow)`;
ΔT = return − supply; utilisation = heat / capacity (NaN where no capacity is given).
Air loops (CRAH capacity) take all air heat of their hall; their "return" is the mixed
exhaust: supply + ΔT of that heat over the summed CFM of the hall's heat-producing parts.

Part temperature (the overlay colour, `part_temperature_c`): the outlet air temperature for
air and hybrid parts (what a thermal camera at the hot aisle sees), and the loop's return
temperature for 'liquid' parts on a liquid loop (their air outlet barely moves; the coolant
leaving the cold plates is the temperature that matters for them).

Findings (`thermal_findings`, `cooling_units`, `staleness`; severities in docs/severity.md):
the ASHRAE inlet envelope, loop heat and coolant demand against the installed units, air
heat against the CRAHs with and without the largest (N+1), loop ΔT, coolant flow per kW,
stranded liquid heat, part outlet air, and stale readings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from twin.analysis import thermal_findings as tf
from twin.analysis.cooling_units import loop_units, unit_findings
from twin.analysis.findings import Finding, findings_to_lines, sort_findings, summary_line
from twin.analysis.rack_power import max_power_w, measured_rack_power, rack_it_and_losses
from twin.analysis.settings import BASES, DEFAULT_BASIS
from twin.analysis.staleness import STALE_AFTER_MIN, STUCK_AFTER_MIN, fresh_values, stale_findings, stuck_findings
from twin.analysis.overlays import Overlay
from twin.analysis.registry import Analysis, AnalysisResult, OverlayDef, register_analysis, register_overlay
from twin.errors import TwinError
from twin.model import Columns, Design
from twin.model import physics
from twin.model.readings import ReadingSnapshot

#: Sensors of the conditions a part works in, used on every basis. On the 'nominal' and 'max'
#: bases heat comes from the catalog, so the sensors of its results (rack power, rack outlet,
#: loop return) are not used: they measure the heat of the moment, not the basis's.
CONDITION_KINDS = ("inlet_temp", "supply_temp", "flow")
#: Settings and their defaults. Part outlet limits: exhaust air above 60 °C is beyond what
#: rack cabling and hot-aisle work are rated for (critical); a rise above 35 K across one part
#: means too little airflow for its heat (warning; compute trays run 15–25 K).
SETTINGS = {"ashrae_class": None, "basis": DEFAULT_BASIS, "part_max_rise_k": 35.0, "part_max_outlet_c": 60.0,
            "stale_after_min": STALE_AFTER_MIN, "stuck_after_min": STUCK_AFTER_MIN}


@dataclass
class ThermalResult:
    """Per-part arrays (length len(design.parts)) as attributes, per-rack and per-loop tables.

    Parts: `heat_w`, `air_heat_w`, `liquid_heat_w`, `inlet_c`, `outlet_c`,
    `part_temperature_c` (overlay colour, see module doc), `measured` (inlet from a sensor).
    `racks` (Columns, len(design.racks)): inlet_c, outlet_c, power_w (measured where a power
    sensor exists), estimated_power_w, air_heat_w, liquid_heat_w, airflow_cfm, measured (inlet
    sensor), outlet_measured, power_measured, allowable_low_c, allowable_high_c.
    `loops` (Columns, len(design.cooling_loops)): heat_w, flow_lpm, supply_c, return_c,
    delta_t_k, utilisation, measured (any loop sensor), liquid (medium is liquid), unit_part
    (CDU/CRAH part row, -1 none).
    """

    source: Path
    basis: str
    reading_ts: str | None
    ashrae_class: str | None
    heat_w: np.ndarray
    air_heat_w: np.ndarray
    liquid_heat_w: np.ndarray
    inlet_c: np.ndarray
    outlet_c: np.ndarray
    part_temperature_c: np.ndarray
    measured: np.ndarray
    racks: Columns
    loops: Columns
    findings: list[Finding] = field(default_factory=list)

    @property
    def rack_inlet_c(self) -> np.ndarray:
        return self.racks.inlet_c


def _ext(values: np.ndarray, fill) -> np.ndarray:
    """`values` with one sentinel appended, so indexing with -1 (no reference) yields `fill`."""
    values = np.asarray(values)
    return np.append(values, np.array([fill], dtype=values.dtype if values.size else None))


def _aggregate(index: np.ndarray, values: np.ndarray, n: int, how: str) -> np.ndarray:
    """Reduce `values` grouped by `index` (rows 0..n-1) with max / sum / mean; NaN where none."""
    out = np.full(n, np.nan)
    if not len(index):
        return out
    if how == "max":
        np.fmax.at(out, index, values)
        return out
    counts = np.bincount(index, minlength=n)
    sums = np.bincount(index, weights=values, minlength=n)
    if how == "mean":
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return np.where(counts > 0, sums, np.nan)


def _air_dt(heat_w: np.ndarray, cfm: np.ndarray) -> np.ndarray:
    """physics.air_delta_t_c element-wise; 0 where there is no airflow."""
    has_air = cfm > 0
    return np.where(has_air, physics.air_delta_t_c(heat_w, np.where(has_air, cfm, 1.0)), 0.0)


def _ashrae_limits(design: Design, ashrae_class: str | None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Allowable (low, high) °C per hall plus the class name per hall."""
    if ashrae_class is not None:
        key = ashrae_class.strip().upper()
        if key not in physics.ASHRAE_ALLOWABLE_C:
            raise TwinError(design.source, f"unknown ASHRAE class {ashrae_class!r}; known: "
                            + ", ".join(physics.ASHRAE_ALLOWABLE_C))
        names = [key] * len(design.halls)
    else:
        names = [c.strip().upper() if str(c).strip().upper() in physics.ASHRAE_ALLOWABLE_C else physics.DEFAULT_ASHRAE_CLASS
                 for c in design.halls.ashrae_class.tolist()]
    lo = np.array([physics.ASHRAE_ALLOWABLE_C[c][0] for c in names], dtype=np.float64)
    hi = np.array([physics.ASHRAE_ALLOWABLE_C[c][1] for c in names], dtype=np.float64)
    return lo, hi, names


def analyse_thermal(design: Design, snapshot: ReadingSnapshot | None = None,
                    ashrae_class: str | None = None, settings: Mapping[str, Any] | None = None) -> ThermalResult:
    """Heat, temperatures and findings for the whole design (see the module doc for the model).

    `snapshot` (from `twin.store.telemetry.readings_at`) supplies measured rack inlet/outlet/
    power and loop supply/return/flow; without it everything is estimated from the design.
    `ashrae_class` ('A1'…'A4') overrides the halls' classes; unknown → TwinError.
    `settings` (SETTINGS keys): `basis` (see CONDITION_KINDS), part outlet and staleness limits.
    """
    opts = SETTINGS | dict(settings or {})
    basis = str(opts["basis"])
    if basis not in BASES:
        raise TwinError(design.source, f"unknown basis {basis!r}: choose one of {', '.join(BASES)}", where="basis")
    parts, racks, loops, halls, types = design.parts, design.racks, design.cooling_loops, design.halls, design.part_types
    n_parts, n_racks, n_loops, n_halls = len(parts), len(racks), len(loops), len(halls)
    t = parts.type
    mode = types.cooling_mode[t]
    cfm = np.nan_to_num(types.airflow_cfm[t]).clip(min=0.0)
    rack = parts.rack
    in_rack = rack >= 0
    part_loop = parts.cooling_loop

    # -- telemetry, grouped per rack and per loop -------------------------------------------
    sensors = design.sensors
    values, ages = fresh_values(snapshot, sensors.id, float(opts["stale_after_min"]))
    if basis != "measured":          # heat from the catalog: only sensors of conditions still count
        values = np.where(np.isin(sensors.kind, CONDITION_KINDS), values, np.nan)
    has = np.isfinite(values)

    def rack_reading(kind: str, how: str) -> np.ndarray:
        m = has & (sensors.kind == kind) & (sensors.rack >= 0)
        return _aggregate(sensors.rack[m], values[m], n_racks, how)

    def loop_reading(kind: str) -> np.ndarray:
        m = has & (sensors.kind == kind) & (sensors.cooling_loop >= 0)
        return _aggregate(sensors.cooling_loop[m], values[m], n_loops, "mean")

    meas_inlet, meas_outlet = rack_reading("inlet_temp", "max"), rack_reading("outlet_temp", "max")
    meas_supply, meas_return, meas_flow = loop_reading("supply_temp"), loop_reading("return_temp"), loop_reading("flow")

    # -- heat per part ----------------------------------------------------------------------
    power = np.nan_to_num(design.part_power_w()).clip(min=0.0)
    if basis == "max":
        power = max_power_w(design, power)
    est_rack_power = np.bincount(rack[in_rack], weights=power[in_rack], minlength=n_racks)
    usable = has & (sensors.kind == "power") & (sensors.rack >= 0) & (np.nan_to_num(values) >= 0)
    meas_power = measured_rack_power(design, values, usable, power)     # a rack meter, else its part meters
    power_measured = np.isfinite(meas_power)
    ratio = np.where(power_measured & (est_rack_power > 0), meas_power / np.where(est_rack_power > 0, est_rack_power, 1.0), 1.0)
    heat = power * _ext(ratio, 1.0)[rack]
    rack_power = np.where(power_measured, meas_power, est_rack_power)

    liquid_loop = loops.medium == "liquid"
    on_liquid = (part_loop >= 0) & _ext(liquid_loop, False)[part_loop]
    frac = np.nan_to_num(types.liquid_fraction[t]).clip(0.0, 1.0)
    frac = np.where((mode == "liquid") & (frac <= 0), 1.0, frac)
    frac = np.where(np.isin(mode, ["liquid", "hybrid"]), frac, 0.0)
    stranded = (frac > 0) & ~on_liquid & (heat > 0)
    liquid_heat = heat * np.where(on_liquid, frac, 0.0)
    air_heat = heat - liquid_heat

    # -- air path ---------------------------------------------------------------------------
    supply_air = design.hall_supply_air_c()
    supply_air_ext = _ext(supply_air, supply_air[0] if n_halls else physics.DEFAULT_SUPPLY_AIR_C)
    rack_hall = racks.hall
    recirc = design.hall_recirculation_c()
    recirc_ext = _ext(recirc, physics.DEFAULT_RECIRCULATION_C)
    rack_inlet_est = supply_air_ext[rack_hall] + recirc_ext[rack_hall]
    rack_measured = np.isfinite(meas_inlet)
    rack_inlet = np.where(rack_measured, meas_inlet, rack_inlet_est)

    # a part in no hall at all breathes the first hall's air
    part_hall = np.where(design.part_hall() < 0, 0 if n_halls else -1, design.part_hall())
    inlet = np.where(in_rack, _ext(rack_inlet, 0.0)[rack], supply_air_ext[part_hall] + recirc_ext[part_hall])
    measured = in_rack & _ext(rack_measured, False)[rack]
    outlet = inlet + _air_dt(air_heat, cfm)

    rack_air_heat = np.bincount(rack[in_rack], weights=air_heat[in_rack], minlength=n_racks)
    rack_liquid_heat = np.bincount(rack[in_rack], weights=liquid_heat[in_rack], minlength=n_racks)
    rack_cfm = np.bincount(rack[in_rack], weights=cfm[in_rack], minlength=n_racks)
    outlet_measured = np.isfinite(meas_outlet)
    rack_outlet = np.where(outlet_measured, meas_outlet, rack_inlet + _air_dt(rack_air_heat, rack_cfm))

    # -- loops ------------------------------------------------------------------------------
    loop_heat = np.bincount(part_loop[on_liquid], weights=liquid_heat[on_liquid], minlength=n_loops).astype(float)
    # Air loops: all air heat of their hall goes to the first air loop of that hall.
    air_loop_of_hall = np.full(n_halls, -1, dtype=np.int64)
    air_idx = np.flatnonzero((loops.medium == "air") & (loops.hall >= 0))[::-1]
    air_loop_of_hall[loops.hall[air_idx]] = air_idx
    part_air_loop = _ext(air_loop_of_hall, -1)[part_hall] if n_halls else np.full(n_parts, -1)
    to_air = part_air_loop >= 0
    loop_heat += np.bincount(part_air_loop[to_air], weights=air_heat[to_air], minlength=n_loops)
    unit_cap = np.nan_to_num(types.cooling_capacity_w[t])
    producer = to_air & (unit_cap <= 0)
    loop_cfm = np.bincount(part_air_loop[producer], weights=cfm[producer], minlength=n_loops)

    units = loop_units(design)
    flow = np.where(np.isfinite(meas_flow), meas_flow, units.flow_lpm)
    supply = np.where(np.isfinite(meas_supply), meas_supply, loops.supply_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        liquid_rise = np.where(loop_heat <= 0, 0.0,
                               np.where(flow > 0, physics.liquid_delta_t_c(loop_heat, np.where(flow > 0, flow, 1.0)), np.nan))
    rise = np.where(liquid_loop, liquid_rise, _air_dt(loop_heat, loop_cfm))
    ret = np.where(liquid_loop & np.isfinite(meas_return), meas_return, supply + rise)
    capacity = units.capacity_w
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(capacity > 0, loop_heat / np.where(capacity > 0, capacity, 1.0), np.nan)
    loop_measured = np.isfinite(meas_flow) | np.isfinite(meas_supply) | np.isfinite(meas_return)

    unit_part = units.unit_part      # the unit serving each loop (its first CDU or CRAH)

    part_temperature = np.where((mode == "liquid") & on_liquid, _ext(ret, np.nan)[part_loop], outlet)

    lo_hall, hi_hall, class_names = _ashrae_limits(design, ashrae_class)
    rack_lo = _ext(lo_hall, physics.ASHRAE_ALLOWABLE_C[physics.DEFAULT_ASHRAE_CLASS][0])[rack_hall]
    rack_hi = _ext(hi_hall, physics.ASHRAE_ALLOWABLE_C[physics.DEFAULT_ASHRAE_CLASS][1])[rack_hall]

    rack_table = Columns(inlet_c=rack_inlet, outlet_c=rack_outlet, power_w=rack_power, estimated_power_w=est_rack_power,
                         air_heat_w=rack_air_heat, liquid_heat_w=rack_liquid_heat, airflow_cfm=rack_cfm,
                         measured=rack_measured, outlet_measured=outlet_measured, power_measured=power_measured,
                         allowable_low_c=rack_lo, allowable_high_c=rack_hi)
    loop_table = Columns(heat_w=loop_heat, flow_lpm=flow, supply_c=supply, return_c=ret, delta_t_k=ret - supply,
                         utilisation=utilisation, measured=loop_measured, liquid=liquid_loop, unit_part=unit_part,
                         capacity_w=capacity, capacity_from_units=units.from_units, need_lpm=units.need_lpm,
                         units=units.units, largest_unit_w=units.largest_w)
    result = ThermalResult(source=design.source, basis=basis, reading_ts=snapshot.ts if snapshot is not None else None,
                           ashrae_class=ashrae_class.strip().upper() if ashrae_class else None,
                           heat_w=heat, air_heat_w=air_heat, liquid_heat_w=liquid_heat, inlet_c=inlet, outlet_c=outlet,
                           part_temperature_c=part_temperature, measured=measured, racks=rack_table, loops=loop_table)
    where = [tf.loop_location(design, result, i) for i in range(n_loops)]
    result.findings = sort_findings(
        tf.inlet_findings(design, result, class_names + [physics.DEFAULT_ASHRAE_CLASS])
        + tf.loop_findings(design, result)
        + unit_findings(design, units, meas_flow, where)
        + tf.stranded_findings(design, stranded, heat * frac)
        + tf.outlet_findings(design, result, cfm, float(opts["part_max_rise_k"]), float(opts["part_max_outlet_c"]))
        + stale_findings(design, ages, float(opts["stale_after_min"]), result.reading_ts, tf.rack_locations(design),
                         where, "thermal")
        + stuck_findings(design, snapshot, float(opts["stuck_after_min"]), tf.rack_locations(design), where, "thermal"))
    return result


def thermal_check_lines(design: Design, result: ThermalResult) -> list[str]:
    """The `twin check FILE --thermal` report: a summary, the hottest rack and loop, then findings."""
    r, L = result.racks, result.loops
    when = f"readings at {result.reading_ts}" if result.reading_ts else "no readings: design estimates only"
    lines = [f"thermal check of {design.source} ({result.basis} basis, {when})",
             f"  racks {len(design.racks)} ({int(r.measured.sum())} with inlet sensors)   "
             f"liquid loops {int(L.liquid.sum())}   heat {result.heat_w.sum() / 1e3:,.0f} kW "
             f"(liquid {result.liquid_heat_w.sum() / 1e3:,.0f} kW, air {result.air_heat_w.sum() / 1e3:,.0f} kW)"]
    if len(design.racks) and np.isfinite(r.inlet_c).any():
        i = int(np.nanargmax(r.inlet_c))
        lines.append(f"  hottest rack inlet: {design.racks.name[i]} {r.inlet_c[i]:.1f} °C")
    util = np.where(L.liquid, L.utilisation, np.nan)
    if np.isfinite(util).any():
        i = int(np.nanargmax(util))
        lines.append(f"  busiest liquid loop: {design.cooling_loops.name[i]} {util[i]:.0%} of CDU capacity, "
                     f"{L.supply_c[i]:.1f} → {L.return_c[i]:.1f} °C")
    lines.append(f"  findings: {summary_line(result.findings)}")
    lines += ["  " + line for line in findings_to_lines(result.findings)]
    return lines


def thermal_part_rows(design: Design, result: ThermalResult, part: int) -> list[tuple[str, str]]:
    """One part's thermal figures as (field, value) rows, each marked measured or estimated."""
    def source(flag: bool) -> str:
        return "measured" if flag else "estimated"

    rack = int(design.parts.rack[part])
    if rack >= 0 and design.part_types.kind[design.parts.type[part]] == "rack":
        # the frame stands for its rack: the rack's totals, not the frame's own zero watts
        r = result.racks
        budget = float(design.racks.power_budget_w[rack])
        it_w, loss_w = (float(v[rack]) for v in rack_it_and_losses(design, result.heat_w))
        share = f" of {budget / 1000:,.1f} kW budget ({it_w / budget:.0%})" if budget > 0 else \
            " (no budget in the file)"
        rows = [("rack heat", f"{(r.air_heat_w[rack] + r.liquid_heat_w[rack]) / 1000:,.1f} kW"),
                ("rack IT power", f"{it_w / 1000:,.1f} kW{share}; shelf and busbar losses {loss_w / 1000:,.1f} kW"),
                ("to air / to liquid", f"{r.air_heat_w[rack] / 1000:,.1f} kW / {r.liquid_heat_w[rack] / 1000:,.1f} kW")]
    else:
        rows = [("heat", f"{result.heat_w[part]:,.0f} W"),
                ("to air / to liquid", f"{result.air_heat_w[part]:,.0f} W / {result.liquid_heat_w[part]:,.0f} W")]
    rows += [("inlet air", f"{result.inlet_c[part]:.1f} °C ({source(bool(result.measured[part]))})"),
             ("outlet air", f"{result.outlet_c[part]:.1f} °C (estimated)"),
             ("part temperature", f"{result.part_temperature_c[part]:.1f} °C")]
    if rack >= 0:
        r = result.racks
        rows.append(("rack inlet / outlet", f"{r.inlet_c[rack]:.1f} °C ({source(bool(r.measured[rack]))}) / "
                                            f"{r.outlet_c[rack]:.1f} °C ({source(bool(r.outlet_measured[rack]))})"))
    loop = int(design.parts.cooling_loop[part])
    if loop >= 0 and bool(result.loops.liquid[loop]):
        L = result.loops
        rows.append(("coolant supply → return", f"{L.supply_c[loop]:.1f} → {L.return_c[loop]:.1f} °C "
                                                f"({source(bool(L.measured[loop]))})"))
    rows.append(("at", result.reading_ts or "design estimates (no readings)"))
    return rows


def _available(design: Design) -> str | None:
    if not len(design.parts) or not bool((design.part_power_w() > 0).any()):
        return "no part in this design draws power, so there is no heat to show"
    return None


def _run(design: Design, snapshot: ReadingSnapshot | None, settings) -> AnalysisResult:
    result = analyse_thermal(design, snapshot, ashrae_class=settings.get("ashrae_class"), settings=settings)
    return AnalysisResult("thermal", findings=list(result.findings),
                          part_values={"inlet_c": result.inlet_c, "part_temperature_c": result.part_temperature_c,
                                       "heat_w": result.heat_w},
                          detail=result, reading_ts=result.reading_ts)


def thermal_overlay(design: Design, result: AnalysisResult, quantity: str = "inlet") -> Overlay:
    """Temperatures from the thermal analysis (sensor readings where they exist).

    `quantity` "inlet" (default) colours each part by the air reaching it, which is what the
    ASHRAE envelope judges and where hot spots show; "part" colours by each part's own
    temperature (outlet air, or coolant return for fully liquid-cooled parts).
    """
    if quantity not in ("inlet", "part"):
        raise ValueError(f"unknown thermal quantity {quantity!r}: use 'inlet' or 'part'")
    thermal: ThermalResult = result.detail
    when = f" at {thermal.reading_ts}" if thermal.reading_ts else " (estimated)"
    if quantity == "inlet":
        values, label, vmin, vmax = thermal.inlet_c, "Inlet air", 18.0, 35.0
    else:
        values, label, vmin, vmax = thermal.part_temperature_c, "Part temperature", 18.0, 60.0
    return Overlay("thermal", label + when, "°C", np.asarray(values, float), vmin, vmax, "thermal",
                   measured=np.asarray(thermal.measured, bool))


THERMAL = register_analysis(Analysis(
    "thermal", "Thermal and cooling", _available, _run, uses_readings=True, settings=dict(SETTINGS),
    description="ASHRAE inlet envelope, CDU capacity and flow, loop rise, part outlet air, stale readings",
    report=lambda design, result: thermal_check_lines(design, result.detail),
    part_rows=lambda design, result, part: thermal_part_rows(design, result.detail, part)))
register_overlay(OverlayDef("thermal", "Thermal", thermal_overlay, analysis="thermal", options=("quantity",),
                            description="inlet air (or part temperature) from sensors and estimates"))
