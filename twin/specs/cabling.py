"""Cabling: the ports of every part and the cables between them.

Coolant hoses from trays to manifold quick-disconnects, management copper to the ToRs,
AC power from shelves to the busway tap, and the scale-out fabric from every compute-tray
OSFP to the row's leaf switches over the row's cable tray. Lengths are the routed
Manhattan distance plus slack, rounded up to a length one can buy; the kind is the
cheapest that reaches (DAC, then AEC, then fibre).
"""

from __future__ import annotations


import numpy as np

from twin.errors import TwinError
from twin.model import physics
from twin.specs.campus import campus_trays, site_tray_z, spine_cables
from twin.specs.draft import CableColumns, DesignDraft, PortTable, expand_ports

TRAY_Z_ABOVE_RACK_M = 0.40


def make_cables(draft: DesignDraft) -> None:
    """Ports of every part, the cable_trays table and every cable."""
    draft.ports = PortTable(draft.catalog, draft.parts, draft.source)
    blocks = [*_coolant(draft), *_management(draft), _power(draft)]
    blocks += _fabric(draft)
    if draft.spec["campus"] is not None:
        blocks += [b for b in [spine_cables(draft)] if b is not None]
    draft.cables = CableColumns.concat(blocks)


def connect(draft: DesignDraft, kind: str, rate: float, a: np.ndarray, b: np.ndarray, route: int | None,
            tray_z: float | None = None) -> CableColumns:
    """Cables between port arrays: routed length, bought length and the kind that reaches."""
    pa, pb = draft.ports.world(a), draft.ports.world(b)
    if tray_z is None:
        routed = np.abs(pa - pb).sum(axis=1)
    else:
        routed = (tray_z - pa[:, 2]) + (tray_z - pb[:, 2]) + np.abs(pa[:, :2] - pb[:, :2]).sum(axis=1)
    need = routed + 2 * physics.CABLE_SLACK_M
    lengths = np.array(physics.STANDARD_LENGTHS_M)
    bought = lengths[np.minimum(np.searchsorted(lengths, need - 1e-9), len(lengths) - 1)]
    kinds = np.full(len(a), kind, dtype=object)
    if kind == "fiber":
        kinds[bought <= physics.cable_reach_m("dac", rate)] = "dac"
        short = (bought > physics.cable_reach_m("dac", rate)) & (bought <= physics.cable_reach_m("aec", rate))
        kinds[short] = "aec"
    return CableColumns(a, b, kinds, np.full(len(a), rate), bought,
                        np.full(len(a), "" if route is None else str(route), dtype=object))


def _coolant(draft: DesignDraft) -> list[CableColumns]:
    """Each liquid or hybrid tray to a quick-disconnect on its rack's supply and return manifolds."""
    p, ports = draft.parts, draft.ports
    modes = draft.catalog.attr("cooling_mode")[p.type]
    trays = np.flatnonzero((p.rack >= 0) & np.isin(modes, ["liquid", "hybrid"]))
    out = []
    for side, port_name in (("manifold-supply", "cs"), ("manifold-return", "cr")):
        mani_of_rack = np.full(len(draft.racks), -1)
        sel = np.flatnonzero(p.role == side)
        mani_of_rack[p.rack[sel]] = sel
        mani = mani_of_rack[p.rack[trays]]
        ok = mani >= 0
        t, m = trays[ok], mani[ok]
        if not len(t):          # no liquid trays in racks with manifolds: nothing to plumb
            continue
        tray_port = ports.index(t, port_name)
        target = ports.world(tray_port)
        dz = target[:, 2] - p.position[m, 2]
        m_depth = draft.catalog.attr("size")[p.type[m]][:, 1]
        names = np.char.add("qd-U", np.char.zfill(p.u[t].astype(str), 2)).astype(object)
        qd = ports.add(m, names, "coolant", np.column_stack([np.zeros(len(m)), -m_depth / 2, dz]))
        out.append(connect(draft, "coolant", 0.0, tray_port, qd, route=None))
    return out


def _management(draft: DesignDraft) -> list[CableColumns]:
    """Compute trays to the first ToR; switch trays and power shelves to the second."""
    p, ports, n_racks = draft.parts, draft.ports, len(draft.racks)
    kinds = draft.catalog.attr("kind")[p.type]
    in_rack = p.rack >= 0
    rack_net = np.array([r.network for r in draft.racks.plans])
    tors = np.flatnonzero(in_rack & (kinds == "network_switch") & ~rack_net[np.maximum(p.rack, 0)])
    tor_of_rack = [np.full(n_racks, -1), np.full(n_racks, -1)]
    tor_rank = _rank_within(p.rack[tors])
    for which in (0, 1):
        sel = tors[tor_rank == which]
        tor_of_rack[which][p.rack[sel]] = sel
    out = []
    for which, group_kinds, port in ((0, ["compute_tray"], "bmc"), (1, ["switch_tray", "power_shelf"], "mgmt")):
        src = np.flatnonzero(in_rack & np.isin(kinds, group_kinds))
        src = src[tor_of_rack[which][p.rack[src]] >= 0]
        if not len(src):
            continue
        src_ports = np.concatenate([ports.index(src[kinds[src] == gk], port) for gk in group_kinds])
        src = np.concatenate([src[kinds[src] == gk] for gk in group_kinds])
        tor = tor_of_rack[which][p.rack[src]]
        k = _rank_within(p.rack[src])
        out.append(connect(draft, "utp", 1.0, src_ports, ports.numbered(tor, "p", k), route=None))
    return out


def _power(draft: DesignDraft) -> CableColumns:
    """Each power shelf's AC input to the busway tap above its rack."""
    p, ports = draft.parts, draft.ports
    kinds = draft.catalog.attr("kind")[p.type]
    shelves = np.flatnonzero((p.rack >= 0) & (kinds == "power_shelf"))
    tap_of_rack = np.full(len(draft.racks), -1)
    taps = np.flatnonzero(p.role == "busway-tap")
    tap_of_rack[p.rack[taps]] = taps
    return connect(draft, "power", 0.0, ports.index(shelves, "ac-in"),
                   ports.numbered(tap_of_rack[p.rack[shelves]], "tap", _rank_within(p.rack[shelves])), route=None)


def _fabric(draft: DesignDraft) -> list[CableColumns]:
    """Every compute-tray OSFP to the next free leaf down port of its row, over the row's tray."""
    p, ports, racks = draft.parts, draft.ports, draft.racks
    kinds = draft.catalog.attr("kind")[p.type]
    in_rack = p.rack >= 0
    rack_net = np.array([r.network for r in racks.plans])
    # rows by name as codes, so that picking a row's parts compares integers, not ~200,000 strings per row
    row_names, rack_row = np.unique(np.array([r.row for r in racks.plans], dtype=object).astype(str),
                                    return_inverse=True)
    row_code = {name: code for code, name in enumerate(row_names.tolist())}
    part_row = rack_row[np.maximum(p.rack, 0)]
    tray_z = _cable_trays(draft)
    compute = in_rack & (kinds == "compute_tray")
    leaves = in_rack & (kinds == "network_switch") & rack_net[np.maximum(p.rack, 0)]
    fabric = []
    for ri, row in enumerate(draft.rows):
        in_row = part_row == row_code.get(str(row.name), -1)
        row_trays = np.flatnonzero(compute & in_row)
        row_leaves = np.flatnonzero(leaves & in_row)
        if not len(row_trays) or not len(row_leaves):
            continue
        tray_ports = _osfp_ports(draft, row_trays)
        down = ports.count_named(row_leaves[0], "down")
        leaf_ports = np.concatenate([ports.numbered(row_leaves, "down", np.full(len(row_leaves), j))[:, None]
                                     for j in range(down)], axis=1).reshape(-1)
        if len(tray_ports) > len(leaf_ports):
            raise TwinError(draft.source, f"row {row.name}: its compute trays have {len(tray_ports)} OSFP ports but "
                            f"its leaf switches only {len(leaf_ports)} down ports", where="rows")
        rate = 1600.0 if str(ports.column("kind")[tray_ports[0]]).endswith("1600g") else 800.0
        fabric.append(connect(draft, "fiber", rate, tray_ports, leaf_ports[: len(tray_ports)],
                              route=ri + 1, tray_z=tray_z[ri]))
    return fabric


def _cable_trays(draft: DesignDraft) -> list[float]:
    """One overhead tray along the front of each row (the cable_trays table); returns each row's tray height.

    On a campus every row tray sits at the site's one tray height and the campus trays join them.
    """
    racks = draft.racks
    campus = draft.spec["campus"] is not None
    site_z = site_tray_z(draft) if campus else 0.0
    tray_rows = []
    for ri, row in enumerate(draft.rows):
        front = -1.0 if row.yaw_deg == 0 else 1.0
        first = [racks.index[r.name] for r in row.racks[:1]]
        depth = max(racks.depth[first]) if row.racks else 1.2
        height = max(racks.height[first]) if row.racks else 2.3
        z = site_z if campus else height + TRAY_Z_ABOVE_RACK_M
        y = row.y + front * (depth / 2 - 0.15)
        tray_rows.append((ri + 1, f"{row.name}-tray", row.x_start, y, z, row.x_end, y, z, row.hall + 1, 0.6, 1200))
    row_z = [t[4] for t in tray_rows]
    if campus:
        tray_rows += campus_trays(draft, tray_rows, site_z)
    draft.tables["cable_trays"] = {
        "id": [t[0] for t in tray_rows], "name": [t[1] for t in tray_rows], "hall_id": [t[8] for t in tray_rows],
        "x0": [t[2] for t in tray_rows], "y0": [t[3] for t in tray_rows], "z0": [t[4] for t in tray_rows],
        "x1": [t[5] for t in tray_rows], "y1": [t[6] for t in tray_rows], "z1": [t[7] for t in tray_rows],
        "width_m": [t[9] for t in tray_rows], "height_m": [0.15] * len(tray_rows),
        "capacity": [t[10] for t in tray_rows]}
    return row_z


def _osfp_ports(draft: DesignDraft, trays: np.ndarray) -> np.ndarray:
    """All OSFP ports of `trays`, tray by tray (trays are all of one or several types)."""
    catalog, ports = draft.catalog, draft.ports
    types = draft.parts.type[trays]
    blocks = []
    for tid in np.unique(types):
        names = [n for n, kind, _ in expand_ports(catalog.of(tid)["ports"]) if kind.startswith("osfp")]
        sel = np.flatnonzero(types == tid)
        blocks.append((sel, np.stack([ports.catalog_port(int(tid), n, trays[sel]) for n in names], axis=1)))
    width = max(b.shape[1] for _, b in blocks)
    if any(b.shape[1] != width for _, b in blocks):
        raise TwinError(draft.source, "compute trays of one row have different OSFP port counts", where="part_types")
    out = np.empty((len(trays), width), np.int64)
    for sel, b in blocks:
        out[sel] = b
    return out.reshape(-1)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2… counting up within each run of equal group values (input order kept)."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = np.arange(len(g)) - run_start
    return rank
