"""Hostile inputs for tests/test_hostile_cli.py, each made fresh in a folder from real sources.

`KINDS` maps a name to a maker `(folder, sources) -> path` and to what the input is fed
to: a design file, a spec, a device-type library, a NetBox dump or a CFD field. `sources`
holds the real inputs they start from (a built design, a sample spec, the shared NetBox
library and demo dump). Every maker edits a copy with plain SQL, text or file-system
calls, as a careless or hostile author would.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

def sql(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA foreign_keys = OFF")
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def design(folder: Path, src: dict, *statements: str) -> Path:
    db = folder / "in.twin.db"
    shutil.copy(src["pod"], db)
    if statements:
        sql(db, *statements)
    return db


def _truncated(folder: Path, src: dict) -> Path:
    db = folder / "in.twin.db"
    db.write_bytes(Path(src["pod"]).read_bytes()[:6000])
    return db


def _garbage(folder: Path, src: dict) -> Path:
    db = folder / "in.twin.db"
    db.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 64)
    return db


def _wrong_schema(folder: Path, src: dict) -> Path:
    db = folder / "in.twin.db"
    sql(db, "CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)", "INSERT INTO recipes VALUES (1, 'soup')")
    return db


def _fifo(name: str) -> Callable[[Path, dict], Path]:
    def make(folder: Path, src: dict) -> Path:
        path = folder / name
        os.mkfifo(path)
        return path
    return make


def _duplicate_ids(folder: Path, src: dict) -> Path:
    return design(folder, src, "CREATE TABLE parts_copy AS SELECT * FROM parts",
                   "INSERT INTO parts_copy SELECT * FROM parts", "DROP TABLE parts",
                   "ALTER TABLE parts_copy RENAME TO parts")


def _trigger(folder: Path, src: dict) -> Path:
    return design(folder, src, "CREATE TRIGGER evil AFTER INSERT ON notes BEGIN "
                                "UPDATE meta SET value = 'pwned' WHERE key = 'design_name'; "
                                "UPDATE parts SET x = x + 50; DELETE FROM readings; END")


def _spec(text: str) -> Callable[[Path, dict], Path]:
    def make(folder: Path, src: dict) -> Path:
        spec = folder / "in.toml"
        spec.write_text(text(Path(src["spec"]).read_text()) if callable(text) else text)
        return spec
    return make


OVERLAP_ROW = ('\n[[rows]]\nname = "B"\ngeneration = "blackwell"\nracks = 4\norigin_m = [6.0, 5.3]\n'
               'facing = "+y"\ncdu = "cdu-inrow-1350"\n')


def library(bad: str | None, keep_good: bool = True, schema_fifo: bool = False) -> Callable[[Path, dict], Path]:
    def make(folder: Path, src: dict) -> Path:
        lib = folder / "lib"
        shutil.copytree(Path(src["library"]) / "schema", lib / "schema")
        types = lib / "device-types" / "Acme"
        types.mkdir(parents=True)
        if keep_good:
            shutil.copy(src["good_type"], types / "good.yaml")
        if schema_fifo:
            (lib / "schema" / "devicetype.json").unlink()
            os.mkfifo(lib / "schema" / "devicetype.json")
        if bad == "bomb":
            lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
            lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
            (types / "bad.yaml").write_text("manufacturer: Acme\nmodel: B\nslug: acme-b\nu_height: 1\n"
                                            + "\n".join(lines) + "\ncomments: *a9\n")
        elif bad == "deep":
            (types / "bad.yaml").write_text("manufacturer: Acme\nmodel: D\nslug: acme-d\ncomments: "
                                            + "[" * 100_000 + "]" * 100_000 + "\n")
        elif bad == "symlink":
            os.symlink(src["outside_yaml"], types / "bad.yaml")
        elif bad == "tall":
            (types / "bad.yaml").write_text("manufacturer: Acme\nmodel: T\nslug: acme-t\nu_height: 100000000\n")
        return lib
    return make


def _dump(change: Callable[[str], str] | str) -> Callable[[Path, dict], Path]:
    def make(folder: Path, src: dict) -> Path:
        path = folder / "in.json"
        path.write_text(change(Path(src["dump"]).read_text()) if callable(change) else change)
        return path
    return make


def _set_field(model: str, field: str, literal: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        objects = json.loads(text)
        for obj in objects:
            if obj["model"] == model and field in obj["fields"]:
                obj["fields"][field] = "@@hostile@@"
        return json.dumps(objects).replace('"@@hostile@@"', literal)
    return change


def _csv_cell(folder: Path, src: dict) -> Path:
    path = folder / "field.csv"
    path.write_text("x,y,z,T\n1,2,1.2," + "9" * 300_000 + "\n")
    return path


def _bcf(members: dict[str, bytes] | None) -> Callable[[Path, dict], Path]:
    """A BCF zip with `members` (None: a FIFO named in.bcf), beside a good design `design.twin.db` to import into."""
    def make(folder: Path, src: dict) -> Path:
        import zipfile

        shutil.copy(src["pod"], folder / "design.twin.db")
        path = folder / "in.bcf"
        if members is None:
            os.mkfifo(path)
            return path
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data)
        return path
    return make


_MARKUP = (b'<Markup><Topic Guid="0d7d4b1e-0000-4000-8000-000000000001"><Title>t</Title>'
           b'<CreationDate>2026-01-01T00:00:00Z</CreationDate><CreationAuthor>a</CreationAuthor></Topic></Markup>')
_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE Markup [<!ENTITY a "haha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
           b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
           b'<Markup><Topic Guid="0d7d4b1e-0000-4000-8000-000000000001"><Title>&d;</Title></Topic></Markup>')


def _vti_huge(folder: Path, src: dict) -> Path:
    """A 400-byte .vti that declares 10^15 points (VTK allocated them: std::bad_alloc, rc 134)."""
    path = folder / "field.vti"
    path.write_text('<VTKFile type="ImageData" version="0.1" byte_order="LittleEndian" header_type="UInt32">\n'
                    '  <ImageData WholeExtent="0 99999 0 99999 0 99999" Origin="0 0 0" Spacing="1 1 1">\n'
                    '    <Piece Extent="0 99999 0 99999 0 99999">\n      <PointData Scalars="T">\n'
                    '        <DataArray type="Float32" Name="T" format="ascii">1 2 3</DataArray>\n'
                    '      </PointData>\n    </Piece>\n  </ImageData>\n</VTKFile>\n')
    return path


def _step(keep: Callable[[bytes], bytes]) -> Callable[[Path, dict], Path]:
    """A STEP file made from a real one (the shared AP214 plate) by `keep`."""
    def make(folder: Path, src: dict) -> Path:
        path = folder / "in.step"
        path.write_bytes(keep((src["step"]).read_bytes()))
        return path
    return make


def _telemetry(name: str, text: str) -> Callable[[Path, dict], Path]:
    """A telemetry source file (a Prometheus capture, a CSV of readings) holding `text`."""
    def make(folder: Path, src: dict) -> Path:
        path = folder / name
        path.write_text(text)
        return path
    return make


def _mockup_deep(folder: Path, src: dict) -> Path:
    """A Redfish mockup folder whose service root is JSON nested 100,000 deep."""
    path = folder / "mockup"
    path.mkdir()
    (path / "index.json").write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    return path


@dataclass(frozen=True)
class Kind:
    """A hostile input: how to make it, what it is fed to (`design`, `spec`, `library`, `dump`, `field`, `cad`,
    `telemetry`)."""

    make: Callable[[Path, dict], Path]
    takes: str


KINDS: dict[str, Kind] = {
    "truncated-sqlite": Kind(_truncated, "design"),
    "garbage-sqlite": Kind(_garbage, "design"),
    "wrong-schema": Kind(_wrong_schema, "design"),
    "fifo-design": Kind(_fifo("in.twin.db"), "design"),
    "blob-design-name": Kind(lambda f, s: design(f, s, "UPDATE meta SET value = X'C328FFFE00E282' "
                                                        "WHERE key = 'design_name'"), "design"),
    "huge-design-name": Kind(lambda f, s: design(f, s, "UPDATE meta SET value = "
                                                        "(SELECT printf('%.*c', 10000000, 'x')) "
                                                        "WHERE key = 'design_name'"), "design"),
    "inf-positions": Kind(lambda f, s: design(f, s, "UPDATE parts SET x = 9e999 WHERE id % 3 = 0"), "design"),
    "1e308-power": Kind(lambda f, s: design(f, s, "UPDATE parts SET power_w = 1e308 WHERE id = "
                                                   "(SELECT max(id) FROM parts)"), "design"),
    "duplicate-ids": Kind(_duplicate_ids, "design"),
    "trigger-on-notes": Kind(_trigger, "design"),
    "empty-parts": Kind(lambda f, s: design(f, s, "DELETE FROM parts"), "design"),
    "null-lead-time": Kind(lambda f, s: design(f, s, "UPDATE part_types SET lead_time_days = NULL"), "design"),
    "hall-1e9-m": Kind(lambda f, s: design(f, s, "UPDATE halls SET width_m = 1e9"), "design"),
    "tray-at-inf": Kind(lambda f, s: design(f, s, "UPDATE cable_trays SET x1 = 9e999 WHERE id = "
                                                   "(SELECT min(id) FROM cable_trays)"), "design"),
    "spec-garbage": Kind(_spec("[design\nname = = 3\x00"), "spec"),
    "spec-1e12-racks": Kind(_spec(lambda t: t.replace("racks = 8", "racks = 1000000000000", 1)), "spec"),
    "spec-nan": Kind(_spec(lambda t: t.replace("liquid_supply_c = 32.0", "liquid_supply_c = nan", 1)), "spec"),
    "spec-overlapping-rows": Kind(_spec(lambda t: t + OVERLAP_ROW), "spec"),
    "fifo-spec": Kind(_fifo("in.toml"), "spec"),
    "yaml-billion-laughs": Kind(library("bomb"), "library"),
    "yaml-100k-deep": Kind(library("deep"), "library"),
    "library-symlink-out": Kind(library("symlink"), "library"),
    "library-fifo-schema": Kind(library(None, schema_fifo=True), "library"),
    "library-1e8-u-only": Kind(library("tall", keep_good=False), "library"),
    "json-100k-deep": Kind(_dump("[" * 100_000 + "]" * 100_000), "dump"),
    "dump-inf-heights": Kind(_dump(_set_field("dcim.rack", "u_height", "Infinity")), "dump"),
    "dump-1e400-heights": Kind(_dump(_set_field("dcim.devicetype", "u_height", "1e400")), "dump"),
    "dump-list-fields": Kind(_dump(_set_field("dcim.device", "rack", "[1, 2]")), "dump"),
    "dump-1e8-u": Kind(_dump(_set_field("dcim.devicetype", "u_height", "100000000")), "dump"),
    "fifo-dump": Kind(_fifo("in.json"), "dump"),
    "step-truncated": Kind(_step(lambda b: b[: len(b) // 2]), "cad"),
    "step-garbage": Kind(_step(lambda b: b[:40] + bytes(range(256)) * 16), "cad"),
    "fifo-step": Kind(_fifo("in.step"), "cad"),
    "csv-300k-cell": Kind(_csv_cell, "field"),
    "bcf-path-traversal": Kind(_bcf({"a/markup.bcf": _MARKUP, "../../escape/markup.bcf": _MARKUP}), "bcf"),
    "bcf-zip-bomb": Kind(_bcf({"a/markup.bcf": b"<Markup>" + b" " * (64 * 1024 ** 2) + b"</Markup>"}), "bcf"),
    "bcf-billion-laughs": Kind(_bcf({"a/markup.bcf": _LAUGHS}), "bcf"),
    "fifo-bcf": Kind(_bcf(None), "bcf"),
    "vti-1e15-points": Kind(_vti_huge, "field"),
    "prom-garbage": Kind(_telemetry("metrics.prom", "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\" 12 {{{\x00\n"), "telemetry"),
    "csv-bad-rows": Kind(_telemetry("readings.csv", "ts,sensor,value,unit\n2026-11-24T00:00:00Z,a,1,W\n"
                                                    "2026-11-24T00:00:00Z,b,warm,W\n"), "telemetry"),
    "fifo-metrics": Kind(_fifo("metrics.prom"), "telemetry"),
    "mockup-100k-deep": Kind(_mockup_deep, "telemetry"),
}
