"""The cooling overlay: liquid loops drawn as pipes and coloured by coolant temperature.

It colours by the thermal analysis's loop results, so it follows the time slider with it.
"""

from __future__ import annotations

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import AnalysisResult, OverlayDef, register_overlay
from twin.model import Design


def cooling_overlay(design: Design, result: AnalysisResult) -> Overlay:
    """Liquid loops: each CDU's supply and return pipes to its racks' manifolds, coloured by
    coolant temperature, and every liquid-cooled part by its loop's return temperature."""
    thermal = result.detail
    loops = thermal.loops
    part_loop = design.parts.cooling_loop
    liquid = np.asarray(loops.liquid, bool)
    on_liquid = (part_loop >= 0) & liquid[np.maximum(part_loop, 0)]
    values = np.full(len(design.parts), np.nan)
    values[on_liquid] = np.asarray(loops.return_c)[part_loop[on_liquid]]
    units = np.asarray(loops.unit_part)
    has_unit = liquid & (units >= 0)
    values[units[has_unit]] = np.asarray(loops.supply_c)[has_unit]
    pipes, pipe_values = _loop_pipes(design, np.asarray(loops.supply_c), np.asarray(loops.return_c), units, liquid)
    when = f" at {thermal.reading_ts}" if thermal.reading_ts else " (estimated)"
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
    by_rack: dict[int, list[int]] = {}
    for m in manifolds.tolist():              # two manifolds per rack: a few thousand at most
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


def _available(design: Design) -> str | None:
    return None if len(design.cooling_loops) else "this design has no cooling loops"


register_overlay(OverlayDef("cooling", "Cooling loops", cooling_overlay, analysis="thermal", available=_available,
                            description="CDU supply and return pipes and liquid-cooled parts by coolant temperature"))
