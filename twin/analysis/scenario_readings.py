"""Readings under a scenario: those of what the scenario changes no longer hold.

Readings describe the design as it is. Under a what-if, a sensor whose quantity the scenario
changes (the flow of a loop that lost a CDU, the inlet of a hall whose supply air is set, the
power of a rack that lost it) would pin the analysis to today's value, so the session passes
the analyses a snapshot without them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from twin.analysis.scenario import effect_of
from twin.model import Design
from twin.model.readings import ReadingSnapshot


def scenario_readings(design: Design, snapshot: ReadingSnapshot | None) -> ReadingSnapshot | None:
    """`snapshot` without the readings a scenario makes untrue: readings describe the design as
    it is, and a sensor whose quantity the scenario changes would pin the what-if to today's value.
    Dropped: every sensor on a part that is down; power and outlet sensors of racks whose load
    changed (scaled, lost power, heat moved to air); every sensor of a loop whose units changed
    or whose coolant supply is set; inlet sensors of racks in a hall whose supply air is set."""
    effect = effect_of(design)
    if effect is None or snapshot is None or not len(design.sensors):
        return snapshot
    sensors, racks = design.sensors, design.racks
    kind = np.asarray(sensors.kind, object)
    part, rack, loop = (np.asarray(sensors.part, np.int64), np.asarray(sensors.rack, np.int64),
                        np.asarray(sensors.cooling_loop, np.int64))
    on_lost = np.zeros(len(racks), bool)
    moved = (effect.baseline_loop >= 0) & np.append(effect.lost_loops, False)[effect.baseline_loop]
    on_lost[np.asarray(design.parts.rack)[moved & (design.parts.rack >= 0)]] = True
    load_changed = effect.scaled | effect.lost_power | on_lost
    rack_hall = np.asarray(racks.hall, np.int64)
    hall_set = np.append(effect.supply_halls, False)[rack_hall] if len(racks) else np.zeros(0, bool)
    drop = np.append(effect.down, False)[part]
    drop |= np.isin(kind, ["power", "outlet_temp"]) & np.append(load_changed, False)[rack]
    drop |= np.append(effect.touched_loops | effect.supply_loops, False)[loop]
    drop |= (kind == "inlet_temp") & np.append(hall_set, False)[rack]
    if not drop.any():
        return snapshot
    dropped_ids = np.asarray(sensors.id, np.int64)[drop]
    gone = np.isin(snapshot.sensor_id, dropped_ids)
    return dataclasses.replace(snapshot, value=np.where(gone, np.nan, snapshot.value),
                               reading_ts=np.where(gone, "", snapshot.reading_ts))
