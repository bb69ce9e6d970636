"""Overlays: per-part (and per-cable) values the scene colours by, with legend metadata.

Numpy only. The scene turns an `Overlay` into colours and a legend; the app lists
`available_overlays` and says why a disabled one is disabled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model import Design

OVERLAY_NAMES = ("none", "thermal", "power", "cabling", "cooling", "supply")


@dataclass
class Overlay:
    """What to colour and how: `values` per part (NaN = not applicable, drawn neutral)."""

    name: str
    label: str
    unit: str
    values: np.ndarray
    vmin: float
    vmax: float
    colormap: str = "thermal"                 # thermal | viridis | categorical
    categories: tuple[str, ...] = ()          # names of integer codes when categorical
    cable_values: np.ndarray | None = None    # per cable, same colour map; None hides cables
    rack_reduce: str = "max"                  # how a rack drawn as one box summarises its parts
    measured: np.ndarray | None = None        # per part: True where the value is a sensor reading
    pipes: np.ndarray | None = None           # (k, 4, 3) polylines drawn as pipes (cooling loops)
    pipe_values: np.ndarray | None = None     # (k,) value per pipe, same colour map
    notes: list[str] = field(default_factory=list)

    @property
    def categorical(self) -> bool:
        return self.colormap == "categorical"


def available_overlays(design: Design) -> dict[str, str | None]:
    """Each overlay name → None when it can be shown, else the reason it cannot."""
    has_power = bool((design.part_power_w() > 0).any())
    return {
        "none": None,
        "thermal": None if has_power else "no part in this design draws power, so there is no heat to show",
        "power": None if len(design.racks) and (design.racks.power_budget_w > 0).any()
        else "no rack has a power budget",
        "cabling": None if len(design.cables) else "this design has no cables",
        "cooling": None if len(design.cooling_loops) else "this design has no cooling loops",
        "supply": None if len(design.suppliers) else "no suppliers in the catalog",
    }


def build_overlay(name: str, design: Design, **options) -> Overlay | None:
    """The overlay called `name` for `design` (None for 'none'); ValueError for unknown names."""
    if name not in OVERLAY_NAMES:
        raise ValueError(f"unknown overlay {name!r}: choose one of {', '.join(OVERLAY_NAMES)}")
    reason = available_overlays(design)[name]
    if reason:
        raise ValueError(f"overlay {name!r} is not available: {reason}")
    if name == "none":
        return None
    return _BUILDERS[name](design, **options)


def power_overlay(design: Design) -> Overlay:
    """Each rack's IT load as a share of its power budget, on every part in the rack."""
    budget = design.racks.power_budget_w
    util = np.where(budget > 0, design.rack_power_w() / np.where(budget > 0, budget, 1) * 100.0, np.nan)
    rack = design.parts.rack
    values = np.where(rack >= 0, util[np.maximum(rack, 0)], np.nan)
    return Overlay("power", "Rack load / budget", "%", values, 0.0, 120.0, "thermal")


def cabling_overlay(design: Design) -> Overlay:
    """Cables drawn and coloured by kind (fiber, DAC, AEC, power, coolant…)."""
    names = tuple(design.cable_kinds)
    return Overlay("cabling", "Cable kind", "", np.full(len(design.parts), np.nan), 0, max(len(names) - 1, 1),
                   "categorical", names, cable_values=design.cables.kind.astype(float))


def cooling_overlay(design: Design, at: str | None = None) -> Overlay:
    """Liquid loops: each CDU's supply and return pipes to its racks' manifolds, coloured by
    coolant temperature, and every liquid-cooled part by its loop's return temperature."""
    from twin.analysis.thermal import analyse_thermal_at

    result = analyse_thermal_at(design, at)
    loops = result.loops
    part_loop = design.parts.cooling_loop
    liquid = np.asarray(loops.liquid, bool)
    on_liquid = (part_loop >= 0) & liquid[np.maximum(part_loop, 0)]
    values = np.full(len(design.parts), np.nan)
    values[on_liquid] = np.asarray(loops.return_c)[part_loop[on_liquid]]
    units = np.asarray(loops.unit_part)
    has_unit = liquid & (units >= 0)
    values[units[has_unit]] = np.asarray(loops.supply_c)[has_unit]
    pipes, pipe_values = _loop_pipes(design, np.asarray(loops.supply_c), np.asarray(loops.return_c), units, liquid)
    when = f" at {result.reading_ts}" if result.reading_ts else " (estimated)"
    return Overlay("cooling", "Coolant" + when, "°C", values, 18.0, 60.0, "thermal", pipes=pipes,
                   pipe_values=pipe_values)


def _loop_pipes(design: Design, supply_c: np.ndarray, return_c: np.ndarray, units: np.ndarray,
                liquid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overhead pipe runs CDU → each rack's supply manifold and return manifold → CDU."""
    parts, kinds = design.parts, design.part_kind()
    racks = np.flatnonzero((design.racks.cooling_loop >= 0))
    racks = racks[liquid[design.racks.cooling_loop[racks]]]
    manifolds = np.flatnonzero(kinds == "manifold")
    if not len(racks) or not len(manifolds):
        return np.zeros((0, 4, 3)), np.zeros(0)
    size = design.part_size()
    top = parts.position[:, 2] + size[:, 2]
    runs, vals = [], []
    by_rack = {}
    for m in manifolds:                       # two manifolds per rack: a few thousand at most
        by_rack.setdefault(int(parts.rack[m]), []).append(int(m))
    for r in racks:
        loop = int(design.racks.cooling_loop[r])
        cdu = int(units[loop])
        if cdu < 0 or int(r) not in by_rack:
            continue
        mans = sorted(by_rack[int(r)], key=lambda m: str(parts.name[m]))     # ...-manifold-return, -supply
        for m, value, lift in ((mans[-1], supply_c[loop], 0.45), (mans[0], return_c[loop], 0.6)):
            a = parts.position[cdu].copy()
            a[2] = top[cdu]
            b = parts.position[m].copy()
            b[2] = top[m]
            z = max(top[cdu], top[m]) + lift
            runs.append([a, [a[0], a[1], z], [b[0], b[1], z], b])
            vals.append(value)
    return np.array(runs, float).reshape(-1, 4, 3), np.array(vals, float)


def supply_overlay(design: Design) -> Overlay:
    """Where each part comes from: domestic or imported (the design's home country)."""
    supplier = design.part_types.supplier[design.parts.type]
    domestic = np.where(supplier >= 0, design.suppliers.domestic[np.maximum(supplier, 0)], -1)
    values = np.where(domestic < 0, np.nan, 1.0 - domestic)
    home = design.meta.get("home_country", "home")
    return Overlay("supply", f"Origin vs {home}", "", values, 0, 1, "categorical",
                   (f"domestic ({home})", "imported"))


def thermal_overlay(design: Design, at: str | None = None, quantity: str = "inlet") -> Overlay:
    """Temperatures from the thermal analysis (sensor readings where they exist).

    `quantity` "inlet" (default) colours each part by the air reaching it, which is what the
    ASHRAE envelope judges and where hot spots show; "part" colours by each part's own
    temperature (outlet air, or coolant return for fully liquid-cooled parts).
    """
    from twin.analysis.thermal import analyse_thermal_at

    if quantity not in ("inlet", "part"):
        raise ValueError(f"unknown thermal quantity {quantity!r}: use 'inlet' or 'part'")
    result = analyse_thermal_at(design, at)
    when = f" at {result.reading_ts}" if result.reading_ts else " (estimated)"
    if quantity == "inlet":
        values, label, vmin, vmax = result.inlet_c, "Inlet air", 18.0, 35.0
    else:
        values, label, vmin, vmax = result.part_temperature_c, "Part temperature", 18.0, 60.0
    return Overlay("thermal", label + when, "°C", np.asarray(values, float), vmin, vmax, "thermal",
                   measured=np.asarray(result.measured, bool))


_BUILDERS = {"thermal": thermal_overlay, "power": power_overlay, "cabling": cabling_overlay,
             "cooling": cooling_overlay, "supply": supply_overlay}
