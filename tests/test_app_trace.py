"""Traces from the selection with the real widgets under Xvfb: T on a rack draws its power path
to the utility over the dimmed rest and frames it; Esc clears it. The chain expected is read
from the design file's power tables with SQL; what is drawn is read back from the scene's
actors and the rendered pixels."""

from __future__ import annotations

import os
import sqlite3

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` or under xvfb-run")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from tests.support import shown_window  # noqa: E402
from twin.scene.trace_path import PATH_RGB  # noqa: E402

LOAD_TIMEOUT_MS = 30_000
RACK = "B04"


@pytest.fixture
def window(qtbot, tmp_path, hall_db):
    win = shown_window(qtbot, tmp_path)
    win.open_file(hall_db)
    qtbot.waitUntil(lambda: not win.loading, timeout=LOAD_TIMEOUT_MS)
    assert win.scene is not None, win.errors
    yield win
    win.loader.cancel()
    win.loader.wait()


def chain_of_rack(db, rack: str) -> list[tuple[str, float, float, float]]:
    """(name, x, y, half-extent) of the power nodes with a part above `rack`, up to the root, by SQL."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute("""
            WITH RECURSIVE up(id) AS (
                SELECT DISTINCT p.power_node_id FROM parts p JOIN racks r ON p.rack_id = r.id
                 WHERE r.name = ? AND p.power_node_id IS NOT NULL
                UNION
                SELECT n.parent_id FROM power_nodes n JOIN up ON n.id = up.id WHERE n.parent_id IS NOT NULL)
            SELECT n.name, p.x, p.y, MAX(t.width_m, t.depth_m) / 2, p.rack_id
              FROM up JOIN power_nodes n ON n.id = up.id
              JOIN parts p ON p.id = n.part_id JOIN part_types t ON t.id = p.part_type_id""", (rack,)).fetchall()
        n_chain = conn.execute("""
            WITH RECURSIVE up(id) AS (
                SELECT DISTINCT p.power_node_id FROM parts p JOIN racks r ON p.rack_id = r.id
                 WHERE r.name = ? AND p.power_node_id IS NOT NULL
                UNION
                SELECT n.parent_id FROM power_nodes n JOIN up ON n.id = up.id WHERE n.parent_id IS NOT NULL)
            SELECT COUNT(*) FROM up""", (rack,)).fetchone()[0]
    assert n_chain >= 4
    # gear outside the rack (busway, PDU, UPS, switchboard): what the path must reach
    return [(name, x, y, half) for name, x, y, half, rack_id in rows if rack_id is None]


def magenta_pixels(scene) -> int:
    img = scene.screenshot().astype(int)
    target = np.array(PATH_RGB)
    hue = img[..., :3] * target.max() / np.maximum(img[..., :3].max(axis=2, keepdims=True), 1)
    return int((np.abs(hue - target).max(axis=2) < 40).sum())


def test_t_on_a_rack_draws_its_power_path_and_esc_clears_it(qtbot, window, hall_db):
    scene, vp, d = window.scene, window.viewport, window.design
    gear = chain_of_rack(hall_db, RACK)
    assert len(gear) >= 2, gear
    assert magenta_pixels(scene) < 20
    frame = int(scene.geometry.frame_of_rack[d.rack_index(RACK)])
    window.select_parts([frame])
    QTest.keyClick(vp, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: not vp.flying, timeout=8000)
    path = scene.trace_path
    assert path.actor is not None and path.actor in scene.actors()
    drawn = path.actor.GetMapper().GetInput()
    assert drawn.GetNumberOfCells() == len(path.segments) >= len(gear)
    ends = path.segments.reshape(-1, 3)
    for name, x, y, half in gear:               # the path reaches every piece of gear of the chain
        reach = np.linalg.norm(ends[:, :2] - (x, y), axis=1).min()
        assert reach <= half + 0.05, (name, reach)
    # the rack's own top is where the path starts
    top = scene.geometry.box_hi[frame]
    assert np.linalg.norm(ends[:, :2] - scene.geometry.centre[frame][:2], axis=1).min() < 0.05
    assert np.isclose(ends[:, 2], top[2]).any()
    # the rest is dimmed, the path is on screen and in the picture
    assert scene.state.highlighting and scene.state.highlighted_mask()[frame]
    assert np.abs(scene.camera.project_ndc(ends)[:, :2]).max() <= 1.0
    assert magenta_pixels(scene) > 300
    QTest.keyClick(vp, Qt.Key.Key_Escape)
    assert not scene.state.highlighting and not len(scene.state.trace_path)
    assert path.actor is None and window.selection == [frame]          # Esc took the trace, not the selection
    assert magenta_pixels(scene) < 20


def test_t_on_a_cdu_traces_its_loop(qtbot, window, hall_db):
    scene, vp, d = window.scene, window.viewport, window.design
    cdu = int(np.flatnonzero(scene.geometry.kind == "cdu")[0])
    with sqlite3.connect(hall_db) as conn:
        racks = [r[0] for r in conn.execute(
            "SELECT r.name FROM racks r JOIN parts p ON p.cooling_loop_id = r.cooling_loop_id WHERE p.id = ?",
            (int(d.parts.id[cdu]),))]
    assert racks
    window.select_parts([cdu])
    QTest.keyClick(vp, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: not vp.flying, timeout=8000)
    segments = scene.trace_path.segments
    assert len(segments) == len(racks)
    g = scene.geometry
    centres = g.centre[[int(g.frame_of_rack[d.rack_index(r)]) for r in racks]]
    assert np.allclose(np.sort(segments[:, 1], axis=0), np.sort(centres, axis=0))
    assert np.allclose(segments[:, 0], g.centre[cdu])


def test_right_click_on_a_rack_offers_its_trace(qtbot, window, hall_db):
    from PySide6.QtCore import QPoint

    scene, d = window.scene, window.design
    frame = int(scene.geometry.frame_of_rack[d.rack_index(RACK)])
    menu = window.review.show_context_menu(frame, window.viewport.mapToGlobal(QPoint(50, 50)))
    assert menu is not None
    [trace] = [a for a in menu.actions() if a.text().startswith("Trace")]
    menu.close()
    trace.trigger()
    qtbot.waitUntil(lambda: not window.viewport.flying, timeout=8000)
    assert window.selection == [frame] and len(scene.trace_path.segments) >= 3


def test_t_on_a_switchboard_traces_all_it_feeds(qtbot, window, hall_db):
    scene, vp, d = window.scene, window.viewport, window.design
    with sqlite3.connect(hall_db) as conn:
        fed = {r[0] for r in conn.execute("""
            WITH RECURSIVE down(id) AS (
                SELECT n.id FROM power_nodes n JOIN parts p ON p.id = n.part_id WHERE p.name = 'SWB-2'
                UNION
                SELECT n.id FROM power_nodes n JOIN down ON n.parent_id = down.id)
            SELECT p.id FROM parts p JOIN down ON p.power_node_id = down.id""")}
        n_down = conn.execute("""
            WITH RECURSIVE down(id) AS (
                SELECT n.id FROM power_nodes n JOIN parts p ON p.id = n.part_id WHERE p.name = 'SWB-2'
                UNION
                SELECT n.id FROM power_nodes n JOIN down ON n.parent_id = down.id)
            SELECT COUNT(*) FROM down""").fetchone()[0]
    assert len(fed) > 100 and n_down > 3
    swb = int(np.flatnonzero(d.parts.name == "SWB-2")[0])
    window.select_parts([swb])
    QTest.keyClick(vp, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: not vp.flying, timeout=8000)
    lit = {int(d.parts.id[p]) for p in scene.state.highlight_parts}
    assert fed <= lit                                     # every part fed from below it lights up
    assert len(scene.trace_path.segments) >= n_down - 1   # the path runs down its whole subtree
