"""Allowed values of a design's numbers, by key pattern: one table that the spec reader and the
importers (NetBox device types, dumps) both apply, so a file twin refuses to build from is also
refused at import, naming the file and field.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.model.limits import limit, over


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
    "sizing.crah_spare": Range(0, 100),
    "sizing.tray_fill": Range(0, 1, above=True),
    "sizing.load_share": Range(0, 1, above=True),
    "campus.tray_z_m": Range(0, 100),
    "campus.uplinks_per_leaf": Range(1, 4_096),
    "faults[].power_factor": Range(0, 100),
    "faults[].length_m": Range(0, 10_000, above=True),
    "faults[].inlet_c": TEMPERATURE_C,
    "faults[].capacity_kw": Range(0, 1e7),
    "faults[].fill": Range(0, 100, above=True),
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
