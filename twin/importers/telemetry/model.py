"""What a telemetry source yields before binding, and what an import reports.

A source reader (Redfish, Prometheus, CSV) turns its input into `Observed` sensors: one per
thing that reads a value, identified within its source by `uri` (a Redfish `@odata.id`, a
Prometheus series `metric{labels}`, a CSV sensor name), with the clues binding uses (the
owning equipment's serial number and rack placement, Prometheus labels) and its readings,
already in the design's units. Binding (`binding.py`) then decides which part, rack or loop
each one measures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Placement:
    """Redfish `Location.Placement`: row and rack names, and the lowest U (`RackOffset`)."""

    row: str = ""
    rack: str = ""
    offset: int | None = None
    offset_units: str = ""


@dataclass
class Observed:
    """One sensor as the source describes it, readings in the stored unit (`unit`)."""

    uri: str                         # identity within the source; never carries credentials
    name: str                        # short label (Redfish Id / Name, the metric, the CSV name)
    kind: str                        # quantity: inlet_temp, outlet_temp, power, supply_temp, flow, temperature…
    unit: str                        # stored unit (twin/importers/telemetry/units.py)
    readings: list[tuple[str, float]] = field(default_factory=list)   # (canonical ts, value)
    owner_uri: str = ""              # the equipment it belongs to (a Redfish chassis, CDU, shelf…)
    serial: str = ""                 # the owner's SerialNumber (or a Prometheus UUID/Hostname)
    serial_keys: tuple[str, ...] = ()  # every label value that may be a serial (Prometheus: UUID, Hostname)
    placement: Placement | None = None
    labels: dict[str, str] = field(default_factory=dict)   # Prometheus labels (CSV: its target columns)
    reading_type: str = ""
    physical_context: str = ""
    health: str = ""
    range_min: float | None = None
    range_max: float | None = None
    explicit: dict[str, str] = field(default_factory=dict)  # CSV's own part/rack/loop/quantity columns


@dataclass
class Refused:
    """A sensor of the source that cannot be imported (unknown unit, no value…), and why."""

    uri: str
    reason: str


@dataclass
class Harvest:
    """Everything read from one source."""

    source: str                      # the source as recorded: credentials and queries stripped
    kind: str                        # redfish, prometheus or csv
    sensors: list[Observed] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def refuse(self, uri: str, reason: str) -> None:
        self.refused.append(Refused(uri, reason))


@dataclass
class SourceReport:
    """The outcome of one source: imported (`ok`) or not, with one line of error, and its bindings.

    `bound`: (sensor URI or label, what it binds to: `part A01-U05 (by serial 1X2Y)`);
    `unbound`: (sensor URI or label, why not)."""

    source: str
    ok: bool = False
    error: str | None = None
    readings_added: int = 0
    sensors_added: int = 0
    bound: list[tuple[str, str]] = field(default_factory=list)
    unbound: list[tuple[str, str]] = field(default_factory=list)
    kind: str = ""
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "kind": self.kind, "ok": self.ok, "error": self.error,
                "readings_added": self.readings_added, "sensors_added": self.sensors_added,
                "bound": [{"sensor": s, "target": t} for s, t in self.bound],
                "unbound": [{"sensor": s, "reason": r} for s, r in self.unbound], "notes": list(self.notes)}
