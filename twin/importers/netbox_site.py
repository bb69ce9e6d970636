"""NetBox records → a twin design: sites become halls, racks stand in rows, devices sit at their U.

NetBox knows which site, location and rack a device is in, its U position and face, but
not where a rack stands on the floor. Racks are therefore laid out in rows, one row per
NetBox location (racks without a location form a row of their own), ordered by name,
rows facing alternately so fronts meet across cold aisles; the report says so. Several
sites become several halls placed side by side along X in one world.

Ports, cables and the power chain are made by `netbox_links`; this module places things.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.importers.netbox_dump import NetBoxRecords, device_type_dict, read_dumpdata
from twin.importers.import_checks import device_type_problem, entry_problem, number_in_range
from twin.importers.netbox_links import LinkBuilder
from twin.importers.netbox_types import EIA_U_M, FULL_DEPTH_M, part_type_from_netbox
from twin.importers.report import ImportReport
from twin.model.limits import over
from twin.model.transform import local_to_world
from twin.store.rebuild import install_design, temporary_design, writing_design
from twin.store.reviews import check_replaceable
from twin.store.writer import write_tables

RACK_BASE_M = 0.10
RACK_TOP_M = 0.08
AISLE_M = 1.2
HALL_MARGIN_M = 2.0
HALL_GAP_M = 4.0
HALL_HEIGHT_M = 3.5
FRONT_INSET_M = 0.03
#: NetBox rack type → default outer (width, depth) in metres when outer_width/outer_depth are empty.
RACK_FOOTPRINT = {"4-post-cabinet": (0.600, 1.070), "4-post-frame": (0.600, 1.000), "2-post-frame": (0.530, 0.400),
                  "wall-cabinet": (0.600, 0.600), "wall-frame": (0.530, 0.350), "wall-cabinet-vertical": (0.600, 0.600),
                  "wall-frame-vertical": (0.530, 0.350)}
UNIT_M = {"mm": 0.001, "in": 0.0254}


@dataclass
class ImportSummary:
    path: Path
    counts: dict[str, int]
    report: ImportReport

    @property
    def usable(self) -> bool:
        return self.counts.get("racks", 0) + self.counts.get("parts", 0) > 0


def import_netbox_dump(dump: str | Path, out: str | Path, site: str | None = None) -> ImportSummary:
    """Import a NetBox dumpdata file (all sites with racks, or the one whose slug is `site`) into `out`."""
    report = ImportReport(str(dump))
    records = read_dumpdata(dump, report)
    return import_records(records, out, site, report)


def import_netbox(source: str | Path, out: str | Path, site: str | None = None,
                  token_env: str = "NETBOX_TOKEN") -> ImportSummary:
    """Import from any NetBox source: a dumpdata file, a folder of REST API pages, or a NetBox URL."""
    from twin.importers.netbox_rest import is_url, read_rest_folder, read_rest_url

    if is_url(str(source)):
        report = ImportReport(str(source).split("?")[0])
        return import_records(read_rest_url(str(source), token_env, report), out, site, report)
    if Path(source).is_dir():
        report = ImportReport(str(source))
        return import_records(read_rest_folder(source, report), out, site, report)
    return import_netbox_dump(source, out, site)


def import_records(records: NetBoxRecords, out: str | Path, site: str | None, report: ImportReport) -> ImportSummary:
    """Map records from any NetBox source into a design file written atomically at `out`."""
    out = Path(out)
    if out.is_dir():
        raise TwinError(out, "is a folder; give a file name such as site.twin.db", where="-o")
    tables = SiteMapper(records, report).map(site)
    if not tables["racks"]["id"] and not tables["parts"]["id"]:
        return ImportSummary(out, {}, report)
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with temporary_design(out) as tmp, writing_design(out):
        counts = write_tables(tmp, tables, source=report.source)
        _, warnings = install_design(tmp, out)
    for warning in warnings:
        report.warn("reviews", str(out), warning)
    return ImportSummary(out, counts, report)


class SiteMapper:
    """Builds the design tables from NetBox records (placement here, links in `LinkBuilder`)."""

    def __init__(self, records: NetBoxRecords, report: ImportReport):
        self.rec, self.report = records, report
        self.types: dict[str, dict[str, Any]] = {}
        self.suppliers: dict[str, str] = {}
        self.parts: list[dict[str, Any]] = []
        self.device_part: dict[int, int] = {}         # dcim.device pk -> part index
        self.racks: list[dict[str, Any]] = []
        self.rack_index: dict[int, int] = {}          # dcim.rack pk -> rack index
        self.halls: list[dict[str, Any]] = []
        self.devices_in_rack: dict[Any, list[int]] = {}
        self.roles_of_type: dict[Any, Counter] = {}
        self._rack_numbers: dict[int, tuple[int, float, float]] = {}
        self.refused_types: set[Any] = set()           # device types whose fields break a limit (warned once)
        self.sized: set[int] = set()                   # racks whose defaulted size was counted
        for pk in sorted(records.devices):                   # grouped once: NetBox sites hold thousands
            dev = records.devices[pk]
            self.devices_in_rack.setdefault(dev.get("rack"), []).append(pk)
            rec = records.device_roles.get(dev.get("role", dev.get("device_role")), {})
            role = " ".join(str(rec.get(k) or "") for k in ("slug", "name")).strip()     # "leaf Leaf switch"
            self.roles_of_type.setdefault(dev.get("device_type"), Counter())[role] += 1

    # ------------------------------------------------------------------ sites → halls
    def map(self, site: str | None) -> dict[str, dict[str, Any]]:
        sites = self.select_sites(site)
        per_line = max(1, math.ceil(math.sqrt(len(sites))))       # several sites: halls on a campus grid
        x0 = y0 = line_depth = 0.0
        for k, pk in enumerate(sites):
            if k and k % per_line == 0:
                x0, y0, line_depth = 0.0, y0 + line_depth + HALL_GAP_M, 0.0
            width, depth = self.place_site(pk, x0, y0)
            self.check_extent(pk, x0 + width, y0 + depth)
            x0 += width + HALL_GAP_M
            line_depth = max(line_depth, depth)
        links = LinkBuilder(self)
        links.make_ports()
        links.make_cables()
        links.make_power()
        return self.tables(links, sites)

    def check_extent(self, site_pk: int, x1: float, y1: float) -> None:
        """Refuse a site whose hall would be larger than a design file may hold (the reader's limits)."""
        hall = self.halls[-1]
        where = f"dcim.site pk {site_pk} {hall['name']!r}"
        for side, value in (("wide", hall["width"]), ("deep", hall["depth"])):
            problem = over("hall_size_m", value)
            if problem:
                raise TwinError(self.rec.source, f"its racks would make a hall {value:,.0f} m {side}: {problem}",
                                where=where)
        problem = over("coordinate_m", max(x1, y1))
        if problem:
            raise TwinError(self.rec.source, f"the sites would spread {max(x1, y1):,.0f} m: {problem}", where=where)

    def select_sites(self, slug: str | None) -> list[int]:
        sites = self.rec.sites
        with_racks = Counter(r.get("site") for r in self.rec.racks.values())
        with_devices = Counter(d.get("site") for d in self.rec.devices.values())
        if slug:
            hits = [pk for pk, s in sites.items() if s.get("slug") == slug or s.get("name") == slug]
            if not hits:
                known = ", ".join(sorted(str(s.get("slug")) for s in sites.values())) or "none"
                raise TwinError(self.rec.source, f"no site with slug {slug!r} (sites: {known})", where="--site")
            return hits[:1]
        chosen = [pk for pk in sorted(sites) if with_racks[pk] or with_devices[pk]]
        empty = len(sites) - len(chosen)
        if empty:
            self.report.notes.append(f"{empty} sites with no racks or devices left out")
        return chosen

    def place_site(self, site_pk: int, x0: float, y0: float) -> tuple[float, float]:
        """Rows of racks for one site, as one hall with its corner at (x0, y0); returns its width and depth."""
        site = self.rec.sites[site_pk]
        hall = len(self.halls)
        racks = sorted((pk for pk, r in self.rec.racks.items() if r.get("site") == site_pk),
                       key=lambda pk: (self._row_name(pk), _natural(self.rec.racks[pk].get("name") or ""), pk))
        rows: dict[str, list[int]] = {}
        for pk in racks:
            rows.setdefault(self._row_name(pk), []).append(pk)
        if racks:
            self.report.default("rack floor position: laid out in rows by NetBox location (NetBox has no floor "
                                "position)", len(racks))
        y = y0 + HALL_MARGIN_M
        width = 0.0
        for r, (row, members) in enumerate(rows.items()):
            sizes = [self.rack_type(pk)[1]["size"] for pk in members]
            depth = max(s[1] for s in sizes)
            facing_back = r % 2 == 1
            x = x0 + HALL_MARGIN_M
            for slot, (pk, size) in enumerate(zip(members, sizes), start=1):
                self.add_rack(pk, hall, row, slot, x + size[0] / 2, y + depth / 2, 180.0 if facing_back else 0.0)
                x += size[0]
            width = max(width, x - x0 + HALL_MARGIN_M)
            y += depth + AISLE_M
        depth_m = max(y - y0 - AISLE_M + HALL_MARGIN_M, 6.0)
        width = max(width, 6.0)
        self.halls.append({"name": str(site.get("name") or site.get("slug") or f"site {site_pk}"), "x0": x0,
                           "y0": y0, "width": width, "depth": depth_m, "site": site_pk})
        self.place_unracked(site_pk, hall, x0, y0 + depth_m)
        return width, depth_m

    def _row_name(self, rack_pk: int) -> str:
        loc = self.rec.locations.get(self.rec.racks[rack_pk].get("location"))
        if not loc:
            return "other"
        return re.sub(r"(?i)^row\s+", "", str(loc.get("name") or loc.get("slug") or "other"))

    # ------------------------------------------------------------------ racks
    def rack_type(self, rack_pk: int) -> tuple[str, dict[str, Any]]:
        """The frame part type of a NetBox rack (one per distinct form factor, height and size)."""
        rack = self.rec.racks[rack_pk]
        form = str(rack.get("type") or "4-post-cabinet")
        u, w, d = self.rack_numbers(rack_pk)
        default_w, default_d = RACK_FOOTPRINT.get(form, RACK_FOOTPRINT["4-post-cabinet"])
        w, d = w or default_w, d or default_d
        if (not rack.get("outer_width") or not rack.get("outer_depth")) and rack_pk not in self.sized:
            self.sized.add(rack_pk)                  # asked for twice per rack (row depth, then the rack)
            self.report.default(f"rack outer size from its form factor ({form})")
        h = round(RACK_BASE_M + u * EIA_U_M + RACK_TOP_M, 4)
        name = f"netbox-rack-{form}-{u}u-{round(w * 1000)}x{round(d * 1000)}"
        if name not in self.types:
            self.types[name] = {"kind": "rack", "vendor": "", "model": f"{form} {u}U (NetBox rack)", "u_height": 0,
                                "size": [w, d, h], "u_pitch_m": EIA_U_M, "mass_kg": 0.0, "power_nominal_w": 0.0,
                                "power_max_w": 0.0, "cooling_mode": "none", "airflow_cfm": 0.0,
                                "liquid_fraction": 0.0, "supplier": "", "airflow": "", "ports": []}
        return name, self.types[name]

    def rack_numbers(self, rack_pk: int) -> tuple[int, float, float]:
        """(U height, outer width m or 0, outer depth m or 0) of a rack, each within the spec's limits
        for a part (a warning naming the rack and field, and the default, otherwise); read once."""
        cached = self._rack_numbers.get(rack_pk)
        if cached is None:
            rack, label = self.rec.racks[rack_pk], f"dcim.rack pk {rack_pk}"
            u = int(number_in_range(rack.get("u_height") or None, "part_types.*.u_height", 42,
                                    f"{label}: u_height", self.report) or 42)
            scale = UNIT_M.get(str(rack.get("outer_unit") or ""), 0.001)
            w, d = (number_in_range(rack.get(key) or None, "part_types.*.size[]", 0.0, f"{label}: {key}",
                                    self.report, scale=scale) for key in ("outer_width", "outer_depth"))
            cached = self._rack_numbers[rack_pk] = (u, w, d)
        return cached

    def add_rack(self, pk: int, hall: int, row: str, slot: int, x: float, y: float, yaw: float) -> None:
        rack = self.rec.racks[pk]
        type_name, frame = self.rack_type(pk)
        index = len(self.racks)
        self.rack_index[pk] = index
        name = str(rack.get("name") or f"rack {pk}")
        self.racks.append({"pk": pk, "name": name, "hall": hall, "row": row, "slot": slot, "x": x, "y": y,
                           "yaw": yaw, "type": type_name, "u_height": self.rack_numbers(pk)[0],
                           "frame": len(self.parts), "budget": 0.0, "beside": 0})
        self.parts.append(self._part(name, type_name, index, -1, (x, y, 0.0), yaw, -1, f"netbox rack {pk}"))
        for dev_pk in self.devices_in_rack.get(pk, []):
            self.place_device(dev_pk, index)

    # ------------------------------------------------------------------ devices
    def device_type(self, dt_pk: Any, where: str) -> str | None:
        """The part type made for a dcim.devicetype (made once, on first use)."""
        if dt_pk not in self.rec.device_types:
            self.report.warn("missing-type", where, f"device_type {dt_pk} is not in the dump; device skipped")
            return None
        if dt_pk in self.refused_types:
            return None
        dt = self.rec.device_types[dt_pk]
        name = str(dt.get("slug") or f"netbox-type-{dt_pk}")
        if name not in self.types:
            roles = self.roles_of_type.get(dt_pk)
            role = roles.most_common(1)[0][0] if roles else ""
            shaped = device_type_dict(self.rec, dt_pk)
            problem = device_type_problem(shaped)
            if problem is None:
                _, entry = part_type_from_netbox(shaped, f"dcim.devicetype pk {dt_pk}", self.report, role=role)
                problem = entry_problem(entry)
            if problem is not None:
                self.refused_types.add(dt_pk)
                self.report.warn("bad-value", f"dcim.devicetype pk {dt_pk}: {problem[0]}",
                                 f"{problem[1]}; the type and its devices are not imported")
                return None
            self.types[name] = entry
        return name

    def place_device(self, pk: int, rack: int) -> None:
        dev = self.rec.devices[pk]
        label = self.device_label(pk)
        type_name = self.device_type(dev.get("device_type"), label)
        if type_name is None:
            return
        pt, r = self.types[type_name], self.racks[rack]
        frame = self.types[r["type"]]
        w, d, h = pt["size"]
        fw, fd, _ = frame["size"]
        position = number_in_range(dev.get("position"), "part_types.*.u_height", None, f"{label}: position",
                                   self.report)
        face = str(dev.get("face") or "front")
        yaw = r["yaw"] + (180.0 if face == "rear" else 0.0)
        if position not in (None, ""):
            u = float(position)
            local_y = (-1.0 if face != "rear" else 1.0) * (fd / 2 - min(d, fd - 0.02) / 2 - FRONT_INSET_M)
            local = (0.0, local_y, RACK_BASE_M + (u - 1) * EIA_U_M)
            top = u + max(pt["u_height"], 1) - 1
            if top > r["u_height"]:
                self.report.warn("above-rack", label, f"U{u:g}–U{top:g} goes past the top of {r['name']} "
                                                      f"({r['u_height']} U); kept at U{u:g}")
            slot = int(math.floor(u))
            self.claim_units(r, u, pt, face, label)
        elif pt["u_height"] == 0:
            side = 1 if self.racks[rack].setdefault("zero_u", 0) % 2 else -1
            self.racks[rack]["zero_u"] += 1
            local = (side * (fw / 2 - w / 2 - 0.02), fd / 2 - d / 2 - 0.05, RACK_BASE_M)
            self.report.default("0 U device hung vertically at the rack's rear")
            slot = -1
        else:
            k = self.racks[rack]["beside"]
            self.racks[rack]["beside"] += 1
            local = (fw / 2 + 0.15 + w / 2, -fd / 2 + d / 2 + k * (d + 0.1), 0.0)
            self.report.warn("no-position", label, f"in rack {r['name']} with no U position; placed on the floor "
                                                   "beside the rack")
            slot, yaw = -1, r["yaw"]
        xyz = tuple(local_to_world(np.array([r["x"], r["y"], 0.0]), r["yaw"], np.array(local)).tolist())
        self.device_part[pk] = len(self.parts)
        self.parts.append(self._part(self.device_name(pk), type_name, rack, slot, xyz, yaw, r["frame"],
                                     str(dev.get("serial") or "")))
        self.parts[-1].update(face=face, u_exact=float(position) if position not in (None, "") else None,
                              device=pk)

    def claim_units(self, rack: dict[str, Any], u: float, pt: dict[str, Any], face: str, label: str) -> None:
        """Warn when a device's U slots (half-U steps, per face; full depth takes both) are taken."""
        faces = ("front", "rear") if pt["size"][1] >= FULL_DEPTH_M else (face,)
        taken = rack.setdefault("occupied", {})
        clash = None
        for step in range(round(u * 2), round(u * 2) + max(pt["u_height"], 1) * 2):
            for f in faces:
                clash = clash or taken.get((step, f))
                taken.setdefault((step, f), label)
        if clash:
            self.report.warn("same-u", label, f"U{u:g} in {rack['name']} is already taken by {clash}; both kept "
                                              "where NetBox puts them (they overlap)")

    def place_unracked(self, site_pk: int, hall: int, x0: float, depth: float) -> None:
        """Devices of the site with no rack: on the floor along the hall's back wall, with a warning."""
        x = x0 + HALL_MARGIN_M
        for pk in [d for d in self.devices_in_rack.get(None, []) if self.rec.devices[d].get("site") == site_pk]:
            label = self.device_label(pk)
            type_name = self.device_type(self.rec.devices[pk].get("device_type"), label)
            if type_name is None:
                continue
            w, d, _ = self.types[type_name]["size"]
            self.report.warn("no-rack", label, "not in a rack; placed on the floor along the back wall")
            self.device_part[pk] = len(self.parts)
            self.parts.append(self._part(self.device_name(pk), type_name, -1, -1,
                                         (x + w / 2, depth - HALL_MARGIN_M / 2, 0.0), 0.0, -1,
                                         str(self.rec.devices[pk].get("serial") or "")))
            self.parts[-1].update(device=pk, hall=hall)
            x += w + 0.3

    def device_label(self, pk: int) -> str:
        name = self.rec.devices[pk].get("name")
        return f"dcim.device pk {pk}" + (f" {name!r}" if name else "")

    def device_name(self, pk: int) -> str:
        dev = self.rec.devices[pk]
        if dev.get("name"):
            return str(dev["name"])
        model = self.rec.device_types.get(dev.get("device_type"), {}).get("model", "device")
        return f"{model} #{pk}"

    def _part(self, name: str, type_name: str, rack: int, u: int, xyz: tuple[float, float, float], yaw: float,
              parent: int, serial: str) -> dict[str, Any]:
        return {"name": name, "type": type_name, "rack": rack, "u": u, "xyz": xyz, "yaw": yaw % 360.0,
                "parent": parent, "serial": serial, "power_w": -1.0, "power_node": -1, "loop": -1, "device": None}

    # ------------------------------------------------------------------ tables
    def tables(self, links: LinkBuilder, sites: list[int]) -> dict[str, dict[str, Any]]:
        from twin.importers.netbox_tables import design_tables

        return design_tables(self, links, sites)


def _natural(text: str) -> tuple:
    """Sort key that puts R2 before R10."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))

