"""Cabling: routes checked geometrically, the check against an independent computation, bad input,
the trace and the cable schedule. Real design files on disk throughout."""

from __future__ import annotations

import csv
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import twin
from twin.analysis.cabling import run_cabling
from twin.analysis.routes import design_routes, polylines, trace
from twin.cli import main
from twin.export.cables import schedule_rows
from twin.export.tables import spreadsheet_safe
from twin.geometry.routing import NO_PATH, TRAYS, route_cables
from twin.geometry.trays import build_tray_network
from twin.session import ReviewSession
from twin.store import load_design

#: DESIGN.md §4, written out again here so the test does not share the analysis's table.
REACH = {("dac", True): 2.0, ("dac", False): 3.0, ("aec", True): 7.0, ("aec", False): 7.0,
         ("fiber", True): 50.0, ("fiber", False): 100.0, ("utp", False): 100.0, ("utp", True): 100.0,
         ("power", False): 30.0, ("coolant", False): 10.0}
SLACK = 0.6


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "edited.twin.db"
    shutil.copy(src, dst)
    return dst


def _split(points: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    bounds = np.r_[0, np.cumsum(counts)]
    return [points[bounds[i]:bounds[i + 1]] for i in range(len(counts))]


def _on_tray(p: np.ndarray, start: np.ndarray, end: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Which trays point p lies in: within half the width of the centre line, at its height."""
    d = end - start
    s = np.clip(((p[:2] - start[:, :2]) * d[:, :2]).sum(axis=1) / (d[:, :2] ** 2).sum(axis=1), 0, 1)
    foot = start + s[:, None] * d
    return (np.linalg.norm(p[:2] - foot[:, :2], axis=1) <= width / 2 + 1e-6) & (np.abs(p[2] - foot[:, 2]) < 1e-6)


def test_every_routed_point_lies_on_a_tray_or_a_drop(hall) -> None:
    """Each segment of a tray-routed cable lies in one tray, or is its vertical drop from above a port."""
    routes = design_routes(hall)
    trays = hall.cable_trays
    rows = np.flatnonzero(routes.status == TRAYS)
    assert len(rows) > 2000                            # the fabric runs through the trays
    a, b = hall.cable_ends()
    lines = _split(*polylines(hall, rows))
    for r, line in zip(rows.tolist(), lines):
        assert np.allclose(line[0], a[r]) and np.allclose(line[-1], b[r])
        for p, q in zip(line[:-1], line[1:]):
            shared_tray = (_on_tray(p, trays.start, trays.end, trays.width_m)
                           & _on_tray(q, trays.start, trays.end, trays.width_m)).any()
            vertical_drop = np.allclose(p[:2], q[:2]) and any(np.allclose(p[:2], e[r, :2]) for e in (a, b))
            assert shared_tray or vertical_drop, (r, p, q)
        # the stored length is the polyline's length
        assert abs(np.linalg.norm(np.diff(line, axis=0), axis=1).sum() - hall.cables.routed_m[r]) < 1e-3


def test_cables_inside_a_rack_run_directly(hall) -> None:
    routes = design_routes(hall)
    rows = np.flatnonzero(routes.status == 0)
    a, b = hall.cable_ends()
    lines = _split(*polylines(hall, rows))
    for r, line in zip(rows.tolist()[:500], lines[:500]):
        seg = np.diff(line, axis=0)
        assert ((np.abs(seg) > 1e-9).sum(axis=1) <= 1).all()          # axis-parallel runs
        assert abs(np.abs(a[r] - b[r]).sum() - np.linalg.norm(seg, axis=1).sum()) < 1e-6
        assert abs(hall.cables.routed_m[r] - np.abs(a[r] - b[r]).sum()) < 1e-3


def test_routes_turn_corners_and_report_gaps() -> None:
    """An L of two trays plus a T branch; a tray 0.5 m short of the L; a NaN and a zero-length tray."""
    start = np.array([[0, 0, 3], [10, 0, 3], [5, 0, 3], [10.5, 10, 3], [np.nan, 0, 3], [2, 2, 3]], float)
    end = np.array([[10, 0, 3], [10, 9.5, 3], [5, 6, 3], [20, 10, 3], [1, 1, 3], [2, 2, 3]], float)
    net = build_tray_network(start, end, np.full(6, 0.6))
    problems = dict(net.problems)
    assert "not numbers" in problems[4] and "zero length" in problems[5]
    assert any(t in (1, 3) and "short of tray row" in msg for t, msg in net.problems)
    a = np.array([[1, 0, 1], [1, 0, 1], [1, 0, 1]], float)        # under tray 0
    b = np.array([[10, 8, 1], [5, 5, 1], [15, 10, 1]], float)     # under tray 1, the T branch, the cut-off tray
    routes = route_cables(a, b, np.ones(3, bool), np.full(3, 3.0), net)
    assert list(routes.status) == [TRAYS, TRAYS, NO_PATH]
    # drop 2 m, along 9 m to the corner, 8 m up the second tray, drop 2 m
    assert routes.length[0] == pytest.approx(2 + 9 + 8 + 2)
    assert routes.paths[routes.path[0]] == (0, 1)
    assert routes.length[1] == pytest.approx(2 + 4 + 5 + 2)
    assert routes.paths[routes.path[1]] == (0, 2)
    line = routes.polyline(0, net)
    assert np.allclose(line[[0, -1]], [a[0], b[0]])
    assert any(np.allclose(p, [10, 0, 3]) for p in line)          # through the corner
    assert np.linalg.norm(np.diff(line, axis=0), axis=1).sum() == pytest.approx(routes.length[0])


def test_seeded_dac_at_c02_is_found(hall) -> None:
    result = run_cabling(hall)
    over = [f for f in result.findings if f.code == "over-reach"]
    assert any("C02-" in f.message and f.severity == "critical" and f.limit == 2.0 for f in over)
    f = next(f for f in over if "C02-" in f.message)
    assert f.location is not None and f.cable >= 0 and "→" in f.message and ":osfp" in f.message


def _independent(path: Path) -> tuple[set[str], set[str]]:
    """Cables over reach and cables shorter than their route, straight from the file."""
    with sqlite3.connect(path) as db:
        rows = db.execute("select name, kind, rate_gbps, length_m, routed_length_m from cables").fetchall()
    over, short = set(), set()
    for name, kind, rate, length, routed in rows:
        reach = REACH.get((kind, rate >= 800), float("inf"))
        if max(length, routed + SLACK) > reach + 1e-9:
            over.add(name)
        if length < routed - 1e-9:
            short.add(name)
    return over, short


def test_every_short_or_over_reach_cable_is_found(hall_db, tmp_path) -> None:
    """On the demo and on an edited copy with cables made short, made DAC, and made long."""
    path = _copy(hall_db, tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("update cables set length_m = 1.0 where id in (select id from cables where route_status = 'trays' limit 7)")
        db.execute("update cables set kind = 'dac' where id in (select id from cables where rate_gbps >= 800 "
                   "and route_status = 'trays' order by id desc limit 5)")
        db.execute("update cables set length_m = 3.0, kind = 'dac', rate_gbps = 400 where id = 9000")
        db.execute("update cables set length_m = 120 where id = 8000")
    for p in (hall_db, path):
        over, short = _independent(p)
        findings = run_cabling(load_design(p)).findings
        assert {f.subject for f in findings if f.code == "over-reach"} == over
        assert {f.subject for f in findings if f.code == "cable-short"} == short
    assert len(over) >= 8 and len(short) >= 7


def test_bad_rows_are_named_and_the_rest_still_routes(hall_db, tmp_path) -> None:
    path = _copy(hall_db, tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("update cables set a_port_id = 99999999 where id = 10")
        db.execute("update cable_trays set x1 = null where id = 2")
        db.execute("update cable_trays set x1 = x0, y1 = y0, z1 = z0 where id = 3")
        db.execute("delete from cables where kind = 'dac' and length_m > 2 and a_port_id = (select o.id from ports o "
                   "join parts p on p.id = o.part_id where p.name = 'C02-U05' and o.name = 'osfp1')")   # the C02 DAC
        db.execute("update cables set b_port_id = (select id from ports where kind = 'rj45' limit 1) where id = 1")
    design = load_design(path)
    assert any("row id 10" in w for w in design.warnings)
    findings = ReviewSession(design).findings(["cabling"])
    by_code = {}
    for f in findings:
        by_code.setdefault(f.code, []).append(f)
    assert any("row id 10" in f.message for f in by_code["port-missing"])
    tray_msgs = " ".join(f.message for f in by_code["tray-network"])
    assert "row id 2" in tray_msgs and "row id 3" in tray_msgs
    assert any(f.subject == "C02-U05:osfp1" for f in by_code["port-unconnected"])
    assert any(f.subject == "C000001" and "rj45" in f.message for f in by_code["port-mismatch"])
    routes = design_routes(design)
    assert routes.status[9] == 4                                    # the broken cable is left unrouted
    assert (routes.status == TRAYS).sum() > 1000                    # the others still take the trays


def test_old_files_without_stored_routes_are_routed_on_load(hall_db, tmp_path) -> None:
    path = _copy(hall_db, tmp_path)
    with sqlite3.connect(path) as db:
        db.execute("alter table cables drop column routed_length_m")
        db.execute("alter table cables drop column route_status")
    design = load_design(path)
    assert np.isnan(design.cables.routed_m).all()
    result = run_cabling(design)
    assert any(f.code == "over-reach" and "C02-" in f.message for f in result.findings)
    stored = load_design(hall_db).cables.routed_m
    assert np.allclose(result.detail.routed_m, stored, atol=1e-3)


def test_tray_fill_counts_the_cables_routed_through_each_tray(hall_db, hall) -> None:
    with sqlite3.connect(hall_db) as db:
        counts = dict(db.execute("select route, count(*) from cables where route != '' group by route").fetchall())
    assert {str(i): int(n) for i, n in zip(hall.cable_trays.id, hall.cable_trays.fill)} == counts


def test_trace_of_a_rack_follows_its_cables_end_to_end(hall) -> None:
    frame = int(np.flatnonzero((hall.part_kind() == "rack") & (hall.parts.name == "C02-frame"))[0])
    found = trace(hall, parts=[frame])
    rack = hall.parts.rack[frame]
    c = hall.cables
    expected = np.flatnonzero((hall.parts.rack[c.a_part] == rack) | (hall.parts.rack[c.b_part] == rack))
    assert set(found.cables.tolist()) == set(expected.tolist())
    a, b = hall.cable_ends()
    for r, line in zip(found.cables.tolist(), found.routes):
        assert np.allclose(line[0], a[r]) and np.allclose(line[-1], b[r])
    one = trace(hall, cables=[int(found.cables[0])])
    assert len(one) == 1


def test_cable_schedule_round_trips_through_csv(hall_db, hall, tmp_path) -> None:
    out = tmp_path / "schedule.csv"
    assert main(["export", "cables", str(hall_db), "-o", str(out)]) == 0
    with open(out, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    assert rows == schedule_rows(hall)
    header, body = rows[0], rows[1:]
    assert len(body) == len(hall.cables) and len({r[0] for r in body}) == len(body)
    assert header[:3] == ["cable", "kind", "rate_gbps"]
    dac = next(r for r in body if r[1] == "dac")
    assert dac[3] == "C02-U05" and dac[4] == "osfp1" and dac[-1] == "C-tray" and float(dac[8]) > 4.0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["schedule.csv"]   # no temporary file left behind


HOSTILE_NAME = '=HYPERLINK("http://x.test","open")'
SAFE_NAME = "'" + HOSTILE_NAME                                      # shown as text, never run


def test_csv_cells_never_start_a_spreadsheet_formula(pod_db, tmp_path) -> None:
    # someone's inventory names a device and a port so that a spreadsheet would run them
    design = tmp_path / "hostile.twin.db"
    shutil.copy(pod_db, design)
    with sqlite3.connect(design) as conn:
        part_id, port_id = conn.execute("SELECT p.part_id, p.id FROM cables c JOIN ports p ON p.id = c.a_port_id "
                                        "ORDER BY c.id LIMIT 1").fetchone()
        conn.execute("UPDATE parts SET name = ? WHERE id = ?", (HOSTILE_NAME, part_id))
        conn.execute("UPDATE ports SET name = '@SUM(A1:A9)' WHERE id = ?", (port_id,))
    out = tmp_path / "schedule.csv"
    assert main(["export", "cables", str(design), "-o", str(out)]) == 0
    with open(out, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    hostile = [r for r in rows if r[3].endswith('"open")')]
    assert hostile and all(r[3] == SAFE_NAME for r in hostile)
    assert any(r[4] == "'@SUM(A1:A9)" for r in hostile)
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert not any(cell.startswith("-") and not _is_number(cell) for cell in cells)
    # the parts table through the Python API gets the same guard
    parts_csv = twin.open(design).export_csv(tmp_path / "tables")[0]
    with open(parts_csv, newline="", encoding="utf-8") as fh:
        names = [r["name"] for r in csv.DictReader(fh)]
    assert SAFE_NAME in names and not any(n.startswith("=") for n in names)
    assert spreadsheet_safe("-3.5") == "-3.5" and spreadsheet_safe(-3.5) == -3.5 and spreadsheet_safe("-x") == "'-x"


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_cabling_overlays_come_from_the_registry(hall) -> None:
    session = ReviewSession(hall)
    reach = session.overlay("cabling-reach")
    assert reach.cable_values.shape == (len(hall.cables),) and reach.pipes.shape == (len(hall.cable_trays), 4, 3)
    assert reach.cable_values.max() > 200                               # the 4 m DAC uses 200 %+ of its reach
    findings = session.overlay("cabling-findings")
    assert int((findings.cable_values == 2).sum()) == 1
    assert session.run_counts["cabling"] == 1
