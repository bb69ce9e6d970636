"""What an imported device type, rack or NetBox record may hold: shapes and the readers' number limits.

A spec is checked against `twin.specs.bounds` and a design file against
`twin.model.limits` when it is read; an import that wrote a catalog or design those
readers then refuse would only move the error away from the file that caused it. So the
importers hold what they read to the same table, here, before they map it:
- `device_type_problem`: the shape of a device type in the library's YAML shape (a
  mapping of scalars, component lists of mappings) and that its numbers are finite;
- `entry_problem`: every number of the part-type entry made from it against the spec's
  ranges for `[part_types.*]` (the `u_height`, size, mass, power, airflow ranges);
- `clean_record`: a NetBox dump record's fields that twin reads as one value, made
  scalar and finite (a list, a mapping, NaN or inf there is dropped with a warning);
- `number_in_range`: one number of a record against one of those ranges, or a default.
Each returns or reports the field at fault, so the warning names the file or object and
the field.
"""

from __future__ import annotations

import math
from typing import Any

from twin.importers.report import ImportReport
from twin.model.limits import LIMITS, limit
from twin.model.ranges import RANGES

#: Device- and rack-type fields read as one value each (the library's YAML shape, which the dump reader makes too).
SCALAR_FIELDS = ("manufacturer", "model", "slug", "part_number", "u_height", "is_full_depth", "airflow", "weight",
                 "weight_unit", "subdevice_role", "description", "comments", "is_powered", "front_image",
                 "rear_image", "outer_width", "outer_depth", "outer_height", "outer_unit")
#: Component lists of a device type (the keys `netbox_types.COMPONENTS` reads).
COMPONENT_LISTS = ("interfaces", "console-ports", "console-server-ports", "front-ports", "rear-ports",
                   "power-outlets", "power-ports")
#: Fields that must be numbers where given (NetBox's own types), on a device type and on its components.
NUMBER_FIELDS = ("u_height", "weight", "maximum_draw", "allocated_draw", "positions", "outer_width", "outer_depth",
                 "outer_height")

#: Fields of a component (interface, power port…) twin reads as one value; others (`tags`, custom
#: fields, which NetBox's REST API gives as lists and mappings) are not read, so not judged.
COMPONENT_SCALARS = frozenset(("name", "type", "label", "mgmt_only", "description", "positions", "maximum_draw",
                               "allocated_draw", "feed_leg", "poe_mode", "poe_type"))

#: NetBox record fields twin reads as one value: a list or mapping there is dropped (the mapper
#: then treats the field as missing). Structured fields twin reads (`termination_type`, a
#: natural key) and those it ignores (`custom_field_data`, `tags`…) are left as they are.
RECORD_SCALARS = frozenset((
    "name", "slug", "model", "label", "serial", "description", "comments", "status", "type", "face", "airflow",
    "u_height", "position", "outer_width", "outer_depth", "outer_unit", "weight", "weight_unit", "is_full_depth",
    "part_number", "subdevice_role", "site", "location", "rack", "device", "device_type", "role", "device_role",
    "manufacturer", "cable", "cable_end", "termination_id", "termination_a_id", "termination_b_id",
    "maximum_draw", "allocated_draw", "length", "length_unit", "voltage", "amperage", "phase", "power_panel",
    "max_utilization", "available_power", "app_label"))
#: Record fields that are numbers when given (a numeric string is accepted, as NetBox's API does).
RECORD_NUMBERS = frozenset(("u_height", "position", "outer_width", "outer_depth", "weight", "maximum_draw",
                            "allocated_draw", "length", "voltage", "amperage", "max_utilization", "available_power"))


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def _finite_number(value: Any) -> float | None:
    """The value as a finite float, None when it is not a number (bools are not numbers)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _a(value: Any) -> str:
    name = {"dict": "mapping", "NoneType": "null"}.get(type(value).__name__, type(value).__name__)
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def device_type_problem(dt: Any) -> tuple[str, str] | None:
    """(field, what is wrong) for the first field of a device type twin cannot read; None when it can."""
    if not isinstance(dt, dict):
        return "(top level)", f"expected a mapping of fields, got {_a(dt)}"
    for key in SCALAR_FIELDS:
        if not _is_scalar(dt.get(key)):
            return key, f"holds {_a(dt[key])} where one value belongs"
    for key in NUMBER_FIELDS:
        value = dt.get(key)
        if value not in (None, "") and _finite_number(value) is None:
            return key, f"{_shown(value)} is not a finite number"
    for key in COMPONENT_LISTS:
        items = dt.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            return key, f"holds {_a(items)} where a list of {key} belongs"
        for i, comp in enumerate(items):
            if not isinstance(comp, dict):
                return f"{key}[{i}]", f"holds {_a(comp)} where a mapping of fields belongs"
            for field, value in comp.items():
                if field in COMPONENT_SCALARS and not _is_scalar(value):
                    return f"{key}[{i}].{field}", f"holds {_a(value)} where one value belongs"
                if field in NUMBER_FIELDS and value not in (None, "") and (
                        isinstance(value, (str, bool)) or _finite_number(value) is None):
                    what = "is text, not a number" if isinstance(value, str) else "is not a finite number"
                    return f"{key}[{i}].{field}", f"{_shown(value)} {what}"
        if len(items) > limit("ports_per_part"):
            return key, f"{len(items):,} {key}: over the limit of {LIMITS['ports_per_part'].text()}"
    return None


def entry_problem(entry: dict[str, Any]) -> tuple[str, str] | None:
    """(catalog key, what is wrong) for the first number of a part-type entry outside the spec's range."""
    for key, value in entry.items():
        values = value if key == "size" else [value]
        rule = RANGES.get(f"part_types.*.{key}[]" if key == "size" else f"part_types.*.{key}")
        if rule is None or isinstance(value, bool):
            continue
        for v in values:
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                continue
            if not math.isfinite(v):
                return key, f"must be a finite number, got {v!r}"
            problem = rule.problem(v)
            if problem:
                return key, problem
    if len(entry.get("ports") or []) > limit("ports_per_part"):
        return "ports", f"over the limit of {LIMITS['ports_per_part'].text()}"
    return None


def clean_record(fields: dict[str, Any], where: str, report: ImportReport) -> dict[str, Any]:
    """`fields` with lists, mappings, NaN and inf dropped from the fields twin reads as one value (each warned)."""
    out = dict(fields)
    for key in RECORD_SCALARS.intersection(fields):
        value = fields[key]
        if not _is_scalar(value):
            report.warn("bad-field", f"{where}: {key}", f"holds {_a(value)} where one value "
                                                        "belongs; ignored")
            out[key] = None
        elif key in RECORD_NUMBERS and value not in (None, "") and _finite_number(value) is None:
            report.warn("bad-field", f"{where}: {key}", f"{_shown(value)} is not a finite number; ignored")
            out[key] = None
    return out


def number_in_range(value: Any, pattern: str, default: float | None, where: str, report: ImportReport,
                    scale: float = 1.0) -> float | None:
    """`value` (times `scale`) when it is a finite number in the range of bounds key `pattern`, else `default`."""
    if value in (None, ""):
        return default
    number = _finite_number(value)
    if number is None:
        report.warn("bad-field", where, f"{_shown(value)} is not a finite number; {_instead(default)}")
        return default
    number *= scale
    problem = RANGES[pattern].problem(number)
    if problem:
        report.warn("out-of-range", where, f"{problem}; {_instead(default)}")
        return default
    return number


def _instead(default: float | None) -> str:
    return "ignored" if default is None else f"{default:g} used"
