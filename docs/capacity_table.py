"""Print the capacity-against-load table of docs/capacities.md for built sample designs.

    .venv/bin/python docs/capacity_table.py build/nvl72-pod.twin.db build/ai-hall.twin.db …

One row per design, nominal basis: air heat against the CRAHs (and with the largest down),
liquid heat against the installed CDUs (the busiest loop and how many loops are above the
80 % design rule), power against UPS groups with one unit lost and busways, tray fill, and
how many findings `twin check` gives.
"""

from __future__ import annotations

import sys

import numpy as np

from twin.session import ReviewSession
from twin.store import load_design


def row(path: str) -> str:
    design = load_design(path)
    session = ReviewSession(design)
    thermal = session.result("thermal").detail
    loops = thermal.loops
    air = ~loops.liquid & (loops.capacity_w > 0)
    air_heat, air_cap = loops.heat_w[air].sum(), loops.capacity_w[air].sum()
    air_n1 = (loops.capacity_w - loops.largest_unit_w)[air].sum()
    liquid = loops.liquid & (loops.capacity_w > 0)
    util = loops.heat_w[liquid] / loops.capacity_w[liquid]
    power = session.result("power").detail
    groups = power.groups
    worst_group = max((g.load_w / g.surviving_w for g in groups if g.surviving_w > 0), default=np.nan)
    kinds = np.asarray(design.power_nodes.kind, object)
    busway = power.nodes.utilization[kinds == "busway"]
    cabling = session.result("cabling").detail if len(design.cables) else None
    fill = cabling.tray_share if cabling is not None else np.zeros(0)
    findings = session.findings()
    crit = sum(f.severity == "critical" for f in findings)
    name = design.meta.get("design_name", path)
    return (f"| {name} | {air_heat / 1e6:,.2f} MW on {air_cap / 1e6:,.2f} MW ({air_heat / max(air_cap, 1):.0%}; "
            f"N+1 {air_heat / max(air_n1, 1):.0%}) | {loops.heat_w[liquid].sum() / 1e6:,.2f} MW on "
            f"{loops.capacity_w[liquid].sum() / 1e6:,.2f} MW (busiest {np.max(util, initial=0):.0%}, "
            f"{int((util > 0.8).sum())} of {len(util)} above 80 %) | IT {power.racks.load_w.sum() / 1e6:,.2f} MW; "
            f"worst UPS group with one lost {worst_group:.0%}, {sum(not g.holds for g in groups)} of {len(groups)} "
            f"lose N+1; busways up to {np.nanmax(busway, initial=0):.0%} | trays up to "
            f"{np.nanmax(fill, initial=0):.0%} full | {len(findings):,} ({crit:,} critical) |")


def main(paths: list[str]) -> None:
    print("| sample | air (CRAHs) | liquid (CDUs) | power | trays | findings |")
    print("|---|---|---|---|---|---|")
    for path in paths:
        print(row(path))


if __name__ == "__main__":
    main(sys.argv[1:])
