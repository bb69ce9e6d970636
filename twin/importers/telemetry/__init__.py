"""Telemetry from the site into the design: Redfish (live or a mockup folder), Prometheus text, CSV.

`import_sources(design, sources)` reads each source, binds its sensors to the design's parts,
racks and loops (binding.py) and adds them and their readings to the design file, one
transaction per source: a source that fails (unreachable, refused credentials, not readable)
is reported in one line and changes nothing, and the other sources are still imported.
`bindings(design, sources)` does the same reading and binding without writing, for
`twin telemetry bindings`. docs/telemetry.md describes the sources, the units and the map.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from twin.errors import TwinError
from twin.importers.telemetry.binding import DesignIndex, MapEntry, bind, read_map
from twin.importers.telemetry.client import MockupFolder, Refusal, Service, Unreachable, public_label
from twin.importers.telemetry.model import Harvest, Observed, SourceReport
from twin.store.telemetry import TS_FORMAT
from twin.store.telemetry_write import SensorRow, add_telemetry

__all__ = ["SourceReport", "import_sources", "bindings", "read_source"]


def read_source(source: str, *, ca_bundle: str | None = None, timeout_s: float = 10.0) -> Harvest:
    """Every sensor one source reports (no design needed); TwinError / Unreachable / Refusal when it cannot be read."""
    from twin.importers.telemetry import csv_source, prometheus, redfish

    text = str(source)
    if text.startswith(("http://", "https://")):
        return redfish.crawl(text, Service(text, ca_bundle=ca_bundle, timeout_s=timeout_s))
    path = Path(text)
    if path.is_dir():
        return redfish.crawl(text, MockupFolder(path))
    if not path.exists():
        raise TwinError(path, "no such file or folder (a SOURCE is a Redfish URL, a mockup folder, a Prometheus "
                              "capture or a CSV of readings)")
    if path.suffix.lower() == ".csv":
        return csv_source.read_csv(path)
    return prometheus.read_prometheus(path)


def _resolve(design_path: Path, source: str, index: DesignIndex, entries: list[MapEntry], ca_bundle: str | None,
             timeout_s: float) -> tuple[SourceReport, Harvest | None, list[SensorRow]]:
    report = SourceReport(source=public_label(str(source)))
    try:
        harvest = read_source(source, ca_bundle=ca_bundle, timeout_s=timeout_s)
    except TwinError as exc:
        report.error = str(exc).splitlines()[0]
        return report, None, []
    except (Unreachable, Refusal) as exc:
        report.error = f"{report.source}: {str(exc).splitlines()[0]}"
        return report, None, []
    report.source, report.kind, report.notes = harvest.source, harvest.kind, list(harvest.notes)
    rows: list[SensorRow] = []
    for obs in harvest.sensors:
        target, kind, why = bind(obs, index, entries)
        label = obs.uri
        if target is None:
            report.unbound.append((label, why))
        else:
            report.bound.append((label, f"{target.label} ({target.how})"))
        rows.append(_row(obs, target.part_id if target else None, target.rack_id if target else None,
                         target.loop_id if target else None, kind,
                         f"{target.name}/{obs.name}" if target else _unbound_name(obs)))
    report.unbound += [(r.uri, f"not imported: {r.reason}") for r in harvest.refused]
    report.notes += _power_levels(index, harvest.source, rows)
    return report, harvest, rows


def _power_levels(index: DesignIndex, source: str, rows: list[SensorRow]) -> list[str]:
    """A note per rack that would have power sensors both on the rack and on parts in it.

    The analyses count such a rack once (`twin.analysis.rack_power.measured_rack_power`): its
    rack meters are its measured power, and the part meters are not added to them. The note
    says so, since a reviewer importing GPU power may expect it to move the rack's figure."""
    levels: dict[int, dict[str, str]] = {}

    def level(rack: int, part: int | None) -> str:
        frame = index.frames.get(rack)
        return "rack" if part is None or (frame is not None and part == frame[0]) else "part"

    new = {(source, row.source_uri) for row in rows}
    for rack, part, name, src, uri in index.power_sensors:
        if (src, uri) not in new:
            levels.setdefault(rack, {}).setdefault(level(rack, part), str(name))
    for row in rows:
        if row.kind == "power" and row.rack_id is not None:
            levels.setdefault(row.rack_id, {}).setdefault(level(row.rack_id, row.part_id), row.name)
    return [f"rack {index.rack_names.get(rack, rack)} has power sensors on the rack ({names['rack']}) and on "
            f"parts in it ({names['part']}): the rack meter is its measured power, the part meters are not added "
            "to it (docs/telemetry.md)"
            for rack, names in sorted(levels.items()) if len(names) == 2]


def _unbound_name(obs: Observed) -> str:
    uri = obs.uri.removeprefix("/redfish/v1/")
    return uri if len(uri) <= 120 else uri[-120:]


def _row(obs: Observed, part: int | None, rack: int | None, loop: int | None, kind: str, name: str) -> SensorRow:
    return SensorRow(source_uri=obs.uri, name=name, kind=kind, unit=obs.unit, part_id=part, rack_id=rack,
                     loop_id=loop, readings=list(obs.readings), reading_type=obs.reading_type,
                     physical_context=obs.physical_context, range_min=obs.range_min, range_max=obs.range_max,
                     health=obs.health)


def bindings(design_path: Path, sources: Sequence[str], *, bindings_map: Path | None = None,
             ca_bundle: str | None = None, timeout_s: float = 10.0) -> list[SourceReport]:
    """What each source's sensors bind to, and what stays unbound and why; writes nothing."""
    design_path = Path(design_path)
    index = DesignIndex(design_path)
    entries = read_map(bindings_map, index)
    out = []
    for source in sources:
        report, harvest, _rows = _resolve(design_path, source, index, entries, ca_bundle, timeout_s)
        report.ok = harvest is not None
        out.append(report)
    return out


def import_sources(design_path: Path, sources: Sequence[str], *, bindings_map: Path | None = None,
                   ca_bundle: str | None = None, timeout_s: float = 10.0) -> list[SourceReport]:
    """Import each source into the design (one transaction each; a failed source changes nothing).

    TwinError only for what stops every source: a design that cannot be read, a bad map."""
    design_path = Path(design_path)
    index = DesignIndex(design_path)
    entries = read_map(bindings_map, index)
    out = []
    for source in sources:
        report, harvest, rows = _resolve(design_path, source, index, entries, ca_bundle, timeout_s)
        if harvest is not None:
            now = datetime.now(timezone.utc).strftime(TS_FORMAT)
            try:
                report.sensors_added, report.readings_added = add_telemetry(
                    design_path, harvest.source, harvest.kind, rows, now, len(report.bound), len(report.unbound))
                report.ok = True
            except TwinError as exc:
                report.error = str(exc).splitlines()[0]
        out.append(report)
    return out
