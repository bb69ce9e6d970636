"""Fly-to from the Findings dock and the F key, with the real widgets and VTK under Xvfb: every
finding of ai-hall ends with its subject's box on screen and the camera inside the hall.

What a finding is about is read here from the design file with SQL (its part, its rack's frame,
its loop's racks and free-standing gear, its redundancy group's members, its cable's two ends);
whether it is on screen is the VTK camera's own projection of the boxes' corners.
"""

from __future__ import annotations

import os
import sqlite3

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` or under xvfb-run")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from tests.support import shown_window  # noqa: E402
from tests.test_app_navigation import drag, wheel  # noqa: E402

LOAD_TIMEOUT_MS = 30_000


@pytest.fixture
def window(qtbot, tmp_path, hall_db):
    win = shown_window(qtbot, tmp_path)
    win.open_file(hall_db)
    qtbot.waitUntil(lambda: not win.loading, timeout=LOAD_TIMEOUT_MS)
    assert win.scene is not None, win.errors
    yield win
    win.loader.cancel()
    win.loader.wait()


def subject_part_ids(db, finding, design) -> list[int]:
    """Database ids of the parts a finding is about, by SQL on the design file."""
    with sqlite3.connect(db) as conn:
        if finding.cable >= 0:
            cable_id = int(design.cables.id[finding.cable])
            return [r[0] for r in conn.execute(
                "SELECT p.part_id FROM cables c JOIN ports p ON p.id IN (c.a_port_id, c.b_port_id) "
                "WHERE c.id = ? AND p.part_id IS NOT NULL", (cable_id,))]
        if finding.loop >= 0:
            loop_id = int(design.cooling_loops.id[finding.loop])
            frames = conn.execute(
                "SELECT p.id FROM parts p JOIN racks r ON p.rack_id = r.id JOIN part_types t ON p.part_type_id = t.id "
                "WHERE r.cooling_loop_id = ? AND t.kind = 'rack' AND p.parent_id IS NULL", (loop_id,)).fetchall()
            gear = conn.execute("SELECT id FROM parts WHERE cooling_loop_id = ? AND rack_id IS NULL", (loop_id,)).fetchall()
            return [r[0] for r in frames + gear]
        group = conn.execute("SELECT part_id FROM power_nodes WHERE redundancy_group = ? AND part_id IS NOT NULL",
                             (finding.subject,)).fetchall()
        if group:
            return [r[0] for r in group]
        if finding.part >= 0:
            return [int(design.parts.id[finding.part])]
        rack_id = int(design.racks.id[finding.rack])
        return [r[0] for r in conn.execute(
            "SELECT p.id FROM parts p JOIN part_types t ON p.part_type_id = t.id "
            "WHERE p.rack_id = ? AND t.kind = 'rack' AND p.parent_id IS NULL", (rack_id,))]


def hall_box(db) -> tuple[np.ndarray, np.ndarray]:
    with sqlite3.connect(db) as conn:
        ox, oy, w, d, h = conn.execute("SELECT origin_x_m, origin_y_m, width_m, depth_m, height_m FROM halls").fetchone()
    return np.array([ox or 0.0, oy or 0.0, 0.0]), np.array([(ox or 0.0) + w, (oy or 0.0) + d, h])


def corners(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


def tray_corners(db, name: str) -> np.ndarray:
    """The box round the cable tray `name` (both ends, its width and height), by SQL; empty
    when no tray has that name."""
    with sqlite3.connect(db) as conn:
        row = conn.execute("SELECT x0, y0, z0, x1, y1, z1, width_m, height_m FROM cable_trays WHERE name = ?",
                           (name,)).fetchone()
    if row is None:
        return np.zeros((0, 3))
    ends = np.array([row[:3], row[3:6]], float)
    half = np.array([row[6], row[6], row[7]], float) / 2
    return corners(ends.min(axis=0) - half, ends.max(axis=0) + half)


def assert_in_view(scene, rows: np.ndarray, hall: tuple[np.ndarray, np.ndarray], what: str,
                   pts: np.ndarray | None = None) -> None:
    g = scene.geometry
    if pts is None:
        pts = np.vstack([corners(g.box_lo[r], g.box_hi[r]) for r in rows])
    ndc = scene.camera.project_ndc(pts)                     # the VTK camera's composite projection
    assert np.abs(ndc[:, :2]).max() <= 1.0, (what, np.abs(ndc[:, :2]).max())
    assert (ndc[:, 2] > -1).all() and (ndc[:, 2] < 1).all(), what           # between the clipping planes
    eye = np.array(scene.renderer.GetActiveCamera().GetPosition())
    assert np.all(eye > hall[0]) and np.all(eye < hall[1]), (what, eye)
    assert scene.renderer.GetActiveCamera().GetViewAngle() <= 60.0, what     # no fisheye
    solid = ~g.is_inner
    inside = np.all((g.box_lo[solid] - 0.05 <= eye) & (eye <= g.box_hi[solid] + 0.05), axis=1)
    assert not inside.any(), (what, eye)


def test_fly_to_every_finding_ends_with_its_subject_in_view(qtbot, window, hall_db):
    panel, vp, scene, d = window.findings, window.viewport, window.scene, window.design
    hall = hall_box(hall_db)
    findings = list(panel.all_findings)
    assert len(findings) > 10                     # whatever `twin check` finds, all of it
    row_of_id = {int(i): r for r, i in enumerate(d.parts.id)}
    for k, finding in enumerate(findings):
        panel.findingActivated.emit(finding)       # what double-click and Enter on its row emit
        if finding.severity == "critical":
            qtbot.waitUntil(lambda: not vp.flying, timeout=8000)      # the real flight, frame by frame
        else:
            vp.land(render=False)                  # the camera where the flight ends, at once
        tray = tray_corners(hall_db, finding.subject) if finding.code.startswith("tray-") else None
        if tray is not None:                       # a tray finding is about the whole tray
            assert len(tray), finding.to_text()
            assert_in_view(scene, np.zeros(0, int), hall, finding.to_text(), pts=tray)
            continue
        rows = np.array([row_of_id[i] for i in subject_part_ids(hall_db, finding, d)])
        assert len(rows), finding.to_text()
        assert_in_view(scene, rows, hall, finding.to_text())


def test_fly_to_facility_gear_then_zoom_out_and_orbit_stay_clear(qtbot, window, hall_db):
    vp, scene, d = window.viewport, window.scene, window.design
    hall = hall_box(hall_db)
    kinds = scene.geometry.kind
    ups = int(np.flatnonzero(kinds == "ups")[0])
    window.select_parts([ups])
    QTest.keyClick(vp, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not vp.flying, timeout=5000)
    assert_in_view(scene, np.array([ups]), hall, str(d.parts.name[ups]))
    g = scene.geometry
    solid = ~g.is_inner

    def clear() -> bool:
        eye = np.array(scene.renderer.GetActiveCamera().GetPosition())
        return not np.all((g.box_lo[solid] <= eye) & (eye <= g.box_hi[solid]), axis=1).any()

    centre = vp.rect().center()
    before = np.linalg.norm(np.subtract(*[scene.camera.camera_pose().position, scene.camera.camera_pose().focal_point]))
    for _ in range(8):                             # the wheel always zooms out, never into a part
        wheel(vp, centre, -1)
        assert clear()
    pose = scene.camera.camera_pose()
    assert np.linalg.norm(np.subtract(pose.position, pose.focal_point)) > before * 2
    # a rack close-up: orbiting round it never swings the camera into the next rack
    frame = int(g.frame_of_rack[d.rack_index("B04")])
    window.select_parts([frame])
    QTest.keyClick(vp, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not vp.flying, timeout=5000)
    assert_in_view(scene, np.array([frame]), hall, "B04")
    for dx in (150, 300, -300):
        drag(vp, centre, centre + QPoint(dx, 0))
        assert clear()


def segment_hits(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Which boxes the segment a→b passes through (slab test, written out here)."""
    d = np.where(np.abs(b - a) < 1e-12, 1e-12, b - a)
    t1, t2 = (lo - a) / d, (hi - a) / d
    near, far = np.minimum(t1, t2).max(axis=1), np.maximum(t1, t2).min(axis=1)
    return (far >= np.maximum(near, 0)) & (near <= 1)


def test_a_fly_to_made_while_filtered_is_right_once_the_filter_clears(qtbot, window, hall_db):
    vp, scene, d = window.viewport, window.scene, window.design
    g = scene.geometry
    rack = d.rack_index("B04")
    frame = int(g.frame_of_rack[rack])
    window.view.set_focus("search", np.asarray(d.parts.rack) == rack)     # what a search for B04 leaves
    window.select_parts([frame])
    QTest.keyClick(vp, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not vp.flying, timeout=5000)
    window.view.set_focus("search", None)                                   # the filter clears: every rack is back
    assert_in_view(scene, np.array([frame]), hall_box(hall_db), "B04")
    eye = np.array(scene.renderer.GetActiveCamera().GetPosition())
    others = np.array([f for f in g.frame_of_rack if f >= 0 and f != frame])
    lo, hi = g.box_lo[frame], g.box_hi[frame]
    mid = (lo + hi) / 2
    # the rack's face turned to the camera, at its centre: nothing stands between
    axis = int(np.argmax(np.abs(eye - mid) / ((hi - lo) / 2)))
    face = mid.copy()
    face[axis] = hi[axis] + 0.01 if eye[axis] > mid[axis] else lo[axis] - 0.01
    assert not segment_hits(face, eye, g.box_lo[others], g.box_hi[others]).any(), eye
