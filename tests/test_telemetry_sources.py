"""Telemetry from a DCGM exporter capture and a BMS CSV, and imported telemetry surviving `twin build`.

The capture is written here in the DCGM exporter's text format; the expectations for the power
and thermal analyses are worked out here from the design's rows (SQL) and the capture's values.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from tests.support import edited
from twin.analysis.power import analyse_power
from twin.analysis.thermal import analyse_thermal
from twin.errors import TwinError
from twin.importers.telemetry import import_sources
from twin.specs import build_design
from twin.store import load_design
from twin.store.telemetry import readings_at

SCENES = Path(__file__).resolve().parents[1] / "scenes"
NOT_IT = ("rack", "power_shelf", "busbar", "busway", "pdu", "ups", "switchboard", "manifold", "cdu", "crah")


def _digest(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()
    finally:
        conn.close()


def _dcgm(samples: list[tuple[str, str, str, float]], ms: int) -> str:
    """A /metrics page as NVIDIA's dcgm-exporter writes it: (metric, gpu, Hostname, value) samples."""
    helps = {"DCGM_FI_DEV_POWER_USAGE": "Power draw (in W).", "DCGM_FI_DEV_GPU_TEMP": "GPU temperature (in C)."}
    lines = []
    for metric, text in helps.items():
        lines += [f"# HELP {metric} {text}", f"# TYPE {metric} gauge"]
        for m, gpu, host, value in samples:
            if m == metric:
                uuid = f"GPU-{abs(hash((host, gpu))) % 10**8:08d}-7f3a-4c1e-9d2b-{int(gpu):012d}"
                lines.append(f'{metric}{{gpu="{gpu}",UUID="{uuid}",pci_bus_id="00000000:{0x0F + int(gpu):02X}:00.0",'
                             f'device="nvidia{gpu}",modelName="NVIDIA GB200",Hostname="{host}",'
                             f'DCGM_FI_DRIVER_VERSION="570.86.15",container="",namespace="",pod=""}} {value} {ms}')
    lines += ["# HELP go_goroutines Number of goroutines that currently exist.", "# TYPE go_goroutines gauge",
              "go_goroutines 42"]
    return "\n".join(lines) + "\n"


def test_dcgm_gpu_power_binds_to_compute_trays_and_feeds_power_and_thermal(hall_db, tmp_path):
    # A01 without its rack-level meter: its GPUs' power is then all the analyses measure of it
    db = edited(hall_db, tmp_path, "DELETE FROM readings WHERE sensor_id IN (SELECT id FROM sensors WHERE name = 'A01-power')",
                "DELETE FROM sensors WHERE name = 'A01-power'")
    conn = sqlite3.connect(db)
    trays = conn.execute("SELECT p.name, p.serial FROM parts p JOIN part_types t ON t.id = p.part_type_id "
                         "JOIN racks r ON r.id = p.rack_id WHERE r.name = 'A01' AND t.kind = 'compute_tray' "
                         "ORDER BY p.u_position").fetchall()
    last = conn.execute("SELECT max(ts) FROM readings").fetchone()[0]
    conn.close()
    assert len(trays) >= 10
    ms = int(datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp() * 1000)
    rng = np.random.default_rng(7)
    samples, bind_map, host_of = [], [], {}
    for i, (name, serial) in enumerate(trays):
        host = serial if i % 2 == 0 else f"a01-node{i:02d}"        # odd trays' hosts are bound by the map
        host_of[name] = host
        if i % 2:
            bind_map.append(f'[[bind]]\nlabels = {{ Hostname = "{host}" }}\npart = "{name}"\n')
        for gpu in range(4):
            samples.append(("DCGM_FI_DEV_POWER_USAGE", str(gpu), host, round(float(rng.uniform(600, 1100)), 3)))
            samples.append(("DCGM_FI_DEV_GPU_TEMP", str(gpu), host, float(rng.integers(45, 80))))
    capture = tmp_path / "dcgm-metrics.prom"
    capture.write_text(_dcgm(samples, ms))
    map_file = tmp_path / "gpus.toml"
    map_file.write_text("\n".join(bind_map))

    (report,) = import_sources(db, [str(capture)], bindings_map=map_file)
    assert report.ok, report.error
    assert len(report.bound) == len(samples)
    assert ("go_goroutines", "not imported: not a metric twin reads (DCGM exporter GPU metrics); its unit is "
                             "unknown") in report.unbound
    conn = sqlite3.connect(db)
    bound = conn.execute("SELECT p.name, s.kind, s.unit, r.value FROM sensors s JOIN parts p ON p.id = s.part_id "
                         "JOIN readings r ON r.sensor_id = s.id WHERE s.source = ?", (str(capture.resolve()),)).fetchall()
    assert sorted(v for _p, k, _u, v in bound if k == "power") == sorted(v for m, *_r, v in samples if m.endswith("USAGE"))
    assert {u for _p, k, u, _v in bound if k == "gpu_temp"} == {"degC"}
    assert {p for p, *_ in bound} == {name for name, _s in trays}
    gpu_w = sum(v for m, _g, _h, v in samples if m == "DCGM_FI_DEV_POWER_USAGE")
    # what the analyses should make of it, from the design's own rows
    nominal = conn.execute("""SELECT t.kind, COALESCE(p.power_w, t.power_nominal_w, 0) FROM parts p
                              JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id
                              WHERE r.name = 'A01'""").fetchall()
    conn.close()
    all_w = sum(w for _k, w in nominal)
    it_w = sum(w for k, w in nominal if k not in NOT_IT)
    # every compute tray is metered; the rack's other IT parts (its switches) count at their estimate
    rack_w = gpu_w + sum(w for k, w in nominal if k not in NOT_IT and k != "compute_tray")

    design = load_design(db)
    snapshot = readings_at(db)
    assert snapshot.ts == last
    a01 = int(np.flatnonzero(design.racks.name == "A01")[0])
    thermal = analyse_thermal(design, snapshot, settings={"basis": "measured"})
    assert thermal.racks.power_measured[a01]
    assert thermal.racks.power_w[a01] == pytest.approx(rack_w)
    power = analyse_power(design, snapshot, settings={"basis": "measured"})
    assert power.racks.measured[a01]
    assert power.racks.load_w[a01] == pytest.approx(rack_w * it_w / all_w)


def test_a_bms_csv_converts_units_and_binds_by_its_columns(hall_db, tmp_path):
    db = tmp_path / "d.twin.db"
    shutil.copy(hall_db, db)
    csv = tmp_path / "bms.csv"
    csv.write_text("ts,sensor,value,unit,quantity,rack,loop\n"
                   "2026-11-24T23:45:00Z,AHU-3 A01 inlet,77.0,°F,inlet_temp,A01,\n"
                   "2026-11-24T23:50:00Z,AHU-3 A01 inlet,78.8,degF,inlet_temp,A01,\n"
                   "2026-11-24T23:45:00Z,A-loop1 flow,100,gpm,flow,,A-loop1\n"
                   "2026-11-24T23:45:00+01:00,A01 meter,120.5,kW,power,A01,\n")
    (report,) = import_sources(db, [str(csv)])
    assert report.ok, report.error
    conn = sqlite3.connect(db)
    got = {(n, ts): (v, u, k, rack, loop) for n, ts, v, u, k, rack, loop in conn.execute(
        "SELECT s.source_uri, r.ts, r.value, s.unit, s.kind, (SELECT name FROM racks WHERE id = s.rack_id), "
        "(SELECT name FROM cooling_loops WHERE id = s.cooling_loop_id) FROM sensors s "
        "JOIN readings r ON r.sensor_id = s.id WHERE s.source = ?", (str(csv.resolve()),))}
    conn.close()
    assert got[("AHU-3 A01 inlet", "2026-11-24T23:45:00Z")] == (pytest.approx(25.0), "degC", "inlet_temp", "A01", None)
    assert got[("AHU-3 A01 inlet", "2026-11-24T23:50:00Z")][0] == pytest.approx(26.0)
    assert got[("A-loop1 flow", "2026-11-24T23:45:00Z")] == (pytest.approx(378.5411784), "L/min", "flow", None, "A-loop1")
    assert got[("A01 meter", "2026-11-24T22:45:00Z")][:2] == (pytest.approx(120_500.0), "W")

    bad = tmp_path / "bad.csv"
    bad.write_text("ts,sensor,value,unit\n2026-11-24T23:45:00Z,x,1,degC\n2026-11-24T23:45:00Z,y,warm,degC\n"
                   "2026-11-24T23:45:00Z,z,1,furlongs\nyesterday,w,1,W\n")
    before = _digest(db)
    (report,) = import_sources(db, [str(bad)])
    assert not report.ok
    assert "line 3: value 'warm' is not a number" in report.error
    assert "line 4: unknown unit 'furlongs'" in report.error and "line 5: ts 'yesterday'" in report.error
    assert "\n" not in report.error
    assert _digest(db) == before


def test_imported_sensors_and_readings_survive_a_rebuild_and_rebind_by_name(hall_db, shared_data, tmp_path):
    spec = tmp_path / "hall.toml"
    text = (SCENES / "ai-hall.toml").read_text()
    spec.write_text(text)
    db = tmp_path / "hall.twin.db"
    build_design(spec, db)
    conn = sqlite3.connect(db)
    serial = conn.execute("SELECT serial FROM parts WHERE name = 'B08-U05'").fetchone()[0]
    conn.close()
    folder = tmp_path / "server"
    shutil.copytree(shared_data / "redfish" / "public-liquid-cooled-server", folder)
    chassis = folder / "Chassis/1U/index.json"
    chassis.write_text(chassis.read_text().replace('"437XR1138R2"', f'"{serial}"', 1))
    map_file = tmp_path / "map.toml"
    map_file.write_text('[[bind]]\nuri = "/redfish/v1/Chassis/CDU"\npart = "A-CDU1"\n')
    reports = import_sources(db, [str(folder), str(shared_data / "redfish" / "public-cooling-unit")],
                             bindings_map=map_file)
    assert all(r.ok for r in reports)
    query = """SELECT s.source, s.source_uri, s.kind, s.unit, p.name, r.name, l.name, g.ts, g.value
               FROM sensors s LEFT JOIN parts p ON p.id = s.part_id LEFT JOIN racks r ON r.id = s.rack_id
               LEFT JOIN cooling_loops l ON l.id = s.cooling_loop_id JOIN readings g ON g.sensor_id = s.id
               WHERE s.source IS NOT NULL ORDER BY 1, 2, 8"""
    conn = sqlite3.connect(db)
    before = conn.execute(query).fetchall()
    imports = conn.execute("SELECT source, kind, sensors, readings FROM telemetry_imports").fetchall()
    conn.close()
    assert {r[4] for r in before} >= {"B08-U05", "A-CDU1"}

    # a rebuild that keeps every part: everything comes back bound to the same names
    summary = build_design(spec, db)
    conn = sqlite3.connect(db)
    assert conn.execute(query).fetchall() == before
    assert conn.execute("SELECT source, kind, sensors, readings FROM telemetry_imports").fetchall() == imports
    conn.close()
    assert not [w for w in summary.warnings if "imported sensor" in w]

    # row B loses its last rack: B08-U05's sensors are kept with their readings, unbound, and named
    spec.write_text(re.sub(r'(name = "B"\ngeneration = "\w+"\nracks = )8', r"\g<1>7", text, count=1))
    summary = build_design(spec, db)
    conn = sqlite3.connect(db)
    after = conn.execute(query).fetchall()
    generated = conn.execute("SELECT count(*) FROM sensors WHERE source IS NULL").fetchone()[0]
    assert conn.execute("SELECT count(*) FROM racks WHERE name = 'B08'").fetchone()[0] == 0
    conn.close()
    assert len(after) == len(before)
    moved = [b for b in before if b[4] == "B08-U05"]
    assert moved
    assert sorted(a for a in after if a[1] in {m[1] for m in moved} and a[0] == moved[0][0]) == \
        sorted((*m[:4], None, None, None, *m[7:]) for m in moved)
    assert [a for a in after if a[4] == "A-CDU1"] == [b for b in before if b[4] == "A-CDU1"]
    lost = [w for w in summary.warnings if "imported sensor" in w]
    assert lost and "B08-U05" in lost[0] and "kept with its readings" in lost[0]
    fresh = tmp_path / "fresh.twin.db"
    build_design(spec, fresh)
    assert generated == sqlite3.connect(fresh).execute("SELECT count(*) FROM sensors").fetchone()[0]


def test_a_bad_map_is_one_error_naming_the_entry(hall_db, tmp_path):
    db = tmp_path / "d.twin.db"
    shutil.copy(hall_db, db)
    bad = tmp_path / "map.toml"
    bad.write_text('[[bind]]\nuri = "/redfish/v1/Chassis/1U"\npart = "Z99-U01"\n')
    with pytest.raises(TwinError, match=r"map.toml: bind\[0\]: part 'Z99-U01' is not in the design"):
        import_sources(db, [str(tmp_path)], bindings_map=bad)


def test_a_quantity_only_entry_applies_beside_the_entry_that_binds(hall_db, tmp_path):
    db = tmp_path / "d.twin.db"
    shutil.copy(hall_db, db)
    capture = tmp_path / "m.prom"
    capture.write_text(_dcgm([("DCGM_FI_DEV_POWER_USAGE", "0", "node-x", 700.0),
                              ("DCGM_FI_DEV_GPU_TEMP", "0", "node-x", 60.0)], 1_764_028_800_000))
    map_file = tmp_path / "map.toml"
    map_file.write_text('[[bind]]\nlabels = { Hostname = "node-x" }\npart = "A02-U05"\n'
                        '[[bind]]\nmetric = "DCGM_FI_DEV_POWER_USAGE"\nquantity = "gpu_power"\n')
    (report,) = import_sources(db, [str(capture)], bindings_map=map_file)
    assert report.ok, report.error
    got = set(sqlite3.connect(db).execute("SELECT p.name, s.kind, g.ts FROM sensors s JOIN parts p ON p.id = s.part_id "
                                          "JOIN readings g ON g.sensor_id = s.id WHERE s.source IS NOT NULL"))
    assert got == {("A02-U05", "gpu_power", "2025-11-25T00:00:00Z"), ("A02-U05", "gpu_temp", "2025-11-25T00:00:00Z")}
