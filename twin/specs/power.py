"""The power chain of a build: utility → switchboards → UPS → row busways → rack shelves → busbar.

Every part that draws or passes power gets the id of the node feeding it; mechanical
load (CDUs, CRAHs) hangs off a panel on each switchboard. A rack's power-shelf group is
sized N+1 (the largest shelf failed); a rack without shelves gets a PDU at its budget.
"""

from __future__ import annotations

import numpy as np

from twin.specs.draft import DesignDraft

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
    utility = node("Utility", "utility", None, None, power["utility_kw"] * 1000.0, UTILITY_VOLTAGE_V)
    ups_nodes, mech_nodes = [], []
    for k, board in enumerate(gear.switchboard_parts):
        swb = node(str(p.name[board]), "switchboard", utility, board + 1, cap[p.type[board]], power["voltage_v"])
        feed[board] = utility
        for part in gear.ups_parts[gear.ups_board == k]:
            ups_nodes.append(node(str(p.name[part]), "ups", swb, part + 1, cap[p.type[part]],
                                  power["voltage_v"], f"{p.name[board]} UPS N+1"))
            feed[part] = swb
        mech_nodes.append(node(f"MECH-{k + 1}", "panel", swb, None,
                               power["mechanical_share"] * cap[p.type[board]], power["voltage_v"]))
    mechanical = np.concatenate([gear.cdu_parts, gear.crah_parts])
    feed[mechanical] = np.array(mech_nodes)[np.arange(len(mechanical)) % len(mech_nodes)]
    kinds = catalog.attr("kind")[p.type]
    busway_cap = cap[catalog.type_id[power["busway"]]]
    budgets = draft.tables["racks"]["power_budget_w"]
    for ri, row in enumerate(draft.rows):
        bw = node(f"{row.name}-busway", "busway", ups_nodes[ri % len(ups_nodes)], None, busway_cap,
                  power["voltage_v"])
        for rack in row.racks:
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
