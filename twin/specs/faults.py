"""Deliberate faults a spec can seed, so reviews and tests have something real to find.

- `cdu_over_capacity` swaps a row's CDUs for an undersized type (before placement);
- `rack_over_budget` raises a rack's compute-tray power by a factor;
- `dac_too_long` turns one of a rack's high-speed cables into a DAC longer than DAC reaches;
- `hot_spot` lifts one rack's inlet temperature in the generated telemetry (telemetry.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.specs.draft import DesignDraft
from twin.specs.layout import RowPlan

RACK_FAULTS = ("rack_over_budget", "dac_too_long", "hot_spot")


def apply_row_faults(spec: dict[str, Any], rows: list[RowPlan]) -> None:
    """Faults that change the plan itself: undersized CDUs."""
    by_name = {r.name: r for r in rows}
    for i, fault in enumerate(spec["faults"]):
        if fault["kind"] != "cdu_over_capacity":
            continue
        if fault["row"] not in by_name:
            raise TwinError(spec["source"], f"row '{fault['row']}' does not exist", where=f"faults[{i}].row")
        if not fault["cdu"]:
            raise TwinError(spec["source"], "a cdu_over_capacity fault needs 'cdu' (the undersized CDU type)",
                            where=f"faults[{i}]")
        row = by_name[fault["row"]]
        row.cdus = [(fault["cdu"], x, y) for _, x, y in row.cdus]


def apply_part_faults(draft: DesignDraft) -> None:
    """Faults on placed parts and cables; sets `draft.part_power` (-1 = catalog nominal)."""
    spec, p, catalog, cables = draft.spec, draft.parts, draft.catalog, draft.cables
    draft.part_power = np.full(len(p), -1.0)
    kinds = catalog.attr("kind")[p.type]
    nominal = catalog.attr("power_nominal_w")[p.type]
    for i, fault in enumerate(spec["faults"]):
        if fault["kind"] not in RACK_FAULTS:
            continue
        if fault["rack"] not in draft.racks.index:
            raise TwinError(spec["source"], f"rack '{fault['rack']}' does not exist", where=f"faults[{i}].rack")
        members = draft.racks.members[draft.racks.index[fault["rack"]]]
        if fault["kind"] == "rack_over_budget":
            trays = members[kinds[members] == "compute_tray"]
            draft.part_power[trays] = nominal[trays] * fault["power_factor"]
        elif fault["kind"] == "dac_too_long":
            a_part = draft.ports.column("part")[cables.a]
            hits = np.flatnonzero(np.isin(a_part, members) & (cables.kind != "coolant") & (cables.rate >= 800))
            if not len(hits):
                raise TwinError(spec["source"], "rack has no high-speed cable to turn into a DAC",
                                where=f"faults[{i}].rack")
            cables.kind[hits[0]] = "dac"
            cables.length[hits[0]] = fault["length_m"]
    if spec["telemetry"] is None and any(f["kind"] == "hot_spot" for f in spec["faults"]):
        raise TwinError(spec["source"], "a hot_spot fault needs a [telemetry] table", where="faults")
