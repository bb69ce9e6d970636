"""Read and validate a scene spec (TOML) merged with the built-in catalog.

Every mistake is reported with the file and the dotted key (`rows[2].generation`), so a
spec author can fix it without reading code: unknown keys, wrong types and references to
part types, templates, generations, racks or rows that do not exist.
"""

from __future__ import annotations

import copy
import os
import stat
import tomllib
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.model.limits import LIMITS, limit
from twin.model import physics
from twin.model.physics import ASHRAE_ALLOWABLE_C
from twin.specs.bounds import check_number, check_size

NUM = (int, float)
REQ = "required"

# Each schema maps key -> (type, default). A type is a Python type, a tuple of types,
# ("list", item_type[, length]) or ("tables", schema) for an array of tables.
PORT = {"name": (str, REQ), "kind": (str, REQ), "offset": (("list", NUM, 3), [0.0, 0.0, 0.0]),
        "count": (int, 1), "pitch": (NUM, 0.0)}
PART_TYPE = {
    "kind": (str, REQ), "vendor": (str, ""), "model": (str, ""), "generation": (str, ""),
    "u_height": (int, 0), "size": (("list", NUM, 3), REQ), "u_pitch_m": (NUM, 0.04445), "mass_kg": (NUM, 0.0),
    "power_nominal_w": (NUM, 0.0), "power_max_w": (NUM, 0.0), "power_capacity_w": (NUM, 0.0),
    "cooling_capacity_w": (NUM, 0.0), "airflow_cfm": (NUM, 0.0), "coolant_lpm": (NUM, 0.0),
    "cooling_mode": (str, "none"), "liquid_fraction": (NUM, 0.0), "mesh": (str, ""), "mesh_units": (str, "m"),
    "supplier": (str, REQ), "country_of_origin": (str, ""), "lead_time_days": (int, 0),
    "unit_cost_usd": (NUM, 0.0), "efficiency": (NUM, 0.0), "ports": (("tables", PORT), []),
    "airflow": (str, ""), "front_image": (str, ""), "rear_image": (str, ""),
    "rating_va": (NUM, 0.0), "power_factor": (NUM, 0.0),
}
#: Power factor of gear rated in VA (`rating_va`) whose type gives none: real power = VA × 0.9,
#: the figure most double-conversion UPS datasheets quote at full load (unity-PF models say 1.0).
DEFAULT_POWER_FACTOR = 0.9
SUPPLIER = {"name": (str, REQ), "country": (str, REQ)}
TEMPLATE = {"frame": (str, REQ), "budget_w": (NUM, 0.0),
            "layout": (("tables", {"type": (str, REQ), "count": (int, 1)}), REQ),
            "busbar": (str, ""), "manifold": (str, "")}
ROW = {"name": (str, REQ), "generation": (str, REQ), "racks": (int, REQ),
       "origin_m": (("list", NUM, 2), REQ), "facing": (str, "-y"), "cdu": (str, REQ),
       "cdus": (int, 1), "repeat": (("list", int, 2), [1, 1]),
       "pitch_m": (("list", NUM, 2), [0.0, 2.4]), "alternate": (bool, True), "role": (str, "compute")}
HALL = {"name": (str, REQ), "size_m": (("list", NUM, 3), REQ), "supply_air_c": (NUM, physics.DEFAULT_SUPPLY_AIR_C),
        "ashrae_class": (str, physics.DEFAULT_ASHRAE_CLASS), "recirculation_c": (NUM, physics.DEFAULT_RECIRCULATION_C), "crah": (str, ""), "crah_count": (int, 0)}
# `[[halls]]`: several halls on one site, each at its own position with its own rows.
SITE_HALL = {**HALL, "origin_m": (("list", NUM, 2), [0.0, 0.0]), "utility_kw": (NUM, 0.0), "rows": (("tables", ROW), REQ)}
SPEC = {
    "design": ({"name": (str, REQ), "description": (str, ""), "seed": (int, 0), "home_country": (str, "US")}, REQ),
    "hall": (HALL, None),
    "halls": (("tables", SITE_HALL), None),
    "campus": ({"spine_hall": (str, REQ), "uplinks_per_leaf": (int, 2), "duct_y_m": (NUM, REQ),
                "tray_z_m": (NUM, 0.0)}, None),
    "cooling": ({"design_dt_k": (NUM, physics.DEFAULT_LIQUID_DESIGN_DT_K)}, {}),
    "catalog": ({"netbox_device_types": (str, "")}, {"netbox_device_types": ""}),
    "power": ({"utility_kw": (NUM, REQ), "switchboard": (str, REQ), "ups": (str, REQ), "switchboards": (int, 1),
               "ups_per_switchboard": (int, 2), "mechanical_share": (NUM, 0.3),
               "busway": (str, "busway-tap"), "voltage_v": (NUM, 415.0)}, REQ),
    "telemetry": ({"start": (str, "2026-11-24T00:00:00Z"), "hours": (int, 24), "interval_min": (int, 15),
                   "noise": (bool, True), "gap_share": (NUM, 0.01), "stuck_sensor": (str, ""),
                   "dead_sensor": (str, ""), "clock_offset_rack": (str, ""), "clock_offset_min": (NUM, 0.0)}, None),
    "generations": (("tables", {"name": (str, REQ), "label": (str, ""), "description": (str, ""),
                                "rack_template": (str, REQ), "network_template": (str, REQ),
                                "liquid_supply_c": (NUM, physics.DEFAULT_LIQUID_SUPPLY_C)}), REQ),
    "rows": (("tables", ROW), None),
    # Sizing rules (twin/specs/sizing.py): off unless turned on, so a spec without them builds as before.
    "sizing": ({"crahs": (bool, False), "crah_spare": (int, 1), "power": (bool, False), "trays": (bool, False),
                "tray_fill": (NUM, 0.5), "load_share": (NUM, 0.8)}, {}),
    "faults": (("tables", {"kind": (str, REQ), "rack": (str, ""), "row": (str, ""), "power_factor": (NUM, 1.2),
                           "length_m": (NUM, 4.0), "cdu": (str, ""), "inlet_c": (NUM, 34.0), "node": (str, ""),
                           "capacity_kw": (NUM, 0.0), "tray": (str, ""), "fill": (NUM, 1.25)}), []),
    "suppliers": (("named", SUPPLIER), {}),
    "part_types": (("named", PART_TYPE), {}),
    "rack_templates": (("named", TEMPLATE), {}),
}
#: Each fault kind and the key naming what it is seeded on (faults.py says what each does).
FAULT_KINDS = {"rack_over_budget": "rack", "dac_too_long": "rack", "cdu_over_capacity": "row", "hot_spot": "rack",
               "node_undersized": "node", "ups_module_missing": "node", "tray_overfilled": "tray"}
COOLING_MODES = {"air", "liquid", "hybrid", "none"}


def load_spec(path: str | Path) -> dict[str, Any]:
    """Parse, validate and complete a spec; the built-in catalog is merged underneath it."""
    path = Path(path)
    try:
        raw = tomllib.loads(read_spec_text(path))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TwinError(path, f"not valid TOML ({exc})") from None
    except RecursionError:
        raise TwinError(path, "not valid TOML (tables or lists nested too deeply)") from None
    _check_depth(raw, path)
    spec = _validate(raw, SPEC, "", path)
    _gather_halls(spec, path)
    catalog = _validate(_builtin_catalog(), {k: SPEC[k] for k in ("suppliers", "part_types", "rack_templates")},
                        "", Path("twin/specs/catalog.toml"))
    imported = _imported_catalog(spec["catalog"], path)
    for key in ("suppliers", "part_types", "rack_templates"):
        spec[key] = {**catalog[key], **imported.get(key, {}), **spec[key]}
    _check_references(spec, path)
    spec["source"] = str(path)
    check_size(spec, path)
    return spec


def _gather_halls(spec: dict[str, Any], path: Path) -> None:
    """One list `spec["halls"]` whether the spec has one `[hall]` (with top-level `[[rows]]`) or
    several `[[halls]]` (each with its own rows); `spec["rows"]` becomes every row of the site,
    each knowing its hall (`hall`) and where it was written (`where`, for errors)."""
    if spec["hall"] is not None and spec["halls"] is not None:
        raise TwinError(path, "give either one [hall] with [[rows]] or several [[halls]], not both", where="halls")
    if spec["hall"] is None and spec["halls"] is None:
        raise TwinError(path, "missing required key ([hall] or [[halls]])", where="hall")
    if spec["hall"] is not None:
        if spec["rows"] is None:
            raise TwinError(path, "missing required key", where="rows")
        halls = [{**spec["hall"], "origin_m": [0.0, 0.0], "utility_kw": 0.0, "rows": spec["rows"]}]
        wheres = [f"rows[{i}]" for i in range(len(spec["rows"]))]
    else:
        if spec["rows"] is not None:
            raise TwinError(path, "with [[halls]] each hall lists its own rows ([[halls.rows]])", where="rows")
        halls = spec["halls"]
        if not halls:
            raise TwinError(path, "at least one hall is needed", where="halls")
        wheres = [f"halls[{h}].rows[{i}]" for h, hall in enumerate(halls) for i in range(len(hall["rows"]))]
    names = [h["name"] for h in halls]
    for h, name in enumerate(names):
        if name in names[:h]:
            raise TwinError(path, f"two halls are called '{name}'", where=f"halls[{h}].name")
    rows = []
    for h, hall in enumerate(halls):
        for row in hall["rows"]:
            row["hall"] = h
            rows.append(row)
    for row, where in zip(rows, wheres):
        row["where"] = where
    spec["halls"], spec["rows"] = halls, rows
    spec["hall"] = halls[0]


def read_spec_text(path: Path) -> str:
    """The spec's text: only a regular file, read with the size cap (never a FIFO or /dev/zero).

    The file is opened without blocking and checked with fstat on the open descriptor, so a
    FIFO cannot hang the build and a device cannot feed it without end.
    """
    cap = int(limit("spec_file_bytes"))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise TwinError(path, "no such file") from None
    except IsADirectoryError:
        raise TwinError(path, "is a folder, not a spec file") from None
    except OSError as exc:
        raise TwinError(path, f"cannot open the spec ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if stat.S_ISDIR(st.st_mode):
            raise TwinError(path, "is a folder, not a spec file")
        if not stat.S_ISREG(st.st_mode):
            raise TwinError(path, "is not a regular file (a pipe, device or socket); give a .toml spec file")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise TwinError(path, f"the spec is over the limit of {LIMITS['spec_file_bytes'].text()}")
    return data.decode("utf-8")


def _check_depth(value: Any, path: Path) -> None:
    """Refuse tables or lists nested deeper than any spec needs (the schema is 5 levels deep)."""
    deepest = int(limit("spec_nesting"))
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > deepest:
            raise TwinError(path, f"tables or lists are nested more than {deepest} levels deep")
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, depth + 1) for child in children)

def _imported_catalog(section: dict[str, Any], path: Path) -> dict[str, Any]:
    """Part types from `[catalog] netbox_device_types`: a NetBox library folder or a catalog TOML
    written by `twin import device-types`, relative to the spec; merged between the built-in
    catalog and the spec's own part types."""
    source = section["netbox_device_types"]
    if not source:
        return {}
    from twin.importers.netbox_library import catalog_tables

    where = "catalog.netbox_device_types"
    tables = catalog_tables(path.parent / source, path, where)
    return _validate(tables, {k: SPEC[k] for k in ("suppliers", "part_types")}, "", path.parent / source)


def _builtin_catalog() -> dict[str, Any]:
    text = resources.files("twin.specs").joinpath("catalog.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _validate(value: Any, schema: dict, where: str, path: Path, pattern: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TwinError(path, f"expected a table, got {type(value).__name__}", where=where or None)
    out: dict[str, Any] = {}
    for key in value:
        if key not in schema:
            raise TwinError(path, f"unknown key (expected one of: {', '.join(schema)})", where=_join(where, key))
    for key, (kind, default) in schema.items():
        here = _join(where, key)
        if key not in value:
            if default is REQ:
                raise TwinError(path, "missing required key", where=here)
            # an omitted section with defaults gets them filled in ({} → every key's default)
            out[key] = _validate({}, kind, here, path) if isinstance(kind, dict) and default == {} \
                else copy.deepcopy(default)
            continue
        out[key] = _coerce(value[key], kind, here, path, _join(pattern, key))
    return out


def _coerce(value: Any, kind: Any, where: str, path: Path, pattern: str) -> Any:
    """`value` as `kind` (see the schemas above); numbers also within their range (bounds.RANGES)."""
    if isinstance(kind, dict):
        return _validate(value, {k: v for k, v in kind.items()}, where, path, pattern)
    if isinstance(kind, tuple) and kind and kind[0] in ("list", "tables", "named"):
        if kind[0] == "named":
            if not isinstance(value, dict):
                raise TwinError(path, "expected a table of named entries", where=where)
            return {name: _validate(entry, kind[1], f"{where}.{name}", path, f"{pattern}.*")
                    for name, entry in value.items()}
        if not isinstance(value, list):
            raise TwinError(path, f"expected a list, got {_type_name(value)}", where=where)
        if kind[0] == "tables":
            return [_validate(item, kind[1], f"{where}[{i}]", path, f"{pattern}[]") for i, item in enumerate(value)]
        if len(kind) > 2 and len(value) != kind[2]:
            raise TwinError(path, f"expected {kind[2]} values, got {len(value)}", where=where)
        return [_coerce(item, kind[1], f"{where}[{i}]", path, f"{pattern}[]") for i, item in enumerate(value)]
    allowed = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in allowed:
        raise TwinError(path, f"expected {_names(allowed)}, got a boolean", where=where)
    if not isinstance(value, allowed):
        raise TwinError(path, f"expected {_names(allowed)}, got {_type_name(value)} {value!r}", where=where)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        check_number(pattern, value, where, path)
    return float(value) if float in allowed and int in allowed else value


def _real_power_rating(pt: dict[str, Any], path: Path, where: str) -> None:
    """Gear rated in VA (UPSs): `power_capacity_w` becomes `rating_va` × `power_factor`
    (DEFAULT_POWER_FACTOR where none is given), so every stage sees real power in watts."""
    if pt["power_factor"] and not 0 < pt["power_factor"] <= 1:
        raise TwinError(path, f"must be above 0 and at most 1, got {pt['power_factor']:g}", where=f"{where}.power_factor")
    if pt["rating_va"] <= 0:
        if pt["power_factor"]:
            raise TwinError(path, "a power_factor needs a rating_va to apply to", where=f"{where}.power_factor")
        return
    real = pt["rating_va"] * (pt["power_factor"] or DEFAULT_POWER_FACTOR)
    if pt["power_capacity_w"] and abs(pt["power_capacity_w"] - real) > 1e-6 * real:
        raise TwinError(path, "give rating_va (with power_factor) or power_capacity_w, not both",
                        where=f"{where}.power_capacity_w")
    pt["power_factor"] = pt["power_factor"] or DEFAULT_POWER_FACTOR
    pt["power_capacity_w"] = real


def _check_references(spec: dict[str, Any], path: Path) -> None:
    types, templates, suppliers = spec["part_types"], spec["rack_templates"], spec["suppliers"]
    generations = {g["name"] for g in spec["generations"]}

    def need(name: str, pool: dict | set, what: str, where: str) -> None:
        if name not in pool:
            raise TwinError(path, f"{what} '{name}' does not exist", where=where)

    for name, pt in types.items():
        need(pt["supplier"], suppliers, "supplier", f"part_types.{name}.supplier")
        if pt["cooling_mode"] not in COOLING_MODES:
            raise TwinError(path, f"cooling_mode must be one of {sorted(COOLING_MODES)}",
                            where=f"part_types.{name}.cooling_mode")
        if pt["mesh_units"] not in ("m", "mm"):
            raise TwinError(path, "mesh_units must be 'm' or 'mm'", where=f"part_types.{name}.mesh_units")
        if any(v <= 0 for v in pt["size"]):
            raise TwinError(path, "every size must be positive", where=f"part_types.{name}.size")
        _real_power_rating(pt, path, f"part_types.{name}")
    for name, tpl in templates.items():
        need(tpl["frame"], types, "part type", f"rack_templates.{name}.frame")
        for i, slot in enumerate(tpl["layout"]):
            need(slot["type"], types, "part type", f"rack_templates.{name}.layout[{i}].type")
        for key in ("busbar", "manifold"):
            if tpl[key]:
                need(tpl[key], types, "part type", f"rack_templates.{name}.{key}")
    for i, gen in enumerate(spec["generations"]):
        need(gen["rack_template"], templates, "rack template", f"generations[{i}].rack_template")
        need(gen["network_template"], templates, "rack template", f"generations[{i}].network_template")
    for key in ("switchboard", "ups", "busway"):
        need(spec["power"][key], types, "part type", f"power.{key}")
    several = len(spec["halls"]) > 1 or spec["campus"] is not None
    for h, hall in enumerate(spec["halls"]):
        at = f"halls[{h}]" if several else "hall"
        if hall["crah"]:
            need(hall["crah"], types, "part type", f"{at}.crah")
        if hall["ashrae_class"] not in ASHRAE_ALLOWABLE_C:
            raise TwinError(path, f"ashrae_class must be one of {', '.join(ASHRAE_ALLOWABLE_C)}",
                            where=f"{at}.ashrae_class")
        if hall["size_m"][2] > limit("hall_height_m"):
            raise TwinError(path, f"{hall['size_m'][2]:g} is over the limit of {LIMITS['hall_height_m'].text()}",
                            where=f"{at}.size_m[2]")
    if spec["telemetry"] is not None:
        try:
            datetime.fromisoformat(spec["telemetry"]["start"].replace("Z", "+00:00"))
        except ValueError:
            raise TwinError(path, f"start {spec['telemetry']['start']!r} is not an ISO-8601 time such as "
                            "2026-11-24T00:00:00Z", where="telemetry.start") from None
    row_names = set()
    for row in spec["rows"]:
        where = row["where"]
        need(row["generation"], generations, "generation", f"{where}.generation")
        need(row["cdu"], types, "part type", f"{where}.cdu")
        if row["facing"] not in ("-y", "+y"):
            raise TwinError(path, "facing must be '-y' or '+y'", where=f"{where}.facing")
        if row["racks"] < 1 or row["cdus"] < 1 or min(row["repeat"]) < 1:
            raise TwinError(path, "racks, cdus and repeat must be at least 1", where=where)
        if row["role"] not in ("compute", "spine"):
            raise TwinError(path, "role must be 'compute' or 'spine'", where=f"{where}.role")
        row_names.add(row["name"])
        copies = row["repeat"][0] * row["repeat"][1]
        if copies > 1:          # a repeated row's copies are named NAME01, NAME02… (layout.plan_rows)
            row_names.update(f"{row['name']}{k:02d}" for k in range(1, copies + 1))
    campus = spec["campus"]
    if campus is not None:
        hall_names = [h["name"] for h in spec["halls"]]
        need(campus["spine_hall"], set(hall_names), "hall", "campus.spine_hall")
        spine_hall = hall_names.index(campus["spine_hall"])
        if not any(r["role"] == "spine" and r["hall"] == spine_hall for r in spec["rows"]):
            raise TwinError(path, f"hall '{campus['spine_hall']}' has no row with role = \"spine\"",
                            where="campus.spine_hall")
        if campus["uplinks_per_leaf"] < 1:
            raise TwinError(path, "uplinks_per_leaf must be at least 1", where="campus.uplinks_per_leaf")
    for i, fault in enumerate(spec["faults"]):
        target = FAULT_KINDS.get(fault["kind"])
        if target is None:
            raise TwinError(path, f"unknown fault kind (expected one of: {', '.join(FAULT_KINDS)})",
                            where=f"faults[{i}].kind")
        if not fault[target]:
            raise TwinError(path, f"a {fault['kind']} fault needs '{target}'", where=f"faults[{i}]")
        if target == "row":
            need(fault["row"], row_names, "row", f"faults[{i}].row")
        if fault["cdu"]:
            need(fault["cdu"], types, "part type", f"faults[{i}].cdu")
        if fault["kind"] == "node_undersized" and not fault["capacity_kw"] > 0:
            raise TwinError(path, "a node_undersized fault needs 'capacity_kw' (the node's smaller rating, above 0)",
                            where=f"faults[{i}].capacity_kw")


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _names(types: tuple) -> str:
    return " or ".join("number" if t in (int, float) and float in types else t.__name__ for t in dict.fromkeys(
        float if t is int and float in types else t for t in types))


def _type_name(value: Any) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)
