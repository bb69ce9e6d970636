"""What numbers a spec may hold, and how big the design it asks for may get.

Two checks run on a validated spec before anything is generated:
- `check_number(pattern, value)`: each numeric key against its physical range (NaN and
  inf never pass; a divisor is never zero; a fraction stays within 0…1) and the counts
  against `twin.model.limits`;
- `check_size(spec, path)`: the racks, parts, ports, sensors and readings the spec would
  generate, added up from the templates (a few dozen numbers, not the design), against
  the same limits. `racks = 9223372036854775807` fails here in microseconds, not in the
  kernel's out-of-memory killer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.model.limits import LIMITS, limit, over


@dataclass(frozen=True)
class Range:
    """Allowed values of one key: low/high bounds, or a `twin.model.limits` key for high."""

    low: float | None = None
    high: float | None = None
    above: bool = False          # strictly above `low` (a size, a divisor)
    limit: str | None = None

    def problem(self, value: float) -> str | None:
        if self.low is not None and (value <= self.low if self.above else value < self.low):
            return f"must be {'above' if self.above else 'at least'} {self.low:g}, got {value:g}"
        if self.limit is not None:
            return over(self.limit, value)
        if self.high is not None and value > self.high:
            return f"must be at most {self.high:g}, got {value:g}"
        return None


POSITIVE = Range(0, above=True)
NON_NEGATIVE = Range(0)
WATTS = Range(0, 1e9)
TEMPERATURE_C = Range(-50, 150)
FRACTION = Range(0, 1)
COORDINATE = Range(-limit("coordinate_m"), limit("coordinate_m"))

#: Keys by pattern: `[]` stands for any list index, `*` for any named entry.
RANGES: dict[str, Range] = {
    "design.seed": Range(0, 2**63 - 1),
    "hall.size_m[]": Range(0, above=True, limit="hall_size_m"),
    "hall.supply_air_c": TEMPERATURE_C,
    "hall.recirculation_c": Range(0, 100),
    "hall.crah_count": Range(0, limit="crah_count"),
    "cooling.design_dt_k": Range(0, 100, above=True),
    "power.utility_kw": Range(0, 1e7, above=True),
    "power.switchboards": Range(1, limit="switchboards"),
    "power.ups_per_switchboard": Range(1, limit="ups_per_switchboard"),
    "power.mechanical_share": FRACTION,
    "power.voltage_v": Range(0, 1e6, above=True),
    "telemetry.hours": Range(0, 24 * 366 * 10),
    "telemetry.interval_min": Range(1, 24 * 60),
    "telemetry.gap_share": Range(0, 0.5),
    "telemetry.clock_offset_min": Range(-24 * 60, 24 * 60),
    "generations[].liquid_supply_c": TEMPERATURE_C,
    "rows[].racks": Range(1, limit="racks"),
    "rows[].origin_m[]": COORDINATE,
    "rows[].cdus": Range(1, limit="cdus_per_row"),
    "rows[].repeat[]": Range(1, limit="repeat"),
    "rows[].pitch_m[]": COORDINATE,
    **{f"halls[].{key}": r for key, r in (("size_m[]", Range(0, above=True, limit="hall_size_m")),
                                          ("supply_air_c", TEMPERATURE_C), ("recirculation_c", Range(0, 100)),
                                          ("crah_count", Range(0, limit="crah_count")), ("origin_m[]", COORDINATE),
                                          ("utility_kw", Range(0, 1e7)),
                                          ("rows[].racks", Range(1, limit="racks")),
                                          ("rows[].origin_m[]", COORDINATE),
                                          ("rows[].cdus", Range(1, limit="cdus_per_row")),
                                          ("rows[].repeat[]", Range(1, limit="repeat")),
                                          ("rows[].pitch_m[]", COORDINATE))},
    "campus.duct_y_m": COORDINATE,
    "campus.tray_z_m": Range(0, 100),
    "campus.uplinks_per_leaf": Range(1, 4_096),
    "faults[].power_factor": Range(0, 100),
    "faults[].length_m": Range(0, 10_000, above=True),
    "faults[].inlet_c": TEMPERATURE_C,
    "part_types.*.u_height": Range(0, 100),
    "part_types.*.size[]": Range(0, above=True, limit="part_size_m"),
    "part_types.*.u_pitch_m": Range(0, 1, above=True),
    "part_types.*.mass_kg": Range(0, 1e7),
    "part_types.*.power_nominal_w": WATTS,
    "part_types.*.power_max_w": WATTS,
    "part_types.*.power_capacity_w": WATTS,
    "part_types.*.rating_va": WATTS,
    "part_types.*.cooling_capacity_w": WATTS,
    "part_types.*.airflow_cfm": Range(0, 1e7),
    "part_types.*.coolant_lpm": Range(0, 1e7),
    "part_types.*.liquid_fraction": FRACTION,
    "part_types.*.lead_time_days": Range(0, 3650),
    "part_types.*.unit_cost_usd": Range(0, 1e12),
    "part_types.*.ports[].count": Range(0, limit="ports_per_part"),
    "part_types.*.ports[].pitch": Range(-10, 10),
    "part_types.*.ports[].offset[]": Range(-limit("part_size_m"), limit("part_size_m")),
    "rack_templates.*.budget_w": WATTS,
    "rack_templates.*.layout[].count": Range(0, limit="parts_per_rack"),
}


def check_number(pattern: str, value: float, where: str, path: Path) -> None:
    """Refuse NaN, inf and anything outside the key's range, naming the key."""
    if isinstance(value, float) and not math.isfinite(value):
        raise TwinError(path, f"must be a finite number, got {value!r}", where=where)
    rule = RANGES.get(pattern)
    problem = rule.problem(value) if rule is not None else None
    if problem:
        raise TwinError(path, problem, where=where)


def _over(key: str, value: float, path: Path, where: str) -> None:
    problem = over(key, value)
    if problem:
        raise TwinError(path, f"the design would have {LIMITS[key].what}: {problem}", where=where)


def check_size(spec: dict[str, Any], path: Path) -> None:
    """Add up what the spec would generate and refuse it before generation if it is too big."""
    from twin.specs.layout import network_racks_needed

    types, templates = spec["part_types"], spec["rack_templates"]
    ports_of = {}
    for name, pt in types.items():
        ports_of[name] = sum(p["count"] for p in pt["ports"])
        _over("ports_per_part", ports_of[name], path, f"part_types.{name}.ports")
    per_rack: dict[str, tuple[int, int]] = {}        # template -> (parts, ports) in one rack
    for name, tpl in templates.items():
        members = [(tpl["frame"], 1)] + [(s["type"], s["count"]) for s in tpl["layout"]]
        members += [(tpl[k], 2 if k == "manifold" else 1) for k in ("busbar", "manifold") if tpl[k]]
        parts = sum(count for _, count in members)
        _over("parts_per_rack", parts, path, f"rack_templates.{name}.layout")
        per_rack[name] = (parts, sum(ports_of[t] * count for t, count in members))
    generations = {g["name"]: g for g in spec["generations"]}
    busway = spec["power"]["busway"]
    rows = racks = parts = ports = sensors = 0
    for row in spec["rows"]:
        copies = row["repeat"][0] * row["repeat"][1]
        gen = generations[row["generation"]]
        compute, network = gen["rack_template"], gen["network_template"]
        n_net = network_racks_needed(templates[compute], templates[network], types, row["racks"])
        rows += copies
        racks += copies * (row["racks"] + n_net)
        parts += copies * (row["racks"] * (per_rack[compute][0] + 1) + n_net * (per_rack[network][0] + 1)
                           + row["cdus"])
        ports += copies * (row["racks"] * (per_rack[compute][1] + ports_of[busway])
                           + n_net * (per_rack[network][1] + ports_of[busway]) + row["cdus"] * ports_of[row["cdu"]])
        sensors += copies * (3 * (row["racks"] + n_net) + 3 * row["cdus"])
        where = row["where"]
        _over("rows", rows, path, where)
        _over("racks", racks, path, where)
        _over("parts", parts, path, where)
        _over("ports", ports, path, where)
    power = spec["power"]
    halls = spec["halls"]
    gear = len(halls) * power["switchboards"] * (1 + power["ups_per_switchboard"]) + sum(h["crah_count"] for h in halls)
    _over("parts", parts + gear, path, "power")
    _over("part_types", len(types), path, "part_types")
    tel = spec["telemetry"]
    if tel is not None:
        steps = tel["hours"] * 60 // tel["interval_min"]
        _over("telemetry_steps", steps, path, "telemetry.hours")
        _over("sensors", sensors, path, "rows")
        _over("readings", sensors * steps, path, "telemetry")
