"""Schema v1 of the design file (docs/schema.md documents every table and column).

Plain tables with foreign keys and indexes so a design opens well in the `sqlite-utils`
CLI or Datasette. Units: metres, kilograms, watts, °C, L/min, UTC ISO-8601 timestamps.
"""

from __future__ import annotations

import sqlite_utils

SCHEMA_VERSION = 1

#: table -> (columns in order, primary key, foreign keys, indexes)
TABLES: dict[str, tuple[dict[str, type], str | tuple[str, ...], list[tuple[str, str, str]], list[tuple[str, ...]]]] = {
    "meta": ({"key": str, "value": str}, "key", [], []),
    "generations": ({"id": int, "name": str, "label": str, "description": str}, "id", [], []),
    "suppliers": ({"id": int, "key": str, "name": str, "country": str, "domestic": int}, "id", [], []),
    "part_types": ({
        "id": int, "name": str, "kind": str, "vendor": str, "model": str, "generation_id": int,
        "u_height": int, "width_m": float, "depth_m": float, "height_m": float, "u_pitch_m": float,
        "mass_kg": float, "power_nominal_w": float, "power_max_w": float, "power_capacity_w": float,
        "cooling_capacity_w": float, "airflow_cfm": float, "coolant_lpm": float, "cooling_mode": str,
        "liquid_fraction": float, "mesh_path": str, "mesh_units": str, "supplier_id": int,
        "country_of_origin": str, "lead_time_days": int, "unit_cost_usd": float, "efficiency": float,
        "airflow": str, "front_image": str, "rear_image": str, "rating_va": float, "power_factor": float,
    }, "id", [("generation_id", "generations", "id"), ("supplier_id", "suppliers", "id")], [("kind",)]),
    "halls": ({"id": int, "name": str, "width_m": float, "depth_m": float, "height_m": float,
               "supply_air_c": float, "recirculation_c": float, "ashrae_class": str,
               "origin_x_m": float, "origin_y_m": float}, "id", [], []),
    "cooling_loops": ({"id": int, "name": str, "hall_id": int, "medium": str, "supply_c": float,
                       "design_dt_k": float, "capacity_w": float, "flow_lpm": float}, "id",
                      [("hall_id", "halls", "id")], []),
    "power_nodes": ({"id": int, "name": str, "kind": str, "parent_id": int, "part_id": int,
                     "capacity_w": float, "voltage_v": float, "redundancy_group": str,
                     "redundancy_side": str}, "id",
                    [("parent_id", "power_nodes", "id"), ("part_id", "parts", "id")], [("parent_id",)]),
    "racks": ({"id": int, "name": str, "hall_id": int, "row": str, "slot": int, "x": float, "y": float,
               "yaw_deg": float, "part_type_id": int, "generation_id": int, "power_budget_w": float,
               "cooling_loop_id": int}, "id",
              [("hall_id", "halls", "id"), ("part_type_id", "part_types", "id"),
               ("generation_id", "generations", "id"), ("cooling_loop_id", "cooling_loops", "id")],
              [("hall_id", "row"), ("name",)]),
    "parts": ({"id": int, "name": str, "part_type_id": int, "rack_id": int, "u_position": int,
               "x": float, "y": float, "z": float, "yaw_deg": float, "parent_id": int, "serial": str,
               "power_w": float, "power_node_id": int, "cooling_loop_id": int}, "id",
              [("part_type_id", "part_types", "id"), ("rack_id", "racks", "id"), ("parent_id", "parts", "id"),
               ("power_node_id", "power_nodes", "id"), ("cooling_loop_id", "cooling_loops", "id")],
              [("rack_id", "u_position"), ("part_type_id",), ("power_node_id",), ("name",)]),
    "ports": ({"id": int, "part_id": int, "name": str, "kind": str, "dx": float, "dy": float, "dz": float},
              "id", [("part_id", "parts", "id")], [("part_id",), ("kind",)]),
    "cable_trays": ({"id": int, "name": str, "hall_id": int, "x0": float, "y0": float, "z0": float,
                     "x1": float, "y1": float, "z1": float, "width_m": float, "height_m": float,
                     "capacity": int}, "id", [("hall_id", "halls", "id")], []),
    "cables": ({"id": int, "name": str, "kind": str, "rate_gbps": float, "a_port_id": int, "b_port_id": int,
                "length_m": float, "route": str, "routed_length_m": float, "route_status": str}, "id",
               [("a_port_id", "ports", "id"), ("b_port_id", "ports", "id")], [("a_port_id",), ("b_port_id",)]),
    "sensors": ({"id": int, "name": str, "kind": str, "unit": str, "part_id": int, "rack_id": int,
                 "cooling_loop_id": int, "source": str, "source_uri": str, "reading_type": str,
                 "physical_context": str, "range_min": float, "range_max": float, "health": str}, "id",
                [("part_id", "parts", "id"), ("rack_id", "racks", "id"), ("cooling_loop_id", "cooling_loops", "id")],
                [("part_id",), ("rack_id",)]),
    "readings": ({"sensor_id": int, "ts": str, "value": float}, ("sensor_id", "ts"),
                 [("sensor_id", "sensors", "id")], [("ts",)]),
    "telemetry_imports": ({"id": int, "source": str, "kind": str, "imported_at": str, "sensors": int,
                           "readings": int, "bound": int, "unbound": int}, "id", [], []),
    "reviews": ({"id": int, "name": str, "status": str, "created": str}, "id", [], []),
    "notes": ({"id": int, "review_id": int, "part_id": int, "x": float, "y": float, "z": float,
               "author": str, "text": str, "status": str, "created": str, "updated": str}, "id",
              [("review_id", "reviews", "id"), ("part_id", "parts", "id")], [("part_id",)]),
    "viewpoints": ({"id": int, "name": str, "px": float, "py": float, "pz": float, "fx": float,
                    "fy": float, "fz": float, "ux": float, "uy": float, "uz": float, "view_angle": float,
                    "state": str},
                   "id", [], []),
}

#: Tables a reader cannot do without (reviews, notes, viewpoints and the import log may be added later).
REQUIRED_TABLES = tuple(name for name in TABLES if name not in ("reviews", "notes", "viewpoints", "telemetry_imports"))

NOT_NULL = {
    "part_types": {"name", "kind"},
    "racks": {"name", "hall_id", "part_type_id"},
    "parts": {"name", "part_type_id", "x", "y", "z"},
    "ports": {"part_id", "kind"},
    "cables": {"kind", "a_port_id", "b_port_id"},
    "readings": {"value"},
}


def create_schema(db: sqlite_utils.Database, indexes: bool = True) -> None:
    """Create every table of schema v1 (empty) with its keys and (unless `indexes` is False) indexes.

    Foreign keys that point at a table not created yet (or at the table itself) are added
    once all tables exist, since sqlite-utils checks that the target is there. A bulk writer
    passes `indexes=False` and calls `create_indexes` after inserting: building an index from
    the finished rows is one sort, keeping it up to date row by row is millions of B-tree updates.
    """
    later: list[tuple[str, str, str, str]] = []
    for name, (columns, pk, fks, _) in TABLES.items():
        now = [fk for fk in fks if fk[1] in db.table_names() and fk[1] != name]
        later += [(name, *fk) for fk in fks if fk not in now]
        db.table(name).create(columns, pk=pk, foreign_keys=now, not_null=NOT_NULL.get(name, set()))
    if later:
        db.add_foreign_keys(later)
    if indexes:
        create_indexes(db)
    db.table("meta").insert_all([{"key": "schema_version", "value": str(SCHEMA_VERSION)}])


def create_indexes(db: sqlite_utils.Database) -> None:
    """Create every index of schema v1 (the tables must exist)."""
    for name, (_, _, _, indexes) in TABLES.items():
        for columns in indexes:
            db.table(name).create_index(list(columns))
