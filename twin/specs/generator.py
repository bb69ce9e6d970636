"""Generate a design file from a validated spec: seeded, deterministic, vectorised.

Racks of one template are identical, so each template is laid out once (a few dozen
parts and ports) and tiled across all its racks with numpy: a 2,000-rack hall becomes
~80,000 parts, ~700,000 ports and ~300,000 cables without a Python loop per part.
The file is written to a temporary name beside the target and renamed at the end, so a
failed build never leaves a half-written design behind.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from twin.errors import TwinError
from twin.model import physics
from twin.specs.layout import RACK_BASE_M, RowPlan, plan_rows
from twin.specs.meshcheck import mesh_warnings, spec_folder_meta
from twin.specs.spec import load_spec
from twin.specs.telemetry import make_telemetry
from twin.store.reviews import carry_reviews, check_replaceable
from twin.store.writer import write_tables

Progress = Callable[[str], None]
FRONT_INSET_M = 0.03
TRAY_Z_ABOVE_RACK_M = 0.40
BUSWAY_Z_ABOVE_RACK_M = 0.70


@dataclass
class BuildSummary:
    path: Path
    counts: dict[str, int]
    carried_reviews: int = 0
    warnings: list[str] = field(default_factory=list)


def build_design(spec_path: str | Path, out_path: str | Path, progress: Progress | None = None) -> BuildSummary:
    """Build `spec_path` into the design file `out_path` (replaced atomically)."""
    say = progress or (lambda _msg: None)
    spec = load_spec(spec_path)
    out_path = Path(out_path)
    if out_path.is_dir():
        raise TwinError(out_path, "is a folder; give a file name such as hall.twin.db", where="-o")
    check_replaceable(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    say("planning")
    tables = _Generator(spec).generate(say)
    for column, value in zip(("key", "value"), spec_folder_meta(spec)):
        tables["meta"][column].append(value)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        say("writing")
        counts = write_tables(tmp, tables)
        carried, warnings = carry_reviews(out_path, tmp)
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return BuildSummary(out_path, counts, carried, mesh_warnings(spec, out_path) + warnings)


# ----------------------------------------------------------------------------- generation

class _Generator:
    def __init__(self, spec: dict[str, Any]):
        self.spec = spec
        self.rng = np.random.default_rng(spec["design"]["seed"])
        self.types = spec["part_types"]
        self.type_names = list(self.types)
        self.type_id = {name: i + 1 for i, name in enumerate(self.type_names)}
        self.tables: dict[str, dict[str, Any]] = {}
        self._port_columns: dict[str, Any] = {}

    def type_attr(self, key: str) -> np.ndarray:
        """One catalog attribute for every part type, indexed by type id (slot 0 unused)."""
        values = [self.types[n][key] for n in self.type_names]
        return np.array([values[0]] + values)

    def generate(self, say: Progress) -> dict[str, dict[str, Any]]:
        spec = self.spec
        rows = plan_rows(spec)
        self.apply_cdu_faults(rows)
        self.catalog_tables()
        say("placing racks and parts")
        self.place(rows)
        self.facility(rows)
        say("ports and cables")
        self.ports()
        self.cables(rows)
        self.power(rows)
        self.cooling(rows)
        self.apply_part_faults()
        if spec["telemetry"] is not None:
            say("telemetry")
            self.tables.update(make_telemetry(self, rows))
        elif any(f["kind"] == "hot_spot" for f in spec["faults"]):
            raise TwinError(spec["source"], "a hot_spot fault needs a [telemetry] table", where="faults")
        self.finish_parts()
        return self.tables

    # -- catalog -------------------------------------------------------------------
    def catalog_tables(self) -> None:
        spec = self.spec
        home = spec["design"]["home_country"]
        sup_keys = list(spec["suppliers"])
        self.supplier_id = {k: i + 1 for i, k in enumerate(sup_keys)}
        self.tables["suppliers"] = {
            "id": list(range(1, len(sup_keys) + 1)), "key": sup_keys,
            "name": [spec["suppliers"][k]["name"] for k in sup_keys],
            "country": [spec["suppliers"][k]["country"] for k in sup_keys],
            "domestic": [int(spec["suppliers"][k]["country"] == home) for k in sup_keys]}
        gens = spec["generations"]
        self.generation_id = {g["name"]: i + 1 for i, g in enumerate(gens)}
        self.tables["generations"] = {"id": list(range(1, len(gens) + 1)), "name": [g["name"] for g in gens],
                                      "label": [g["label"] for g in gens], "description": [g["description"] for g in gens]}
        cols: dict[str, list] = {k: [] for k in (
            "id", "name", "kind", "vendor", "model", "generation_id", "u_height", "width_m", "depth_m", "height_m",
            "u_pitch_m", "mass_kg", "power_nominal_w", "power_max_w", "power_capacity_w", "cooling_capacity_w",
            "airflow_cfm", "coolant_lpm", "cooling_mode", "liquid_fraction", "mesh_path", "mesh_units", "supplier_id",
            "country_of_origin", "lead_time_days", "unit_cost_usd")}
        for name in self.type_names:
            pt = self.types[name]
            sup = spec["suppliers"][pt["supplier"]]
            row = dict(id=self.type_id[name], name=name, generation_id=self.generation_id.get(pt["generation"]),
                       width_m=pt["size"][0], depth_m=pt["size"][1], height_m=pt["size"][2], mesh_path=pt["mesh"] or None,
                       supplier_id=self.supplier_id[pt["supplier"]],
                       country_of_origin=pt["country_of_origin"] or sup["country"])
            for key in cols:
                cols[key].append(row[key] if key in row else pt[key])
        self.tables["part_types"] = cols
        hall = spec["hall"]
        self.tables["halls"] = {"id": [1], "name": [hall["name"]], "width_m": [hall["size_m"][0]],
                                "depth_m": [hall["size_m"][1]], "height_m": [hall["size_m"][2]],
                                "supply_air_c": [hall["supply_air_c"]], "recirculation_c": [hall["recirculation_c"]],
                                "ashrae_class": [hall["ashrae_class"]]}

    def apply_cdu_faults(self, rows: list[RowPlan]) -> None:
        by_name = {r.name: r for r in rows}
        for i, fault in enumerate(self.spec["faults"]):
            if fault["kind"] != "cdu_over_capacity":
                continue
            if fault["row"] not in by_name:
                raise TwinError(self.spec["source"], f"row '{fault['row']}' does not exist", where=f"faults[{i}].row")
            if not fault["cdu"]:
                raise TwinError(self.spec["source"], "a cdu_over_capacity fault needs 'cdu' (the undersized CDU type)",
                                where=f"faults[{i}]")
            row = by_name[fault["row"]]
            row.cdus = [(fault["cdu"], x, y) for _, x, y in row.cdus]

    # -- racks and parts ------------------------------------------------------------
    def template_parts(self, template_name: str) -> dict[str, Any]:
        """One rack of a template in rack-local coordinates: type, U, offset, role, name."""
        tpl = self.spec["rack_templates"][template_name]
        frame = self.types[tpl["frame"]]
        fw, fd, fh = frame["size"]
        pitch = frame["u_pitch_m"]
        rows: list[tuple[str, int, float, float, float, str]] = [(tpl["frame"], 0, 0.0, 0.0, 0.0, "frame")]
        u = 1
        for slot in tpl["layout"]:
            pt = self.types[slot["type"]]
            height_u = max(pt["u_height"], 1)
            for _ in range(slot["count"]):
                y = -fd / 2 + pt["size"][1] / 2 + FRONT_INSET_M
                rows.append((slot["type"], u, 0.0, y, RACK_BASE_M + (u - 1) * pitch, f"U{u:02d}"))
                u += height_u
        top = RACK_BASE_M + (u - 1) * pitch
        if top > fh - 0.05:
            raise TwinError(self.spec["source"], f"{u - 1} U do not fit in the {fh:g} m frame '{tpl['frame']}'",
                            where=f"rack_templates.{template_name}.layout")
        if tpl["busbar"]:
            bb = self.types[tpl["busbar"]]["size"]
            rows.append((tpl["busbar"], 0, 0.0, fd / 2 - 0.05 - bb[1] / 2, RACK_BASE_M, "busbar"))
        if tpl["manifold"]:
            md = self.types[tpl["manifold"]]["size"]
            for side, x in (("manifold-supply", -0.21), ("manifold-return", 0.21)):
                rows.append((tpl["manifold"], 0, x, fd / 2 - 0.05 - md[1] / 2, RACK_BASE_M, side))
        return {"type": np.array([self.type_id[r[0]] for r in rows]), "u": np.array([r[1] for r in rows]),
                "offset": np.array([r[2:5] for r in rows], dtype=float), "role": [r[5] for r in rows],
                "frame": frame, "budget_w": tpl["budget_w"]}

    def place(self, rows: list[RowPlan]) -> None:
        racks = [rack for row in rows for rack in row.racks]
        self.rack_plans = racks
        n = len(racks)
        rack_xy = np.array([(r.x, r.y) for r in racks], dtype=float).reshape(n, 2)
        rack_yaw = np.array([r.yaw_deg for r in racks], dtype=float)
        templates = [r.template for r in racks]
        tpl_cache = {name: self.template_parts(name) for name in dict.fromkeys(templates)}
        self.rack_template = tpl_cache
        self.rack_xy, self.rack_yaw = rack_xy, rack_yaw
        rack_type = np.array([self.type_id[self.spec["rack_templates"][t]["frame"]] for t in templates])
        self.rack_depth = self.type_attr("size")[rack_type][:, 1] if n else np.zeros(0)
        self.rack_height = self.type_attr("size")[rack_type][:, 2] if n else np.zeros(0)
        self.tables["racks"] = {
            "id": np.arange(1, n + 1), "name": [r.name for r in racks], "hall_id": np.ones(n, int),
            "row": [r.row for r in racks], "slot": [r.slot for r in racks], "x": rack_xy[:, 0], "y": rack_xy[:, 1],
            "yaw_deg": rack_yaw, "part_type_id": rack_type,
            "generation_id": [self.generation_id[r.generation] for r in racks],
            "power_budget_w": [tpl_cache[t]["budget_w"] for t in templates], "cooling_loop_id": np.full(n, -1)}
        # Tile each template over its racks.
        chunks = []
        for name, tpl in tpl_cache.items():
            idx = np.flatnonzero(np.array(templates) == name)
            k = len(tpl["type"])
            rack_of = np.repeat(idx, k)
            offset = np.tile(tpl["offset"], (len(idx), 1))
            chunks.append(dict(rack=rack_of, type=np.tile(tpl["type"], len(idx)), u=np.tile(tpl["u"], len(idx)),
                               offset=offset, role=np.tile(np.array(tpl["role"], dtype=object), len(idx)),
                               is_frame=np.tile(np.arange(k) == 0, len(idx))))
        merged = {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]} if chunks else {}
        order = np.lexsort((np.arange(len(merged["rack"])), merged["rack"]))
        merged = {key: v[order] for key, v in merged.items()}
        # Busway tap above each rack, fed from the row's busway.
        bus_type = self.type_id[self.spec["power"]["busway"]]
        bus_d = self.types[self.spec["power"]["busway"]]["size"][1]
        taps_offset = np.column_stack([np.zeros(n), self.rack_depth / 2 - bus_d / 2 - 0.05,
                                       self.rack_height + BUSWAY_Z_ABOVE_RACK_M])
        parts = {
            "rack": np.concatenate([merged["rack"], np.arange(n)]),
            "type": np.concatenate([merged["type"], np.full(n, bus_type)]),
            "u": np.concatenate([merged["u"], np.zeros(n, int)]),
            "offset": np.concatenate([merged["offset"], taps_offset]),
            "role": np.concatenate([merged["role"], np.full(n, "busway-tap", dtype=object)]),
            "is_frame": np.concatenate([merged["is_frame"], np.zeros(n, bool)]),
        }
        yaw = np.radians(rack_yaw[parts["rack"]])
        c, s = np.cos(yaw), np.sin(yaw)
        ox, oy, oz = parts["offset"].T
        parts["position"] = np.column_stack([rack_xy[parts["rack"], 0] + c * ox - s * oy,
                                             rack_xy[parts["rack"], 1] + s * ox + c * oy, oz])
        parts["yaw"] = rack_yaw[parts["rack"]]
        rack_names = np.array([r.name for r in racks], dtype=object)
        parts["name"] = rack_names[parts["rack"]] + "-" + parts["role"]
        frame_index = np.flatnonzero(parts["is_frame"])
        frame_of_rack = np.full(n, -1)
        frame_of_rack[parts["rack"][frame_index]] = frame_index
        parts["parent"] = np.where(parts["is_frame"], -1, frame_of_rack[parts["rack"]])
        parts["parent"][parts["role"] == "busway-tap"] = -1
        self.parts = parts

    def add_parts(self, type_names: list[str], xyz: np.ndarray, yaw: np.ndarray, names: list[str]) -> np.ndarray:
        """Append free-standing parts (no rack); returns their part indices."""
        start = len(self.parts["rack"])
        m = len(type_names)
        extra = {"rack": np.full(m, -1), "type": np.array([self.type_id[t] for t in type_names]),
                 "u": np.zeros(m, int), "offset": np.zeros((m, 3)), "role": np.array(["facility"] * m, dtype=object),
                 "is_frame": np.zeros(m, bool), "position": np.asarray(xyz, float).reshape(m, 3),
                 "yaw": np.asarray(yaw, float), "name": np.array(names, dtype=object), "parent": np.full(m, -1)}
        self.parts = {k: np.concatenate([self.parts[k], extra[k]]) for k in self.parts}
        return np.arange(start, start + m)

    def facility(self, rows: list[RowPlan]) -> None:
        spec = self.spec
        hall_w, hall_d, _ = spec["hall"]["size_m"]
        cdu_types, cdu_xyz, cdu_yaw, cdu_names, self.cdu_row = [], [], [], [], []
        for row in rows:
            for k, (t, x, y) in enumerate(row.cdus):
                cdu_types.append(t)
                cdu_xyz.append((x, y, 0.0))
                cdu_yaw.append(row.yaw_deg)
                cdu_names.append(f"{row.name}-CDU{k + 1}")
                self.cdu_row.append((row.name, k))
        self.cdu_parts = self.add_parts(cdu_types, np.array(cdu_xyz), np.array(cdu_yaw), cdu_names)
        self.place_power_gear()
        crah, count = spec["hall"]["crah"], spec["hall"]["crah_count"]
        self.crah_parts = np.zeros(0, int)
        if crah and count:
            cw, cd, _ = self.types[crah]["size"]
            per_side = (count + 1) // 2
            ys = np.linspace(0, hall_d, per_side + 2)[1:-1]
            xyz, yaws, names = [], [], []
            for i in range(count):
                left = i % 2 == 0
                xyz.append((cd / 2 + 0.3 if left else hall_w - cd / 2 - 0.3, ys[i // 2], 0.0))
                yaws.append(-90.0 if left else 90.0)
                names.append(f"CRAH-{i + 1}")
            self.crah_parts = self.add_parts([crah] * count, np.array(xyz), np.array(yaws), names)

    def place_power_gear(self) -> None:
        """Switchboards, each followed by its UPS units, in lines along the back wall.

        A line that reaches the side wall wraps to a new line 2.5 m further in, so large
        halls get an electrical gallery; the spec leaves room for it behind the rows.
        """
        power, (hall_w, hall_d, _) = self.spec["power"], self.spec["hall"]["size_m"]
        gear, names = [], []
        for k in range(power["switchboards"]):
            gear.append(power["switchboard"])
            names.append(f"SWB-{k + 1}")
            for u in range(power["ups_per_switchboard"]):
                gear.append(power["ups"])
                names.append(f"UPS-{k + 1}{chr(ord('A') + u)}")
        depth = max(self.types[t]["size"][1] for t in gear)
        xyz, x, line = [], 1.5, 0
        for t in gear:
            w = self.types[t]["size"][0]
            if x + w > hall_w - 1.5:
                x, line = 1.5, line + 1
            xyz.append((x + w / 2, hall_d - depth / 2 - 0.5 - line * (depth + 1.5), 0.0))
            x += w + 0.8
        if xyz[-1][1] - depth / 2 < 0:
            raise TwinError(self.spec["source"], "the switchboard and UPS line-up does not fit in the hall",
                            where="power")
        idx = self.add_parts(gear, np.array(xyz), np.full(len(gear), 180.0), names)
        kinds = [self.types[t]["kind"] for t in gear]
        self.switchboard_parts = idx[[k == "switchboard" for k in kinds]]
        self.ups_parts = idx[[k == "ups" for k in kinds]]
        self.ups_board = np.repeat(np.arange(power["switchboards"]), power["ups_per_switchboard"])

    # -- ports ---------------------------------------------------------------------
    def ports(self) -> None:
        """Catalog ports of every part, tiled per type; manifold QDs made per tray."""
        p = self.parts
        blocks = []
        self.port_base: dict[tuple[int, str], np.ndarray] = {}   # (type id, port name) -> port index per part
        start = 0
        for name in self.type_names:
            tid = self.type_id[name]
            owners = np.flatnonzero(p["type"] == tid)
            templ = _expand_ports(self.types[name]["ports"])
            if not len(owners) or not templ:
                continue
            k = len(templ)
            part = np.repeat(owners, k)
            offs = np.tile(np.array([t[2] for t in templ], float), (len(owners), 1))
            blocks.append({"part": part, "name": np.tile(np.array([t[0] for t in templ], dtype=object), len(owners)),
                           "kind": np.tile(np.array([t[1] for t in templ], dtype=object), len(owners)), "offset": offs})
            rank = np.full(len(p["type"]), -1)
            rank[owners] = np.arange(len(owners))
            for j, (pname, _, _) in enumerate(templ):
                self.port_base[(tid, pname)] = np.where(rank >= 0, start + rank * k + j, -1)
            start += k * len(owners)
        self.port_blocks = blocks
        self.n_ports = start

    def port_index(self, parts: np.ndarray, port_name: str) -> np.ndarray:
        """Global port index of `port_name` on each of `parts` (all of one type)."""
        types = self.parts["type"][parts]
        out = np.full(len(parts), -1)
        for tid in np.unique(types):
            sel = types == tid
            out[sel] = self.port_base[(int(tid), port_name)][parts[sel]]
        if (out < 0).any():
            raise AssertionError(f"port {port_name} missing on some parts")
        return out

    def new_ports(self, part: np.ndarray, names: np.ndarray, kind: str, offset: np.ndarray) -> np.ndarray:
        """Append ports made for a connection (manifold quick-disconnects); returns their indices."""
        m = len(part)
        self.port_blocks.append({"part": part, "name": names, "kind": np.full(m, kind, dtype=object),
                                 "offset": offset})
        idx = np.arange(self.n_ports, self.n_ports + m)
        self.n_ports += m
        return idx

    def port_column(self, key: str) -> np.ndarray:
        """One column over all ports made so far (concatenated once per new block)."""
        cache = self._port_columns
        if cache.get("blocks") != len(self.port_blocks):
            cache.clear()
            cache["blocks"] = len(self.port_blocks)
        if key not in cache:
            cache[key] = np.concatenate([b[key] for b in self.port_blocks])
        return cache[key]

    def port_world(self, index: np.ndarray) -> np.ndarray:
        part = self.port_column("part")[index]
        off = self.port_column("offset")[index]
        yaw = np.radians(self.parts["yaw"][part])
        c, s = np.cos(yaw), np.sin(yaw)
        pos = self.parts["position"][part]
        return np.column_stack([pos[:, 0] + c * off[:, 0] - s * off[:, 1], pos[:, 1] + s * off[:, 0] + c * off[:, 1],
                                pos[:, 2] + off[:, 2]])

    # -- cables --------------------------------------------------------------------
    def cables(self, rows: list[RowPlan]) -> None:
        p = self.parts
        kinds = self.type_attr("kind")[p["type"]]
        cables: list[dict[str, Any]] = []
        in_rack = p["rack"] >= 0

        # Coolant: each liquid or hybrid tray to a quick-disconnect on its rack's supply and return manifolds.
        modes = self.type_attr("cooling_mode")[p["type"]]
        trays = np.flatnonzero(in_rack & np.isin(modes, ["liquid", "hybrid"]))
        for side, port_name in (("manifold-supply", "cs"), ("manifold-return", "cr")):
            mani_of_rack = np.full(len(self.rack_plans), -1)
            sel = np.flatnonzero(p["role"] == side)
            mani_of_rack[p["rack"][sel]] = sel
            mani = mani_of_rack[p["rack"][trays]]
            ok = mani >= 0
            t, m = trays[ok], mani[ok]
            if not len(t):          # no liquid trays in racks with manifolds: nothing to plumb
                continue
            tray_port = self.port_index(t, port_name)
            target = self.port_world(tray_port)
            dz = target[:, 2] - p["position"][m, 2]
            m_depth = self.type_attr("size")[p["type"][m]][:, 1]
            names = np.char.add("qd-U", np.char.zfill(p["u"][t].astype(str), 2)).astype(object)
            qd = self.new_ports(m, names, "coolant",
                                np.column_stack([np.zeros(len(m)), -m_depth / 2, dz]))
            cables.append(self.connect("coolant", 0.0, tray_port, qd, route=None))

        # Management: trays to the first ToR, switch trays and power shelves to the second.
        rack_net = np.array([r.network for r in self.rack_plans])
        tors = np.flatnonzero(in_rack & (kinds == "network_switch") & ~rack_net[np.maximum(p["rack"], 0)])
        tor_of_rack = [np.full(len(self.rack_plans), -1), np.full(len(self.rack_plans), -1)]
        tor_rank = _rank_within(p["rack"][tors])
        for which in (0, 1):
            sel = tors[tor_rank == which]
            tor_of_rack[which][p["rack"][sel]] = sel
        for which, group_kinds, port in ((0, ["compute_tray"], "bmc"), (1, ["switch_tray", "power_shelf"], "mgmt")):
            src = np.flatnonzero(in_rack & np.isin(kinds, group_kinds))
            src = src[tor_of_rack[which][p["rack"][src]] >= 0]
            if not len(src):
                continue
            src_ports = np.concatenate([self.port_index(src[kinds[src] == gk], port) for gk in group_kinds])
            src = np.concatenate([src[kinds[src] == gk] for gk in group_kinds])
            tor = tor_of_rack[which][p["rack"][src]]
            k = _rank_within(p["rack"][src])
            cables.append(self.connect("utp", 1.0, src_ports, self.port_index_numbered(tor, "p", k), route=None))

        # Power: each shelf's AC input to the busway tap above its rack.
        shelves = np.flatnonzero(in_rack & (kinds == "power_shelf"))
        tap_of_rack = np.full(len(self.rack_plans), -1)
        taps = np.flatnonzero(p["role"] == "busway-tap")
        tap_of_rack[p["rack"][taps]] = taps
        cables.append(self.connect("power", 0.0, self.port_index(shelves, "ac-in"),
                                   self.port_index_numbered(tap_of_rack[p["rack"][shelves]], "tap",
                                                            _rank_within(p["rack"][shelves])), route=None))

        # Scale-out fabric: every compute-tray OSFP to the next free leaf down port of its row.
        rack_row = np.array([r.row for r in self.rack_plans], dtype=object)
        self.row_tray = {}
        tray_rows = []
        for ri, row in enumerate(rows):
            self.row_tray[row.name] = ri + 1
            front = -1.0 if row.yaw_deg == 0 else 1.0
            depth = max(self.rack_depth[[self.rack_plans.index(r) for r in row.racks[:1]]]) if row.racks else 1.2
            height = max(self.rack_height[[self.rack_plans.index(r) for r in row.racks[:1]]]) if row.racks else 2.3
            z = height + TRAY_Z_ABOVE_RACK_M
            y = row.y + front * (depth / 2 - 0.15)
            tray_rows.append((ri + 1, f"{row.name}-tray", row.x_start, y, z, row.x_end, y, z))
        self.tables["cable_trays"] = {
            "id": [t[0] for t in tray_rows], "name": [t[1] for t in tray_rows], "hall_id": [1] * len(tray_rows),
            "x0": [t[2] for t in tray_rows], "y0": [t[3] for t in tray_rows], "z0": [t[4] for t in tray_rows],
            "x1": [t[5] for t in tray_rows], "y1": [t[6] for t in tray_rows], "z1": [t[7] for t in tray_rows],
            "width_m": [0.6] * len(tray_rows), "height_m": [0.15] * len(tray_rows), "capacity": [1200] * len(tray_rows)}
        self.tray_z = {t[1][:-5]: t[4] for t in tray_rows}
        compute = in_rack & (kinds == "compute_tray")
        leaves = in_rack & (kinds == "network_switch") & rack_net[np.maximum(p["rack"], 0)]
        fabric = []
        for row in rows:
            in_row = rack_row[np.maximum(p["rack"], 0)] == row.name
            row_trays = np.flatnonzero(compute & in_row)
            row_leaves = np.flatnonzero(leaves & in_row)
            if not len(row_trays) or not len(row_leaves):
                continue
            tray_ports = self.osfp_ports(row_trays)
            leaf_ports = np.concatenate([self.port_index_numbered(row_leaves, "down", np.full(len(row_leaves), j))[:, None]
                                         for j in range(self.count_ports(row_leaves[0], "down"))], axis=1).reshape(-1)
            if len(tray_ports) > len(leaf_ports):
                raise AssertionError(f"row {row.name}: {len(tray_ports)} OSFP ports but {len(leaf_ports)} leaf ports")
            rate = 1600.0 if self.port_kind_of(tray_ports[0]).endswith("1600g") else 800.0
            fabric.append(self.connect("fiber", rate, tray_ports, leaf_ports[: len(tray_ports)],
                                       route=self.row_tray[row.name], tray_z=self.tray_z[row.name]))
        cables += fabric
        merged = {k: np.concatenate([c[k] for c in cables]) for k in cables[0]}
        self.cable_cols = merged

    def osfp_ports(self, trays: np.ndarray) -> np.ndarray:
        """All OSFP ports of `trays`, tray by tray (trays are all of one or several types)."""
        types = self.parts["type"][trays]
        blocks = []
        for tid in np.unique(types):
            names = _names_with_prefix(self.types[self.type_names[tid - 1]]["ports"], "osfp")
            sel = np.flatnonzero(types == tid)
            blocks.append((sel, np.stack([self.port_base[(int(tid), n)][trays[sel]] for n in names], axis=1)))
        width = max(b.shape[1] for _, b in blocks)
        if any(b.shape[1] != width for _, b in blocks):
            raise TwinError(self.spec["source"], "compute trays of one row have different OSFP port counts",
                            where="part_types")
        out = np.empty((len(trays), width), np.int64)
        for sel, b in blocks:
            out[sel] = b
        return out.reshape(-1)

    def count_ports(self, part: int, base_name: str) -> int:
        tid = int(self.parts["type"][part])
        return sum(1 for n, _, _ in _expand_ports(self.types[self.type_names[tid - 1]]["ports"])
                   if n.rstrip("0123456789") == base_name)

    def port_index_numbered(self, parts: np.ndarray, base_name: str, k: np.ndarray) -> np.ndarray:
        """Port `base_name{k+1}` on each part (k per part)."""
        out = np.full(len(parts), -1)
        for kk in np.unique(k):
            sel = k == kk
            out[sel] = self.port_index(parts[sel], f"{base_name}{kk + 1}")
        return out

    def port_kind_of(self, index: int) -> str:
        return str(self.port_column("kind")[index])

    def connect(self, kind: str, rate: float, a: np.ndarray, b: np.ndarray, route: int | None,
                tray_z: float | None = None) -> dict[str, Any]:
        """Cables between port arrays: routed length, bought length and the kind that reaches."""
        pa, pb = self.port_world(a), self.port_world(b)
        if tray_z is None:
            routed = np.abs(pa - pb).sum(axis=1)
        else:
            routed = (tray_z - pa[:, 2]) + (tray_z - pb[:, 2]) + np.abs(pa[:, :2] - pb[:, :2]).sum(axis=1)
        need = routed + 2 * physics.CABLE_SLACK_M
        lengths = np.array(physics.STANDARD_LENGTHS_M)
        bought = lengths[np.minimum(np.searchsorted(lengths, need - 1e-9), len(lengths) - 1)]
        kinds = np.full(len(a), kind, dtype=object)
        if kind == "fiber":
            kinds[bought <= physics.cable_reach_m("dac", rate)] = "dac"
            short = (bought > physics.cable_reach_m("dac", rate)) & (bought <= physics.cable_reach_m("aec", rate))
            kinds[short] = "aec"
        return {"a": a, "b": b, "kind": kinds, "rate": np.full(len(a), rate), "length": bought,
                "route": np.full(len(a), "" if route is None else str(route), dtype=object)}

    # -- power chain ----------------------------------------------------------------
    def power(self, rows: list[RowPlan]) -> None:
        spec, p = self.spec, self.parts
        nodes: dict[str, list] = {k: [] for k in ("id", "name", "kind", "parent_id", "part_id", "capacity_w",
                                                  "voltage_v", "redundancy_group")}

        def node(name, kind, parent, part, capacity, voltage, group=None) -> int:
            nid = len(nodes["id"]) + 1
            for key, value in zip(nodes, (nid, name, kind, parent, part, capacity, voltage, group)):
                nodes[key].append(value)
            return nid

        power = spec["power"]
        feed = np.full(len(p["type"]), -1)
        cap = self.type_attr("power_capacity_w")
        utility = node("Utility", "utility", None, None, power["utility_kw"] * 1000.0, 13800.0)
        ups_nodes, mech_nodes = [], []
        for k, board in enumerate(self.switchboard_parts):
            swb = node(str(p["name"][board]), "switchboard", utility, board + 1, cap[p["type"][board]],
                       power["voltage_v"])
            feed[board] = utility
            for part in self.ups_parts[self.ups_board == k]:
                ups_nodes.append(node(str(p["name"][part]), "ups", swb, part + 1, cap[p["type"][part]],
                                      power["voltage_v"], f"{p['name'][board]} UPS N+1"))
                feed[part] = swb
            mech_nodes.append(node(f"MECH-{k + 1}", "panel", swb, None,
                                   power["mechanical_share"] * cap[p["type"][board]], power["voltage_v"]))
        mechanical = np.concatenate([self.cdu_parts, self.crah_parts])
        feed[mechanical] = np.array(mech_nodes)[np.arange(len(mechanical)) % len(mech_nodes)]
        kinds = self.type_attr("kind")[p["type"]]
        busway_cap = cap[self.type_id[power["busway"]]]
        for ri, row in enumerate(rows):
            bw = node(f"{row.name}-busway", "busway", ups_nodes[ri % len(ups_nodes)], None, busway_cap,
                      power["voltage_v"])
            for rack in row.racks:
                r = self.rack_index[rack.name]
                members = self.rack_members[r]
                feed[members[p["role"][members] == "busway-tap"]] = bw
                shelves = members[kinds[members] == "power_shelf"]
                feed[shelves] = bw
                loads = members[np.isin(kinds[members], ["compute_tray", "switch_tray", "network_switch"])]
                if len(shelves):
                    shelf_cap = cap[p["type"][shelves]]
                    usable = shelf_cap.sum() - shelf_cap.max() if len(shelves) > 1 else shelf_cap.sum()
                    group = node(f"{rack.name}-shelves", "power_shelf_group", bw, None, usable, 48.0,
                                 f"{rack.name} shelves N+1")
                    busbars = members[kinds[members] == "busbar"]
                    if len(busbars):
                        bb = node(f"{rack.name}-busbar", "busbar", group, busbars[0] + 1, cap[p["type"][busbars[0]]], 48.0)
                        feed[busbars] = group
                        feed[loads] = bb
                    else:
                        feed[loads] = group
                else:
                    pdu = node(f"{rack.name}-pdu", "pdu", bw, None, self.tables["racks"]["power_budget_w"][r],
                               power["voltage_v"])
                    feed[loads] = pdu
        self.tables["power_nodes"] = nodes
        self.part_feed = feed

    # -- cooling -------------------------------------------------------------------
    def cooling(self, rows: list[RowPlan]) -> None:
        spec, p = self.spec, self.parts
        gens = {g["name"]: g for g in spec["generations"]}
        loops: dict[str, list] = {k: [] for k in ("id", "name", "hall_id", "medium", "supply_c", "design_dt_k",
                                                  "capacity_w", "flow_lpm")}
        loop_of_part = np.full(len(p["type"]), -1)
        rack_loop = np.full(len(self.rack_plans), -1)
        modes = self.type_attr("cooling_mode")[p["type"]]
        ccap, cflow = self.type_attr("cooling_capacity_w"), self.type_attr("coolant_lpm")
        air_id = 1
        crah_cap = float(ccap[p["type"][self.crah_parts]].sum()) if len(self.crah_parts) else 0.0
        for key, value in zip(loops, (air_id, "Hall air", 1, "air", spec["hall"]["supply_air_c"],
                                      0.0, crah_cap, 0.0)):
            loops[key].append(value)
        loop_of_part[self.crah_parts] = air_id
        cdu_of = {key: part for key, part in zip(self.cdu_row, self.cdu_parts)}
        for row in rows:
            for k in range(len(row.cdus)):
                part = cdu_of[(row.name, k)]
                lid = len(loops["id"]) + 1
                for key, value in zip(loops, (lid, f"{row.name}-loop{k + 1}", 1, "liquid",
                                              gens[row.generation]["liquid_supply_c"], spec["cooling"]["design_dt_k"],
                                              ccap[p["type"][part]], cflow[p["type"][part]])):
                    loops[key].append(value)
                loop_of_part[part] = lid
                for rack in row.racks:
                    if rack.cdu_group == k:
                        r = self.rack_index[rack.name]
                        rack_loop[r] = lid
                        members = self.rack_members[r]
                        loop_of_part[members[np.isin(modes[members], ["liquid", "hybrid"])]] = lid
        air_cooled = (modes == "air") & (loop_of_part < 0)
        loop_of_part[air_cooled] = air_id
        self.tables["cooling_loops"] = loops
        self.tables["racks"]["cooling_loop_id"] = rack_loop
        self.part_loop = loop_of_part

    # -- faults --------------------------------------------------------------------
    def apply_part_faults(self) -> None:
        p = self.parts
        self.part_power = np.full(len(p["type"]), -1.0)
        kinds = self.type_attr("kind")[p["type"]]
        nominal = self.type_attr("power_nominal_w")[p["type"]]
        for i, fault in enumerate(self.spec["faults"]):
            if fault["kind"] in ("rack_over_budget", "dac_too_long", "hot_spot"):
                if fault["rack"] not in self.rack_index:
                    raise TwinError(self.spec["source"], f"rack '{fault['rack']}' does not exist",
                                    where=f"faults[{i}].rack")
                members = self.rack_members[self.rack_index[fault["rack"]]]
            if fault["kind"] == "rack_over_budget":
                trays = members[kinds[members] == "compute_tray"]
                self.part_power[trays] = nominal[trays] * fault["power_factor"]
            elif fault["kind"] == "dac_too_long":
                a_part = self.port_column("part")[self.cable_cols["a"]]
                hits = np.flatnonzero(np.isin(a_part, members) & (self.cable_cols["kind"] != "coolant")
                                      & (self.cable_cols["rate"] >= 800))
                if not len(hits):
                    raise TwinError(self.spec["source"], "rack has no high-speed cable to turn into a DAC",
                                    where=f"faults[{i}].rack")
                self.cable_cols["kind"][hits[0]] = "dac"
                self.cable_cols["length"][hits[0]] = fault["length_m"]

    @property
    def rack_index(self) -> dict[str, int]:
        if not hasattr(self, "_rack_index"):
            self._rack_index = {r.name: i for i, r in enumerate(self.rack_plans)}
        return self._rack_index

    @property
    def rack_members(self) -> list[np.ndarray]:
        """Part indices of each rack (computed once with one sort)."""
        if not hasattr(self, "_rack_members"):
            rack = self.parts["rack"]
            order = np.argsort(rack, kind="stable")
            bounds = np.searchsorted(rack[order], np.arange(len(self.rack_plans) + 1))
            self._rack_members = [order[bounds[i]:bounds[i + 1]] for i in range(len(self.rack_plans))]
        return self._rack_members

    # -- final tables --------------------------------------------------------------
    def finish_parts(self) -> None:
        p = self.parts
        n = len(p["type"])
        vendor = self.type_attr("vendor")[p["type"]]
        serial_no = self.rng.integers(0, 16 ** 8, size=n)
        serials = [f"{v[:3].upper()}{s:08X}" for v, s in zip(vendor.tolist(), serial_no.tolist())]
        self.tables["parts"] = {
            "id": np.arange(1, n + 1), "name": p["name"], "part_type_id": p["type"], "rack_id": _fk(p["rack"]),
            "u_position": np.where(p["u"] > 0, p["u"], -1), "x": p["position"][:, 0], "y": p["position"][:, 1],
            "z": p["position"][:, 2], "yaw_deg": p["yaw"], "parent_id": _fk(p["parent"]), "serial": serials,
            "power_w": self.part_power, "power_node_id": self.part_feed, "cooling_loop_id": self.part_loop}
        ports = {k: np.concatenate([b[k] for b in self.port_blocks]) for k in ("part", "name", "kind", "offset")}
        m = len(ports["part"])
        self.tables["ports"] = {"id": np.arange(1, m + 1), "part_id": ports["part"] + 1, "name": ports["name"],
                                "kind": ports["kind"], "dx": ports["offset"][:, 0], "dy": ports["offset"][:, 1],
                                "dz": ports["offset"][:, 2]}
        c = self.cable_cols
        k = len(c["a"])
        self.tables["cables"] = {"id": np.arange(1, k + 1), "name": [f"C{i:06d}" for i in range(1, k + 1)],
                                 "kind": c["kind"], "rate_gbps": c["rate"], "a_port_id": c["a"] + 1,
                                 "b_port_id": c["b"] + 1, "length_m": c["length"], "route": c["route"]}
        spec = self.spec
        self.tables["meta"] = {"key": ["units", "axes", "created_by", "source", "design_name", "description", "seed",
                                       "home_country"],
                               "value": ["m, kg, W, degC, L/min, UTC ISO-8601", "Z up, X along rows, fronts face -Y at yaw 0",
                                         "twin 0.1.0", Path(spec["source"]).name, spec["design"]["name"],
                                         spec["design"]["description"], str(spec["design"]["seed"]),
                                         spec["design"]["home_country"]]}


def _fk(index: np.ndarray) -> np.ndarray:
    """Row indices to 1-based ids, keeping -1 (written as NULL)."""
    return np.where(index >= 0, index + 1, -1)


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2… counting up within each run of equal group values (input order kept)."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = np.arange(len(g)) - run_start
    return rank


def _expand_ports(ports: list[dict]) -> list[tuple[str, str, tuple[float, float, float]]]:
    out = []
    for port in ports:
        for i in range(port["count"]):
            name = f"{port['name']}{i + 1}" if port["count"] > 1 else port["name"]
            ox, oy, oz = port["offset"]
            out.append((name, port["kind"], (ox + i * port["pitch"], oy, oz)))
    return out


def _names_with_prefix(ports: list[dict], prefix: str) -> list[str]:
    return [n for n, kind, _ in _expand_ports(ports) if kind.startswith(prefix)]
