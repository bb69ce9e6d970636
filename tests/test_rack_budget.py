"""A rack's power budget is judged against its IT power, everywhere, with shelf losses beside it.

docs/schema.md: `racks.power_budget_w` is the IT power the rack is designed for. What the
rack's power shelves draw is conversion loss; it counts upstream, not against the budget.
On a copy of ai-hall two budgets are edited: A03's sits between its IT power and IT power
plus shelf losses (within budget), A05's just under its IT power (over budget). IT power and
losses are summed here in SQL from the raw tables.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from twin.api import open_design

REPO = Path(__file__).resolve().parents[1]
IT_SQL = """SELECT sum(CASE WHEN t.kind IN ('compute_tray', 'switch_tray', 'network_switch')
                           THEN coalesce(p.power_w, t.power_nominal_w) ELSE 0 END),
                  sum(CASE WHEN t.kind IN ('power_shelf', 'busbar', 'busway')
                           THEN coalesce(p.power_w, t.power_nominal_w) ELSE 0 END)
           FROM parts p JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id
           WHERE r.name = ?"""


def twin(*args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "twin", *args], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.fixture
def budgets(hall_db, tmp_path) -> tuple[Path, dict[str, tuple[float, float, float]]]:
    db = tmp_path / "budgets.twin.db"
    shutil.copy(hall_db, db)
    figures = {}
    with sqlite3.connect(db) as conn:
        for name, where in (("A03", 0.5), ("A05", -0.02)):
            it, losses = conn.execute(IT_SQL, (name,)).fetchone()
            assert losses > 0
            budget = it + where * losses if where > 0 else it * (1 + where)
            conn.execute("UPDATE racks SET power_budget_w = ? WHERE name = ?", (budget, name))
            figures[name] = (it, losses, budget)
    return db, figures


def test_check_judges_it_power_and_shows_losses_beside_it(budgets):
    db, figures = budgets
    findings = json.loads(twin("check", str(db), "--power", "--json"))["findings"]
    over = {f["subject"]: f for f in findings if f["code"] == "rack-over-budget"}
    assert "A03" not in over, "A03's IT power is within its budget; only its shelf losses are above it"
    it, losses, budget = figures["A05"]
    f = over["A05"]
    assert f["value"] == pytest.approx(it / 1e3) and f["limit"] == pytest.approx(budget / 1e3)
    assert f"{it / budget:.1%}" in f["message"] and f"losses {losses / 1e3:,.1f} kW" in f["message"]


def test_info_and_overlay_use_the_same_budget_share(budgets, hall_db):
    db, figures = budgets
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM racks WHERE power_budget_w > 0 ORDER BY id")]
        shares = {n: conn.execute(IT_SQL, (n,)).fetchone()[0] / conn.execute(
            "SELECT power_budget_w FROM racks WHERE name = ?", (n,)).fetchone()[0] for n in names}
    info = json.loads(twin("info", str(db), "--json"))
    assert info["power"]["racks_over_budget"] == sum(s > 1.0 for s in shares.values())
    t = open_design(db)
    overlay = t.session.overlay("power")
    d = t.design
    frames = np.flatnonzero(d.part_kind() == "rack")
    for p in frames.tolist():
        name = str(d.racks.name[d.parts.rack[p]])
        if name in shares:
            assert overlay.values[p] == pytest.approx(shares[name] * 100, rel=1e-9), name
