"""Generation compare and design diff, checked against sums computed here with SQL on the file."""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import sqlite3

import numpy as np
import pytest

from twin.analysis.compare import compare_designs, compare_generations
from twin.analysis.partdiff import DIFF_CATEGORIES, diff_overlay, diff_parts
from twin.cli import main
from twin.errors import TwinError
from twin.store import load_design

PART_POWER = "COALESCE(p.power_w, t.power_nominal_w)"
LIQUID_SHARE = """CASE WHEN l.medium = 'liquid' THEN
    CASE t.cooling_mode WHEN 'liquid' THEN (CASE WHEN t.liquid_fraction > 0 THEN t.liquid_fraction ELSE 1.0 END)
                        WHEN 'hybrid' THEN t.liquid_fraction ELSE 0.0 END ELSE 0.0 END"""


def _by_sql(path, generation: str, frame: str) -> dict[str, float]:
    """Per-rack means of one rack type, straight from the tables."""
    conn = sqlite3.connect(path)
    try:
        q = lambda sql: conn.execute(sql, (generation, frame)).fetchone()[0]  # noqa: E731
        racks = """SELECT r.id FROM racks r JOIN generations g ON g.id = r.generation_id
                   JOIN part_types f ON f.id = r.part_type_id WHERE g.name = ? AND f.name = ?"""
        n = q(f"SELECT COUNT(*) FROM ({racks})")
        parts = f"""FROM parts p JOIN part_types t ON t.id = p.part_type_id
                    LEFT JOIN cooling_loops l ON l.id = p.cooling_loop_id WHERE p.rack_id IN ({racks})"""
        home = conn.execute("SELECT value FROM meta WHERE key = 'home_country'").fetchone()[0]
        power = q(f"SELECT SUM({PART_POWER}) {parts}")
        cost = q(f"SELECT SUM(t.unit_cost_usd) {parts}")
        cables = q(f"""SELECT COUNT(*) FROM (SELECT DISTINCT c.id, pa.rack_id FROM cables c
                       JOIN ports a ON a.id = c.a_port_id JOIN ports b ON b.id = c.b_port_id
                       JOIN parts pa ON pa.id IN (a.part_id, b.part_id) WHERE pa.rack_id IN ({racks}))""")
        return {
            "racks": n,
            "power_w": power / n,
            "heat_w": power / n,
            "weight_kg": q(f"SELECT SUM(t.mass_kg) {parts}") / n,
            "cost_usd": cost / n,
            "domestic_share": conn.execute(
                f"SELECT SUM(CASE WHEN t.country_of_origin = ? THEN t.unit_cost_usd ELSE 0 END) {parts}",
                (home, generation, frame)).fetchone()[0] / cost,
            "lead_days": q(f"SELECT MAX(t.lead_time_days) {parts}"),
            "cables": cables / n,
            "liquid_fraction": q(f"SELECT SUM({PART_POWER} * {LIQUID_SHARE}) {parts}") / power,
        }
    finally:
        conn.close()


def test_blackwell_against_rubin_matches_hand_computed_sums(hall_db):
    comparison = compare_generations(load_design(hall_db))
    assert (comparison.baseline, comparison.new) == ("blackwell", "rubin")
    pairs = {(a.key, b.key): (a, b, d) for a, b, d in comparison.pairs}
    for old_frame, new_frame in (("orv3-rack-gb200", "orv3-rack-rubin"), ("network-rack-42u", "network-rack-42u")):
        old_sql = _by_sql(hall_db, "blackwell", old_frame)
        new_sql = _by_sql(hall_db, "rubin", new_frame)
        a, b, delta = pairs[(f"blackwell / {old_frame}", f"rubin / {new_frame}")]
        assert (a.racks, b.racks) == (old_sql["racks"], new_sql["racks"])
        for key in ("power_w", "heat_w", "weight_kg", "cost_usd", "domestic_share", "lead_days", "cables",
                    "liquid_fraction"):
            assert a.mean[key] == pytest.approx(old_sql[key], rel=1e-9, abs=1e-9), key
            assert b.mean[key] == pytest.approx(new_sql[key], rel=1e-9, abs=1e-9), key
            assert delta[key] == pytest.approx(new_sql[key] - old_sql[key], rel=1e-9, abs=1e-9), key
    # the seeded facts: Rubin racks draw more, are mostly domestic, and take longer to get
    _, _, compute = pairs[("blackwell / orv3-rack-gb200", "rubin / orv3-rack-rubin")]
    assert compute["power_w"] > 50_000 and compute["domestic_share"] > 0.5 and compute["lead_days"] > 0


def test_per_rack_rows_name_the_rack_that_sets_the_lead_time(hall_db):
    comparison = compare_generations(load_design(hall_db))
    rows = {r["rack"]: r for r in comparison.racks}
    assert len(rows) == 64
    b04, a01 = rows["B04"], rows["A01"]
    assert b04["values"]["power_w"] > a01["values"]["power_w"] * 1.1        # the over-budget fault
    assert b04["delta"]["power_w"] > 0 > a01["delta"]["power_w"]
    assert rows["E01"]["lead_part"].startswith("E01-") and rows["E01"]["values"]["lead_days"] == 210


def test_compare_cli_table_and_json(hall_db, capsys):
    assert main(["compare", str(hall_db)]) == 0
    text = capsys.readouterr().out
    assert "rubin / orv3-rack-rubin" in text and "Δ new − baseline" in text
    assert main(["compare", str(hall_db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) >= {"mode", "baseline", "new", "metrics", "rack_types", "deltas", "racks"}
    assert main(["compare", str(hall_db), "--base", "nope"]) == 1
    assert "no generation called 'nope'" in capsys.readouterr().err


def test_one_generation_needs_a_second_file(pod_db):
    with pytest.raises(TwinError, match="generation compare needs two"):
        compare_generations(load_design(pod_db))


def test_two_files_diff_parts_and_racks(hall_db, tmp_path):
    new = tmp_path / "edited.twin.db"
    shutil.copy(hall_db, new)
    conn = sqlite3.connect(new)
    tray = "(SELECT id FROM parts WHERE name = 'A01-U05')"
    removed_w = conn.execute(f"SELECT COALESCE(p.power_w, t.power_nominal_w) FROM parts p JOIN part_types t "
                             f"ON t.id = p.part_type_id WHERE p.id = {tray}").fetchone()[0]
    with conn:
        ports = f"(SELECT id FROM ports WHERE part_id = {tray})"
        conn.execute(f"DELETE FROM cables WHERE a_port_id IN {ports} OR b_port_id IN {ports}")
        conn.execute(f"DELETE FROM ports WHERE part_id = {tray}")
        conn.execute(f"DELETE FROM sensors WHERE part_id = {tray}")
        conn.execute(f"DELETE FROM parts WHERE id = {tray}")
        conn.execute("UPDATE parts SET power_w = 1234 WHERE name = 'E02-U07'")
        conn.execute("UPDATE parts SET x = x + 0.5 WHERE name = 'CRAH-1'")
    conn.close()
    old_d, new_d = load_design(hall_db), load_design(new)
    comparison = compare_designs(old_d, new_d)
    parts = comparison.parts_dict
    assert parts["counts"] == {"added": 0, "removed": 1, "changed": 2, "unchanged": len(old_d.parts) - 3}
    assert parts["removed"] == ["A01-U05"]
    assert {c["part"]: c["what"] for c in parts["changed"]} == {"E02-U07": "power", "CRAH-1": "position"}
    a01 = next(r for r in comparison.racks if r["rack"] == "A01")
    assert a01["delta"]["power_w"] == pytest.approx(-removed_w)
    # and backwards: the tray is an added part
    back = diff_parts(new_d, old_d)
    assert old_d.parts.name[back.added].tolist() == ["A01-U05"]
    overlay = diff_overlay(old_d, back, "new")
    assert overlay.categories == DIFF_CATEGORIES
    coloured = np.flatnonzero(np.isfinite(overlay.values))
    assert sorted(old_d.parts.name[coloured].tolist()) == ["A01-U05", "CRAH-1", "E02-U07"]


def test_diff_image_colours_added_and_changed_parts(pod_db, tmp_path):
    """A pod with one rack fewer as the baseline: the new rack is drawn in the 'added' colour on
    the right, nothing in it on the left; the leaf rack that moved is 'changed' on both sides."""
    from twin.analysis.partdiff import DIFF_RGB
    from twin.export.image import read_png
    from twin.specs import build_design

    spec = (Path(__file__).resolve().parents[1] / "scenes" / "nvl72-pod.toml").read_text()
    smaller = tmp_path / "pod7.toml"
    smaller.write_text(spec.replace("racks = 8", "racks = 7", 1))
    baseline = tmp_path / "pod7.twin.db"
    build_design(smaller, baseline)
    out = tmp_path / "diff.png"
    assert main(["compare", str(baseline), str(pod_db), "--image", str(out), "--view", "top"]) == 0
    image = read_png(out).astype(int)
    left, right = image[:, : image.shape[1] // 2], image[:, image.shape[1] // 2:]

    def near(region, rgb):          # overlay colours keep a fifth of the mesh shading
        return int((np.abs(region - np.array(rgb)).sum(axis=2) < 90).sum())
    legend_px = 14 * 14            # each half's legend shows one swatch of every colour
    assert near(right, DIFF_RGB[0]) > legend_px + 500          # the added rack, seen from above
    assert near(left, DIFF_RGB[0]) <= legend_px + 20           # the baseline has no added parts
    assert near(right, DIFF_RGB[2]) > legend_px + 200 and near(left, DIFF_RGB[2]) > legend_px + 200
