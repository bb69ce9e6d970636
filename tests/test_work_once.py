"""Work the viewer must do once, counted on real objects: a time-slider step fills Properties
once and runs each analysis once; a colour-range change rebuilds no cable polyline; opening a
design builds the rack layers once; Compare's diff recolours the scene once; a panel that
changes the overlay updates the scene through the view state alone (real widgets, real VTK)."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pytest

import twin.scene.decorations as decorations
import twin.scene.detail as detail_module
from tests.support import shown_window
from twin.scene import Scene
from twin.session import ReviewSession
from twin.store import load_design

LOAD_TIMEOUT_MS = 120_000


@pytest.fixture
def window(qtbot, tmp_path):
    win = shown_window(qtbot, tmp_path)
    yield win
    win.loader.cancel()
    win.loader.wait()


def _open(qtbot, win, path) -> None:
    win.open_file(path)
    qtbot.waitUntil(lambda: not win.loading, timeout=LOAD_TIMEOUT_MS)
    assert win.scene is not None and str(win.design.source) == str(path), win.errors


class Counter:
    """Wraps a callable, counting calls; the real one still runs."""

    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.real(*args, **kwargs)


def test_a_time_slider_step_runs_each_analysis_once_and_fills_properties_once(qtbot, window, hall_db):
    _open(qtbot, window, hall_db)
    with sqlite3.connect(hall_db) as db:
        n_times = db.execute("SELECT COUNT(DISTINCT ts) FROM readings").fetchone()[0]
        tray = db.execute("SELECT name FROM parts WHERE name LIKE 'A06-U%' ORDER BY name LIMIT 1").fetchone()[0]
    panel, session = window.overlays, window.session
    assert n_times > 2 and len(panel.times) == n_times
    window.select_parts([int(np.flatnonzero(window.design.parts.name == tray)[0])])
    panel.choose("thermal")
    show_part = window.properties.show_part = Counter(window.properties.show_part)
    before = dict(session.run_counts)
    target = panel.times[panel.slider.value() - 1]
    panel.slider.setValue(panel.slider.value() - 1)
    qtbot.waitUntil(lambda: session.at == target, timeout=5000)
    qtbot.wait(300)                                       # anything deferred has run by now
    ran = {name: n - before.get(name, 0) for name, n in session.run_counts.items() if n != before.get(name, 0)}
    assert ran.get("thermal") == 1 and set(ran.values()) == {1}, ran
    assert show_part.calls == 1
    assert window.scene.overlay.name == "thermal" and window.view.moment == target


def test_a_colour_range_change_rebuilds_no_cable_polyline(hall_db, monkeypatch):
    design = load_design(hall_db)
    session = ReviewSession(design)
    scene = Scene(design, size=(480, 270), state=session.view)
    overlay = session.overlay("cabling-reach")
    assert overlay.cable_values is not None and not overlay.categorical
    scene.set_overlay(overlay)
    actor = scene.cable_actor
    poly = actor.GetMapper().GetInput()
    from vtkmodules.util.numpy_support import vtk_to_numpy
    colours = vtk_to_numpy(poly.GetCellData().GetScalars()).copy()
    built = Counter(decorations.select_polylines)
    monkeypatch.setattr(decorations, "select_polylines", built)
    vmin, vmax = overlay.vmin, overlay.vmax
    scene.set_overlay_range(vmin, vmin + (vmax - vmin) / 4)
    assert built.calls == 0
    assert scene.cable_actor is actor and actor.GetMapper().GetInput() is poly
    after = vtk_to_numpy(poly.GetCellData().GetScalars())
    assert after.shape == colours.shape and (after != colours).any()         # the colours did change
    # the same colours as a scene that had the narrow range from the start
    fresh = Scene(design, size=(480, 270), state=ReviewSession(design).view)
    narrow = session.overlay("cabling-reach")
    narrow.vmin, narrow.vmax = vmin, vmin + (vmax - vmin) / 4
    fresh.set_overlay(narrow)
    assert np.array_equal(vtk_to_numpy(fresh.cable_actor.GetMapper().GetInput().GetCellData().GetScalars()), after)


def test_opening_a_design_builds_the_rack_layers_once(qtbot, window, hall_db, monkeypatch):
    built = Counter(detail_module.build_rack_layers)
    monkeypatch.setattr(detail_module, "build_rack_layers", built)
    _open(qtbot, window, hall_db)
    qtbot.wait(300)
    assert built.calls == 1


def test_compare_diff_recolours_the_scene_once(qtbot, window, hall_db, tmp_path):
    _open(qtbot, window, hall_db)
    window.overlays.choose("thermal")
    baseline = tmp_path / "baseline.twin.db"
    shutil.copy(hall_db, baseline)
    with sqlite3.connect(baseline) as conn:
        tray = "(SELECT id FROM parts WHERE name = 'C02-U07')"
        ports = f"(SELECT id FROM ports WHERE part_id = {tray})"
        conn.execute(f"DELETE FROM cables WHERE a_port_id IN {ports} OR b_port_id IN {ports}")
        conn.execute(f"DELETE FROM ports WHERE part_id = {tray}")
        conn.execute(f"DELETE FROM parts WHERE id = {tray}")
    recolour = window.scene.layers.recolour = Counter(window.scene.layers.recolour)
    window.review.compare.compare_file(baseline)
    assert window.scene.overlay.name == "diff"
    assert recolour.calls == 1
    assert window.overlays.current_name() == "none"          # the Overlay panel shows the diff replaced thermal


def test_an_overlay_panel_alone_updates_a_scene_through_the_view_state(qtbot, hall_db):
    """No window: an Overlay panel and a scene that share a session's view state. Choosing
    thermal in the panel's combo box colours the scene (A06, the hot rack, turns red), and a new
    range from its spin boxes reaches the legend: nothing but the state connects them."""
    from twin.app.overlay_panel import OverlayPanel
    from twin.analysis.registry import overlay_names

    design = load_design(hall_db)
    session = ReviewSession(design)
    scene = Scene(design, size=(640, 360), state=session.view, labels=False)
    scene.camera.set_view("top")
    panel = OverlayPanel()
    qtbot.addWidget(panel)
    panel.set_session(session)
    plain = scene.screenshot()
    panel.combo.setCurrentIndex(overlay_names().index("thermal"))
    assert scene.overlay is not None and scene.overlay.name == "thermal"
    img = scene.screenshot()
    frame = int(np.flatnonzero((design.parts.rack == design.rack_index("A06")) & (design.part_kind() == "rack"))[0])
    x, y = scene.camera.project(scene.geometry.centre[frame] + np.array([0, 0, 1.2]))[0].astype(int)
    patch = img[y - 2:y + 3, x - 2:x + 3].reshape(-1, 3).astype(int)
    assert (patch[:, 0] > patch[:, 2] + 60).mean() > 0.5, patch                # red over A06
    assert np.abs(img.astype(int) - plain.astype(int)).mean() > 1
    panel.vmax.setValue(panel.vmin.value() + 5.0)
    assert scene.overlay.vmax == pytest.approx(panel.vmin.value() + 5.0)
    assert scene.legend is not None


def test_a_visibility_panel_alone_updates_a_scene_through_the_view_state(qtbot, hall_db):
    """No window: a Visibility panel and a scene that share a view state. X-ray, a kind box and
    the section reach the scene through the state alone."""
    from twin.app.visibility_panel import VisibilityPanel

    design = load_design(hall_db)
    session = ReviewSession(design)
    scene = Scene(design, size=(480, 270), state=session.view, labels=False)
    panel = VisibilityPanel()
    qtbot.addWidget(panel)
    kinds = sorted(set(design.part_kind().tolist()))
    generations = [str(g) for g in design.generations.name.tolist()]
    panel.set_content(kinds, generations, scene.geometry.bounds, session.view, scene.geometry.parts_matching)
    panel.kind_boxes["compute_tray"].setChecked(False)
    trays = design.part_kind() == "compute_tray"
    qtbot.waitUntil(lambda: not scene.visible[trays].any(), timeout=3000)
    assert scene.visible[~trays].all()
    panel.xray.setChecked(True)
    assert "ghost" in scene.layers.names()
    panel.axis.setCurrentIndex(3)                        # Z (height)
    assert scene.section is not None
