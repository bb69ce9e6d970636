"""Sizing rules of `[sizing]`: facility capacity derived from the load it serves.

Why rules and not hand-tuned counts: a spec whose rows are edited (more racks, another
generation) keeps a site an engineer would sign only if the CRAHs, UPS modules, switchboards,
busway runs and trays follow the load. Each rule is off unless `[sizing]` turns it on, so a
spec without the section builds exactly as before; every count a rule derives is a minimum
the spec's own count cannot lower.

- `crahs`: a hall's CRAH count is its heat to air at maximum power over one unit's rating,
  rounded up, plus `crah_spare` (N+1 with the default 1).
- `power`: each row is cut into busway runs, and the runs are packed onto UPS modules and
  switchboards, so that at maximum power a run stays under `load_share` of its busway, a UPS
  group (`ups_per_switchboard` modules, one spare) under `load_share` of the modules left after
  one fails, each module under its share of that, and a switchboard under `load_share` with
  its mechanical panel (`[power] mechanical_share` of it) full.
- `trays`: after routing, each tray gets the narrowest standard width (stacking tiers where
  the widest is not enough) that holds the cables routed through it at `tray_fill`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.specs.layout import RackPlan, RowPlan

#: Standard tray widths (m) and one tier's depth; a tray holds TRAY_CABLES_PER_M2 cables per m²
#: of cross-section at 100 % fill (the 0.6 × 0.15 m row tray of 1,200 cables that specs get
#: without the rule).
TRAY_WIDTHS_M = (0.3, 0.45, 0.6, 0.75, 0.9)
TRAY_TIER_M = 0.15
TRAY_CABLES_PER_M2 = 1200 / (0.6 * 0.15)
MAX_TRAY_TIERS = 10          # a spine row's tray carries every uplink of its halls


@dataclass
class PowerPlan:
    """Busway runs of every row and the UPS module and switchboard that feeds each run."""

    runs: list[tuple[RowPlan, list[RackPlan]]] = field(default_factory=list)
    run_ups: list[int] = field(default_factory=list)        # UPS number within its hall
    boards: list[int] = field(default_factory=list)         # switchboards per hall


def switchboards_per_hall(spec: dict[str, Any], plan: PowerPlan | None) -> list[int]:
    """The switchboards each hall gets: the power plan's where `[sizing] power` made one, else the spec's
    `[power] switchboards`. The one rule placement and the spec's size check both follow."""
    return list(plan.boards) if plan is not None else [spec["power"]["switchboards"]] * len(spec["halls"])


def rack_max_w(spec: dict[str, Any], template: str) -> float:
    """What one rack of `template` draws at every part's catalog maximum (its budget if higher)."""
    types, tpl = spec["part_types"], spec["rack_templates"][template]
    parts = sum(slot["count"] * _max_w(types[slot["type"]]) for slot in tpl["layout"])
    return max(parts, tpl["budget_w"])


def _max_w(pt: dict[str, Any]) -> float:
    return pt["power_max_w"] or pt["power_nominal_w"]


def plan_power(spec: dict[str, Any], rows: list[RowPlan]) -> PowerPlan | None:
    """The power plan of `[sizing] power`, or None when the rule is off (one busway per row)."""
    sizing = spec["sizing"]
    if not sizing["power"]:
        return None
    power, types = spec["power"], spec["part_types"]
    share, m = sizing["load_share"], power["ups_per_switchboard"]
    if m < 2:
        raise TwinError(spec["source"], "sizing power needs at least 2 UPS modules per switchboard (N+1)",
                        where="power.ups_per_switchboard")
    ups_w = types[power["ups"]]["power_capacity_w"]
    board_w = types[power["switchboard"]]["power_capacity_w"]
    module_limit = share * ups_w * (m - 1) / m
    board_limit = (share - power["mechanical_share"]) * board_w
    run_limit = min(share * types[power["busway"]]["power_capacity_w"], module_limit, board_limit)
    if run_limit <= 0 or board_limit <= 0:
        raise TwinError(spec["source"], "the UPS, busway or switchboard leaves no capacity for IT load at "
                        f"load_share {share:g}", where="sizing")
    plan = PowerPlan(boards=[0] * len(spec["halls"]))
    module_load: list[list[float]] = [[] for _ in spec["halls"]]     # load per UPS module, per hall
    for row in rows:
        loads = [rack_max_w(spec, r.template) for r in row.racks]
        if max(loads, default=0.0) > run_limit:
            raise TwinError(spec["source"], f"row {row.name}: one rack draws {max(loads) / 1000:,.1f} kW at maximum, "
                            f"more than a busway run may carry ({run_limit / 1000:,.1f} kW)", where=row.where)
        start, total = 0, 0.0
        for k, w in enumerate(loads + [math.inf]):
            if total + w > run_limit:
                plan.runs.append((row, row.racks[start:k]))
                plan.run_ups.append(_place_run(module_load[row.hall], total, m, module_limit, board_limit))
                start, total = k, 0.0
            total += w
    mech = _mechanical_w(spec, rows)
    for h, modules in enumerate(module_load):
        boards = math.ceil(len(modules) / m)
        # the mechanical panels share the hall's CDUs and CRAHs; enough boards that each stays under share
        panel_w = power["mechanical_share"] * board_w
        need_for_mech = math.ceil(mech[h] / (share * panel_w)) if panel_w > 0 else 0
        plan.boards[h] = max(boards, need_for_mech, power["switchboards"])
    return plan


def _place_run(modules: list[float], load: float, m: int, module_limit: float, board_limit: float) -> int:
    """First fit of a run of `load` watts onto the hall's UPS modules; opens a module (and with it,
    every `m`, a switchboard) where none has room. Returns the module number."""
    for k, have in enumerate(modules):
        board = k // m
        on_board = sum(modules[board * m:(board + 1) * m])
        if have + load <= module_limit and on_board + load <= board_limit:
            modules[k] += load
            return k
    # a new module on a switchboard already too full for the run: leave that board's last modules spare
    while sum(modules[len(modules) // m * m:]) + load > board_limit:
        modules.append(0.0)
    modules.append(load)
    return len(modules) - 1


def _mechanical_w(spec: dict[str, Any], rows: list[RowPlan]) -> list[float]:
    """Each hall's CDU draw at maximum and that of the CRAHs it names (`crah_count`; CRAHs the
    `crahs` rule adds later are not counted: the panels' 20 % headroom carries them)."""
    types = spec["part_types"]
    out = [h["crah_count"] * _max_w(types[h["crah"]]) if h["crah"] else 0.0 for h in spec["halls"]]
    for row in rows:
        out[row.hall] += sum(_max_w(spec["part_types"][t]) for t, _, _ in row.cdus)
    return out


def crah_count(spec: dict[str, Any], hall: dict[str, Any], air_heat_w: float) -> int:
    """CRAHs for `air_heat_w` (the hall's heat to air at maximum, without the CRAHs): N + crah_spare.

    The CRAHs' own fans add to the heat they remove, so each unit counts for its rating less its own draw.
    """
    unit = spec["part_types"][hall["crah"]]
    net = unit["cooling_capacity_w"] - _max_w(unit)
    if net <= 0:
        raise TwinError(spec["source"], f"CRAH type '{hall['crah']}' removes no more heat than it makes",
                        where="sizing.crahs")
    return max(math.ceil(air_heat_w / net) + spec["sizing"]["crah_spare"], hall["crah_count"])


def hall_air_heat_max_w(spec: dict[str, Any], catalog: Any, part_type: np.ndarray, part_hall: np.ndarray,
                        hall: int) -> float:
    """Heat to air of the parts placed in `hall` at maximum power: all of an air-cooled part's,
    the share cold plates do not take of a liquid or hybrid one."""
    sel = part_type[part_hall == hall]
    power = np.where(catalog.attr("power_max_w") > 0, catalog.attr("power_max_w"), catalog.attr("power_nominal_w"))
    mode = catalog.attr("cooling_mode")
    frac = np.where(np.isin(mode, ["liquid", "hybrid"]), catalog.attr("liquid_fraction").astype(float), 0.0)
    frac = np.where((mode == "liquid") & (frac <= 0), 1.0, frac)
    return float((power[sel] * (1.0 - frac[sel])).sum())


def tray_size(cables: int, fill: float, density: float = TRAY_CABLES_PER_M2) -> tuple[float, float, int]:
    """(width m, height m, capacity in cables) of the narrowest standard tray that holds `cables` at
    `fill`, at `density` cables per m² of cross-section; tiers stack (up to MAX_TRAY_TIERS) where the
    widest tray is not enough."""
    need = cables / fill
    widest = TRAY_WIDTHS_M[-1] * TRAY_TIER_M * density
    tiers = max(1, math.ceil(need / widest))
    if tiers > MAX_TRAY_TIERS:
        tiers = MAX_TRAY_TIERS
    for width in TRAY_WIDTHS_M:
        capacity = int(width * tiers * TRAY_TIER_M * density)
        if capacity >= need:
            return width, tiers * TRAY_TIER_M, capacity
    return TRAY_WIDTHS_M[-1], tiers * TRAY_TIER_M, int(widest * tiers)


def tray_cable_counts(n_trays: int, path: np.ndarray, paths: list[tuple[int, ...]]) -> np.ndarray:
    """Cables routed through each of `n_trays` trays (`path`: each cable's index into `paths`, -1 outside
    trays); a cable that passes a tray twice counts once."""
    path = np.asarray(path, np.int64)
    per_path = np.bincount(path[path >= 0], minlength=len(paths))
    count = np.zeros(n_trays, np.int64)
    for p, trays_on in enumerate(paths):
        count[list(set(trays_on))] += per_path[p]
    return count


def size_trays(trays: dict[str, Any], path: np.ndarray, paths: list[tuple[int, ...]], fill: float) -> None:
    """Resize every tray of `trays` (the cable_trays table, in place) for the cables routed through it
    (`path`: each cable's index into `paths`, the distinct tray paths as tray rows; -1 outside trays)."""
    if not len(trays["id"]):
        return
    count = tray_cable_counts(len(trays["id"]), path, paths)
    # each tray keeps the density of cables it was generated for (fibre ducts hold far more per m²)
    density = np.asarray(trays["capacity"], float) / (np.asarray(trays["width_m"], float)
                                                      * np.asarray(trays["height_m"], float))
    sizes = [tray_size(int(c), fill, float(d)) for c, d in zip(count.tolist(), density.tolist())]
    trays["width_m"] = [s[0] for s in sizes]
    trays["height_m"] = [s[1] for s in sizes]
    trays["capacity"] = [s[2] for s in sizes]
