"""Where racks, rows and facility equipment stand in a hall, from a validated spec.

Pure geometry and naming: no database, no randomness. Rows run along +X from their
origin; a row's racks share its centre line; `facing` says where the fronts point
(cold aisle side). Repeated rows alternate facing so fronts meet across cold aisles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from twin.errors import TwinError

RACK_BASE_M = 0.10          # height of the first U above the floor (plinth and bottom frame)
CDU_GAP_M = 0.0


@dataclass
class RackPlan:
    name: str
    row: str
    slot: int
    x: float
    y: float
    yaw_deg: float
    template: str
    generation: str
    network: bool
    cdu_group: int          # index into RowPlan.cdus; -1 for network racks
    hall: int = 0           # index into spec["halls"]
    spine: bool = False     # a campus spine rack (its switches take the leaves' uplinks)


@dataclass
class RowPlan:
    name: str
    generation: str
    yaw_deg: float
    y: float
    x_start: float
    x_end: float
    racks: list[RackPlan] = field(default_factory=list)
    cdus: list[tuple[str, float, float]] = field(default_factory=list)   # (part type, x, y)
    hall: int = 0
    depth: float = 0.0      # front-to-back depth of its deepest rack frame, m
    where: str = ""         # the spec row it came from (`rows[2]`)


def plan_rows(spec: dict[str, Any]) -> list[RowPlan]:
    """Expand the spec's rows (with `repeat`) into concrete rows of placed racks.

    Positions are site coordinates: a hall's rows are laid out in the hall (where they must
    fit) and then moved by the hall's `origin_m`.
    """
    types, templates = spec["part_types"], spec["rack_templates"]
    generations = {g["name"]: g for g in spec["generations"]}
    rows: list[RowPlan] = []
    for row in spec["rows"]:
        hall = spec["halls"][row.get("hall", 0)]
        gen = generations[row["generation"]]
        nx, ny = row["repeat"]
        for iy in range(ny):
            for ix in range(nx):
                k = iy * nx + ix
                name = row["name"] if nx * ny == 1 else f"{row['name']}{k + 1:02d}"
                facing = row["facing"]
                if row["alternate"] and iy % 2 == 1:
                    facing = "+y" if facing == "-y" else "-y"
                origin = (row["origin_m"][0] + ix * row["pitch_m"][0], row["origin_m"][1] + iy * row["pitch_m"][1])
                plan = _plan_row(name, row, gen, facing, origin, types, templates, row["where"], spec, hall)
                _move(plan, row.get("hall", 0), hall["origin_m"])
                rows.append(plan)
    _check_unique([r.name for r in rows], "row", spec)
    _check_unique([rack.name for r in rows for rack in r.racks], "rack", spec)
    _check_apart(rows, spec)
    return rows


def _check_apart(rows: list[RowPlan], spec: dict) -> None:
    """Refuse two rows whose footprints (x_start–x_end by the frames' depth) share floor space.

    Rows are swept in order of their near edge, so each is compared only with the rows that
    begin before it ends across the aisle: a hall of thousands of rows stays a few ms.
    """
    eps = 1e-6
    boxes = sorted(((r.y - r.depth / 2, r.y + r.depth / 2, r.x_start, r.x_end, k) for k, r in enumerate(rows)),
                   key=lambda b: b[0])
    for i, (y0, y1, x0, x1, k) in enumerate(boxes):
        for v0, v1, u0, u1, j in boxes[i + 1:]:
            if v0 >= y1 - eps:
                break
            if min(x1, u1) - max(x0, u0) > eps and min(y1, v1) - max(y0, v0) > eps:
                row, other = rows[min(k, j)], rows[max(k, j)]         # named in the spec's order
                where = row.where if row.where == other.where else f"{row.where} and {other.where}"
                raise TwinError(spec.get("source"),
                                f"rows {row.name} and {other.name} stand on the same floor space (x {max(x0, u0):.2f}–"
                                f"{min(x1, u1):.2f} m, y {max(y0, v0):.2f}–{min(y1, v1):.2f} m)", where=where)


def network_racks_needed(compute_template: dict, network_template: dict, types: dict, racks: int) -> int:
    """Enough leaf racks for every compute-tray OSFP port of `racks` racks to reach a leaf down port."""
    osfp = sum(slot["count"] * _port_count(types[slot["type"]], prefix="osfp")
               for slot in compute_template["layout"] if types[slot["type"]]["kind"] == "compute_tray")
    downs = sum(slot["count"] * _port_count(types[slot["type"]], name="down") for slot in network_template["layout"])
    if osfp == 0:
        return 0
    if downs == 0:
        raise TwinError(None, "network rack template has no 'down' ports for the compute trays")
    return math.ceil(osfp * racks / downs)


def _port_count(part_type: dict, prefix: str = "", name: str = "") -> int:
    return sum(p["count"] for p in part_type["ports"]
               if (prefix and p["kind"].startswith(prefix)) or (name and p["name"] == name))


def _move(plan: RowPlan, hall: int, origin: list[float]) -> None:
    """Shift a row planned in hall coordinates to the hall's place on the site."""
    ox, oy = origin
    plan.hall, plan.y, plan.x_start, plan.x_end = hall, plan.y + oy, plan.x_start + ox, plan.x_end + ox
    plan.cdus = [(t, x + ox, y + oy) for t, x, y in plan.cdus]
    for rack in plan.racks:
        rack.hall, rack.x, rack.y = hall, rack.x + ox, rack.y + oy


def _plan_row(name: str, row: dict, gen: dict, facing: str, origin: tuple[float, float], types: dict,
              templates: dict, where: str, spec: dict, hall: dict) -> RowPlan:
    yaw = 0.0 if facing == "-y" else 180.0
    compute_tpl = templates[gen["rack_template"]]
    network_tpl = templates[gen["network_template"]]
    spine = row.get("role") == "spine"
    n_network = row["racks"] if spine else network_racks_needed(compute_tpl, network_tpl, types, row["racks"])
    n_compute = 0 if spine else row["racks"]
    cdu_width = types[row["cdu"]]["size"][0]
    plan = RowPlan(name=name, generation=gen["name"], yaw_deg=yaw, y=origin[1], x_start=origin[0], x_end=origin[0])
    x = origin[0]
    # CDUs split the row: with two CDUs one stands at each end, each serving its half.
    if row["cdus"] > 1 and not spine:
        plan.cdus.append((row["cdu"], x + cdu_width / 2, origin[1]))
        x += cdu_width + CDU_GAP_M
    per_cdu = math.ceil(row["racks"] / row["cdus"])
    for slot in range(n_compute):
        width = types[compute_tpl["frame"]]["size"][0]
        plan.racks.append(RackPlan(f"{name}{slot + 1:02d}", name, slot + 1, x + width / 2, origin[1], yaw,
                                   gen["rack_template"], gen["name"], False, slot // per_cdu))
        x += width
    for k in range(n_network):
        width = types[network_tpl["frame"]]["size"][0]
        plan.racks.append(RackPlan(f"{name}-{'S' if spine else 'N'}{k + 1}", name, n_compute + k + 1, x + width / 2,
                                   origin[1], yaw, gen["network_template"], gen["name"], True, -1, spine=spine))
        x += width
    for _ in range(0 if spine else row["cdus"] - len(plan.cdus)):
        plan.cdus.append((row["cdu"], x + cdu_width / 2, origin[1]))
        x += cdu_width
    plan.x_end = x
    hall_w, hall_d, _ = hall["size_m"]
    depth = max(types[compute_tpl["frame"]]["size"][1], types[network_tpl["frame"]]["size"][1])
    plan.depth, plan.where = depth, where
    if plan.x_start < 0 or x > hall_w or origin[1] - depth / 2 < 0 or origin[1] + depth / 2 > hall_d:
        raise TwinError(spec["source"] if "source" in spec else None,
                        f"row {name} (x {plan.x_start:.1f}–{x:.1f} m, y {origin[1]:.1f} m) does not fit in the "
                        f"{hall_w:g} × {hall_d:g} m hall {hall['name']}", where=where)
    return plan


def _check_unique(names: list[str], what: str, spec: dict) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise TwinError(spec.get("source"), f"two {what}s are called '{name}'", where="rows")
        seen.add(name)
