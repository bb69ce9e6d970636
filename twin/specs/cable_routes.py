"""Route every cable of a freshly generated design through its trays, before it is written.

Why a build step of its own: the route is a fact of the design (which trays a cable passes,
how long its run is), computed once at build time and stored in `cables.route` and
`cables.routed_length_m` / `route_status`; the cabling analysis only checks it. It works on the generator's
output tables, so it does not depend on how the generator is organised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.geometry.routing import STATUS_CODES, route_between_parts, route_texts
from twin.geometry.trays import TrayNetwork, build_tray_network
from twin.model.transform import local_to_world
from twin.specs.faults import apply_tray_faults
from twin.specs.sizing import size_trays, tray_cable_counts


def route_generated_cables(tables: dict[str, dict[str, Any]], tray_fill: float | None = None,
                           spec: dict[str, Any] | None = None) -> list[str]:
    """Fill `route` and `routed_length_m` of `tables['cables']` in place; returns warnings.

    With `tray_fill` (`[sizing] trays`) each tray is then resized for the cables routed through it
    (sizing.size_trays); where the new widths join the trays differently, the cables are routed
    again on the resized network, so stored routes always match the stored trays. With `spec`, its
    `tray_overfilled` faults then cut their trays' capacity (faults.apply_tray_faults)."""
    cables = tables.get("cables")
    if not cables or not len(cables["id"]):
        return []
    parts, ports, types = tables["parts"], tables["ports"], tables["part_types"]
    type_row = np.asarray(parts["part_type_id"]) - 1
    height = np.asarray(types["height_m"], float)[type_row]
    xyz = np.column_stack([parts["x"], parts["y"], parts["z"]]).astype(float)
    yaw = np.asarray(parts["yaw_deg"], float)
    rack = np.asarray(parts["rack_id"], np.int64)
    rack = np.where(rack > 0, rack - 1, -1)
    port_part = np.asarray(ports["part_id"], np.int64) - 1
    offset = np.column_stack([ports["dx"], ports["dy"], ports["dz"]]).astype(float)

    def ends(port_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        port = np.asarray(port_ids, np.int64) - 1
        part = port_part[port]
        return local_to_world(xyz[part], yaw[part], offset[port]), part

    a, a_part = ends(cables["a_port_id"])
    b, b_part = ends(cables["b_port_id"])
    trays = tables.get("cable_trays") or {"id": [], "x0": [], "y0": [], "z0": [], "x1": [], "y1": [], "z1": [],
                                          "width_m": []}
    start = np.column_stack([trays["x0"], trays["y0"], trays["z0"]]).astype(float).reshape(-1, 3)
    end = np.column_stack([trays["x1"], trays["y1"], trays["z1"]]).astype(float).reshape(-1, 3)
    network = build_tray_network(start, end, np.asarray(trays["width_m"], float))
    frame = np.asarray(types["kind"], object)[type_row] == "rack"
    routes = route_between_parts(a, b, a_part, b_part, rack, xyz[:, 2] + height, network, frame=frame)
    if tray_fill is not None and len(trays["id"]):
        size_trays(trays, routes.path, routes.paths, tray_fill)
        resized = build_tray_network(start, end, np.asarray(trays["width_m"], float))
        if not _same_network(network, resized):     # a narrower tray no longer meets its neighbour: route again
            network = resized
            routes = route_between_parts(a, b, a_part, b_part, rack, xyz[:, 2] + height, network, frame=frame)
    if spec is not None:
        counts = tray_cable_counts(len(trays["id"]), routes.path, routes.paths) if len(trays["id"]) else np.zeros(0)
        apply_tray_faults(spec, trays, counts)
    cables["route"] = route_texts(routes, np.asarray(trays["id"], np.int64))
    cables["routed_length_m"] = np.round(routes.length, 4)
    cables["route_status"] = np.asarray(STATUS_CODES, dtype=object)[routes.status]
    names = trays.get("name", [])
    return [f"cable_trays row {names[t] if len(names) > t else t + 1}: {msg}" for t, msg in network.problems]


def _same_network(one: TrayNetwork, other: TrayNetwork) -> bool:
    """Whether two tray networks join the same pieces at the same nodes (tray widths decide the joins)."""
    return (one.piece_tray.shape == other.piece_tray.shape and one.nodes.shape == other.nodes.shape
            and np.array_equal(one.piece_tray, other.piece_tray) and np.array_equal(one.piece_nodes, other.piece_nodes)
            and np.allclose(one.nodes, other.nodes) and np.array_equal(one.dist, other.dist))
