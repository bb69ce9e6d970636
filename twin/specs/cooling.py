"""Cooling loops of a build: each hall's air loop (its CRAHs) and one liquid loop per CDU.

Each rack belongs to the loop of the CDU that serves its part of the row; its liquid
and hybrid parts join that loop, and air-cooled parts not on a loop join their hall's air.
The air loops come first (ids 1…halls), so a one-hall design keeps air loop 1.
"""

from __future__ import annotations

import numpy as np

from twin.specs.draft import DesignDraft

LOOP_COLUMNS = ("id", "name", "hall_id", "medium", "supply_c", "design_dt_k", "capacity_w", "flow_lpm")
AIR_LOOP_ID = 1              # the (first) hall's air loop


def cooling_loops(draft: DesignDraft) -> None:
    """Add the cooling_loops table, the racks' cooling_loop_id and `draft.part_loop`."""
    spec, p, catalog, gear, racks = draft.spec, draft.parts, draft.catalog, draft.gear, draft.racks
    gens = {g["name"]: g for g in spec["generations"]}
    loops: dict[str, list] = {k: [] for k in LOOP_COLUMNS}

    def loop(*values) -> int:
        for key, value in zip(loops, values):
            loops[key].append(value)
        return values[0]

    loop_of_part = np.full(len(p), -1)
    rack_loop = np.full(len(racks), -1)
    modes = catalog.attr("cooling_mode")[p.type]
    ccap, cflow = catalog.attr("cooling_capacity_w"), catalog.attr("coolant_lpm")
    halls = spec["halls"]
    crah_hall = p.hall[gear.crah_parts]
    for h, hall in enumerate(halls):
        crahs = gear.crah_parts[crah_hall == h]
        crah_cap = float(ccap[p.type[crahs]].sum()) if len(crahs) else 0.0
        name = "Hall air" if len(halls) == 1 else f"{hall['name']} air"
        loop_of_part[crahs] = loop(AIR_LOOP_ID + h, name, h + 1, "air", hall["supply_air_c"], 0.0, crah_cap, 0.0)
    cdu_of = {key: part for key, part in zip(gear.cdu_row, gear.cdu_parts)}
    for row in draft.rows:
        for k in range(len(row.cdus)):
            part = cdu_of[(row.name, k)]
            lid = loop(len(loops["id"]) + 1, f"{row.name}-loop{k + 1}", row.hall + 1, "liquid",
                       gens[row.generation]["liquid_supply_c"], spec["cooling"]["design_dt_k"],
                       ccap[p.type[part]], cflow[p.type[part]])
            loop_of_part[part] = lid
            for rack in row.racks:
                if rack.cdu_group == k:
                    r = racks.index[rack.name]
                    rack_loop[r] = lid
                    members = racks.members[r]
                    loop_of_part[members[np.isin(modes[members], ["liquid", "hybrid"])]] = lid
    air_cooled = (modes == "air") & (loop_of_part < 0)
    loop_of_part[air_cooled] = AIR_LOOP_ID + p.hall[air_cooled]
    draft.tables["cooling_loops"] = loops
    draft.tables["racks"]["cooling_loop_id"] = rack_loop
    draft.part_loop = loop_of_part
