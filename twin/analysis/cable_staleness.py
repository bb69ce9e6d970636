"""Stored cable routes gone stale against the geometry: one finding per rack whose cables moved.

Why grouped: a rack moved after its routes were written takes every cable leaving it with
it (a hundred or more); one finding per rack names how many, the worst one and how far its
stored length is from where its ports now are, and flies to the rack. The cabling check
itself has already measured the cables on their routes as the geometry stands.
"""

from __future__ import annotations

import numpy as np

from twin.analysis.findings import Finding
from twin.model import Design


def stale_route_findings(design: Design, stale: np.ndarray, stored_m: np.ndarray, now_m: np.ndarray) -> list[Finding]:
    """Warnings for cables whose stored route no longer matches their ports, grouped by the rack
    of their a-end (else b-end; cables on no rack each on their own)."""
    rows = np.flatnonzero(stale)
    if not len(rows):
        return []
    c, parts = design.cables, design.parts
    rack_a = np.where(c.a_part[rows] >= 0, parts.rack[np.maximum(c.a_part[rows], 0)], -1)
    rack_b = np.where(c.b_part[rows] >= 0, parts.rack[np.maximum(c.b_part[rows], 0)], -1)
    key = np.where(rack_a >= 0, rack_a, rack_b)
    off = np.abs(now_m[rows] - stored_m[rows])
    labels = design.cable_labels(rows)
    out = []
    for k in np.unique(key).tolist():
        mine = np.flatnonzero(key == k)
        groups: list[list[int]] = [[m] for m in mine.tolist()] if k < 0 else [mine.tolist()]
        for members in groups:
            g = np.asarray(members)
            w = int(g[np.argmax(off[g])])
            r = int(rows[w])
            name = str(labels.name[w]) or f"cable row {r + 1}"
            where = design.local_to_world(np.array([max(int(c.a_part[r]), 0)]), c.a_offset[r:r + 1])[0]
            head = f"{len(g)} cables' stored routes no longer match where their ports are; worst " if len(g) > 1 \
                else "stored route no longer matches where its ports are: "
            subject = str(design.racks.name[k]) if k >= 0 else name
            out.append(Finding("warning", "route-stale",
                               f"{head}{name}: stored {stored_m[r]:.2f} m, {now_m[r]:.2f} m as the ports stand "
                               f"({now_m[r] - stored_m[r]:+.2f} m); checked on the geometry, rebuild to store it",
                               part=int(c.a_part[r]), rack=int(k), cable=r,
                               location=tuple(where) if np.isfinite(where).all() else None,
                               value=float(now_m[r]), limit=float(stored_m[r]), unit="m", subject=subject,
                               below=bool(now_m[r] < stored_m[r]),
                               analysis="cabling"))
    return out
