"""Ports, cables and the power chain of an imported NetBox site.

- Ports: every interface, front/rear port, console port, power port and outlet of a placed
  device becomes a `ports` row (virtual interfaces excepted), laid out across the face
  NetBox's component kind belongs to.
- Cables: each `dcim.cable` joins the ports its A and B terminations name. An end at a
  circuit termination is a carrier's demarcation point, which is real and in the room: it
  becomes a port on a site-level `demarc` part named by the circuit ID (one per circuit and
  site, by the hall's front wall), so the cable is kept. An end at something not in the
  dump, or at a device that was not imported, is skipped with a warning naming the cable;
  a power feed at one end is not drawn as a cable but becomes the link feed → device in the
  power chain.
- Power: panel → feed → (PDU) → device. A device's power ports cabled to PDU outlets
  make the PDU its feeder; a device with no power cable in a rack with feeds is fed by
  the rack's primary feed (defaulted, and counted). A rack's budget is what its primary
  feeds can deliver (NetBox's `available_power`).
"""

from __future__ import annotations

import math

import numpy as np
from typing import TYPE_CHECKING, Any

from twin.importers.port_kinds import cable_kind
from twin.importers.netbox_dump import COMPONENT_TABLES
from twin.importers.netbox_types import port_rows
from twin.model import physics
from twin.model.transform import local_to_world

if TYPE_CHECKING:
    from twin.importers.netbox_site import SiteMapper

PORT_MODELS = {"interface": "interfaces", "frontport": "front-ports", "rearport": "rear-ports",
               "consoleport": "console-ports", "consoleserverport": "console-server-ports",
               "powerport": "power-ports", "poweroutlet": "power-outlets"}
LENGTH_M = {"m": 1.0, "cm": 0.01, "km": 1000.0, "ft": 0.3048, "in": 0.0254, "mi": 1609.344}
DEMARC_TYPE = "netbox-demarc"
DEMARC_SIZE = (0.45, 0.15, 0.60)         # a carrier's wall-mounted demarcation box
DEMARC_PITCH_M = 0.6


class LinkBuilder:
    """Ports, cables and power nodes for the parts a `SiteMapper` placed."""

    def __init__(self, mapper: SiteMapper):
        self.m = mapper
        self.ports: list[dict[str, Any]] = []
        self.port_of: dict[tuple[str, int], int] = {}        # (component list, pk) -> port index
        self.cables: list[dict[str, Any]] = []
        self.cable_pks: set[int] = set()
        self.nodes: list[dict[str, Any]] = []
        self.feed_node: dict[int, int] = {}                  # dcim.powerfeed pk -> node index
        self.fed_by_feed: dict[int, int] = {}                # dcim.device pk -> feed pk (a power cable)
        self.demarc_part: dict[tuple[Any, int], int] = {}    # (circuit pk, hall) -> part index
        self.demarcs_in_hall: dict[int, int] = {}

    # ------------------------------------------------------------------ ports
    def make_ports(self) -> None:
        rec = self.m.rec
        by_device: dict[int, dict[str, list[dict[str, Any]]]] = {}
        for key, table in COMPONENT_TABLES.items():
            for comp in rec.table(table).values():
                by_device.setdefault(comp.get("device"), {}).setdefault(key, []).append(comp)
        for dev_pk, part in self.m.device_part.items():
            comps = by_device.get(dev_pk, {})
            size = self.m.types[self.m.parts[part]["type"]]["size"]
            for name, kind, offset, rate, (key, pk) in port_rows(comps, size, self.m.device_label(dev_pk), self.m.report):
                self.port_of[(key, pk)] = len(self.ports)
                self.ports.append({"part": part, "name": name, "kind": kind, "offset": offset, "rate": rate})

    # ------------------------------------------------------------------ cables
    def make_cables(self) -> None:
        rec, report = self.m.rec, self.m.report
        ends: dict[int, dict[str, list[dict[str, Any]]]] = {}
        for term in rec.terminations.values():
            ends.setdefault(term.get("cable"), {}).setdefault(str(term.get("cable_end") or "").upper(), []).append(term)
        for pk in sorted(rec.cables):
            cable = rec.cables[pk]
            label = f"dcim.cable pk {pk}" + (f" {cable['label']!r}" if cable.get("label") else "")
            a, b = ends.get(pk, {}).get("A", []), ends.get(pk, {}).get("B", [])
            if not self._in_scope(a + b):
                continue
            if not a or not b:
                report.warn("cable-end", label, f"has no {'A' if not a else 'B'} end in the dump; skipped")
                continue
            if len(a) != len(b):
                report.warn("cable-ends", label, f"{len(a)} A terminations but {len(b)} B terminations; "
                                                 f"the first {min(len(a), len(b))} pairs kept")
            for ta, tb in zip(a, b):
                self._cable(pk, cable, label, ta, tb)

    def _in_scope(self, terms: list[dict[str, Any]]) -> bool:
        """Whether a cable belongs to the imported sites (by its cached site or its devices)."""
        sites = {h["site"] for h in self.m.halls}
        return any(t.get("_site") in sites or t.get("_device") in self.m.device_part or
                   self._component_device(t) in self.m.device_part for t in terms)

    def _component_device(self, term: dict[str, Any]) -> Any:
        key = PORT_MODELS.get((list(term.get("termination_type") or []) + [None, None])[1])
        return self.m.rec.table(COMPONENT_TABLES[key]).get(term.get("termination_id"), {}).get("device") if key else None

    def _end(self, term: dict[str, Any], label: str, end: str) -> int | None:
        """Port index of a termination, or None (with a warning saying why)."""
        app, model = (list(term.get("termination_type") or []) + [None, None])[:2]
        target = term.get("termination_id")
        what = f"{app}.{model} pk {target}"
        if (app, model) == ("dcim", "powerfeed"):
            return None
        if (app, model) == ("circuits", "circuittermination"):
            return self._demarc_port(term, label, end)
        key = PORT_MODELS.get(model) if app == "dcim" else None
        if key is None:
            self.m.report.warn("cable-end-kind", label,
                               f"end {end} is {what}: twin has no {model or 'such'} objects; cable skipped")
            return None
        port = self.port_of.get((key, target))
        if port is None:
            device = self._component_device(term)
            why = ("which is not in the dump" if device is None else
                   f"on dcim.device pk {device}, which was not imported")
            self.m.report.warn("cable-missing-end", label, f"end {end} points at {what}, {why}; cable skipped")
        return port

    def _demarc_port(self, term: dict[str, Any], label: str, end: str) -> int | None:
        """The port of a circuit termination, on its circuit's demarc part at the termination's site."""
        rec = self.m.rec
        target = term.get("termination_id")
        ct = rec.circuit_terminations.get(target)
        if ct is None:
            self.m.report.warn("cable-missing-end", label, f"end {end} points at circuits.circuittermination pk "
                                                           f"{target}, which is not in the dump; cable skipped")
            return None
        site = ct.get("site") or ct.get("_site") or term.get("_site")
        hall = next((k for k, h in enumerate(self.m.halls) if h["site"] == site), None)
        if hall is None:
            self.m.report.warn("cable-missing-end", label, f"end {end} is circuits.circuittermination pk {target} "
                                                           "at a site that was not imported; cable skipped")
            return None
        circuit = rec.circuits.get(ct.get("circuit"), {})
        cid = str(circuit.get("cid") or f"circuit {ct.get('circuit')}")
        part = self.demarc_part.get((ct.get("circuit"), hall))
        if part is None:
            part = self._add_demarc(cid, hall, circuit)
            self.demarc_part[(ct.get("circuit"), hall)] = part
        side = str(ct.get("term_side") or "A")
        speed = ct.get("port_speed") or circuit.get("commit_rate")
        self.ports.append({"part": part, "name": f"term {side}" if side else f"term {target}",
                           "kind": "circuit-termination", "offset": (0.0, -DEMARC_SIZE[1] / 2, DEMARC_SIZE[2] / 2),
                           "rate": float(speed) / 1e6 if isinstance(speed, (int, float)) else 0.0})
        self.m.report.default("circuit termination as a port on a demarc part by the hall's front wall")
        return len(self.ports) - 1

    def _add_demarc(self, cid: str, hall: int, circuit: dict[str, Any]) -> int:
        """A site-level demarcation part for one circuit, stood along the front wall of its hall."""
        m = self.m
        if DEMARC_TYPE not in m.types:
            m.types[DEMARC_TYPE] = {"kind": "demarc", "vendor": "", "model": "circuit demarcation point (NetBox)",
                                    "u_height": 0, "size": list(DEMARC_SIZE), "u_pitch_m": 0.04445, "mass_kg": 0.0,
                                    "power_nominal_w": 0.0, "power_max_w": 0.0, "cooling_mode": "none",
                                    "airflow_cfm": 0.0, "liquid_fraction": 0.0, "supplier": "", "airflow": "",
                                    "ports": []}
        h = m.halls[hall]
        k = self.demarcs_in_hall.get(hall, 0)
        self.demarcs_in_hall[hall] = k + 1
        xyz = (h["x0"] + 1.0 + DEMARC_SIZE[0] / 2 + k * DEMARC_PITCH_M, h["y0"] + DEMARC_SIZE[1] / 2 + 0.05, 0.0)
        part = m._part(cid, DEMARC_TYPE, -1, -1, xyz, 0.0, -1, "")
        part["hall"] = hall
        m.parts.append(part)
        return len(m.parts) - 1

    def _cable(self, pk: int, cable: dict[str, Any], label: str, ta: dict[str, Any], tb: dict[str, Any]) -> None:
        feed = next((t for t in (ta, tb) if list(t.get("termination_type") or [])[1:2] == ["powerfeed"]), None)
        if feed is not None:
            other = tb if feed is ta else ta
            device = self._component_device(other)
            if device in self.m.device_part:
                self.fed_by_feed[device] = feed.get("termination_id")
                self.m.report.default("power feed cable kept as a power-chain link, not drawn")
            else:
                self.m.report.warn("cable-missing-end", label, "power feed cable to a device that was not imported; "
                                                               "skipped")
            return
        a, b = self._end(ta, label, "A"), self._end(tb, label, "B")
        if a is None or b is None:
            return
        pa, pb = self.ports[a], self.ports[b]
        kind, inferred = cable_kind(str(cable.get("type") or ""), pa["kind"], pb["kind"])
        if inferred:
            self.m.report.default(f"cable kind from its ends ({kind}; NetBox type empty)")
        rates = [r for r in (pa["rate"], pb["rate"]) if r > 0]
        rate = 0.0 if kind == "power" else min(rates) if rates else 1.0 if kind == "utp" else 0.0
        length = self._length(cable, a, b, label)
        name = f"NB{pk:06d}" + (f"-{len(self.cables)}" if pk in self.cable_pks else "")   # one name per pair
        self.cable_pks.add(pk)
        self.cables.append({"name": name, "pk": pk, "kind": kind, "rate": rate, "a": a, "b": b, "length": length})

    def _length(self, cable: dict[str, Any], a: int, b: int, label: str) -> float:
        given, unit = cable.get("length"), str(cable.get("length_unit") or "m")
        if given not in (None, ""):
            try:
                return round(float(given) * LENGTH_M[unit], 3)
            except (KeyError, TypeError, ValueError):
                self.m.report.warn("cable-length", label, f"length {given!r} {unit!r} not understood; estimated")
        self.m.report.default("cable length estimated from the route (NetBox length empty)")
        pa, pb = self.world(a), self.world(b)
        same_rack = self.m.parts[self.ports[a]["part"]]["rack"] == self.m.parts[self.ports[b]["part"]]["rack"]
        if same_rack:
            routed = sum(abs(pa[i] - pb[i]) for i in range(3))
        else:
            over = max(pa[2], pb[2], 2.3) + 0.3
            routed = (over - pa[2]) + (over - pb[2]) + abs(pa[0] - pb[0]) + abs(pa[1] - pb[1])
        need = routed + 2 * physics.CABLE_SLACK_M
        return next((L for L in physics.STANDARD_LENGTHS_M if L >= need - 1e-9), physics.STANDARD_LENGTHS_M[-1])

    def world(self, port: int) -> tuple[float, float, float]:
        p = self.ports[port]
        part = self.m.parts[p["part"]]
        return tuple(local_to_world(np.array(part["xyz"], float), part["yaw"], np.array(p["offset"], float)).tolist())

    # ------------------------------------------------------------------ power
    def make_power(self) -> None:
        rec, report, m = self.m.rec, self.m.report, self.m
        sites = {h["site"] for h in m.halls}
        panel_node: dict[int, int] = {}
        for pk, panel in sorted(rec.power_panels.items()):
            if panel.get("site") in sites:
                panel_node[pk] = self._node(str(panel.get("name") or f"panel {pk}"), "panel", -1, -1, 0.0, 0.0)
        rack_feeds: dict[int, list[int]] = {}
        for pk, feed in sorted(rec.power_feeds.items()):
            parent = panel_node.get(feed.get("power_panel"))
            if parent is None:
                continue
            capacity = self._feed_capacity(feed)
            node = self._node(str(feed.get("name") or f"feed {pk}"), "feed", parent, -1, capacity,
                              float(feed.get("voltage") or 0))
            self.feed_node[pk] = node
            self.nodes[parent]["capacity_w"] += capacity
            self.nodes[parent]["voltage_v"] = max(self.nodes[parent]["voltage_v"], self.nodes[node]["voltage_v"])
            if feed.get("rack") in m.rack_index:
                rack_feeds.setdefault(m.rack_index[feed["rack"]], []).append(pk)
        if panel_node:
            report.default("panel capacity = the sum of its feeds (NetBox gives none)", len(panel_node))
        primary: dict[int, int] = {}
        for rack, feeds in rack_feeds.items():
            kinds = [rec.power_feeds[f].get("type") for f in feeds]
            main = [f for f, t in zip(feeds, kinds) if t != "redundant"] or feeds[:1]
            primary[rack] = self.feed_node[main[0]]
            m.racks[rack]["budget"] = sum(self.nodes[self.feed_node[f]]["capacity_w"] for f in main)
            if len(feeds) > 1:
                for f in feeds:
                    self.nodes[self.feed_node[f]]["group"] = f"{m.racks[rack]['name']} feeds"
        outlet_owner = {pk: o.get("device") for pk, o in rec.power_outlets.items()}
        has_outlets = set(outlet_owner.values())
        draws: dict[Any, list[Any]] = {}
        for port in rec.power_ports.values():
            draws.setdefault(port.get("device"), []).append(port.get("allocated_draw"))
        pdu_node: dict[int, int] = {}
        for dev_pk, part in m.device_part.items():
            if dev_pk in has_outlets:
                rack = m.parts[part]["rack"]
                parent = self.feed_node.get(self.fed_by_feed.get(dev_pk), primary.get(rack, -1))
                cap = self.nodes[parent]["capacity_w"] if parent >= 0 else 0.0
                pdu_node[dev_pk] = self._node(m.parts[part]["name"], "pdu", parent, part, cap,
                                              self.nodes[parent]["voltage_v"] if parent >= 0 else 0.0)
                m.parts[part]["power_node"] = parent
        fed_by_pdu = self._fed_by_outlets(outlet_owner, pdu_node)
        for dev_pk, part in m.device_part.items():
            if dev_pk in pdu_node:
                continue
            draw = draws.get(dev_pk, [])
            if any(draw):
                m.parts[part]["power_w"] = float(sum(d or 0 for d in draw))
            if dev_pk in fed_by_pdu:
                m.parts[part]["power_node"] = fed_by_pdu[dev_pk]
            elif dev_pk in self.fed_by_feed and self.fed_by_feed[dev_pk] in self.feed_node:
                m.parts[part]["power_node"] = self.feed_node[self.fed_by_feed[dev_pk]]
            elif m.parts[part]["rack"] in primary and (draw or m.types[m.parts[part]["type"]]["power_nominal_w"] > 0):
                m.parts[part]["power_node"] = primary[m.parts[part]["rack"]]
                report.default("device fed by its rack's primary feed (no power cable in NetBox)")
            elif draw:
                report.default("no power source known (no power cable, no feed on the rack)")

    def _fed_by_outlets(self, outlet_owner: dict[int, Any], pdu_node: dict[int, int]) -> dict[int, int]:
        """device pk -> PDU node, from power cables between a device's power port and a PDU outlet."""
        out: dict[int, int] = {}
        ends: dict[int, list[dict[str, Any]]] = {}
        for term in self.m.rec.terminations.values():
            ends.setdefault(term.get("cable"), []).append(term)
        for terms in ends.values():
            kinds = {(list(t.get("termination_type") or []) + [None, None])[1]: t.get("termination_id") for t in terms}
            if "powerport" in kinds and "poweroutlet" in kinds:
                device = self.m.rec.power_ports.get(kinds["powerport"], {}).get("device")
                pdu = outlet_owner.get(kinds["poweroutlet"])
                if pdu in pdu_node and device is not None:
                    out[device] = pdu_node[pdu]
        return out

    def _feed_capacity(self, feed: dict[str, Any]) -> float:
        """What a feed can deliver: NetBox's available_power, else V × A × max utilisation (× √3 three-phase)."""
        if feed.get("available_power"):
            return float(feed["available_power"])
        volts, amps = float(feed.get("voltage") or 0), float(feed.get("amperage") or 0)
        util = float(feed.get("max_utilization") or 80) / 100.0
        phase = math.sqrt(3) if feed.get("phase") == "three-phase" else 1.0
        self.m.report.default("feed capacity from voltage × amperage × max_utilization")
        return volts * amps * util * phase

    def _node(self, name: str, kind: str, parent: int, part: int, capacity: float, voltage: float) -> int:
        self.nodes.append({"name": name, "kind": kind, "parent": parent, "part": part, "capacity_w": capacity,
                           "voltage_v": voltage, "group": None})
        return len(self.nodes) - 1
