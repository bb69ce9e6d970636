"""Direct cable runs (a design without trays) cross 0.35 m above the racks, as docs/schema.md says.

The ai-hall sample is copied, its trays deleted and its stored routes cleared, so the
cabling check routes every cable from the geometry. The expected lengths are computed here
from the raw tables with numpy: port world position = part position + offset turned by the
part's yaw; between racks the run climbs to 0.35 m above the taller rack frame's top (never
the busway tap hung over the rack), crosses along X then Y, and comes down.
"""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

from twin.analysis.cabling import run_cabling
from twin.store import load_design

OVER_RACK_M = 0.35          # docs/schema.md, Routes


def port_world(conn: sqlite3.Connection, column: str) -> tuple[np.ndarray, np.ndarray]:
    rows = conn.execute(f"""SELECT p.x, p.y, p.z, p.yaw_deg, o.dx, o.dy, o.dz, p.rack_id
        FROM cables c JOIN ports o ON o.id = c.{column} JOIN parts p ON p.id = o.part_id ORDER BY c.id""").fetchall()
    v = np.array([[np.nan if x is None else x for x in r] for r in rows], float)
    yaw = np.radians(v[:, 3])
    x = v[:, 0] + np.cos(yaw) * v[:, 4] - np.sin(yaw) * v[:, 5]
    y = v[:, 1] + np.sin(yaw) * v[:, 4] + np.cos(yaw) * v[:, 5]
    return np.column_stack([x, y, v[:, 2] + v[:, 6]]), v[:, 7]


def test_direct_runs_cross_just_above_the_rack_frames(hall_db, tmp_path):
    db = tmp_path / "no-trays.twin.db"
    shutil.copy(hall_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM cable_trays")
        conn.execute("UPDATE cables SET route = '', routed_length_m = NULL, route_status = NULL")
        a, rack_a = port_world(conn, "a_port_id")
        b, rack_b = port_world(conn, "b_port_id")
        frame_top = dict(conn.execute("""SELECT p.rack_id, p.z + t.height_m FROM parts p
            JOIN part_types t ON t.id = p.part_type_id WHERE t.kind = 'rack' AND p.rack_id IS NOT NULL"""))
        tap_top = conn.execute("""SELECT max(p.z + t.height_m) FROM parts p JOIN part_types t ON t.id = p.part_type_id
            WHERE t.kind = 'busway' AND p.rack_id IS NOT NULL""").fetchone()[0]
    top = np.array([max(frame_top.get(ra, -np.inf), frame_top.get(rb, -np.inf))
                    for ra, rb in zip(rack_a.tolist(), rack_b.tolist())])
    between = (rack_a != rack_b) & np.isfinite(top)
    assert between.sum() > 1000, "the sample has thousands of rack-to-rack cables"
    assert tap_top > top.max() + OVER_RACK_M, "the busway taps stand above the crossing height"
    z = np.maximum(top + OVER_RACK_M, np.maximum(a[:, 2], b[:, 2]))
    flat = np.abs(a[:, 0] - b[:, 0]) + np.abs(a[:, 1] - b[:, 1])
    expected_between = (z - a[:, 2]) + flat + (z - b[:, 2])
    inside = rack_a == rack_b
    expected_inside = np.abs(a[:, 2] - b[:, 2]) + flat

    routed = run_cabling(load_design(db)).detail.routed_m
    np.testing.assert_allclose(routed[between], expected_between[between], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(routed[inside], expected_inside[inside], rtol=1e-9, atol=1e-6)
    assert np.nanmax(top[between]) == pytest.approx(2.286)          # ORv3 frame: the crossing is at 2.636 m
