"""Domestic share from where a part is made: its country of origin, else its supplier's country.

A supplier's stored `domestic` flag is a fact written when the file was made; when the
supplier moves abroad the flag goes stale, its country does not. The expected shares are
computed here in SQL from the raw tables with the documented rule (docs/schema.md).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from twin.analysis.supply import analyse_supply, part_supply_rows
from twin.analysis.registry import AnalysisResult
from twin.store import load_design
from tests.support import edited as edit_copy

REPO = Path(__file__).resolve().parents[1]

SHARE_SQL = """
SELECT r.name,
       sum(t.unit_cost_usd * CASE
             WHEN coalesce(nullif(t.country_of_origin, ''), nullif(s.country, '')) IS NOT NULL
               THEN coalesce(nullif(t.country_of_origin, ''), nullif(s.country, '')) = :home
             ELSE coalesce(s.domestic, 0) END) / sum(t.unit_cost_usd)
FROM parts p JOIN racks r ON r.id = p.rack_id JOIN part_types t ON t.id = p.part_type_id
LEFT JOIN suppliers s ON s.id = t.supplier_id GROUP BY r.id ORDER BY r.id"""


def edited(hall_db: Path, tmp_path: Path, *statements: str) -> Path:
    return edit_copy(hall_db, tmp_path, *statements, name="moved.twin.db")


def shares(db: Path) -> dict[str, float]:
    with sqlite3.connect(db) as conn:
        home = conn.execute("SELECT value FROM meta WHERE key = 'home_country'").fetchone()[0]
        return dict(conn.execute(SHARE_SQL, {"home": home}).fetchall())


def test_a_supplier_moved_abroad_no_longer_counts_as_domestic(hall_db, tmp_path):
    # the E01 switch trays' maker moves to Mexico; the type names no origin; the flag still says 1
    db = edited(hall_db, tmp_path,
                "UPDATE suppliers SET country = 'MX' WHERE key = 'wiwynn-us'",
                "UPDATE part_types SET country_of_origin = NULL WHERE supplier_id = "
                "(SELECT id FROM suppliers WHERE key = 'wiwynn-us')")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT domestic FROM suppliers WHERE key = 'wiwynn-us'").fetchone()[0] == 1
    expected = shares(db)
    assert expected["E01"] == pytest.approx(0.8586, abs=5e-4)      # was 97.7 % by the stale flag (four shelves)
    design = load_design(db)
    got = analyse_supply(design).racks.domestic_share
    for i, name in enumerate(design.racks.name.tolist()):
        assert got[i] == pytest.approx(expected[name], rel=1e-12), name
    assert not analyse_supply(design).flag_used.any(), "every type's country is known here"


def test_the_stored_flag_decides_only_when_no_country_is_known_and_says_so(hall_db, tmp_path):
    db = edited(hall_db, tmp_path,
                "UPDATE suppliers SET country = '' WHERE key = 'wiwynn-us'",
                "UPDATE part_types SET country_of_origin = '' WHERE supplier_id = "
                "(SELECT id FROM suppliers WHERE key = 'wiwynn-us')")
    expected = shares(db)
    design = load_design(db)
    result = analyse_supply(design)
    e01 = design.rack_index("E01")
    assert result.racks.domestic_share[e01] == pytest.approx(expected["E01"], rel=1e-12)
    with sqlite3.connect(db) as conn:
        flagged = conn.execute("""SELECT count(*) FROM parts p JOIN part_types t ON t.id = p.part_type_id
            JOIN suppliers s ON s.id = t.supplier_id WHERE s.key = 'wiwynn-us'""").fetchone()[0]
        part = conn.execute("""SELECT p.id FROM parts p JOIN part_types t ON t.id = p.part_type_id
            JOIN suppliers s ON s.id = t.supplier_id WHERE s.key = 'wiwynn-us' LIMIT 1""").fetchone()[0]
    assert int(result.flag_used.sum()) == flagged > 0
    rows = dict(part_supply_rows(design, AnalysisResult("supply", detail=result), int(design.parts.index_of(part))))
    assert "stored flag" in rows["domestic"]
    out = subprocess.run([sys.executable, "-m", "twin", "check", str(db), "--supply"], capture_output=True, text=True,
                         cwd=REPO)
    assert out.returncode == 0 and f"{flagged:,} parts of 1 type have no known country" in out.stdout
