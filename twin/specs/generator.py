"""Generate a design file from a validated spec: seeded, deterministic, vectorised.

`generate` runs the stages in order over one `DesignDraft` record: catalog, placement
(placement.py), cabling (cabling.py), power (power.py), cooling (cooling.py), faults
(faults.py) and telemetry (telemetry.py), then assembles the part, port and cable tables.
Racks of one template are tiled with numpy, so a 2,000-rack hall becomes ~80,000 parts,
~700,000 ports and ~300,000 cables without a Python loop per part. The same spec and seed
give the same rows, byte for byte.

`build_design` writes the tables to a temporary file beside the target and then puts them in
place (twin.store.rebuild: one transaction on an existing design, so notes written
meanwhile are never lost), so a failed build never leaves a half-written design behind. A step that works on
the finished tables before they are written (for example cable routing) belongs in
`build_design`, between `generate` and `write_tables`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from twin import __version__
from twin.errors import TwinError
from twin.specs.cable_routes import route_generated_cables
from twin.specs.campus import size_campus_fibre
from twin.specs.cabling import make_cables
from twin.specs.catalog import catalog_tables
from twin.specs.cooling import cooling_loops
from twin.specs.draft import Catalog, DesignDraft, Table
from twin.specs.faults import apply_node_faults, apply_part_faults, apply_row_faults
from twin.specs.layout import plan_rows
from twin.specs.meshcheck import mesh_warnings, spec_folder_meta
from twin.specs.placement import place
from twin.specs.power import power_chain
from twin.specs.sizing import plan_power
from twin.specs.spec import load_spec
from twin.specs.telemetry import make_telemetry
from twin.store.rebuild import install_design, temporary_design, writing_design
from twin.store.reviews import check_replaceable
from twin.store.writer import write_tables

Progress = Callable[[str], None]


@dataclass
class BuildSummary:
    path: Path
    counts: dict[str, int]
    carried_reviews: int = 0
    warnings: list[str] = field(default_factory=list)
    #: wall seconds per stage: generation, routing, writing (the rows), indexing (indexes, key check)
    timings: dict[str, float] = field(default_factory=dict)


def build_design(spec_path: str | Path, out_path: str | Path, progress: Progress | None = None) -> BuildSummary:
    """Build `spec_path` into the design file `out_path` (replaced atomically)."""
    say = progress or (lambda _msg: None)
    spec = load_spec(spec_path)
    out_path = Path(out_path)
    if out_path.is_dir():
        raise TwinError(out_path, "is a folder; give a file name such as hall.twin.db", where="-o")
    check_replaceable(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    say("planning")
    tables = generate(spec, say)
    for column, value in zip(("key", "value"), spec_folder_meta(spec)):
        tables["meta"][column].append(value)
    routed = time.perf_counter()
    timings["generation"] = routed - start
    say("routing cables")
    route_warnings = route_generated_cables(tables, spec["sizing"]["tray_fill"] if spec["sizing"]["trays"] else None,
                                            spec)
    size_campus_fibre(tables)
    timings["routing"] = time.perf_counter() - routed
    with temporary_design(out_path) as tmp, writing_design(out_path):
        say("writing")
        counts = write_tables(tmp, tables, source=spec["source"], timings=timings)
        carried, warnings = install_design(tmp, out_path)
    return BuildSummary(out_path, counts, carried, mesh_warnings(spec, out_path) + route_warnings + warnings, timings)


def generate(spec: dict[str, Any], say: Progress | None = None) -> dict[str, Table]:
    """Every table of the design described by a validated `spec`, as the store's writer takes them."""
    say = say or (lambda _msg: None)
    rows = plan_rows(spec)
    apply_row_faults(spec, rows)
    draft = DesignDraft(spec, Catalog.from_spec(spec), rows, np.random.default_rng(spec["design"]["seed"]))
    draft.power_plan = plan_power(spec, rows)
    catalog_tables(draft)
    say("placing racks and parts")
    place(draft)
    say("ports and cables")
    make_cables(draft)
    power_chain(draft)
    apply_node_faults(draft)
    cooling_loops(draft)
    apply_part_faults(draft)
    if spec["telemetry"] is not None:
        say("telemetry")
        draft.tables.update(make_telemetry(draft))
    _finish(draft)
    return draft.tables


def _finish(draft: DesignDraft) -> None:
    """The parts, ports, cables and meta tables from the working columns (serials drawn last)."""
    p, spec = draft.parts, draft.spec
    n = len(p)
    vendor = draft.catalog.attr("vendor")[p.type]
    serial_no = draft.rng.integers(0, 16 ** 8, size=n)
    serials = [f"{v[:3].upper()}{s:08X}" for v, s in zip(vendor.tolist(), serial_no.tolist())]
    draft.tables["parts"] = {
        "id": np.arange(1, n + 1), "name": p.name, "part_type_id": p.type, "rack_id": _fk(p.rack),
        "u_position": np.where(p.u > 0, p.u, -1), "x": p.position[:, 0], "y": p.position[:, 1],
        "z": p.position[:, 2], "yaw_deg": p.yaw, "parent_id": _fk(p.parent), "serial": serials,
        "power_w": draft.part_power, "power_node_id": draft.part_feed, "cooling_loop_id": draft.part_loop}
    ports = {k: draft.ports.column(k) for k in ("part", "name", "kind", "offset")}
    m = len(ports["part"])
    draft.tables["ports"] = {"id": np.arange(1, m + 1), "part_id": ports["part"] + 1, "name": ports["name"],
                             "kind": ports["kind"], "dx": ports["offset"][:, 0], "dy": ports["offset"][:, 1],
                             "dz": ports["offset"][:, 2]}
    c = draft.cables
    k = len(c.a)
    draft.tables["cables"] = {"id": np.arange(1, k + 1), "name": [f"C{i:06d}" for i in range(1, k + 1)],
                              "kind": c.kind, "rate_gbps": c.rate, "a_port_id": c.a + 1,
                              "b_port_id": c.b + 1, "length_m": c.length, "route": c.route}
    draft.tables["meta"] = {
        "key": ["units", "axes", "created_by", "source", "design_name", "description", "seed", "home_country"],
        "value": ["m, kg, W, degC, L/min, UTC ISO-8601", "Z up, X along rows, fronts face -Y at yaw 0",
                  f"twin {__version__}", Path(spec["source"]).name, spec["design"]["name"],
                  spec["design"]["description"], str(spec["design"]["seed"]), spec["design"]["home_country"]]}


def _fk(index: np.ndarray) -> np.ndarray:
    """Row indices to 1-based ids, keeping -1 (written as NULL)."""
    return np.where(index >= 0, index + 1, -1)
