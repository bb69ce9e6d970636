"""Placement: racks, the parts inside them, busway taps and the facility equipment.

Racks of one template are identical, so each template is laid out once in rack-local
coordinates (a few dozen parts) and tiled across all its racks with numpy; the parts are
then turned into world coordinates by their rack's yaw in one call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.model.design import frame_of_rack
from twin.model.transform import local_to_world
from twin.specs.draft import DesignDraft, FacilityGear, PartColumns, RackLayout
from twin.specs.faults import check_missing_ups, missing_ups_modules
from twin.specs.layout import RACK_BASE_M
from twin.specs.sizing import crah_count, hall_air_heat_max_w, switchboards_per_hall

FRONT_INSET_M = 0.03
BUSWAY_Z_ABOVE_RACK_M = 0.70


def place(draft: DesignDraft) -> None:
    """Racks table, rack parts with their busway taps, then CDUs, power gear and CRAHs."""
    _place_racks(draft)
    _place_facility(draft)
    draft.racks.index_members(draft.parts.rack)


def template_parts(draft: DesignDraft, template_name: str) -> dict[str, Any]:
    """One rack of a template in rack-local coordinates: type, U, offset, role, name."""
    spec, types, type_id = draft.spec, draft.catalog.types, draft.catalog.type_id
    tpl = spec["rack_templates"][template_name]
    frame = types[tpl["frame"]]
    _, fd, fh = frame["size"]
    pitch = frame["u_pitch_m"]
    rows: list[tuple[str, int, float, float, float, str]] = [(tpl["frame"], 0, 0.0, 0.0, 0.0, "frame")]
    u = 1
    for slot in tpl["layout"]:
        pt = types[slot["type"]]
        height_u = max(pt["u_height"], 1)
        for _ in range(slot["count"]):
            y = -fd / 2 + pt["size"][1] / 2 + FRONT_INSET_M
            rows.append((slot["type"], u, 0.0, y, RACK_BASE_M + (u - 1) * pitch, f"U{u:02d}"))
            u += height_u
    top = RACK_BASE_M + (u - 1) * pitch
    if top > fh - 0.05:
        raise TwinError(draft.source, f"{u - 1} U do not fit in the {fh:g} m frame '{tpl['frame']}'",
                        where=f"rack_templates.{template_name}.layout")
    if tpl["busbar"]:
        bb = types[tpl["busbar"]]["size"]
        rows.append((tpl["busbar"], 0, 0.0, fd / 2 - 0.05 - bb[1] / 2, RACK_BASE_M, "busbar"))
    if tpl["manifold"]:
        md = types[tpl["manifold"]]["size"]
        for side, x in (("manifold-supply", -0.21), ("manifold-return", 0.21)):
            rows.append((tpl["manifold"], 0, x, fd / 2 - 0.05 - md[1] / 2, RACK_BASE_M, side))
    return {"type": np.array([type_id[r[0]] for r in rows]), "u": np.array([r[1] for r in rows]),
            "offset": np.array([r[2:5] for r in rows], dtype=float), "role": [r[5] for r in rows],
            "frame": frame, "budget_w": tpl["budget_w"]}


def _place_racks(draft: DesignDraft) -> None:
    spec, catalog = draft.spec, draft.catalog
    racks = [rack for row in draft.rows for rack in row.racks]
    n = len(racks)
    rack_xy = np.array([(r.x, r.y) for r in racks], dtype=float).reshape(n, 2)
    rack_yaw = np.array([r.yaw_deg for r in racks], dtype=float)
    templates = [r.template for r in racks]
    tpl_cache = {name: template_parts(draft, name) for name in dict.fromkeys(templates)}
    rack_type = np.array([catalog.type_id[spec["rack_templates"][t]["frame"]] for t in templates])
    size = catalog.attr("size")[rack_type] if n else np.zeros((0, 3))
    draft.racks = RackLayout(racks, rack_xy, rack_yaw, size[:, 1], size[:, 2])
    draft.tables["racks"] = {
        "id": np.arange(1, n + 1), "name": [r.name for r in racks], "hall_id": np.array([r.hall + 1 for r in racks], int),
        "row": [r.row for r in racks], "slot": [r.slot for r in racks], "x": rack_xy[:, 0], "y": rack_xy[:, 1],
        "yaw_deg": rack_yaw, "part_type_id": rack_type,
        "generation_id": [catalog.generation_id[r.generation] for r in racks],
        "power_budget_w": [tpl_cache[t]["budget_w"] for t in templates], "cooling_loop_id": np.full(n, -1)}
    # Tile each template over its racks.
    chunks = []
    for name, tpl in tpl_cache.items():
        idx = np.flatnonzero(np.array(templates) == name)
        k = len(tpl["type"])
        chunks.append(dict(rack=np.repeat(idx, k), type=np.tile(tpl["type"], len(idx)), u=np.tile(tpl["u"], len(idx)),
                           offset=np.tile(tpl["offset"], (len(idx), 1)),
                           role=np.tile(np.array(tpl["role"], dtype=object), len(idx)),
                           is_frame=np.tile(np.arange(k) == 0, len(idx))))
    merged = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]} if chunks else {}
    order = np.lexsort((np.arange(len(merged["rack"])), merged["rack"]))
    merged = {key: v[order] for key, v in merged.items()}
    # Busway tap above each rack, fed from the row's busway.
    busway = spec["power"]["busway"]
    bus_d = catalog.types[busway]["size"][1]
    taps_offset = np.column_stack([np.zeros(n), draft.racks.depth / 2 - bus_d / 2 - 0.05,
                                   draft.racks.height + BUSWAY_Z_ABOVE_RACK_M])
    rack_of = np.concatenate([merged["rack"], np.arange(n)])
    offset = np.concatenate([merged["offset"], taps_offset])
    role = np.concatenate([merged["role"], np.full(n, "busway-tap", dtype=object)])
    is_frame = np.concatenate([merged["is_frame"], np.zeros(n, bool)])
    rack_origin = np.column_stack([rack_xy, np.zeros(n)])
    rack_names = np.array([r.name for r in racks], dtype=object)
    parent = np.where(is_frame, -1, frame_of_rack(rack_of, is_frame, n)[rack_of])
    parent[role == "busway-tap"] = -1
    draft.parts = PartColumns(
        rack=rack_of, type=np.concatenate([merged["type"], np.full(n, catalog.type_id[busway])]),
        u=np.concatenate([merged["u"], np.zeros(n, int)]), offset=offset, role=role, is_frame=is_frame,
        position=local_to_world(rack_origin[rack_of], rack_yaw[rack_of], offset), yaw=rack_yaw[rack_of],
        name=rack_names[rack_of] + "-" + role, parent=parent,
        hall=np.array([r.hall for r in racks], int).reshape(n)[rack_of])


def add_parts(draft: DesignDraft, type_names: list[str], xyz: np.ndarray, yaw: np.ndarray,
              names: list[str], hall: np.ndarray | int = 0) -> np.ndarray:
    """Append free-standing parts (no rack); returns their part indices."""
    m = len(type_names)
    return draft.parts.extend(PartColumns(
        rack=np.full(m, -1), type=np.array([draft.catalog.type_id[t] for t in type_names]), u=np.zeros(m, int),
        offset=np.zeros((m, 3)), role=np.array(["facility"] * m, dtype=object), is_frame=np.zeros(m, bool),
        position=np.asarray(xyz, float).reshape(m, 3), yaw=np.asarray(yaw, float),
        name=np.array(names, dtype=object), parent=np.full(m, -1), hall=np.broadcast_to(np.asarray(hall, int), (m,)).copy()))


def hall_prefix(spec: dict[str, Any], hall: int) -> str:
    """What facility part names start with in hall `hall`: nothing on a one-hall site, 'NAME/' on several."""
    return f"{spec['halls'][hall]['name']}/" if len(spec["halls"]) > 1 else ""


def _place_facility(draft: DesignDraft) -> None:
    spec, types = draft.spec, draft.catalog.types
    cdu_types, cdu_xyz, cdu_yaw, cdu_names, cdu_row, cdu_hall = [], [], [], [], [], []
    for row in draft.rows:
        for k, (t, x, y) in enumerate(row.cdus):
            cdu_types.append(t)
            cdu_xyz.append((x, y, 0.0))
            cdu_yaw.append(row.yaw_deg)
            cdu_names.append(f"{row.name}-CDU{k + 1}")
            cdu_row.append((row.name, k))
            cdu_hall.append(row.hall)
    cdu_parts = add_parts(draft, cdu_types, np.array(cdu_xyz).reshape(-1, 3), np.array(cdu_yaw), cdu_names,
                          np.array(cdu_hall, int))
    modules: list[list[str]] = []          # every UPS module name the line-ups have room for, per board
    gear = [_place_power_gear(draft, h, modules) for h in range(len(spec["halls"]))]
    check_missing_ups(spec, modules)
    boards = np.concatenate([g[0] for g in gear])
    ups = np.concatenate([g[1] for g in gear])
    ups_board = np.concatenate([g[2] + sum(len(x[0]) for x in gear[:h]) for h, g in enumerate(gear)])
    ups_slot = np.concatenate([g[3] for g in gear])
    board_hall = np.concatenate([np.full(len(g[0]), h) for h, g in enumerate(gear)])
    crah_parts = [np.zeros(0, int)]
    for h, hall in enumerate(spec["halls"]):
        crah, count = hall["crah"], hall["crah_count"]
        if crah and spec["sizing"]["crahs"]:
            count = crah_count(spec, hall, hall_air_heat_max_w(spec, draft.catalog, draft.parts.type,
                                                               draft.parts.hall, h))
        if not (crah and count):
            continue
        hall_w, hall_d, _ = hall["size_m"]
        ox, oy = hall["origin_m"]
        cw, cd = types[crah]["size"][0], types[crah]["size"][1]
        per_side = (count + 1) // 2
        if per_side * cw > hall_d + 1e-9:
            at = f"halls[{h}]" if len(spec["halls"]) > 1 else "hall"
            raise TwinError(draft.source, f"{count} CRAHs '{crah}' ({per_side} a side, {cw:g} m wide) do not fit "
                            f"along the {hall_d:g} m side walls of hall {hall['name']}", where=f"{at}.crah_count")
        ys = np.linspace(0, hall_d, per_side + 2)[1:-1]
        xyz, yaws, names = [], [], []
        for i in range(count):
            left = i % 2 == 0
            xyz.append((ox + (cd / 2 + 0.3 if left else hall_w - cd / 2 - 0.3), oy + ys[i // 2], 0.0))
            yaws.append(-90.0 if left else 90.0)
            names.append(f"{hall_prefix(spec, h)}CRAH-{i + 1}")
        crah_parts.append(add_parts(draft, [crah] * count, np.array(xyz), np.array(yaws), names, h))
    draft.gear = FacilityGear(cdu_parts, cdu_row, np.concatenate(crah_parts), boards, ups, ups_board, board_hall,
                              ups_slot)


def _place_power_gear(draft: DesignDraft, hall: int, modules: list[list[str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Switchboards, each followed by its UPS units, in lines along the back wall.

    A line that reaches the side wall wraps to a new line 2.5 m further in, so large
    halls get an electrical gallery; the spec leaves room for it behind the rows.
    Each hall of a site has its own line-up (the `[power]` counts are per hall).
    A UPS module a `ups_module_missing` fault names is left out (faults.missing_ups_modules).
    Returns the switchboard parts, the UPS parts, each UPS's switchboard number in the hall and its
    module number in the hall (board × ups_per_switchboard + place on the board, as the power plan counts).
    """
    types = draft.catalog.types
    power, (hall_w, hall_d, _) = draft.spec["power"], draft.spec["halls"][hall]["size_m"]
    ox, oy = draft.spec["halls"][hall]["origin_m"]
    prefix = hall_prefix(draft.spec, hall)
    gear, names, board_of, slot_of = [], [], [], []
    plan = draft.power_plan
    n_boards = switchboards_per_hall(draft.spec, plan)[hall]
    m = power["ups_per_switchboard"]
    missing = missing_ups_modules(draft.spec)
    for k in range(n_boards):
        gear.append(power["switchboard"])
        names.append(f"{prefix}SWB-{k + 1}")
        modules.append([])
        for u in range(m):
            name = f"{prefix}UPS-{k + 1}{chr(ord('A') + u)}"
            modules[-1].append(name)
            if name in missing:
                continue
            gear.append(power["ups"])
            names.append(name)
            board_of.append(k)
            slot_of.append(k * m + u)
    depth = max(types[t]["size"][1] for t in gear)
    xyz, x, line = [], 1.5, 0
    for t in gear:
        w = types[t]["size"][0]
        if x + w > hall_w - 1.5:
            x, line = 1.5, line + 1
        xyz.append((x + w / 2, hall_d - depth / 2 - 0.5 - line * (depth + 1.5), 0.0))
        x += w + 0.8
    if xyz[-1][1] - depth / 2 < 0:
        raise TwinError(draft.source, "the switchboard and UPS line-up does not fit in the hall", where="power")
    xyz = [(x + ox, y + oy, z) for x, y, z in xyz]
    idx = add_parts(draft, gear, np.array(xyz), np.full(len(gear), 180.0), names, hall)
    kinds = [types[t]["kind"] for t in gear]
    boards = idx[[k == "switchboard" for k in kinds]]
    ups = idx[[k == "ups" for k in kinds]]
    return boards, ups, np.array(board_of, int), np.array(slot_of, int)
