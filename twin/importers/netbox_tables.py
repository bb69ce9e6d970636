"""The imported site as the column tables `twin.store.writer.write_tables` takes.

Each hall gets one `Hall air` loop at twin's default supply temperature, and air-cooled
parts point to it. NetBox 4.7's cooling feeds add a loop each (`netbox_cooling`): a rack
with a feed points to its loop, and so do its liquid- and hybrid-cooled parts. Other
liquid-cooled parts keep no loop (NetBox says nothing of what cools them); the report
counts them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from twin import __version__
from twin.model import physics

if TYPE_CHECKING:
    from twin.importers.netbox_links import LinkBuilder
    from twin.importers.netbox_site import SiteMapper

SUPPLY_AIR_C = physics.DEFAULT_SUPPLY_AIR_C
RECIRCULATION_C = physics.DEFAULT_RECIRCULATION_C
PART_TYPE_COLUMNS = ("kind", "vendor", "model", "u_height", "u_pitch_m", "mass_kg", "power_nominal_w", "power_max_w",
                     "power_capacity_w", "cooling_capacity_w", "airflow_cfm", "coolant_lpm", "cooling_mode",
                     "liquid_fraction", "airflow", "front_image", "rear_image")


def design_tables(m: SiteMapper, links: LinkBuilder, sites: list[int]) -> dict[str, dict[str, Any]]:
    """Every table of the design from a finished mapper and its links."""
    report = m.report
    type_names = list(m.types)
    type_id = {name: i + 1 for i, name in enumerate(type_names)}
    vendors = sorted({m.types[n]["vendor"] for n in type_names if m.types[n]["vendor"]})
    supplier_id = {v: i + 1 for i, v in enumerate(vendors)}
    tables: dict[str, dict[str, Any]] = {
        "suppliers": {"id": list(range(1, len(vendors) + 1)), "key": [m_key(v) for v in vendors], "name": vendors,
                      "country": [""] * len(vendors), "domestic": [0] * len(vendors)},
        "part_types": {"id": [type_id[n] for n in type_names], "name": type_names,
                       "generation_id": [-1] * len(type_names),
                       "width_m": [m.types[n]["size"][0] for n in type_names],
                       "depth_m": [m.types[n]["size"][1] for n in type_names],
                       "height_m": [m.types[n]["size"][2] for n in type_names],
                       "mesh_units": ["m"] * len(type_names),
                       "supplier_id": [supplier_id.get(m.types[n]["vendor"]) for n in type_names],
                       **{c: [m.types[n].get(c, 0.0 if c not in ("airflow", "front_image", "rear_image") else "")
                              for n in type_names] for c in PART_TYPE_COLUMNS}},
    }
    if vendors:
        report.default("supplier country, lead time and cost unknown (not in NetBox)", len(vendors))
    halls = m.halls
    tables["halls"] = {"id": list(range(1, len(halls) + 1)), "name": [h["name"] for h in halls],
                       "width_m": [h["width"] for h in halls], "depth_m": [h["depth"] for h in halls],
                       "height_m": [3.5] * len(halls), "supply_air_c": [SUPPLY_AIR_C] * len(halls),
                       "recirculation_c": [RECIRCULATION_C] * len(halls), "ashrae_class": [physics.DEFAULT_ASHRAE_CLASS] * len(halls),
                       "origin_x_m": [h["x0"] for h in halls], "origin_y_m": [h["y0"] for h in halls]}
    report.default(f"hall supply air {SUPPLY_AIR_C:g} °C, ASHRAE {physics.DEFAULT_ASHRAE_CLASS} (NetBox has no cooling)", len(halls))
    from twin.importers.netbox_cooling import cooling_loops

    fed, rack_loop = cooling_loops(m)                  # loop k of `fed` has id len(halls) + k + 1
    rack_loop_id = {r: len(halls) + k + 1 for r, k in rack_loop.items()}
    tables["cooling_loops"] = {"id": list(range(1, len(halls) + len(fed) + 1)),
                               "name": [f"{h['name']} air" for h in halls] + [f["name"] for f in fed],
                               "hall_id": list(range(1, len(halls) + 1)) + [f["hall"] + 1 for f in fed],
                               "medium": ["air"] * len(halls) + [f["medium"] for f in fed],
                               "supply_c": [SUPPLY_AIR_C] * len(halls) + [f["supply_c"] for f in fed],
                               "design_dt_k": [0.0] * len(halls) + [f["design_dt_k"] for f in fed],
                               "capacity_w": [0.0] * len(halls) + [f["capacity_w"] for f in fed],
                               "flow_lpm": [0.0] * len(halls) + [f["flow_lpm"] for f in fed]}
    racks = m.racks
    tables["racks"] = {"id": list(range(1, len(racks) + 1)), "name": [r["name"] for r in racks],
                       "hall_id": [r["hall"] + 1 for r in racks], "row": [r["row"] for r in racks],
                       "slot": [r["slot"] for r in racks], "x": [r["x"] for r in racks], "y": [r["y"] for r in racks],
                       "yaw_deg": [r["yaw"] for r in racks], "part_type_id": [type_id[r["type"]] for r in racks],
                       "generation_id": [-1] * len(racks), "power_budget_w": [r["budget"] for r in racks],
                       "cooling_loop_id": [rack_loop_id.get(k, r["hall"] + 1) for k, r in enumerate(racks)]}
    parts = m.parts
    loops = []
    liquid = 0
    for p in parts:
        mode = m.types[p["type"]]["cooling_mode"]
        hall = racks[p["rack"]]["hall"] if p["rack"] >= 0 else p.get("hall", 0)
        if mode in ("liquid", "hybrid") and p["rack"] in rack_loop_id:
            loops.append(rack_loop_id[p["rack"]])
            continue
        loops.append(hall + 1 if mode == "air" else -1)
        liquid += mode in ("liquid", "hybrid")
    report.default("liquid-cooled part with no coolant loop (no NetBox cooling feed on its rack)", liquid)
    tables["parts"] = {"id": list(range(1, len(parts) + 1)), "name": [p["name"] for p in parts],
                       "part_type_id": [type_id[p["type"]] for p in parts], "rack_id": [_fk(p["rack"]) for p in parts],
                       "u_position": [p["u"] for p in parts], "x": [p["xyz"][0] for p in parts],
                       "y": [p["xyz"][1] for p in parts], "z": [p["xyz"][2] for p in parts],
                       "yaw_deg": [p["yaw"] for p in parts], "parent_id": [_fk(p["parent"]) for p in parts],
                       "serial": [p["serial"] for p in parts], "power_w": [p["power_w"] for p in parts],
                       "power_node_id": [_fk(p["power_node"]) for p in parts], "cooling_loop_id": loops}
    nodes = links.nodes
    tables["power_nodes"] = {"id": list(range(1, len(nodes) + 1)), "name": [n["name"] for n in nodes],
                             "kind": [n["kind"] for n in nodes], "parent_id": [_fk(n["parent"]) for n in nodes],
                             "part_id": [_fk(n["part"]) for n in nodes], "capacity_w": [n["capacity_w"] for n in nodes],
                             "voltage_v": [n["voltage_v"] for n in nodes],
                             "redundancy_group": [n["group"] for n in nodes]}
    ports = links.ports
    tables["ports"] = {"id": list(range(1, len(ports) + 1)), "part_id": [p["part"] + 1 for p in ports],
                       "name": [p["name"] for p in ports], "kind": [p["kind"] for p in ports],
                       "dx": [p["offset"][0] for p in ports], "dy": [p["offset"][1] for p in ports],
                       "dz": [p["offset"][2] for p in ports]}
    cables = links.cables
    tables["cables"] = {"id": list(range(1, len(cables) + 1)), "name": [c["name"] for c in cables],
                        "kind": [c["kind"] for c in cables], "rate_gbps": [c["rate"] for c in cables],
                        "a_port_id": [c["a"] + 1 for c in cables], "b_port_id": [c["b"] + 1 for c in cables],
                        "length_m": [c["length"] for c in cables], "route": [""] * len(cables)}
    names = [h["name"] for h in halls]
    meta = {"units": "m, kg, W, degC, L/min, UTC ISO-8601", "axes": "Z up, X along rows, fronts face -Y at yaw 0",
            "created_by": f"twin {__version__}", "source": report.source.rsplit("/", 1)[-1],
            "design_name": names[0] if len(names) == 1 else f"NetBox: {len(names)} sites",
            "description": "Imported from NetBox: " + ", ".join(names), "home_country": "",
            "imported_from": "netbox",
            "import_defaulted": json.dumps(dict(sorted(report.defaulted.items()))),
            "import_issues": json.dumps(dict(sorted(report.codes().items())))}
    tables["meta"] = {"key": list(meta), "value": list(meta.values())}
    return tables


def _fk(index: int) -> int:
    return index + 1 if index is not None and index >= 0 else -1


def m_key(vendor: str) -> str:
    from twin.importers.netbox_types import supplier_key

    return supplier_key(vendor)
