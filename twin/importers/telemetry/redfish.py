"""Crawl a Redfish service (live or a mockup folder) for every reading it reports.

From the service root it follows `@odata.id` links through Chassis, ThermalEquipment (CDUs)
and PowerEquipment (power shelves, busways, PDUs) (and Systems, for processors' and memory's
EnvironmentMetrics), and within them Sensors, ThermalSubsystem,
PowerSubsystem, EnvironmentMetrics, coolant connectors and LeakDetection; the deprecated
`Thermal` and `Power` resources are read only where a chassis lacks `ThermalSubsystem` /
`PowerSubsystem`. What it reads:

- every `Sensor` resource: `Reading`, `ReadingUnits`, `ReadingType`, `PhysicalContext`,
  `Status`, `ReadingTime`, `ReadingRangeMin/Max`;
- every excerpt (`{"Reading": …}` inside another resource): one with `DataSourceUri` points
  to its sensor, whose meaning it names (a CDU's secondary connector's supply temperature is
  the loop's supply; a chassis's `EnvironmentMetrics.PowerWatts` is its whole draw); one
  without is a reading of its own, its unit taken from the property name (`…Celsius`, `…kW`);
- every `LeakDetector`: `DetectorState` as 0 (OK), 1 (Warning), 2 (Critical);
- deprecated `Thermal.Temperatures[].ReadingCelsius`, `Power.PowerControl[].PowerConsumedWatts`,
  `Voltages[].ReadingVolts`, `PowerSupplies[]` input/output watts.

Bounds: at most `MAX_RESOURCES` resources and `MAX_CRAWL_S` seconds; each link is followed once (cycles end there);
links off the service's host, outside /redfish/v1, or into subtrees that hold no readings
(certificates, logs, controls…) are not followed, off-host ones are reported.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

from twin.importers.telemetry.client import ROOT, MockupFolder, Refusal, Service
from twin.importers.telemetry.model import Harvest, Observed, Placement
from twin.importers.telemetry.units import STATE, convert
from twin.store.telemetry import TS_FORMAT, canonical_ts

MAX_RESOURCES = 5000
#: seconds one service may take to crawl; what is read by then is imported
MAX_CRAWL_S = 600.0
#: top-level collections that hold equipment with readings (Systems: processors' and memory's
#: EnvironmentMetrics, which may name sensors the chassis's Sensors collection leaves out)
FOLLOW_TOP = ("Chassis", "ThermalEquipment", "PowerEquipment", "Systems")
#: keys never followed: relations, actions, vendor extensions, and subtrees without readings
SKIP_KEYS = frozenset({"Links", "Actions", "Oem", "@Redfish.Settings", "@Redfish.ActionInfo", "RelatedItem",
                       "OriginOfCondition", "TrustedComponents", "Certificates", "LogServices", "Controls",
                       "Assembly", "Drives", "NetworkAdapters", "PCIeDevices", "PCIeSlots", "MediaControllers",
                       "MemoryDomains", "CableInterfaces", "FabricAdapters", "SecureBoot", "Bios",
                       "EthernetInterfaces", "NetworkInterfaces", "USBControllers", "VirtualMedia", "SimpleStorage",
                       "Storage", "SerialInterfaces", "HostPostCode", "AccelerationFunctions", "BootOptions",
                       "SecureBootDatabases", "Settings"})
EQUIPMENT_TYPES = ("Chassis", "CoolingUnit", "PowerDistribution", "PowerSupply", "Battery", "ComputerSystem")
LEAK_STATES = {"OK": 0.0, "Warning": 1.0, "Critical": 2.0}
#: unit implied by an excerpt's property name (longest suffix first)
SUFFIX_UNITS = (("LitersPerMinute", "L/min"), ("Celsius", "Cel"), ("Percent", "%"), ("WattHours", "W.h"),
                ("Watts", "W"), ("kWh", "kW.h"), ("kW", "kW"), ("kPa", "kPa"), ("Volts", "V"), ("Voltages", "V"),
                ("Amps", "A"), ("Currents", "A"), ("RPM", "RPM"), ("Hz", "Hz"))
#: the unit the Sensor schema fixes for each ReadingType, used where a sensor leaves ReadingUnits out
TYPE_UNITS = {"Temperature": "Cel", "Voltage": "V", "Current": "A", "Power": "W", "EnergykWh": "kW.h",
              "EnergyJoules": "J", "EnergyWh": "W.h", "Frequency": "Hz", "PressurekPa": "kPa", "PressurePa": "Pa",
              "Pressure": "Pa", "LiquidFlowLPM": "L/min", "LiquidFlow": "L/s", "Humidity": "%", "Percent": "%",
              "Rotational": "RPM", "AirFlow": "[ft_i]3/min", "AirFlowCMM": "m3/min", "Heat": "kW"}
_TYPE = re.compile(r"^#([A-Za-z]+)\.")


def crawl(source: str, fetcher: MockupFolder | Service) -> Harvest:
    """Every reading of the service (module docstring); `Refusal`s become notes, the rest goes on."""
    harvest = Harvest(source=fetcher.label, kind="redfish")
    resources = _fetch_all(fetcher, harvest)
    _extract(resources, harvest, _now())
    return harvest


def _now() -> str:
    return datetime.now(timezone.utc).strftime(TS_FORMAT)


def _type(resource: dict[str, Any]) -> str:
    match = _TYPE.match(str(resource.get("@odata.type", "")))
    return match.group(1) if match else ""


def _norm(path: str) -> str:
    return path.split("#", 1)[0].rstrip("/") or "/"


# ---------------------------------------------------------------------- crawling
def _fetch_all(fetcher: MockupFolder | Service, harvest: Harvest) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = {}
    root = fetcher.get(ROOT)                    # the root must answer: Unreachable / Refusal propagate
    resources[ROOT] = root
    if not any(_link(root.get(key)) for key in FOLLOW_TOP) and "ServiceRoot" not in str(root.get("@odata.type")):
        raise Refusal(f"{ROOT}: not a Redfish service root (no Chassis, ThermalEquipment, PowerEquipment or Systems)")
    queue: deque[str] = deque()
    seen = {ROOT, ROOT + "/"}
    for key in FOLLOW_TOP:
        link = _link(root.get(key))
        if link:
            _enqueue(link, fetcher, harvest, queue, seen, ROOT)
    until = time.monotonic() + MAX_CRAWL_S
    while queue:
        if len(resources) >= MAX_RESOURCES:
            harvest.notes.append(f"{fetcher.label}: over {MAX_RESOURCES:,} resources; the rest were not read")
            break
        if time.monotonic() > until:
            harvest.notes.append(f"{fetcher.label}: still crawling after {MAX_CRAWL_S:g} s; the rest were not read")
            break
        path = queue.popleft()
        try:
            resource = fetcher.get(path)
        except Refusal as exc:
            harvest.notes.append(str(exc))
            continue
        resources[path] = resource
        for link in _links(resource):
            _enqueue(link, fetcher, harvest, queue, seen, path)
    return resources


def _link(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("@odata.id"), str):
        return str(value["@odata.id"])
    return None


def _links(resource: dict[str, Any]) -> list[str]:
    """The links to follow from one resource: every nested `@odata.id` and `DataSourceUri` outside SKIP_KEYS."""
    out: list[str] = []
    has_new_thermal, has_new_power = "ThermalSubsystem" in resource, "PowerSubsystem" in resource
    stack: list[tuple[Any, bool]] = [(resource, True)]
    while stack:
        item, top = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in SKIP_KEYS or (top and key == "Thermal" and has_new_thermal) or \
                        (top and key == "Power" and has_new_power):
                    continue
                if key == "@odata.id" and not top and isinstance(value, str):
                    out.append(value)
                elif key == "DataSourceUri" and isinstance(value, str):
                    out.append(value)
                elif isinstance(value, (dict, list)):
                    stack.append((value, False))
        elif isinstance(item, list):
            stack.extend((v, False) for v in item)
    return out


def _enqueue(link: str, fetcher: MockupFolder | Service, harvest: Harvest, queue: deque[str], seen: set[str],
             where: str) -> None:
    parts = urllib.parse.urlsplit(link)
    if parts.scheme or parts.netloc:
        if isinstance(fetcher, Service) and fetcher.same_origin(link):
            link = parts.path
        else:
            if link not in seen:
                seen.add(link)
                harvest.notes.append(f"{where}: @odata.id {link} points off this service; not followed")
            return
    path = _norm(urllib.parse.urlsplit(link).path)
    if path in seen:
        return
    seen.add(path)
    segments = path[len(ROOT):].strip("/").split("/") if path.startswith(ROOT + "/") else []
    if not segments or segments[0] not in FOLLOW_TOP or any(s in SKIP_KEYS for s in segments):
        return
    queue.append(path)


# ---------------------------------------------------------------------- readings
def _extract(resources: dict[str, dict[str, Any]], harvest: Harvest, now: str) -> None:
    owners = sorted((uri for uri, r in resources.items() if _type(r) in EQUIPMENT_TYPES), key=len, reverse=True)
    roles: dict[str, str] = {}
    excerpts: list[tuple[str, str, dict[str, Any], str]] = []
    for uri, resource in resources.items():
        kind = _type(resource)
        if kind in ("Sensor", "LeakDetector"):
            continue
        for pointer, key, excerpt in _excerpts(resource):
            role = _role(uri, resource, pointer, key, resources)
            source = excerpt.get("DataSourceUri")
            if isinstance(source, str) and _norm(source) in resources:
                if role:
                    roles.setdefault(_norm(source), role)
            elif not isinstance(source, str):
                excerpts.append((f"{uri}#{pointer}", key, excerpt, role))
    for uri, resource in resources.items():
        kind = _type(resource)
        if kind == "Sensor":
            _sensor(uri, resource, roles.get(uri, ""), owners, resources, harvest, now)
        elif kind == "LeakDetector":
            _leak(uri, resource, owners, resources, harvest, now)
        elif kind in ("Thermal", "Power"):
            _deprecated(uri, resource, owners, resources, harvest, now)
    for uri, key, excerpt, role in excerpts:
        _excerpt(uri, key, excerpt, role, owners, resources, harvest, now)


def _excerpts(resource: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(JSON pointer, property name, excerpt) of every `{"Reading": …}` object inside a resource."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    stack: list[tuple[Any, str, str]] = [(resource, "", "")]
    while stack:
        item, pointer, key = stack.pop()
        if isinstance(item, dict):
            if pointer and "Reading" in item and not isinstance(item.get("Reading"), (dict, list)):
                out.append((pointer, key, item))
                continue
            for k, v in item.items():
                if k not in SKIP_KEYS and isinstance(v, (dict, list)):
                    stack.append((v, f"{pointer}/{k}", k))
        elif isinstance(item, list):
            stack.extend((v, f"{pointer}/{i}", key) for i, v in enumerate(item))
    return sorted(out, key=lambda e: e[0])


def _role(uri: str, resource: dict[str, Any], pointer: str, key: str, resources: dict[str, dict[str, Any]]) -> str:
    """What an excerpt means for the design, where twin can tell (module docstring); '' otherwise."""
    kind = _type(resource)
    if kind == "EnvironmentMetrics" and pointer == "/PowerWatts":
        # the whole draw only of a chassis, CDU or power unit; a processor's or DIMM's is a component's
        parent = _type(resources.get(uri.rsplit("/", 1)[0], {}))
        return "power" if parent in ("Chassis", "CoolingUnit", "PowerDistribution") else ""
    if kind == "ThermalMetrics" and pointer.startswith("/TemperatureSummaryCelsius/"):
        return {"Intake": "inlet_temp", "Exhaust": "outlet_temp"}.get(key, "")
    if kind == "CoolantConnector" and "/SecondaryCoolantConnectors/" in uri + "/":
        return {"/SupplyTemperatureCelsius": "supply_temp", "/ReturnTemperatureCelsius": "return_temp",
                "/FlowLitersPerMinute": "flow"}.get(pointer, "")
    return ""


def _default_kind(reading_type: str, context: str, unit: str) -> str:
    if reading_type == "Temperature" or (not reading_type and unit == "degC"):
        return {"Intake": "inlet_temp", "Exhaust": "outlet_temp"}.get(context, "temperature")
    if reading_type == "Power" or (not reading_type and unit == "W"):
        return "component_power"
    if reading_type.startswith("LiquidFlow"):
        return "liquid_flow"
    if reading_type.startswith("Pressure"):
        return "pressure"
    if reading_type.startswith("Energy"):
        return "energy"
    simple = {"Current": "current", "Voltage": "voltage", "Frequency": "frequency", "Heat": "heat",
              "Humidity": "humidity", "Percent": "percent", "Rotational": "fan_speed", "AirFlow": "air_flow",
              "LiquidLevel": "liquid_level"}
    if reading_type in simple:
        return simple[reading_type]
    if not reading_type and unit in ("%", "RPM"):
        return "percent" if unit == "%" else "fan_speed"
    return re.sub(r"(?<!^)(?=[A-Z])", "_", reading_type).lower() or "reading"


def _owned(uri: str, owners: list[str], resources: dict[str, dict[str, Any]], obs: Observed) -> None:
    """Fill the owner, serials and placement of `obs` from the equipment it sits under (nearest first):
    binding tries each serial in turn, so a battery's own serial that is no part's falls back to its
    chassis's."""
    for owner in owners:
        if uri == owner or uri.startswith(owner + "/") or uri.startswith(owner + "#"):
            res = resources[owner]
            if not obs.owner_uri:
                obs.owner_uri = owner
            serial = res.get("SerialNumber")
            if isinstance(serial, str) and serial.strip() and serial.strip() not in obs.serial_keys:
                obs.serial = obs.serial or serial.strip()
                obs.serial_keys += (serial.strip(),)     # nearest first: a battery's, then its chassis's
            location = res.get("Location")
            place = location.get("Placement") if isinstance(location, dict) else None
            if obs.placement is None and isinstance(place, dict) and (place.get("Rack") or place.get("Row")):
                offset = place.get("RackOffset")
                obs.placement = Placement(row=str(place.get("Row") or ""), rack=str(place.get("Rack") or ""),
                                          offset=int(offset) if isinstance(offset, (int, float)) and
                                          not isinstance(offset, bool) else None,
                                          offset_units=str(place.get("RackOffsetUnits") or ""))


def _value(obs: Observed, raw: Any, unit: str, when: Any, now: str, harvest: Harvest) -> Observed | None:
    """Convert and attach one reading; None (and a refusal) where the unit is unknown."""
    if not unit:
        harvest.refuse(obs.uri, "no unit given")
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        got = convert(0.0, unit)
        if got is None:
            harvest.refuse(obs.uri, f"unknown unit {unit!r}")
            return None
        obs.unit = got[1]
        harvest.sensors.append(obs)        # a sensor without a reading now (absent, disabled): kept, no value
        return obs
    got = convert(float(raw), unit)
    if got is None:
        harvest.refuse(obs.uri, f"unknown unit {unit!r}")
        return None
    value, obs.unit = got
    ts = now
    if isinstance(when, str) and when.strip():
        try:
            ts = canonical_ts(obs.uri, when)
        except Exception:
            harvest.notes.append(f"{obs.uri}: ReadingTime {when!r} is not a time; the import time is used")
    obs.readings.append((ts, value))
    harvest.sensors.append(obs)
    return obs


def _health(resource: dict[str, Any]) -> str:
    status = resource.get("Status")
    return str(status.get("Health") or status.get("State") or "") if isinstance(status, dict) else ""


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _sensor(uri: str, r: dict[str, Any], role: str, owners: list[str], resources: dict[str, dict[str, Any]],
            harvest: Harvest, now: str) -> None:
    rtype, context = str(r.get("ReadingType") or ""), str(r.get("PhysicalContext") or "")
    unit = str(r.get("ReadingUnits") or TYPE_UNITS.get(rtype, ""))
    obs = Observed(uri=uri, name=str(r.get("Id") or uri.rsplit("/", 1)[-1]), kind="", unit="",
                   reading_type=rtype, physical_context=context, health=_health(r))
    _owned(uri, owners, resources, obs)
    state = r.get("Status", {}).get("State") if isinstance(r.get("Status"), dict) else None
    reading = r.get("Reading") if state not in ("Absent", "Disabled", "UnavailableOffline") else None
    if _value(obs, reading, unit, r.get("ReadingTime"), now, harvest) is not None:
        obs.kind = role or _default_kind(rtype, context, obs.unit)
        obs.range_min, obs.range_max = _range(r, unit)


def _range(r: dict[str, Any], unit: str) -> tuple[float | None, float | None]:
    out: list[float | None] = []
    for key in ("ReadingRangeMin", "ReadingRangeMax"):
        raw = _number(r.get(key))
        got = convert(raw, unit) if raw is not None else None
        out.append(got[0] if got else None)
    return out[0], out[1]


def _leak(uri: str, r: dict[str, Any], owners: list[str], resources: dict[str, dict[str, Any]],
          harvest: Harvest, now: str) -> None:
    obs = Observed(uri=uri, name=str(r.get("Id") or uri.rsplit("/", 1)[-1]), kind="leak", unit=STATE,
                   reading_type="LeakDetector", physical_context=str(r.get("PhysicalContext") or ""),
                   health=_health(r), range_min=0.0, range_max=0.0)
    _owned(uri, owners, resources, obs)
    state = LEAK_STATES.get(str(r.get("DetectorState")))
    if state is None:
        harvest.notes.append(f"{uri}: DetectorState {r.get('DetectorState')!r} is not OK, Warning or Critical; "
                             "no reading")
    else:
        obs.readings.append((now, state))
    harvest.sensors.append(obs)


def _excerpt(uri: str, key: str, e: dict[str, Any], role: str, owners: list[str],
             resources: dict[str, dict[str, Any]], harvest: Harvest, now: str) -> None:
    unit = str(e.get("ReadingUnits") or next((u for suffix, u in SUFFIX_UNITS if key.endswith(suffix)), ""))
    obs = Observed(uri=uri, name=str(e.get("DeviceName") or key), kind="", unit="", reading_type="")
    _owned(uri, owners, resources, obs)
    if _value(obs, e.get("Reading"), unit, e.get("ReadingTime"), now, harvest) is not None:
        obs.kind = role or _default_kind("Temperature" if obs.unit == "degC" else "", "", obs.unit)


_DEPRECATED: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    # array -> (value property, unit, kind, reading type)
    "Temperatures": (("ReadingCelsius", "Cel", "", "Temperature"),),
    "PowerControl": (("PowerConsumedWatts", "W", "power", "Power"),),
    "Voltages": (("ReadingVolts", "V", "voltage", "Voltage"),),
    "PowerSupplies": (("PowerInputWatts", "W", "component_power", "Power"),
                      ("LastPowerOutputWatts", "W", "component_power", "Power"),
                      ("LineInputVoltage", "V", "voltage", "Voltage")),
}


def _deprecated(uri: str, r: dict[str, Any], owners: list[str], resources: dict[str, dict[str, Any]],
                harvest: Harvest, now: str) -> None:
    for array, fields in _DEPRECATED.items():
        entries = r.get(array)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or isinstance(entry.get("DataSourceUri"), str):
                continue
            for prop, unit, kind, rtype in fields:
                if prop not in entry:
                    continue
                context = str(entry.get("PhysicalContext") or "")
                obs = Observed(uri=f"{uri}#/{array}/{i}/{prop}",
                               name=str(entry.get("Name") or entry.get("MemberId") or f"{array}{i}"),
                               kind=kind or _default_kind(rtype, context, "degC"), unit="", reading_type=rtype,
                               physical_context=context, health=_health(entry))
                _owned(uri, owners, resources, obs)
                _value(obs, entry.get(prop), unit, None, now, harvest)


def harvest_redfish(source: str, make: Callable[[], MockupFolder | Service]) -> Harvest:
    """Crawl the source that `make` opens (kept a factory so opening errors surface per source)."""
    return crawl(source, make())
