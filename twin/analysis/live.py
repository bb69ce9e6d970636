"""Design against live: what the sensors measure now, judged against what the design says.

Why: the other analyses use readings to estimate the design's heat and load; this one asks
the questions an operator asks of a live site. Each rule has one home:

- **rack power above budget** (`live-rack-power`): the power analysis on the measured basis
  (`twin.analysis.power`, the one rule of a rack's IT power) for racks with a fresh power
  reading, flagged beyond `power_tolerance` (a share of the budget);
- **loop flow below its CDU rating** (`live-loop-flow`): a liquid loop's measured flow (mean
  of its fresh flow sensors) below the rated flow of the units installed on it
  (`cooling_units.loop_units`) by more than `flow_tolerance` (a share);
- **supply temperature above design** (`live-supply-temp`): a loop's supply sensor above the
  loop's design `supply_c` by more than `supply_tolerance_k`;
- **a sensor out of its range** (`sensor-range`): a reading outside the range the sensor
  declares (`sensors.range_min`/`range_max` where the file has them) or, without one, the
  physical range of its kind (`twin.model.ranges`). Such a reading is not used by the rules
  above: a 900 °C supply is a broken sensor, not a hot loop. Leak detectors are judged by
  their own rule, not by range;
- **a leak detector not OK** (`leak-detected`): a sensor of kind `leak` whose state is not
  OK (0 OK, 1 warning, 2 critical, as Redfish's `DetectorState`);
- **a silent sensor** (`sensor-silent`): no reading at all at or before the moment
  (`staleness.silent_findings`); a stale one is the thermal analysis's `reading-stale`
  (`staleness.stale_findings`), which names sources the same way.

Every finding names its sensors by source URI where the sensor has one, else by name
(`staleness.sensor_label`). Numpy only; loops run over flagged racks, loops or sensors.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from twin.analysis.cooling_units import loop_units
from twin.analysis.findings import Finding, findings_to_lines, sort_findings, summary_line
from twin.analysis.registry import Analysis, AnalysisResult, register_analysis
from twin.analysis.staleness import STALE_AFTER_MIN, fresh_values, sensor_label, silent_findings
from twin.analysis.thermal_findings import part_location, rack_locations
from twin.model import Design
from twin.model.ranges import NON_NEGATIVE, TEMPERATURE_C, WATTS, Range
from twin.model.readings import ReadingSnapshot

ANALYSIS = "live"
#: Tolerances (`--set live.NAME=VALUE`): how far measured may stray from design before it is
#: a finding. Rack power: a share over the budget (0: any excess, as the power check).
#: Flow: a share below the rated flow (15 %: a CDU's rating is its design point and loops
#: run a little below it as filters load and valves trim, ~10 %; flow meters read ±2–5 %). Supply: kelvin above the design supply (1 K:
#: a facility loop's control band).
SETTINGS: dict[str, Any] = {"power_tolerance": 0.0, "flow_tolerance": 0.15, "supply_tolerance_k": 1.0,
                            "stale_after_min": STALE_AFTER_MIN}
#: The physical range of each sensor kind where the sensor declares none.
KIND_RANGES: dict[str, Range] = {
    **{kind: TEMPERATURE_C for kind in ("inlet_temp", "outlet_temp", "supply_temp", "return_temp", "temperature")},
    **{kind: WATTS for kind in ("power", "component_power", "heat")},
    **{kind: NON_NEGATIVE for kind in ("flow", "liquid_flow", "energy", "frequency")},
    "percent": Range(0, 100), "humidity": Range(0, 100), "leak": Range(0, 2),
}
#: Voltage, current and pressure have no physical range of their own: a −48 V telecom bus, a
#: discharging battery's current and a differential pressure are all negative.

#: Leak detector states (Redfish `DetectorState`) as stored readings.
LEAK_STATES = {0: "OK", 1: "Warning", 2: "Critical"}


def sensor_ranges(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) per sensor: the range it declares where the file has one, else its kind's
    physical range (−inf, inf for a kind with none)."""
    sensors = design.sensors
    n = len(sensors)
    lo, hi = np.full(n, -np.inf), np.full(n, np.inf)
    kinds = np.asarray(sensors.kind, object) if n else np.zeros(0, object)
    for kind, rng in KIND_RANGES.items():
        mine = kinds == kind
        if rng.low is not None:
            lo[mine] = rng.low
        if rng.high is not None:
            hi[mine] = rng.high
    for column, out in (("range_min", lo), ("range_max", hi)):
        if column in sensors:
            own = np.asarray(getattr(sensors, column), float)
            out[np.isfinite(own)] = own[np.isfinite(own)]
    return lo, hi


def _names(design: Design, rows: np.ndarray) -> str:
    return ", ".join(sensor_label(design, int(s)) for s in rows)


def _loop_place(design: Design, units_part: np.ndarray, loop: int) -> tuple[float, float, float] | None:
    unit = int(units_part[loop])
    if unit >= 0:
        return part_location(design, unit)
    members = np.flatnonzero(design.racks.cooling_loop == loop)
    if len(members):
        x, y, z = (float(v) for v in rack_locations(design)[members].mean(axis=0))
        return x, y, z
    return None


def analyse_live(design: Design, snapshot: ReadingSnapshot | None,
                 settings: Mapping[str, Any] | None = None) -> list[Finding]:
    """Every design-against-live finding at the snapshot's moment (see the module doc)."""
    opts = SETTINGS | dict(settings or {})
    sensors = design.sensors
    if not len(sensors) or snapshot is None or snapshot.ts is None:
        return []
    stale_after = float(opts["stale_after_min"])
    values, _ages = fresh_values(snapshot, sensors.id, stale_after)
    kinds = np.asarray(sensors.kind, object)
    lo, hi = sensor_ranges(design)
    with np.errstate(invalid="ignore"):      # a leak detector's state has its own rule (its range is "0: OK")
        outside = np.isfinite(values) & ((values < lo) | (values > hi)) & (kinds != "leak")
    usable = np.where(outside, np.nan, values)
    out = _range_findings(design, values, lo, hi, outside)
    out += _leak_findings(design, usable, kinds)
    out += _rack_power_findings(design, snapshot, outside, opts)
    out += _loop_findings(design, usable, kinds, opts)
    out += silent_findings(design, snapshot, rack_locations(design), ANALYSIS)
    return sort_findings(out)


def _range_findings(design: Design, values: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                    outside: np.ndarray) -> list[Finding]:
    sensors = design.sensors
    out = []
    for s in np.flatnonzero(outside).tolist():
        below = bool(values[s] < lo[s])
        limit = float(lo[s] if below else hi[s])
        unit = str(sensors.unit[s])
        out.append(Finding("warning", "sensor-range",
                           f"{sensor_label(design, s)} reads {values[s]:,.6g} {unit}, "
                           f"{'below' if below else 'above'} its range {lo[s]:,.6g}–{hi[s]:,.6g} {unit}; "
                           "reading not used", part=int(sensors.part[s]), rack=int(sensors.rack[s]),
                           loop=int(sensors.cooling_loop[s]), value=float(values[s]), limit=limit, unit=unit,
                           below=below, subject=str(sensors.name[s]), analysis=ANALYSIS,
                           location=_sensor_place(design, s)))
    return out


def _sensor_place(design: Design, s: int) -> tuple[float, float, float] | None:
    sensors = design.sensors
    if int(sensors.part[s]) >= 0:
        return part_location(design, int(sensors.part[s]))
    if int(sensors.rack[s]) >= 0:
        x, y, z = (float(v) for v in rack_locations(design)[int(sensors.rack[s])])
        return x, y, z
    return None


def _leak_findings(design: Design, values: np.ndarray, kinds: np.ndarray) -> list[Finding]:
    sensors = design.sensors
    out = []
    for s in np.flatnonzero((kinds == "leak") & np.isfinite(values) & (values != 0)).tolist():
        state = LEAK_STATES.get(int(round(values[s])), f"state {values[s]:g}")
        severity = "warning" if int(round(values[s])) == 1 else "critical"
        out.append(Finding(severity, "leak-detected", f"leak detector {sensor_label(design, s)} reports {state}",
                           part=int(sensors.part[s]), rack=int(sensors.rack[s]), loop=int(sensors.cooling_loop[s]),
                           value=float(values[s]), limit=0.0, subject=str(sensors.name[s]), analysis=ANALYSIS,
                           location=_sensor_place(design, s)))
    return out


def _rack_power_findings(design: Design, snapshot: ReadingSnapshot, outside: np.ndarray,
                         opts: Mapping[str, Any]) -> list[Finding]:
    """Racks whose measured IT power (the power analysis on the measured basis, out-of-range
    readings left out) is above budget × (1 + power_tolerance)."""
    from twin.analysis.power import analyse_power

    sensors = design.sensors
    power_rows = np.flatnonzero((np.asarray(sensors.kind, object) == "power") & (sensors.rack >= 0))
    if not len(power_rows) or not len(design.racks):
        return []
    if outside.any():       # the power analysis must not use a broken sensor either
        value = np.where(np.isin(snapshot.sensor_id, sensors.id[outside]), np.nan, snapshot.value)
        snapshot = ReadingSnapshot(snapshot.source, snapshot.ts, snapshot.sensor_id, value, snapshot.reading_ts)
    result = analyse_power(design, snapshot, {"basis": "measured", "stale_after_min": opts["stale_after_min"]})
    racks = result.racks
    tol = float(opts["power_tolerance"])
    with np.errstate(invalid="ignore"):
        over = racks.measured & (racks.budget_w > 0) & (racks.load_w > racks.budget_w * (1.0 + tol))
    if not over.any():
        return []
    fresh = fresh_values(snapshot, sensors.id, float(opts["stale_after_min"]))[0]
    where = rack_locations(design)
    frames = design.rack_frames()
    out = []
    for r in np.flatnonzero(over).tolist():
        mine = power_rows[(sensors.rack[power_rows] == r) & np.isfinite(fresh[power_rows])]
        read = float(np.nansum(fresh[mine]))
        allowed = f" + {tol:.0%} tolerance" if tol else ""
        out.append(Finding("warning", "live-rack-power",
                           f"measured IT power {racks.load_w[r] / 1e3:,.1f} kW is above the {racks.budget_w[r] / 1e3:,.1f} "
                           f"kW budget{allowed} ({racks.load_w[r] / racks.budget_w[r]:.0%}); read "
                           f"{read / 1e3:,.1f} kW from {_names(design, mine)}", rack=r, part=int(frames[r]),
                           location=tuple(where[r]), value=float(racks.load_w[r]) / 1e3,
                           limit=float(racks.budget_w[r]) * (1.0 + tol) / 1e3, unit="kW",
                           subject=str(design.racks.name[r]), analysis=ANALYSIS))
    return out


def _loop_findings(design: Design, values: np.ndarray, kinds: np.ndarray, opts: Mapping[str, Any]) -> list[Finding]:
    """Loops whose measured flow is below their units' rating, or whose supply is above design."""
    sensors, loops = design.sensors, design.cooling_loops
    if not len(loops):
        return []
    units = loop_units(design)
    liquid = np.asarray(loops.medium, object) == "liquid"
    on_loop = sensors.cooling_loop >= 0
    flow_tol, supply_tol = float(opts["flow_tolerance"]), float(opts["supply_tolerance_k"])
    out = []
    flow_rows = np.flatnonzero(on_loop & (kinds == "flow") & np.isfinite(values))
    counts = np.bincount(sensors.cooling_loop[flow_rows], minlength=len(loops))
    sums = np.bincount(sensors.cooling_loop[flow_rows], weights=values[flow_rows], minlength=len(loops))
    measured = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    rated = np.asarray(units.flow_lpm, float)
    with np.errstate(invalid="ignore"):
        low = liquid & (rated > 0) & (measured < rated * (1.0 - flow_tol))
    for i in np.flatnonzero(low).tolist():
        mine = flow_rows[sensors.cooling_loop[flow_rows] == i]
        unit = int(units.unit_part[i])
        rating = (f"{rated[i]:,.0f} L/min rating of {design.parts.name[unit]} "
                  f"({design.part_types.name[design.parts.type[unit]]})" if unit >= 0 and bool(units.from_units[i])
                  else f"{rated[i]:,.0f} L/min the loop is designed for")
        out.append(Finding("warning", "live-loop-flow",
                           f"measured flow {measured[i]:,.0f} L/min is {1 - measured[i] / rated[i]:.0%} below the "
                           f"{rating} (tolerance {flow_tol:.0%}); read from {_names(design, mine)}",
                           part=unit, loop=i, location=_loop_place(design, units.unit_part, i),
                           value=float(measured[i]), limit=float(rated[i]) * (1.0 - flow_tol), unit="L/min",
                           below=True, subject=str(loops.name[i]), analysis=ANALYSIS))
    supply_rows = np.flatnonzero(on_loop & (kinds == "supply_temp") & np.isfinite(values))
    design_c = np.asarray(loops.supply_c, float)
    loop_of = sensors.cooling_loop[supply_rows]
    with np.errstate(invalid="ignore"):
        hot = np.isfinite(design_c[loop_of]) & (values[supply_rows] > design_c[loop_of] + supply_tol)
    for i in np.unique(loop_of[hot]).tolist():
        mine = supply_rows[hot & (loop_of == i)]
        worst = float(values[mine].max())
        out.append(Finding("warning", "live-supply-temp",
                           f"measured supply {worst:.1f} °C is {worst - design_c[i]:.1f} K above the design "
                           f"{design_c[i]:.1f} °C (tolerance {supply_tol:g} K); read from {_names(design, mine)}",
                           part=int(units.unit_part[i]), loop=i, location=_loop_place(design, units.unit_part, i),
                           value=worst, limit=float(design_c[i]) + supply_tol, unit="°C",
                           subject=str(loops.name[i]), analysis=ANALYSIS))
    return out


def live_check_lines(design: Design, result: AnalysisResult) -> list[str]:
    """The `twin check` lines of the live analysis: the moment, what was judged, the findings."""
    sensors = design.sensors
    when = f"readings at {result.reading_ts}" if result.reading_ts else "no readings"
    lines = [f"design against live of {design.source} ({when})",
             f"  sensors {len(sensors):,}   findings: {summary_line(result.findings)}"]
    return lines + ["  " + line for line in findings_to_lines(result.findings)]


def _available(design: Design) -> str | None:
    return None if len(design.sensors) else "this design has no sensors"


def _run(design: Design, snapshot: ReadingSnapshot | None, settings: Mapping[str, Any]) -> AnalysisResult:
    findings = analyse_live(design, snapshot, settings)
    return AnalysisResult(ANALYSIS, findings=findings, reading_ts=snapshot.ts if snapshot is not None else None)


LIVE = register_analysis(Analysis(
    ANALYSIS, "Design against live", _available, _run, uses_readings=True, settings=dict(SETTINGS),
    description="rack power over budget, loop flow below rating, supply above design, sensors out of range, "
                "leaks, silent sensors",
    report=live_check_lines))
