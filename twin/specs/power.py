"""The power chain of a build: utility → switchboards → UPS → row busways → rack shelves → busbar.

On a site of several halls a substation (the utility connection, `[power] utility_kw`) feeds
one utility feed per hall (`halls.utility_kw`, or an equal share), and each hall's
switchboards hang off its own feed; the `[power]` counts are per hall.

Every part that draws or passes power gets the id of the node feeding it; mechanical
load (CDUs, CRAHs) hangs off a panel on each switchboard. A rack's power-shelf group is
sized N+1 (the largest shelf failed); a rack without shelves gets a PDU at its budget.
"""

from __future__ import annotations

import numpy as np

from twin.specs.draft import DesignDraft
from twin.specs.placement import hall_prefix
from twin.specs.sizing import rack_max_w

NODE_COLUMNS = ("id", "name", "kind", "parent_id", "part_id", "capacity_w", "voltage_v", "redundancy_group")
UTILITY_VOLTAGE_V = 13800.0
DC_BUS_VOLTAGE_V = 48.0


def power_chain(draft: DesignDraft) -> None:
    """Add the power_nodes table and `draft.part_feed`."""
    spec, p, catalog, gear, racks = draft.spec, draft.parts, draft.catalog, draft.gear, draft.racks
    nodes: dict[str, list] = {k: [] for k in NODE_COLUMNS}

    def node(name, kind, parent, part, capacity, voltage, group=None) -> int:
        nid = len(nodes["id"]) + 1
        for key, value in zip(nodes, (nid, name, kind, parent, part, capacity, voltage, group)):
            nodes[key].append(value)
        return nid

    power = spec["power"]
    feed = np.full(len(p), -1)
    cap = catalog.attr("power_capacity_w")
    halls = spec["halls"]
    site_w = power["utility_kw"] * 1000.0
    if len(halls) == 1:
        hall_feeds = [node("Utility", "utility", None, None, site_w, UTILITY_VOLTAGE_V)]
    else:
        substation = node("Substation", "utility", None, None, site_w, UTILITY_VOLTAGE_V)
        hall_feeds = [node(f"{h['name']} utility feed", "feed", substation, None,
                           (h["utility_kw"] * 1000.0) or site_w / len(halls), UTILITY_VOLTAGE_V) for h in halls]
    ups_nodes: list[list[int]] = [[] for _ in halls]
    ups_at: list[dict[int, int]] = [{} for _ in halls]         # module number in the hall -> its node
    mech_nodes: list[list[int]] = [[] for _ in halls]
    for k, board in enumerate(gear.switchboard_parts):
        h = int(gear.board_hall[k])
        swb = node(str(p.name[board]), "switchboard", hall_feeds[h], board + 1, cap[p.type[board]],
                   power["voltage_v"])
        feed[board] = hall_feeds[h]
        on_board = gear.ups_board == k
        for part, slot in zip(gear.ups_parts[on_board], gear.ups_slot[on_board]):
            ups_nodes[h].append(node(str(p.name[part]), "ups", swb, part + 1, cap[p.type[part]],
                                     power["voltage_v"], f"{p.name[board]} UPS N+1"))
            ups_at[h][int(slot)] = ups_nodes[h][-1]
            feed[part] = swb
        mech_nodes[h].append(node(f"{hall_prefix(spec, h)}MECH-{len(mech_nodes[h]) + 1}", "panel", swb, None,
                                  power["mechanical_share"] * cap[p.type[board]], power["voltage_v"]))
    mechanical = np.concatenate([gear.cdu_parts, gear.crah_parts])
    mech_hall = p.hall[mechanical]
    for h in range(len(halls)):
        sel = mechanical[mech_hall == h]
        feed[sel] = np.array(mech_nodes[h])[np.arange(len(sel)) % len(mech_nodes[h])]
    row_index = {h: 0 for h in range(len(halls))}
    kinds = catalog.attr("kind")[p.type]
    busway_cap = cap[catalog.type_id[power["busway"]]]
    budgets = draft.tables["racks"]["power_budget_w"]
    runs = _busway_runs(draft)
    carried = _planned_loads(spec, runs, ups_at)
    for row, run_racks, ups in runs:
        hall_ups = ups_nodes[row.hall]
        if ups is None:
            parent = hall_ups[row_index[row.hall] % len(hall_ups)]
        elif ups in ups_at[row.hall]:
            parent = ups_at[row.hall][ups]
        else:
            parent = _stand_in(ups_at[row.hall], ups, power["ups_per_switchboard"], carried)
            carried[parent] += _run_w(spec, run_racks[1])
        bw = node(run_racks[0], "busway", parent, None, busway_cap, power["voltage_v"])
        row_index[row.hall] += 1
        for rack in run_racks[1]:
            r = racks.index[rack.name]
            members = racks.members[r]
            feed[members[p.role[members] == "busway-tap"]] = bw
            shelves = members[kinds[members] == "power_shelf"]
            feed[shelves] = bw
            loads = members[np.isin(kinds[members], ["compute_tray", "switch_tray", "network_switch"])]
            if len(shelves):
                shelf_cap = cap[p.type[shelves]]
                usable = shelf_cap.sum() - shelf_cap.max() if len(shelves) > 1 else shelf_cap.sum()
                group = node(f"{rack.name}-shelves", "power_shelf_group", bw, None, usable, DC_BUS_VOLTAGE_V,
                             f"{rack.name} shelves N+1")
                busbars = members[kinds[members] == "busbar"]
                if len(busbars):
                    bb = node(f"{rack.name}-busbar", "busbar", group, busbars[0] + 1, cap[p.type[busbars[0]]],
                              DC_BUS_VOLTAGE_V)
                    feed[busbars] = group
                    feed[loads] = bb
                else:
                    feed[loads] = group
            else:
                pdu = node(f"{rack.name}-pdu", "pdu", bw, None, budgets[r], power["voltage_v"])
                feed[loads] = pdu
    draft.tables["power_nodes"] = nodes
    draft.part_feed = feed


def _run_w(spec: dict, racks: list) -> float:
    return sum(rack_max_w(spec, r.template) for r in racks)


def _planned_loads(spec: dict, runs: list[tuple], ups_at: list[dict[int, int]]) -> dict[int, float]:
    """Busway load at maximum the power plan put on each UPS node that is installed."""
    carried = {n: 0.0 for hall in ups_at for n in hall.values()}
    for row, run_racks, ups in runs:
        if ups is not None and ups in ups_at[row.hall]:
            carried[ups_at[row.hall][ups]] += _run_w(spec, run_racks[1])
    return carried


def _stand_in(ups_at: dict[int, int], slot: int, per_board: int, carried: dict[int, float]) -> int:
    """The node that takes the runs of UPS module `slot`, left out by a `ups_module_missing` fault:
    the installed module of the same switchboard that carries least."""
    board = slot // per_board
    mates = [ups_at[s] for s in range(board * per_board, (board + 1) * per_board) if s in ups_at]
    return min(mates, key=lambda n: carried[n])


def _busway_runs(draft: DesignDraft) -> list[tuple]:
    """(row, (busway name, racks), UPS number in the hall or None) for each busway: one per row, or the
    runs of `[sizing] power` (named ROW-busway1, ROW-busway2… where a row has several)."""
    plan = draft.power_plan
    if plan is None:
        return [(row, (f"{row.name}-busway", row.racks), None) for row in draft.rows]
    per_row: dict[str, int] = {}
    for row, _ in plan.runs:
        per_row[row.name] = per_row.get(row.name, 0) + 1
    out, seen = [], {}
    for (row, racks), ups in zip(plan.runs, plan.run_ups):
        seen[row.name] = seen.get(row.name, 0) + 1
        name = f"{row.name}-busway" if per_row[row.name] == 1 else f"{row.name}-busway{seen[row.name]}"
        out.append((row, (name, racks), ups))
    return out
