"""Deliberate faults a spec can seed, so reviews and tests have something real to find.

- `cdu_over_capacity` swaps a row's CDUs for an undersized type (before placement);
- `rack_over_budget` raises a rack's compute-tray power by a factor;
- `dac_too_long` turns one of a rack's high-speed cables into a DAC longer than DAC reaches;
- `hot_spot` lifts one rack's inlet temperature in the generated telemetry (telemetry.py);
- `node_undersized` gives a named power node (a busway run, switchboard, UPS, busbar…) a smaller
  rating than its design (`capacity_kw`): a 400 A busway where the rules ask for 1,200 A, a breaker
  set low (after the power chain is built);
- `ups_module_missing` leaves one UPS module of a switchboard's N+1 group out of the line-up; the
  busway runs the plan gave it go to the module of its switchboard that carries least, so the group
  carries its full load on one module fewer (placement.py, power.py);
- `tray_overfilled` installs a named cable tray one size too shallow, so the cables routed through
  it fill it to `fill` of its capacity (after routing, cable_routes.py).
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


def _where(i: int, key: str) -> str:
    return f"faults[{i}].{key}"


def missing_ups_modules(spec: dict[str, Any]) -> dict[str, int]:
    """UPS module name -> index of the `ups_module_missing` fault that leaves it out."""
    return {f["node"]: i for i, f in enumerate(spec["faults"]) if f["kind"] == "ups_module_missing"}


def check_missing_ups(spec: dict[str, Any], boards: list[list[str]]) -> None:
    """Every module a `ups_module_missing` fault names exists in the line-up (`boards`: each switchboard's
    module names), and its group keeps two modules: one left leaves no N+1 group to judge."""
    missing = missing_ups_modules(spec)
    names = [n for board in boards for n in board]
    for name, i in missing.items():
        if name not in names:
            examples = ", ".join(names[:3]) + (f" … {names[-1]}" if len(names) > 3 else "")
            raise TwinError(spec["source"], f"no UPS module called '{name}' (this site's: {examples or 'none'})",
                            where=_where(i, "node"))
    for board in boards:
        kept = [n for n in board if n not in missing]
        if len(kept) < 2 and len(kept) < len(board):
            i = missing[next(n for n in board if n in missing)]
            raise TwinError(spec["source"], f"leaving out {', '.join(n for n in board if n in missing)} keeps "
                            f"{len(kept)} UPS module on its switchboard: an N+1 group needs two "
                            "(raise power.ups_per_switchboard)", where=_where(i, "node"))


def apply_node_faults(draft: DesignDraft) -> None:
    """`node_undersized`: the named power node gets `capacity_kw` (after power_chain)."""
    spec, nodes = draft.spec, draft.tables["power_nodes"]
    index = {str(n): k for k, n in enumerate(nodes["name"])}
    for i, fault in enumerate(spec["faults"]):
        if fault["kind"] != "node_undersized":
            continue
        k = index.get(fault["node"])
        if k is None:
            kinds = sorted({str(kind) for kind in nodes["kind"]})
            raise TwinError(spec["source"], f"no power node called '{fault['node']}' (power nodes are named like "
                            f"{_examples(nodes, kinds)})", where=_where(i, "node"))
        nodes["capacity_w"][k] = fault["capacity_kw"] * 1000.0


def _examples(nodes: dict[str, Any], kinds: list[str]) -> str:
    """One node name of each kind, for an error message."""
    first = {}
    for name, kind in zip(nodes["name"], nodes["kind"]):
        first.setdefault(str(kind), str(name))
    return ", ".join(f"{first[k]} ({k})" for k in kinds)


def apply_tray_faults(spec: dict[str, Any], trays: dict[str, Any], cables_in: np.ndarray) -> None:
    """`tray_overfilled`: the named tray's depth (and with it its capacity) cut so that the `cables_in`
    it carries fill it to `fault.fill`; its width stays, so routes and tray joins do not change."""
    index = {str(n): k for k, n in enumerate(trays.get("name", []))}
    for i, fault in enumerate(spec["faults"]):
        if fault["kind"] != "tray_overfilled":
            continue
        k = index.get(fault["tray"])
        if k is None:
            names = list(index)
            raise TwinError(spec["source"], f"no cable tray called '{fault['tray']}' (this design's: "
                            f"{', '.join(names[:4]) or 'none'}{' …' if len(names) > 4 else ''})", where=_where(i, "tray"))
        count = int(cables_in[k])
        if count == 0:
            raise TwinError(spec["source"], f"tray '{fault['tray']}' carries no cables: nothing to overfill",
                            where=_where(i, "tray"))
        capacity = max(1, int(count / fault["fill"]))
        if capacity >= int(trays["capacity"][k]):
            raise TwinError(spec["source"], f"tray '{fault['tray']}' already holds its {count:,} cables at "
                            f"{count / float(trays['capacity'][k]):.0%}: a fill of {fault['fill']:g} would not "
                            "overfill it", where=_where(i, "fill"))
        trays["height_m"][k] = float(trays["height_m"][k]) * capacity / float(trays["capacity"][k])
        trays["capacity"][k] = capacity
