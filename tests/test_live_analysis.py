"""Design against live: measured values judged against the design, on edited copies of ai-hall.

Each test edits a copy of the ai-hall sample with SQL (a reading changed or added at the
latest moment, as a live source would append it) and computes the expected figures from the
raw tables with SQL and numpy, never with twin's code. The analysis runs through a review
session (as `twin check` and the viewer run it); one test runs the real CLI with `--set`.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.support import edited

from twin.session import ReviewSession
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]
#: Kinds that frame, convert or carry power (docs/schema.md: a rack's budget is its IT power).
NOT_IT = ("rack", "power_shelf", "busbar", "busway", "pdu", "ups", "switchboard", "manifold", "cdu", "crah")


def latest_ts(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT max(ts) FROM readings").fetchone()[0]


def set_reading(db: Path, sensor: str, value: float) -> str:
    """SQL that puts `value` as `sensor`'s reading at the file's latest moment."""
    ts = latest_ts(db)
    return (f"INSERT OR REPLACE INTO readings (sensor_id, ts, value) "
            f"SELECT id, '{ts}', {value!r} FROM sensors WHERE name = '{sensor}'")


def live(db: Path, **settings) -> list:
    session = ReviewSession(load_design(db))
    if settings:
        session.configure("live", **settings)
    return session.result("live").findings


def codes(findings, code: str) -> list:
    return [f for f in findings if f.code == code]


def test_unedited_hall_reads_as_designed(hall_db: Path) -> None:
    assert live(hall_db) == []


# ---------------------------------------------------------------- rack power against budget
def rack_it_share(db: Path, rack: str) -> tuple[float, float]:
    """(IT share of the rack's nominal draw, budget W) from the raw tables."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("""SELECT coalesce(p.power_w, t.power_nominal_w, 0), t.kind FROM parts p
                               JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id
                               WHERE r.name = ?""", [rack]).fetchall()
        budget = conn.execute("SELECT power_budget_w FROM racks WHERE name = ?", [rack]).fetchone()[0]
    watts = np.array([r[0] for r in rows], float).clip(min=0)
    it = ~np.isin(np.array([r[1] for r in rows]), NOT_IT)
    return float(watts[it].sum() / watts.sum()), float(budget)


def test_rack_power_above_budget_names_its_sensor(hall_db: Path, tmp_path: Path) -> None:
    share, budget = rack_it_share(hall_db, "C03")
    reading = 1.10 * budget / share                       # IT power 10 % over budget
    db = edited(hall_db, tmp_path, set_reading(hall_db, "C03-power", reading))
    found = codes(live(db), "live-rack-power")
    assert [f.subject for f in found] == ["C03"]
    assert found[0].value == pytest.approx(reading * share / 1e3, rel=1e-6)
    assert found[0].limit == pytest.approx(budget / 1e3)
    assert "C03-power" in found[0].message                # no source URI: named by the sensor's name
    # within a 15 % tolerance it is no finding; at 5 % it is one again
    assert codes(live(db, power_tolerance=0.15), "live-rack-power") == []
    assert len(codes(live(db, power_tolerance=0.05), "live-rack-power")) == 1


# ---------------------------------------------------------------- loop flow against CDU rating
def rated_flow(db: Path, loop: str) -> float:
    """Σ catalog coolant_lpm of the cooling units (parts with a cooling capacity) on the loop."""
    with sqlite3.connect(db) as conn:
        return float(conn.execute("""SELECT sum(t.coolant_lpm) FROM parts p JOIN part_types t ON t.id = p.part_type_id
                                     JOIN cooling_loops l ON l.id = p.cooling_loop_id
                                     WHERE l.name = ? AND t.cooling_capacity_w > 0""", [loop]).fetchone()[0])


def test_loop_flow_below_rating(hall_db: Path, tmp_path: Path) -> None:
    rated = rated_flow(hall_db, "D-loop1")
    low = edited(hall_db, tmp_path, set_reading(hall_db, "D-loop1-flow", 0.7 * rated), name="low.twin.db")
    found = codes(live(low), "live-loop-flow")
    assert [f.subject for f in found] == ["D-loop1"]
    assert found[0].value == pytest.approx(0.7 * rated)
    assert found[0].limit == pytest.approx(0.85 * rated)          # the default 15 % tolerance
    assert found[0].below and "D-loop1-flow" in found[0].message
    assert codes(live(low, flow_tolerance=0.35), "live-loop-flow") == []
    ok = edited(hall_db, tmp_path, set_reading(hall_db, "D-loop1-flow", 0.9 * rated), name="ok.twin.db")
    assert codes(live(ok), "live-loop-flow") == []


# ---------------------------------------------------------------- supply temperature against design
def design_supply(db: Path, loop: str) -> float:
    with sqlite3.connect(db) as conn:
        return float(conn.execute("SELECT supply_c FROM cooling_loops WHERE name = ?", [loop]).fetchone()[0])


def test_supply_above_design(hall_db: Path, tmp_path: Path) -> None:
    supply = design_supply(hall_db, "E-loop1")
    db = edited(hall_db, tmp_path, set_reading(hall_db, "E-loop1-supply", supply + 3.0))
    found = codes(live(db), "live-supply-temp")
    assert [f.subject for f in found] == ["E-loop1"]
    assert found[0].value == pytest.approx(supply + 3.0) and found[0].limit == pytest.approx(supply + 1.0)
    assert codes(live(db, supply_tolerance_k=4.0), "live-supply-temp") == []


# ---------------------------------------------------------------- range, leak, silent
def test_reading_out_of_range_is_reported_and_not_judged(hall_db: Path, tmp_path: Path) -> None:
    db = edited(hall_db, tmp_path, set_reading(hall_db, "E-loop1-supply", 900.0))
    findings = live(db)
    ranged = codes(findings, "sensor-range")
    assert [f.subject for f in ranged] == ["E-loop1-supply"] and ranged[0].value == 900.0
    assert codes(findings, "live-supply-temp") == []              # a broken sensor, not a hot loop


def add_sensor(kind: str, name: str, rack: str, reading: float | None, db: Path) -> list[str]:
    sql = [f"INSERT INTO sensors (name, kind, unit, rack_id) SELECT '{name}', '{kind}', '', id FROM racks "
           f"WHERE name = '{rack}'"]
    if reading is not None:
        sql.append(set_reading(db, name, reading))
    return sql


@pytest.mark.parametrize("state,severity", [(2.0, "critical"), (1.0, "warning"), (0.0, None)])
def test_leak_detector_not_ok(hall_db: Path, tmp_path: Path, state: float, severity: str | None) -> None:
    db = edited(hall_db, tmp_path, *add_sensor("leak", "A01-leak", "A01", state, hall_db))
    found = codes(live(db), "leak-detected")
    assert [f.severity for f in found] == ([severity] if severity else [])
    if severity:
        assert found[0].subject == "A01-leak" and "A01-leak" in found[0].message


def test_silent_sensor(hall_db: Path, tmp_path: Path) -> None:
    db = edited(hall_db, tmp_path, *add_sensor("inlet_temp", "A02-inlet-2", "A02", None, hall_db))
    found = codes(live(db), "sensor-silent")
    assert [f.subject for f in found] == ["A02"] and "A02-inlet-2" in found[0].message


# ---------------------------------------------------------------- the command line
def test_tolerance_is_reachable_from_the_command_line(hall_db: Path, tmp_path: Path) -> None:
    rated = rated_flow(hall_db, "D-loop1")
    db = edited(hall_db, tmp_path, set_reading(hall_db, "D-loop1-flow", 0.7 * rated))

    def run(*extra: str) -> list[dict]:
        out = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--live", "--json", *extra],
                             capture_output=True, text=True, cwd=REPO)
        assert out.returncode == 0, out.stderr
        return [f for f in json.loads(out.stdout)["findings"] if f["code"] == "live-loop-flow"]

    assert [f["subject"] for f in run()] == ["D-loop1"]
    assert run("--set", "live.flow_tolerance=0.4") == []
    bad = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--set", "live.flow_tol=0.4"],
                         capture_output=True, text=True, cwd=REPO)
    assert bad.returncode != 0 and "flow_tolerance" in bad.stderr and "Traceback" not in bad.stderr


# ---------------------------------------------------------------- from a live Redfish service
def test_findings_from_a_served_cdu_name_their_source_uris(hall_db: Path, tmp_path: Path, shared_data: Path) -> None:
    """A CDU mockup served over HTTP, bound to A-CDU1 by serial: a leak detector set to Critical,
    the secondary supply 3 K over A-loop1's design and the mockup's own (small) flow each give
    a finding naming the sensor's URI on that service."""
    from tests.live_support import redfish_service
    from twin.importers.telemetry import import_sources

    (serial,), = sqlite3.connect(hall_db).execute("SELECT serial FROM parts WHERE name = 'A-CDU1'").fetchall()
    supply = design_supply(hall_db, "A-loop1")
    mockup = tmp_path / "cdu"
    with redfish_service(shared_data / "redfish" / "public-cooling-unit", mockup, {"Chassis/CDU": serial}) as url:
        for rel, key, value in (("Chassis/CDU/LeakDetectors/Overflow", "DetectorState", "Critical"),
                                ("Chassis/CDU/Sensors/SecondarySupplyTemp", "Reading", supply + 3.0)):
            index = mockup / rel / "index.json"
            doc = json.loads(index.read_text())
            doc[key] = value
            index.write_text(json.dumps(doc))
        flow = json.loads((mockup / "Chassis/CDU/Sensors/SecondaryFlow/index.json").read_text())["Reading"]
        db = edited(hall_db, tmp_path, name="cdu.twin.db")
        report, = import_sources(db, [url])
        assert report.ok, report.error
    host = url.removesuffix("/redfish/v1")
    findings = live(db)
    leak, = codes(findings, "leak-detected")
    assert leak.severity == "critical" and f"{host}/redfish/v1/Chassis/CDU/LeakDetectors/Overflow" in leak.message
    hot, = codes(findings, "live-supply-temp")
    assert hot.subject == "A-loop1" and hot.value == pytest.approx(supply + 3.0)
    assert f"{host}/redfish/v1/Chassis/CDU/Sensors/SecondarySupplyTemp" in hot.message
    rated = rated_flow(hall_db, "A-loop1")
    low, = codes(findings, "live-loop-flow")
    assert low.value == pytest.approx(flow) and low.limit == pytest.approx(0.85 * rated)   # the generated meter is stale
    assert f"{host}/redfish/v1/Chassis/CDU/Sensors/SecondaryFlow" in low.message
