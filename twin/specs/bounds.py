"""What numbers a spec may hold, and how big the design it asks for may get.

Two checks run on a validated spec before anything is generated:
- `check_number(pattern, value)`: each numeric key against its physical range (NaN and
  inf never pass; a divisor is never zero; a fraction stays within 0…1) and the counts
  against `twin.model.limits`;
- `check_size(spec, path)`: the racks, parts, ports, sensors and readings the spec would
  generate, added up from the templates (a few dozen numbers, not the design), against
  the same limits. `racks = 9223372036854775807` fails here in microseconds, not in the
  kernel's out-of-memory killer. The switchboards counted are those of the builder's own power
  plan (`sizing.plan_power`, worked out only once the racks are known to be within limits).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.model.limits import LIMITS, over
from twin.model.ranges import RANGES


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
    estimate_size(spec, path)


def estimate_size(spec: dict[str, Any], path: Path) -> dict[str, int]:
    """What the spec would generate (rows, racks, parts, ports, sensors, readings), refusing it as soon
    as a count is over its limit. The switchboards and UPS modules are those of the power plan the
    builder uses (`sizing.plan_power`, once the rows are known to be within limits); CRAHs are the
    spec's `crah_count` (the `crahs` rule may add a few, after placement)."""
    from twin.specs.layout import network_racks_needed, plan_rows
    from twin.specs.sizing import plan_power, switchboards_per_hall

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
    plan = None
    if spec["sizing"]["power"]:                 # the rows as generate() plans them, CDU faults applied
        from twin.specs.faults import apply_row_faults

        rows_planned = plan_rows(spec)
        apply_row_faults(spec, rows_planned)
        plan = plan_power(spec, rows_planned)
    boards = sum(switchboards_per_hall(spec, plan))
    gear = boards * (1 + power["ups_per_switchboard"]) + sum(h["crah_count"] for h in halls)
    _over("parts", parts + gear, path, "power")
    _over("part_types", len(types), path, "part_types")
    tel = spec["telemetry"]
    readings = 0
    if tel is not None:
        steps = tel["hours"] * 60 // tel["interval_min"]
        _over("telemetry_steps", steps, path, "telemetry.hours")
        _over("sensors", sensors, path, "rows")
        readings = sensors * steps
        _over("readings", readings, path, "telemetry")
    return {"rows": rows, "racks": racks, "parts": parts + gear, "ports": ports, "sensors": sensors,
            "readings": readings, "switchboards": boards}
