"""Read a NetBox Django `dumpdata` JSON file into plain records, one dict per object.

This is the source half of the NetBox site import; `netbox_site` maps the records. A
record is the object's `fields` plus `pk`, foreign keys as integer ids, exactly as
NetBox's REST API returns them once nested objects are reduced to their ids: a REST
reader (pynetbox) can fill the same `NetBoxRecords` and reuse the mapper unchanged.

A file that is not JSON at all, or is cut off, is read as far as it is whole: the
objects before the break are kept and the report says where it broke. Cables are
read in both shapes NetBox has used: v3.3+ `dcim.cabletermination` rows, and the older
`termination_a_type/id` fields on the cable itself.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.importers.import_checks import clean_record
from twin.importers.report import ImportReport
from twin.importers.safe_files import ImportRefused, read_bounded

#: dumpdata model → NetBoxRecords attribute.
MODELS = {
    "dcim.site": "sites", "dcim.location": "locations", "dcim.rack": "racks", "dcim.rackrole": "rack_roles",
    "dcim.manufacturer": "manufacturers", "dcim.devicetype": "device_types", "dcim.devicerole": "device_roles",
    "dcim.device": "devices", "dcim.interface": "interfaces", "dcim.frontport": "front_ports",
    "dcim.rearport": "rear_ports", "dcim.consoleport": "console_ports", "dcim.consoleserverport": "console_server_ports",
    "circuits.circuit": "circuits", "circuits.circuittermination": "circuit_terminations",
    "circuits.provider": "providers", "dcim.coolingsource": "cooling_sources", "dcim.coolingfeed": "cooling_feeds",
    "dcim.powerport": "power_ports", "dcim.poweroutlet": "power_outlets", "dcim.cable": "cables",
    "dcim.cabletermination": "terminations", "dcim.powerpanel": "power_panels", "dcim.powerfeed": "power_feeds",
    "dcim.devicebay": "device_bays", "contenttypes.contenttype": "content_types",
    "dcim.interfacetemplate": "interface_templates", "dcim.frontporttemplate": "front_port_templates",
    "dcim.rearporttemplate": "rear_port_templates", "dcim.consoleporttemplate": "console_port_templates",
    "dcim.consoleserverporttemplate": "console_server_port_templates",
    "dcim.powerporttemplate": "power_port_templates", "dcim.poweroutlettemplate": "power_outlet_templates",
}
#: Component instance tables (by device) and template tables (by device type), keyed as the library's YAML.
COMPONENT_TABLES = {"interfaces": "interfaces", "front-ports": "front_ports", "rear-ports": "rear_ports",
                    "console-ports": "console_ports", "console-server-ports": "console_server_ports",
                    "power-ports": "power_ports", "power-outlets": "power_outlets"}
TEMPLATE_TABLES = {"interfaces": "interface_templates", "front-ports": "front_port_templates",
                   "rear-ports": "rear_port_templates", "console-ports": "console_port_templates",
                   "console-server-ports": "console_server_port_templates",
                   "power-ports": "power_port_templates", "power-outlets": "power_outlet_templates"}


@dataclass
class NetBoxRecords:
    """NetBox objects by kind: pk → fields (with `pk`). Terminations are a list (they have no name)."""

    source: str
    tables: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    skipped_models: Counter = field(default_factory=Counter)

    def table(self, name: str) -> dict[int, dict[str, Any]]:
        return self.tables.setdefault(name, {})

    def __getattr__(self, name: str) -> dict[int, dict[str, Any]]:
        if name in MODELS.values():
            return self.__dict__["tables"].setdefault(name, {})
        raise AttributeError(name)


def read_dumpdata(path: str | Path, report: ImportReport) -> NetBoxRecords:
    """Every NetBox object in the dump that twin uses, as plain records; problems go to `report`."""
    path = Path(path)
    if path.is_dir():
        raise TwinError(path, "is a folder, not a NetBox dump")
    try:
        raw = read_bounded(path, "netbox_dump_bytes")
    except ImportRefused as exc:
        raise TwinError(path, str(exc)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        report.warn("not-json", str(path), f"not UTF-8 text (byte {exc.start}); nothing imported")
        return NetBoxRecords(str(path))
    objects = _objects(text, str(path), report)
    records = NetBoxRecords(str(path))
    for i, obj in enumerate(objects):
        table = MODELS.get(str(obj.get("model"))) if isinstance(obj, dict) else None
        if isinstance(obj, dict) and "model" in obj and table is None:
            records.skipped_models[str(obj["model"])] += 1       # users, IPAM, tenancy…: not twin's business
            continue
        if table == "content_types" and "pk" not in obj:
            continue                          # natural-key content types: cable ends then name their model
        if not (table and isinstance(obj.get("fields"), dict) and "pk" in obj):
            report.warn("not-a-record", f"{path}: object [{i}]", "not a dumpdata record (model, pk, fields); skipped")
            continue
        try:
            pk = int(obj["pk"])
        except (TypeError, ValueError, OverflowError):
            report.warn("bad-pk", f"{obj['model']} pk {obj['pk']!r}", "pk is not an integer; skipped")
            continue
        fields = clean_record(obj["fields"], f"{obj['model']} pk {pk}", report)
        records.table(table)[pk] = {**fields, "pk": pk}
    _legacy_terminations(records)
    return records


def _objects(text: str, where: str, report: ImportReport) -> list[Any]:
    """The top-level list of the dump; when it breaks off, the whole objects before the break."""
    try:
        data = json.loads(text)
    except RecursionError:
        kept = _salvage(text)
        report.warn("not-json", where, "nested deeper than Python can read (a NetBox dump is a few levels deep); "
                                       + (f"kept the {len(kept):,} whole objects before it" if kept
                                          else "nothing could be read"))
        return kept
    except json.JSONDecodeError as exc:
        kept = _salvage(text)
        report.warn("not-json", f"{where}: line {exc.lineno} column {exc.colno}",
                    f"not valid JSON ({exc.msg}); " + (f"kept the {len(kept):,} whole objects before it"
                                                       if kept else "nothing could be read"))
        return kept
    if not isinstance(data, list):
        report.warn("not-json", where, f"expected a dumpdata list of objects, got a JSON {type(data).__name__}; "
                                       "nothing imported")
        return []
    return data


def _salvage(text: str) -> list[Any]:
    """Objects of a `[ {...}, {...}, ...` list up to the first one that does not parse."""
    decoder = json.JSONDecoder()
    i = len(text) - len(text.lstrip())
    if not text[i:i + 1] == "[":
        return []
    i += 1
    out: list[Any] = []
    while True:
        while i < len(text) and text[i] in " \t\r\n,":
            i += 1
        if i >= len(text) or text[i] == "]":
            return out
        try:
            obj, i = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, RecursionError):
            return out
        out.append(obj)


def _legacy_terminations(records: NetBoxRecords) -> None:
    """NetBox before 3.3 kept a cable's ends on the cable: make termination records of them."""
    if records.terminations:
        return
    terms = records.table("terminations")
    for pk, cable in records.cables.items():
        for end in ("a", "b"):
            kind, target = cable.get(f"termination_{end}_type"), cable.get(f"termination_{end}_id")
            if kind is None or target is None:
                continue
            if isinstance(kind, int):          # a content-type id: resolved through the dump's content types
                ct = records.content_types.get(kind)
                if not ct:
                    continue
                kind = [ct.get("app_label"), ct.get("model")]
            model = kind if isinstance(kind, (list, tuple)) else str(kind).split(".")
            terms[-len(terms) - 1] = {"pk": -len(terms) - 1, "cable": pk, "cable_end": end.upper(),
                                      "termination_type": list(model), "termination_id": target}


def device_type_dict(records: NetBoxRecords, pk: int) -> dict[str, Any]:
    """A dcim.devicetype as the library's YAML shape (manufacturer name, component lists from templates)."""
    dt = records.device_types[pk]
    maker = records.manufacturers.get(dt.get("manufacturer"), {})
    out = {key: dt.get(key) for key in ("model", "slug", "part_number", "u_height", "is_full_depth", "airflow",
                                       "weight", "weight_unit", "subdevice_role", "description", "comments")}
    out["manufacturer"] = maker.get("name", "")
    for key, table in TEMPLATE_TABLES.items():
        out[key] = [t for t in records.table(table).values() if t.get("device_type") == pk]
    return out
