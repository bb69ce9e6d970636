"""Findings carry their margin past the limit and rank by severity, then margin (docs/severity.md).

B04 (the seeded rack over its budget) must lead the busbars just above their 80 % line
instead of sitting among them. IT power and budget come from SQL here.
"""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from twin.analysis.findings import SEVERITIES

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "twin", "check", *args], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_findings_carry_margins_and_rank_by_them(hall_db):
    with sqlite3.connect(hall_db) as conn:
        it, budget = conn.execute("""SELECT sum(coalesce(p.power_w, t.power_nominal_w)), r.power_budget_w
            FROM parts p JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id
            WHERE r.name = 'B04' AND t.kind IN ('compute_tray', 'switch_tray', 'network_switch')""").fetchone()
    assert it > budget
    findings = json.loads(run(str(hall_db), "--json"))["findings"]
    [b04] = [f for f in findings if f["code"] == "rack-over-budget"]
    assert b04["severity"] == "critical"                       # any excess over a rack budget
    assert b04["margin"] == pytest.approx((it - budget) / 1e3) and b04["margin_pct"] == pytest.approx(
        100 * (it / budget - 1))
    for f in findings:
        if f["value"] is not None and f["limit"] is not None:
            sign = -1 if f["code"] == "coolant-flow" else 1      # a floor: below it is past it
            assert f["margin"] == pytest.approx(sign * (f["value"] - f["limit"]))
    # severity, then margin % (largest first, none last)
    keys = [(SEVERITIES.index(f["severity"]), -f["margin_pct"] if f["margin_pct"] is not None else math.inf)
            for f in findings]
    assert keys == sorted(keys)
    warnings = [i for i, f in enumerate(findings) if f["severity"] == "warning"]
    assert warnings and findings.index(b04) < min(warnings)
    # the text report ranks every analysis's findings together at its top: each seeded fault of the spec
    # (B04, A06, the G row's CDU, C02's DAC, F-busway2, SWB-2's UPS group, H-tray) in the first ten findings
    lines = run(str(hall_db)).splitlines()
    assert lines[1].lstrip().startswith("findings:")
    head = lines[2:12]
    for what in ("B04", "A06", "G-loop1", "C02-", "F-busway2", "SWB-2 UPS N+1", "H-tray"):
        assert any(what in line for line in head), what
