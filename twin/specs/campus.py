"""The campus fabric of a site with `[campus]`: trays that join every hall to the spine hall, and
the leaf-to-spine single-mode fibre over them.

Why a stage of its own: inside a hall the fabric stays in its row (cabling.py); between halls
it runs hundreds of metres, so it needs a routed path (row tray → hall backbone → lead out of
the hall → campus duct → into the spine hall) and its lengths are only known after routing.
`campus_trays` adds the backbone, leads and duct to the tray rows; `spine_cables` connects
`uplinks_per_leaf` up ports of every leaf switch round-robin to the down ports of the spine
switches (the network racks of the spine hall's `role = "spine"` rows); `size_campus_fibre`
buys each fibre's length from its routed run once routing is done.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.model import physics
from twin.specs.draft import CableColumns, DesignDraft

BACKBONE_INSET_M = 1.0      # a hall's backbone tray runs along its west wall, this far in
DUCT_WIDTH_M = 0.9
DUCT_CAPACITY = 40_000      # single-mode trunks: far more, far thinner cables than a row tray
FIBRE_STEP_M = 10.0         # site fibre is bought cut to length in 10 m steps


def site_tray_z(draft: DesignDraft) -> float:
    """One tray height for the whole site (`[campus] tray_z_m`, else above the tallest rack) so that
    row trays, backbones and ducts meet."""
    from twin.specs.cabling import TRAY_Z_ABOVE_RACK_M

    given = draft.spec["campus"]["tray_z_m"]
    return float(given) if given > 0 else float(draft.racks.height.max(initial=2.0)) + TRAY_Z_ABOVE_RACK_M


def campus_trays(draft: DesignDraft, row_trays: list[tuple], z: float) -> list[tuple]:
    """Tray rows (id, name, x0, y0, z0, x1, y1, z1, hall id, width, capacity) joining every row tray
    to its hall's backbone, each backbone to the campus duct at `[campus] duct_y_m`."""
    spec = draft.spec
    duct_y = float(spec["campus"]["duct_y_m"])
    out: list[tuple] = []
    lead_x: list[float] = []

    def tray(name: str, a: tuple[float, float], b: tuple[float, float], hall: int) -> None:
        out.append((len(row_trays) + len(out) + 1, name, a[0], a[1], z, b[0], b[1], z, hall + 1,
                    DUCT_WIDTH_M, DUCT_CAPACITY))

    for h, hall in enumerate(spec["halls"]):
        ox, oy = hall["origin_m"]
        depth = hall["size_m"][1]
        if oy < duct_y < oy + depth:
            raise TwinError(draft.source, f"the campus duct at y {duct_y:g} m runs through hall {hall['name']} "
                            f"(y {oy:g}–{oy + depth:g} m); put it between the halls", where="campus.duct_y_m")
        mine = [t for t in row_trays if t[8] == h + 1]
        if not mine:
            continue
        bx = ox + BACKBONE_INSET_M
        ys = sorted({round(t[3], 6) for t in mine})
        for y in ys:
            # from the east-most row start on this line: it passes over the other rows' tray ends and joins them
            start = max(t[2] for t in mine if round(t[3], 6) == y)
            tray(f"{hall['name']}-riser-{y:.1f}", (start, y), (bx, y), h)
        near = ys[0] if duct_y < oy else ys[-1]
        far = ys[-1] if duct_y < oy else ys[0]
        if far != near:
            tray(f"{hall['name']}-backbone", (bx, far), (bx, near), h)
        tray(f"{hall['name']}-lead", (bx, near), (bx, duct_y), h)
        lead_x.append(bx)
    if len(lead_x) > 1 and max(lead_x) - min(lead_x) > 0:
        out.append((len(row_trays) + len(out) + 1, "campus-duct", min(lead_x), duct_y, z, max(lead_x), duct_y, z,
                    None, DUCT_WIDTH_M, DUCT_CAPACITY))
    return out


def spine_cables(draft: DesignDraft) -> CableColumns | None:
    """Leaf up ports to spine down ports over single-mode fibre (lengths set after routing)."""
    campus = draft.spec["campus"]
    p, ports, racks = draft.parts, draft.ports, draft.racks
    kinds = draft.catalog.attr("kind")[p.type]
    rack_net = np.array([r.network for r in racks.plans], bool)
    rack_spine = np.array([r.spine for r in racks.plans], bool)
    switch = (p.rack >= 0) & (kinds == "network_switch")
    safe = np.maximum(p.rack, 0)
    leaves = np.flatnonzero(switch & rack_net[safe] & ~rack_spine[safe])
    spines = np.flatnonzero(switch & rack_spine[safe])
    if not len(leaves):
        return None
    if not len(spines):
        raise TwinError(draft.source, "the spine rows hold no network switches", where="campus.spine_hall")
    uplinks = campus["uplinks_per_leaf"]
    have_up = ports.count_named(int(leaves[0]), "up")
    if uplinks > have_up:
        raise TwinError(draft.source, f"leaf switches have {have_up} up ports, fewer than uplinks_per_leaf "
                        f"{uplinks}", where="campus.uplinks_per_leaf")
    # Leaves plug into spines of their own connector (800G leaves into 800G spines, 1600G into 1600G).
    port_kind = ports.column("kind")
    leaf_kind = port_kind[ports.index(leaves, "up1")].astype(str)
    spine_kind = port_kind[ports.index(spines, "down1")].astype(str)
    blocks = []
    for kind in np.unique(leaf_kind):
        mine, theirs = leaves[leaf_kind == kind], spines[spine_kind == kind]
        if not len(theirs):
            raise TwinError(draft.source, f"{len(mine):,} leaf switches have {kind} up ports but no spine row has "
                            f"{kind} switches; add a spine row of that generation", where="campus.spine_hall")
        downs = ports.count_named(int(theirs[0]), "down")
        k = np.arange(len(mine) * uplinks)
        if len(k) > len(theirs) * downs:
            raise TwinError(draft.source, f"{len(mine):,} {kind} leaves × {uplinks} uplinks need {len(k):,} spine "
                            f"down ports; the {kind} spine switches have {len(theirs) * downs:,}",
                            where="campus.spine_hall")
        leaf_ports = ports.numbered(np.repeat(mine, uplinks), "up", np.tile(np.arange(uplinks), len(mine)))
        spine_ports = ports.numbered(theirs[k % len(theirs)], "down", k // len(theirs))
        rate = 1600.0 if kind.endswith("1600g") else 800.0
        n = len(k)
        blocks.append(CableColumns(leaf_ports, spine_ports, np.full(n, "smf", dtype=object), np.full(n, rate),
                                   np.full(n, FIBRE_STEP_M), np.full(n, "", dtype=object)))
    return CableColumns.concat(blocks)


def size_campus_fibre(tables: dict[str, dict[str, Any]]) -> None:
    """Each single-mode cable bought as its routed run plus slack, rounded up to FIBRE_STEP_M."""
    cables = tables["cables"]
    smf = np.asarray(cables["kind"], object) == "smf"
    if not smf.any():
        return
    routed = np.asarray(cables["routed_length_m"], float)
    need = np.nan_to_num(routed[smf], nan=0.0) + 2 * physics.CABLE_SLACK_M
    length = np.asarray(cables["length_m"], float).copy()
    length[smf] = np.ceil(need / FIBRE_STEP_M - 1e-9) * FIBRE_STEP_M
    cables["length_m"] = length

