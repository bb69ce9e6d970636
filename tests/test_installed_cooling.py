"""Cooling judged against what is installed: a loop's capacity and flow come from the CDU on it.

Each test edits a copy of the ai-hall sample with SQL (swaps a CDU's part type, as a site
does when it replaces a unit) and recomputes the expected figures from the raw tables with
SQL and numpy, never with twin's code; `twin check --json` runs as a real subprocess.
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

REPO = Path(__file__).resolve().parents[1]


def check_json(db: Path, *args: str) -> list[dict]:
    out = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--json", *args], capture_output=True,
                         text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["findings"]


def swap_cdu(part: str, model: str) -> str:
    return (f"UPDATE parts SET part_type_id = (SELECT id FROM part_types WHERE name = '{model}') "
            f"WHERE name = '{part}'")


def liquid_heat_w(db: Path, loop: str) -> float:
    """Liquid heat of a loop at the latest readings, from the raw tables: each rack's parts are
    scaled by the rack's power sensor over its nominal draw; a part's cold-plate share is its
    liquid_fraction (1 for 'liquid' parts without one)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(f"""
            WITH latest AS (SELECT r.sensor_id, r.value FROM readings r
                            WHERE r.ts = (SELECT max(ts) FROM readings WHERE sensor_id = r.sensor_id)),
                 meas AS (SELECT s.rack_id, sum(l.value) AS w FROM sensors s JOIN latest l ON l.sensor_id = s.id
                          WHERE s.kind = 'power' GROUP BY s.rack_id),
                 nominal AS (SELECT p.rack_id, sum(coalesce(p.power_w, t.power_nominal_w)) AS w
                             FROM parts p JOIN part_types t ON t.id = p.part_type_id
                             WHERE p.rack_id IS NOT NULL GROUP BY p.rack_id)
            SELECT coalesce(p.power_w, t.power_nominal_w), t.cooling_mode, coalesce(t.liquid_fraction, 0),
                   coalesce(m.w, n.w), n.w
            FROM parts p JOIN part_types t ON t.id = p.part_type_id
            JOIN cooling_loops l ON l.id = p.cooling_loop_id
            LEFT JOIN meas m ON m.rack_id = p.rack_id LEFT JOIN nominal n ON n.rack_id = p.rack_id
            WHERE l.name = '{loop}' AND t.cooling_mode IN ('liquid', 'hybrid')""").fetchall()
    power = np.array([r[0] for r in rows], float)
    frac = np.array([r[2] for r in rows], float)
    frac = np.where((np.array([r[1] for r in rows]) == "liquid") & (frac <= 0), 1.0, frac)
    ratio = np.array([r[3] / r[4] for r in rows], float)
    return float((power * frac * ratio).sum())


def of(findings: list[dict], code: str, subject: str) -> list[dict]:
    return [f for f in findings if f["code"] == code and f["subject"] == subject]


def test_a_smaller_cdu_installed_on_a_loop_is_over_capacity(hall_db, tmp_path):
    db = edited(hall_db, tmp_path, swap_cdu("E-CDU1", "cdu-inrow-600"))
    with sqlite3.connect(db) as conn:
        rated = conn.execute("SELECT cooling_capacity_w FROM part_types WHERE name = 'cdu-inrow-600'").fetchone()[0]
        row = conn.execute("SELECT capacity_w FROM cooling_loops WHERE name = 'E-loop1'").fetchone()[0]
    assert row > rated == 600_000                          # the loop row still says the old CDU's figure
    heat = liquid_heat_w(db, "E-loop1")
    findings = check_json(db, "--thermal", "--basis", "measured")
    [over] = of(findings, "cdu-capacity", "E-loop1")
    assert over["severity"] == "critical"
    assert over["value"] == pytest.approx(heat / 1e3, rel=1e-6) and over["limit"] == pytest.approx(rated / 1e3)
    assert f"({heat / rated:.0%})" in over["message"] and heat / rated == pytest.approx(1.41, abs=0.01)
    [mismatch] = of(findings, "cooling-design-mismatch", "E-loop1")
    assert mismatch["value"] == pytest.approx(600) and mismatch["limit"] == pytest.approx(row / 1e3)


def test_a_bigger_cdu_installed_clears_the_capacity_finding(hall_db, tmp_path):
    db = edited(hall_db, tmp_path, swap_cdu("G-CDU1", "cdu-inrow-1350"))
    findings = check_json(db, "--thermal", "--basis", "measured")
    assert not of(findings, "cdu-capacity", "G-loop1"), "the 1,350 kW CDU carries G-loop1's heat"
    heat = liquid_heat_w(db, "G-loop1")
    assert 600e3 < heat < 1350e3                        # over the stale row's figure, within the unit's
    [mismatch] = of(findings, "cooling-design-mismatch", "G-loop1")
    assert mismatch["severity"] == "warning" and "1,350 kW" in mismatch["message"] and "600 kW" in mismatch["message"]


def coolant_need_lpm(db: Path, loop: str) -> tuple[float, int, float]:
    """Σ catalog coolant_lpm of the liquid and hybrid parts on a loop (its CDU excluded), their
    count, and the rated flow of the CDU installed on it."""
    with sqlite3.connect(db) as conn:
        need, count = conn.execute(f"""SELECT sum(t.coolant_lpm), count(*) FROM parts p
            JOIN part_types t ON t.id = p.part_type_id JOIN cooling_loops l ON l.id = p.cooling_loop_id
            WHERE l.name = '{loop}' AND t.cooling_mode IN ('liquid', 'hybrid') AND t.coolant_lpm > 0
              AND t.kind != 'cdu'""").fetchone()
        cdu = conn.execute(f"""SELECT sum(t.coolant_lpm) FROM parts p JOIN part_types t ON t.id = p.part_type_id
            JOIN cooling_loops l ON l.id = p.cooling_loop_id WHERE l.name = '{loop}' AND t.kind = 'cdu'""").fetchone()[0]
    return float(need), int(count), float(cdu)


def test_parts_needing_more_coolant_than_the_cdu_delivers(hall_db, tmp_path):
    db = edited(hall_db, tmp_path, swap_cdu("A-CDU1", "cdu-inrow-600"))
    need, count, delivered = coolant_need_lpm(db, "A-loop1")
    assert need > delivered == 900
    findings = check_json(db, "--thermal")
    [short] = of(findings, "coolant-demand", "A-loop1")
    assert short["severity"] == "critical" and short["unit"] == "L/min"
    assert short["value"] == pytest.approx(need) and short["limit"] == pytest.approx(delivered)
    assert f"{count} liquid-cooled parts need {need:,.0f} L/min" in short["message"]
    # G-loop1 as built: 1,696 L/min needed from its 900 L/min CDU
    g_need, _, g_cdu = coolant_need_lpm(db, "G-loop1")
    [g] = of(findings, "coolant-demand", "G-loop1")
    assert g["value"] == pytest.approx(g_need) and round(g_need) == 1696 and g_cdu == 900
    # loops whose CDU delivers enough have no such finding
    ok, _, ok_cdu = coolant_need_lpm(db, "B-loop1")
    assert ok <= ok_cdu and not of(findings, "coolant-demand", "B-loop1")
