"""What a sensor-history plot shows for a part, a rack or a cooling loop (no Qt, no plotting).

Why here: the viewer's History dock, a script or a test asks the same three questions: which
sensors belong to what is selected, what their readings were over time (in the unit a reviewer
reads: °C, kW, L/min) and which limits apply to them. The answers are plain data; the dock
only draws them. Which sensors belong to a subject is numpy over `design.sensors` (a few
thousand rows on hall-2000); the readings are read by sensor id through the readings table's
(sensor_id, ts) key (`twin.store.telemetry.sensor_histories`), never by scanning all readings.

Rules:
- a rack → its own sensors (inlet, outlet, power…): `sensors.rack` is the rack;
- a part → the sensors attached to it (a CDU carries its loop's supply, return and flow);
  a part with none → its rack's, and the title says so; a rack frame is its rack;
- a cooling loop → the sensors of the loop (supply / return temperature, flow).
Limits, where the design has them: ASHRAE recommended and allowable (per the hall's class)
inlet maxima for inlet sensors, the rack's power budget for a rack's single power sensor, and a
loop's design return (supply + design ΔT) for return sensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.model import physics
from twin.model.design import Design

def plot_unit(unit: str) -> tuple[str, float]:
    """How a stored unit is plotted: ("°C", 1.0) for "degC", ("kW", 0.001) for "W" (rack
    powers are read in kW); other units in their one spelling (`physics.UNIT_DISPLAY`)."""
    if unit in ("W", "w"):
        return "kW", 1e-3
    return physics.UNIT_DISPLAY.get(unit, unit or ""), 1.0


@dataclass(frozen=True)
class Subject:
    """What a history is about: a part, rack or cooling loop, by row index in the design."""

    kind: str
    index: int

    def name(self, design: Design) -> str:
        table = {"part": design.parts, "rack": design.racks, "loop": design.cooling_loops}[self.kind]
        return str(table.name[self.index])

    def label(self, design: Design) -> str:
        """"rack A06", "loop G-loop1", "part A06-U05 (compute_tray)"."""
        if self.kind == "part":
            return f"part {self.name(design)} ({design.part_kind()[self.index]})"
        return f"{self.kind} {self.name(design)}"


@dataclass(frozen=True)
class Limit:
    """A horizontal line on the plot: `value` in `unit` (a display unit), named by `label`."""

    label: str
    value: float
    unit: str


@dataclass(frozen=True)
class SensorSeries:
    """One sensor's readings, oldest first: `times` datetime64[s] (UTC), `values` in `unit`."""

    sensor: int          # row in design.sensors
    name: str
    kind: str
    unit: str
    times: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class SensorHistory:
    """Everything the plot draws for one subject; `message` says why there is nothing to draw."""

    subject: Subject | None
    title: str
    series: list[SensorSeries] = field(default_factory=list)
    limits: list[Limit] = field(default_factory=list)
    message: str = ""

    def units(self) -> list[str]:
        """The quantities plotted, one axis each, in the order the sensors come."""
        return list(dict.fromkeys(s.unit for s in self.series))


def subject_sensors(design: Design, subject: Subject) -> np.ndarray:
    """Rows of `design.sensors` that belong to `subject` itself (no fallback), in id order."""
    s = design.sensors
    column = {"part": s.part, "rack": s.rack, "loop": s.cooling_loop}[subject.kind]
    return np.flatnonzero(column == subject.index)


def subject_of_part(design: Design, part: int) -> Subject:
    """What selecting `part` means for the plot: a rack frame stands for its rack, else the part."""
    rack = int(design.parts.rack[part])
    if rack >= 0 and design.part_kind()[part] == "rack":
        return Subject("rack", rack)
    return Subject("part", int(part))


def related_subjects(design: Design, part: int) -> list[Subject]:
    """Subjects a reviewer may want for a selected part: itself (or its rack, for a frame),
    its rack, and the cooling loop it (or its rack) is on. No duplicates."""
    out = [subject_of_part(design, part)]
    rack = int(design.parts.rack[part])
    if rack >= 0:
        out.append(Subject("rack", rack))
    loop = int(design.parts.cooling_loop[part])
    if loop < 0 and rack >= 0:
        loop = int(design.racks.cooling_loop[rack])
    if loop >= 0:
        out.append(Subject("loop", loop))
    return list(dict.fromkeys(out))


def plotted_sensors(design: Design, subject: Subject) -> tuple[np.ndarray, str]:
    """The sensor rows to plot for `subject` and the plot's title. A part without sensors of its
    own falls back to its rack's (the title says so); no sensors at all gives an empty array."""
    rows = subject_sensors(design, subject)
    title = subject.label(design)
    if not len(rows) and subject.kind == "part":
        rack = int(design.parts.rack[subject.index])
        if rack >= 0:
            rack_rows = subject_sensors(design, Subject("rack", rack))
            if len(rack_rows):
                return rack_rows, (f"{title}: no sensors of its own; those of rack "
                                   f"{design.racks.name[rack]}")
    return rows, title


def sensor_limits(design: Design, rows: np.ndarray, ashrae_class: str | None = None) -> list[Limit]:
    """Limits that apply to the sensors `rows` (see the module doc), without duplicates.

    `ashrae_class` overrides the halls' classes as the thermal analysis's setting does."""
    s, out = design.sensors, []
    kinds = s.kind[rows]
    inlet = rows[kinds == "inlet_temp"]
    if len(inlet):
        out.append(Limit("ASHRAE recommended", physics.ASHRAE_RECOMMENDED_C[1], "°C"))
        for cls in sorted({_ashrae_class(design, int(r), ashrae_class) for r in inlet.tolist()}):
            out.append(Limit(f"ASHRAE {cls} allowable", physics.ASHRAE_ALLOWABLE_C[cls][1], "°C"))
    power = rows[(kinds == "power") & (s.rack[rows] >= 0)]
    for rack in np.unique(s.rack[power]).tolist():
        budget = float(design.racks.power_budget_w[rack])
        single = np.count_nonzero((s.kind == "power") & (s.rack == rack)) == 1   # A/B feeds share one budget
        if budget > 0 and single:
            out.append(Limit("power budget", budget / 1e3, "kW"))
    loops = design.cooling_loops
    returns = rows[(kinds == "return_temp") & (s.cooling_loop[rows] >= 0)]
    for loop in np.unique(s.cooling_loop[returns]).tolist():
        supply, dt = float(loops.supply_c[loop]), float(loops.design_dt_k[loop])
        if np.isfinite(supply) and np.isfinite(dt) and dt > 0:
            out.append(Limit(f"design return (supply + {dt:g} K)", supply + dt, "°C"))
    return list(dict.fromkeys(out))


def _ashrae_class(design: Design, sensor: int, override: str | None) -> str:
    """The ASHRAE class of the hall a sensor stands in (its rack's, else its part's hall)."""
    if override and override.strip().upper() in physics.ASHRAE_ALLOWABLE_C:
        return override.strip().upper()
    rack, part = int(design.sensors.rack[sensor]), int(design.sensors.part[sensor])
    hall = int(design.racks.hall[rack]) if rack >= 0 else (int(design.part_hall()[part]) if part >= 0 else -1)
    name = str(design.halls.ashrae_class[hall]).strip().upper() if hall >= 0 else ""
    return name if name in physics.ASHRAE_ALLOWABLE_C else physics.DEFAULT_ASHRAE_CLASS


def build_history(design: Design, subject: Subject, rows: np.ndarray, title: str,
                  readings: list[tuple[np.ndarray, np.ndarray]], ashrae_class: str | None = None) -> SensorHistory:
    """A `SensorHistory` from the chosen sensor rows and their readings ((times, values) per row,
    as `twin.store.telemetry.sensor_histories` gives them): units converted for display."""
    s = design.sensors
    series = []
    for row, (times, values) in zip(rows.tolist(), readings):
        unit, factor = plot_unit(str(s.unit[row]))
        series.append(SensorSeries(int(row), str(s.name[row]), str(s.kind[row]), unit, times,
                                   np.asarray(values, np.float64) * factor))
    message = ""
    if not len(rows):
        message = f"{subject.label(design)} has no sensors"
        if subject.kind == "part" and int(design.parts.rack[subject.index]) < 0:
            message += " (and stands in no rack)"
    elif not any(len(x.times) for x in series):
        message = f"the sensors of {subject.label(design)} have no readings in this file"
    return SensorHistory(subject, title, series, sensor_limits(design, rows, ashrae_class), message)
