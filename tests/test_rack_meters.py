"""A rack metered at two levels is counted once: its rack meter where it has one, else its part
meters plus the estimate of the parts no meter covers. Real design file (ai-hall), edited by
SQL; the expectations are SQL sums written out here.

Why: a DCGM exporter's GPU power binds to compute trays, while the site's rack meter already
measures those trays; summing every power sensor of a rack counted the trays twice, and a
tray meter on an unmetered rack stood for the whole rack.
"""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from tests.support import edited
from twin.session import ReviewSession
from twin.store import load_design

TRAY_W = 5_000.0
#: Part kinds that frame, convert or carry a rack's power (not IT), as docs/schema.md lists them.
NOT_IT = ("rack", "power_shelf", "busbar", "busway", "pdu", "ups", "switchboard", "manifold", "cdu", "crah")


def _tray_meters(path, rack: str) -> tuple[str, list[int]]:
    """Add a power sensor of TRAY_W on every compute tray of `rack`, read at the file's last moment."""
    with sqlite3.connect(path) as conn:
        (ts,) = conn.execute("SELECT max(ts) FROM readings").fetchone()
        rid, = conn.execute("SELECT id FROM racks WHERE name = ?", (rack,)).fetchone()
        trays = [r[0] for r in conn.execute(
            "SELECT p.id FROM parts p JOIN part_types t ON t.id = p.part_type_id "
            "WHERE p.rack_id = ? AND t.kind = 'compute_tray' ORDER BY p.id", (rid,))]
        base, = conn.execute("SELECT max(id) FROM sensors").fetchone()
        for k, part in enumerate(trays, start=1):
            conn.execute("INSERT INTO sensors (id, name, kind, unit, part_id, rack_id) VALUES (?, ?, 'power', 'W', ?, ?)",
                         (base + k, f"{rack}-tray{k}-gpu", part, rid))
            conn.execute("INSERT INTO readings (sensor_id, ts, value) VALUES (?, ?, ?)", (base + k, ts, TRAY_W))
    return ts, trays


def _rack_power(path, rack: str) -> float:
    design = load_design(path)
    session = ReviewSession(design, settings={"thermal": {"basis": "measured"}})
    return float(session.result("thermal").detail.racks.power_w[design.rack_index(rack)])


@pytest.fixture
def metered(hall_db, tmp_path):
    path = edited(hall_db, tmp_path)
    ts, trays = _tray_meters(path, "A01")
    return path, ts, trays


def test_a_rack_meter_wins_over_the_part_meters_inside(metered):
    path, ts, trays = metered
    with sqlite3.connect(path) as conn:
        meter, when = conn.execute("SELECT r.value, r.ts FROM readings r JOIN sensors s ON s.id = r.sensor_id "
                                   "WHERE s.name = 'A01-power' AND r.ts <= ? ORDER BY r.ts DESC LIMIT 1", (ts,)).fetchone()
        (age_min,) = conn.execute("SELECT (julianday(?) - julianday(?)) * 1440", (ts, when)).fetchone()
    assert len(trays) > 4 and age_min < 60                  # the meter's last reading is fresh at that moment
    assert _rack_power(path, "A01") == pytest.approx(meter, rel=1e-9)          # not meter + trays


def test_part_meters_of_an_unmetered_rack_add_the_estimate_of_the_rest(metered):
    path, ts, trays = metered
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM readings WHERE sensor_id = (SELECT id FROM sensors WHERE name = 'A01-power')")
        marks = ",".join("?" * len(NOT_IT))
        (rest,) = conn.execute(
            f"SELECT sum(CASE WHEN p.power_w >= 0 THEN p.power_w ELSE max(coalesce(t.power_nominal_w, 0), 0) END) "
            f"FROM parts p JOIN part_types t ON t.id = p.part_type_id JOIN racks r ON r.id = p.rack_id "
            f"WHERE r.name = 'A01' AND t.kind NOT IN ({marks}) AND p.id NOT IN ({','.join('?' * len(trays))})",
            (*NOT_IT, *trays)).fetchone()
    expected = TRAY_W * len(trays) + rest
    got = _rack_power(path, "A01")
    assert got == pytest.approx(expected, rel=1e-9)
    assert not np.isclose(got, TRAY_W * len(trays))                             # the trays are not the rack
