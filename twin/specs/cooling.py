"""Cooling loops of a build: the hall air loop (CRAHs) and one liquid loop per CDU.

Each rack belongs to the loop of the CDU that serves its part of the row; its liquid
and hybrid parts join that loop, and air-cooled parts not on a loop join the hall air.
"""

from __future__ import annotations

import numpy as np

from twin.specs.draft import DesignDraft

LOOP_COLUMNS = ("id", "name", "hall_id", "medium", "supply_c", "design_dt_k", "capacity_w", "flow_lpm")
AIR_LOOP_ID = 1


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
    crah_cap = float(ccap[p.type[gear.crah_parts]].sum()) if len(gear.crah_parts) else 0.0
    loop(AIR_LOOP_ID, "Hall air", 1, "air", spec["hall"]["supply_air_c"], 0.0, crah_cap, 0.0)
    loop_of_part[gear.crah_parts] = AIR_LOOP_ID
    cdu_of = {key: part for key, part in zip(gear.cdu_row, gear.cdu_parts)}
    for row in draft.rows:
        for k in range(len(row.cdus)):
            part = cdu_of[(row.name, k)]
            lid = loop(len(loops["id"]) + 1, f"{row.name}-loop{k + 1}", 1, "liquid",
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
    loop_of_part[air_cooled] = AIR_LOOP_ID
    draft.tables["cooling_loops"] = loops
    draft.tables["racks"]["cooling_loop_id"] = rack_loop
    draft.part_loop = loop_of_part
