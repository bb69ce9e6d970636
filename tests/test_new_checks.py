"""New checks on edited copies of ai-hall: part outlet air, stale readings, one basis per run.

Expectations are computed here from the raw tables: the air rise across a part is
ΔT = P / (ρ · cp · V̇) with ρ = 1.2 kg/m³, cp = 1005 J/(kg·K), 1 CFM = 0.000471947 m³/s
(≈ 1.76 · P / CFM); ages of readings from the readings table's timestamps.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from tests.support import edited

REPO = Path(__file__).resolve().parents[1]


def twin_check(db: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--json", *args], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def air_rise_k(watts: float, cfm: float) -> float:
    return watts / (1.2 * 1005.0 * cfm * 0.000471947)


def test_an_air_cooled_switch_tray_on_too_little_air_is_flagged(hall_db, tmp_path):
    db = edited(hall_db, tmp_path, "UPDATE part_types SET cooling_mode = 'air', liquid_fraction = 0 "
                                   "WHERE name = 'nvlink6-switch-tray'")
    with sqlite3.connect(db) as conn:
        watts, cfm = conn.execute("SELECT power_nominal_w, airflow_cfm FROM part_types "
                                  "WHERE name = 'nvlink6-switch-tray'").fetchone()
        count = conn.execute("SELECT count(*) FROM parts p JOIN part_types t ON t.id = p.part_type_id "
                             "WHERE t.name = 'nvlink6-switch-tray'").fetchone()[0]
        supply, recirc = conn.execute("SELECT supply_air_c, recirculation_c FROM halls").fetchone()
        inlets = dict(conn.execute("""SELECT r.name, max(x.value) FROM readings x JOIN sensors s ON s.id = x.sensor_id
            JOIN racks r ON r.id = s.rack_id WHERE s.kind = 'inlet_temp'
            AND x.ts = (SELECT max(ts) FROM readings WHERE sensor_id = s.id) GROUP BY r.id""").fetchall())
    rise = air_rise_k(watts, cfm)
    assert watts == 1200 and cfm == 20 and rise == pytest.approx(105.4, abs=0.1)      # 1.76 · 1200 / 20
    assert supply + recirc + rise > 60
    data = twin_check(db, "--thermal")
    [f] = [f for f in data["findings"] if f["code"] == "part-outlet"]
    assert f["severity"] == "critical" and f["unit"] == "°C" and f["limit"] == 60
    assert f"{count} parts of type nvlink6-switch-tray" in f["message"] and f"rises {rise:.1f} K" in f["message"]
    rack = f["subject"].split("-U")[0]
    assert f["value"] == pytest.approx(inlets[rack] + rise, abs=0.01)         # hottest: the rack inlet sensor
    with sqlite3.connect(db) as conn:
        holding = {r[0] for r in conn.execute("""SELECT DISTINCT r.name FROM parts p JOIN racks r ON r.id = p.rack_id
            JOIN part_types t ON t.id = p.part_type_id WHERE t.name = 'nvlink6-switch-tray'""")}
    assert f["value"] == pytest.approx(max(inlets[r] for r in holding) + rise, abs=0.01)
    assert f["location"] is not None and f["part"] >= 0
    # the limit is a setting, reached the one way settings are
    relaxed = twin_check(db, "--thermal", "--set", "thermal.part_max_outlet_c=200",
                         "--set", f"thermal.part_max_rise_k={rise + 1}")
    assert not [f for f in relaxed["findings"] if f["code"] == "part-outlet"]


def minutes_between(a: str, b: str) -> float:
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (datetime.strptime(b, fmt) - datetime.strptime(a, fmt)).total_seconds() / 60


def hm(minutes: float) -> str:
    h, m = divmod(int(round(minutes)), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def test_readings_older_than_the_limit_are_named_with_their_age(hall_db, tmp_path):
    with sqlite3.connect(hall_db) as conn:
        last = conn.execute("SELECT max(ts) FROM readings").fetchone()[0]
        sensors = dict(conn.execute("SELECT name, id FROM sensors"))
    later = (datetime.strptime(last, "%Y-%m-%dT%H:%M:%SZ") + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    # the A06 inlet sensor dies at 14:00 as well: its last reading is then
    db = edited(hall_db, tmp_path, f"DELETE FROM readings WHERE sensor_id = {sensors['A06-inlet']} "
                                   f"AND ts > '{last[:11]}14:00:00Z'")
    with sqlite3.connect(db) as conn:
        last_of = dict(conn.execute("SELECT s.name, max(r.ts) FROM sensors s JOIN readings r ON r.sensor_id = s.id "
                                    "GROUP BY s.id"))
        subjects = {r[0] for r in conn.execute("""SELECT coalesce(r.name, l.name) FROM sensors s
            LEFT JOIN racks r ON r.id = s.rack_id LEFT JOIN cooling_loops l ON l.id = s.cooling_loop_id""")}
    data = twin_check(db, "--thermal", "--at", later)
    stale = {f["subject"]: f for f in data["findings"] if f["code"] == "reading-stale"}
    assert set(stale) == subjects, "every rack and loop with sensors has only readings 10 h old or more"
    a06 = stale["A06"]
    for name in ("A06-inlet", "A06-outlet", "A06-power"):
        assert f"{name} {hm(minutes_between(last_of[name], later))} old" in a06["message"], name
    assert a06["value"] == pytest.approx(minutes_between(last_of["A06-inlet"], later))
    assert a06["limit"] == 60 and a06["unit"] == "min"
    # stale readings are not used: the hot spot's inlet reading no longer counts as measured
    assert not [f for f in data["findings"] if f["code"] == "inlet-allowable"]
    # at the last reading, only the dead sensors are stale: A06's inlet and the one the spec names
    now = twin_check(db, "--thermal")
    stale_now = {f["subject"]: f for f in now["findings"] if f["code"] == "reading-stale"}
    expected = {n.rsplit("-", 1)[0] for n, t in last_of.items() if minutes_between(t, last) > 60}
    assert set(stale_now) == expected and {"A06", "F-loop1"} <= expected
    assert f"A06-inlet {hm(minutes_between(last_of['A06-inlet'], last))} old" in stale_now["A06"]["message"]
    assert "A06-power" not in stale_now["A06"]["message"]


def test_one_basis_per_run_named_in_every_output(hall_db):
    with sqlite3.connect(hall_db) as conn:
        b04_it = conn.execute("""SELECT sum(coalesce(p.power_w, t.power_nominal_w)),
            sum(CASE WHEN t.power_max_w > 0 THEN max(t.power_max_w, coalesce(p.power_w, 0))
                     ELSE coalesce(p.power_w, t.power_nominal_w) END)
            FROM parts p JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id
            WHERE r.name = 'B04' AND t.kind IN ('compute_tray', 'switch_tray', 'network_switch')""").fetchone()
        b04_heat_nominal = conn.execute("""SELECT sum(coalesce(p.power_w, t.power_nominal_w)) FROM parts p
            JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id WHERE r.name = 'B04'""").fetchone()[0]
    for basis, index in (("nominal", 0), ("max", 1)):
        data = twin_check(hall_db, "--basis", basis)
        assert data["basis"] == basis
        assert data["analyses"]["thermal"]["basis"] == data["analyses"]["power"]["basis"] == basis
        [b04] = [f for f in data["findings"] if f["code"] == "rack-over-budget" and f["subject"] == "B04"]
        assert b04["value"] == pytest.approx(b04_it[index] / 1e3) and f"{basis} power" in b04["message"]
    text = subprocess.run([sys.executable, "-m", "twin", "check", str(hall_db), "--basis", "max"],
                          capture_output=True, text=True, cwd=REPO).stdout
    assert "thermal check of" in text and "(max basis," in text and "(max power)" in text
    assert b04_heat_nominal > 0


def test_settings_are_reached_one_way_with_clear_errors(hall_db):
    # ai-hall is sized under 80 % at nominal; at a 75 % line its busiest nodes (B04's busbar, UPS-2B) show
    assert not [f for f in twin_check(hall_db, "--power")["findings"] if f["code"] == "node-high-load"]
    data = twin_check(hall_db, "--power", "--set", "power.warn_utilization=0.75")
    high = [f for f in data["findings"] if f["code"] == "node-high-load"]
    assert high and all(0.75 < f["value"] / f["limit"] <= 1.0 for f in high)
    for bad, words in (("power.nope=1", ["power", "nope", "warn_utilization"]),
                       ("warn_utilization=0.8", ["ANALYSIS.SETTING=VALUE"]),
                       ("heat.x=1", ["heat", "thermal"])):
        out = subprocess.run([sys.executable, "-m", "twin", "check", str(hall_db), "--set", bad],
                             capture_output=True, text=True, cwd=REPO)
        assert out.returncode == 1 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
        assert all(w in out.stderr for w in words), out.stderr


def test_a_rack_moved_after_routing_makes_its_stored_routes_stale(hall_db, tmp_path):
    db = edited(hall_db, tmp_path,
                "UPDATE parts SET x = x + 5 WHERE rack_id = (SELECT id FROM racks WHERE name = 'A03')",
                "UPDATE racks SET x = x + 5 WHERE name = 'A03'")
    with sqlite3.connect(db) as conn:
        leaving = dict(conn.execute("""SELECT c.name, c.routed_length_m FROM cables c
            JOIN ports a ON a.id = c.a_port_id JOIN parts pa ON pa.id = a.part_id
            JOIN ports b ON b.id = c.b_port_id JOIN parts pb ON pb.id = b.part_id
            WHERE (coalesce(pa.rack_id, -1) = (SELECT id FROM racks WHERE name = 'A03'))
               != (coalesce(pb.rack_id, -1) = (SELECT id FROM racks WHERE name = 'A03'))""").fetchall())
    assert len(leaving) > 50
    data = twin_check(db, "--cabling")
    [stale] = [f for f in data["findings"] if f["code"] == "route-stale"]
    assert stale["subject"] == "A03" and stale["severity"] == "warning"
    assert stale["message"].startswith(f"{len(leaving)} cables' stored routes no longer match")
    worst = stale["message"].split("worst ")[1].split(":")[0]
    assert stale["limit"] == pytest.approx(leaving[worst])                     # the stored length
    # every cable leaving A03 runs along the row's tray: moved 5 m along it, at most 5 m off
    assert 0.05 < abs(stale["value"] - stale["limit"]) <= 5.0 + 1e-6
    assert not [f for f in twin_check(hall_db, "--cabling")["findings"] if f["code"] == "route-stale"]
