"""The desktop viewer with real widgets and real VTK (run under Xvfb: see the README).

These tests drive the window like a user: real mouse clicks on the VTK widget, typing in
the search box, the Cancel button during a load.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import time

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` (it starts Xvfb) "
                       "or under xvfb-run")

from PySide6.QtCore import QPoint, QSettings, Qt, QTimer  # noqa: E402

from tests.support import shown_window  # noqa: E402
from twin.analysis.registry import overlay_availability, overlay_names  # noqa: E402
from twin.app.window import MainWindow  # noqa: E402
from twin.export.image import read_png  # noqa: E402

LOAD_TIMEOUT_MS = 30_000


@pytest.fixture
def window(qtbot, tmp_path):
    win = shown_window(qtbot, tmp_path)
    yield win
    win.loader.cancel()
    win.loader.wait()


def open_and_wait(qtbot, win: MainWindow, path) -> None:
    win.open_file(path)
    qtbot.waitUntil(lambda: not win.loading, timeout=LOAD_TIMEOUT_MS)
    assert win.scene is not None and str(win.design.source) == str(path), win.errors


def has_legend(scene) -> bool:
    """The legend strip is on the render window and names something."""
    return scene.camera.legend_box() is not None and bool(scene.legend_area.text_actors()) and \
        scene.render_window.HasRenderer(scene.legend_area.renderer)


def test_click_in_3d_selects_rack_in_tree_and_properties(qtbot, window, hall_db):
    open_and_wait(qtbot, window, hall_db)
    scene = window.scene
    assert window.counts_label.text().startswith("64 racks")
    window.viewport.set_view("top")
    rack = scene.design.rack_index("A03")
    x, y = scene.camera.project(scene.geometry.rack_centre[rack])[0]
    ratio = window.viewport.devicePixelRatioF()
    pos = QPoint(int(round(x / ratio)), int(round(y / ratio)))
    assert window.viewport.rect().contains(pos)
    qtbot.mouseClick(window.viewport, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: bool(window.selection), timeout=5000)

    picked = window.selection[0]
    assert scene.design.racks.name[scene.design.parts.rack[picked]] == "A03"
    assert scene.state.selected_mask()[picked]
    item = window.hierarchy.current_item()
    assert item is not None and "A03" in item.text()
    text = window.properties.text()
    assert "rack: A03" in text and "A03" in window.properties.title.text()
    for section in ("[Catalog]", "[Placement]", "[Supplier]", "[Cooling]", "[Power]"):
        assert section in text
    assert "A03" in window.selection_label.text()
    assert window.frame_label.text().startswith("frame ")

    # tree → scene: choosing another rack in the tree selects its frame in the scene
    other = window.hierarchy._rack_items[scene.design.rack_index("B02")]
    window.hierarchy.tree.setCurrentIndex(other.index())
    frame = int(scene.geometry.frame_of_rack[scene.design.rack_index("B02")])
    assert window.selection == [frame] and scene.state.selected_mask()[frame] and not scene.state.selected_mask()[picked]
    assert "B02" in window.properties.title.text()

    # a click on empty floor clears the selection
    corner = scene.camera.project(np.array([[0.3, 0.3, 0.0]]))[0] / ratio
    qtbot.mouseClick(window.viewport, Qt.MouseButton.LeftButton, pos=QPoint(int(corner[0]), int(corner[1])))
    qtbot.waitUntil(lambda: not window.selection, timeout=5000)
    assert window.properties.title.text() == "Nothing selected"


def test_search_filters_tree_and_isolates_in_scene(qtbot, window, hall_db):
    open_and_wait(qtbot, window, hall_db)
    scene, d = window.scene, window.design
    everything = int(scene.visible.sum())
    window.hierarchy.focus_search()
    qtbot.keyClicks(window.hierarchy.search, "C02")
    qtbot.waitUntil(lambda: window.hierarchy.filter_text == "C02", timeout=5000)

    parts = window.hierarchy.visible_part_items()
    assert parts, "the search found nothing"
    with sqlite3.connect(hall_db) as conn:
        serial = dict(conn.execute("SELECT id, serial FROM parts").fetchall())
    # names match whole (or up to a separator); serials only when asked with serial:
    assert all(d.parts.name[p].startswith("C02") or d.racks.name[d.parts.rack[p]] == "C02" for p in parts)
    in_serials = [p for p in range(len(d.parts)) if "C02" in serial[int(d.parts.id[p])].upper()
                  and d.racks.name[d.parts.rack[p]] != "C02"]
    assert in_serials and not set(in_serials) & set(parts)
    assert (d.parts.rack[parts] == d.rack_index("C02")).sum() >= 40
    model = window.hierarchy.model
    tops = [model.item(i).text() for i in range(model.rowCount())]
    assert "C02" in tops and "A01" not in tops
    assert 0 < scene.visible.sum() < everything
    assert not scene.visible[d.parts.rack == d.rack_index("A01")].any()
    assert "match" in window.hierarchy.note.text()

    # a vendor: many parts across racks, still only matching items
    window.hierarchy.search.setText("nVent")
    qtbot.waitUntil(lambda: window.hierarchy.filter_text == "nVent", timeout=5000)
    vendors = d.part_types.vendor[d.parts.type[window.hierarchy.visible_part_items()]]
    assert set(vendors.tolist()) == {"nVent"}

    # user text reaches SQLite only as a parameter
    window.hierarchy.search.setText("'; drop table parts; --")
    qtbot.waitUntil(lambda: window.hierarchy.filter_text.startswith("'"), timeout=5000)
    assert window.hierarchy.filter_count == 0 and scene.visible.sum() < everything

    # Esc clears the search and shows everything again
    qtbot.keyClick(window.viewport, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: int(scene.visible.sum()) == everything, timeout=5000)
    assert window.hierarchy.search.text() == "" and window.hierarchy.model.rowCount() >= 1


def test_bad_file_keeps_the_open_scene_and_names_the_file(qtbot, tmp_path, pod_db):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))  # default reporter
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    open_and_wait(qtbot, win, pod_db)
    scene, design = win.scene, win.design
    bad = tmp_path / "garbage.twin.db"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    win.open_file(bad)
    qtbot.waitUntil(lambda: win.error_box is not None and win.error_box.isVisible(), timeout=LOAD_TIMEOUT_MS)
    assert str(bad) in win.error_box.text() and "not a twin design" in win.error_box.text()
    assert "garbage.twin.db" in win.statusBar().currentMessage()
    assert win.scene is scene and win.design is design
    assert not win.progress.isVisible()
    image = scene.screenshot()                      # still rendering the old design
    assert image.std() > 5
    win.error_box.close()
    assert win.opening.recent_files() == [str(pod_db.resolve())]


def test_damaged_reading_times_open_with_a_warning_and_lose_nothing_else(qtbot, window, hall_db, tmp_path):
    # one latest reading and one mid-day reading carry text that is not a time
    design = tmp_path / "damaged.twin.db"
    shutil.copy(hall_db, design)
    with sqlite3.connect(design) as conn:
        last, = conn.execute("select max(ts) from readings").fetchone()
        good_times = [r[0] for r in conn.execute("select distinct ts from readings order by ts")]
        sensor, = conn.execute("select min(sensor_id) from readings where ts = ?", (last,)).fetchone()
        # the sensor's own 41st reading (readings are not all on one grid: gaps, a rack's fast clock)
        middle, = conn.execute("select ts from readings where sensor_id = ? order by ts limit 1 offset 40",
                               (sensor,)).fetchone()
        conn.execute("update readings set ts = '2026-13-45Tzz' where ts = ? and sensor_id = ?", (last, sensor))
        conn.execute("update readings set ts = 'yesterday' where ts = ? and sensor_id = ?", (middle, sensor))
    open_and_wait(qtbot, window, design)
    assert window.statusBar().currentMessage().startswith("Opened damaged.twin.db"), window.statusBar().currentMessage()
    assert not window.errors
    damaged = [w for w in window.scene.warnings if "table readings" in w]
    assert len(damaged) == 2 and any("'2026-13-45Tzz'" in w and f"sensor_id {sensor}" in w for w in damaged)
    assert window.warnings_action.isEnabled()
    # the rest is all there: every good moment on the slider, the power tree, the findings
    assert window.overlays.times == good_times
    assert window.power.summary.text() and window.power.tree.topLevelItemCount() == 1
    assert any(f.code == "inlet-allowable" and f.subject == "A06" for f in window.session.findings())


def test_loading_keeps_ui_alive_and_cancel_restores(qtbot, window, pod_db, hall2000_db):
    open_and_wait(qtbot, window, pod_db)
    pod_scene = window.scene
    ticks = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    loaded_at = []
    window.loader.loaded.connect(lambda _d: loaded_at.append(time.perf_counter()))
    start = time.perf_counter()
    window.open_file(hall2000_db)
    assert window.progress.isVisible() and window.cancel_button.isVisible()
    assert window.progress.format() == "reading file"
    formats = set()
    qtbot.waitUntil(lambda: formats.add(window.progress.format()) or window.scene is not pod_scene,
                    timeout=LOAD_TIMEOUT_MS)
    elapsed = time.perf_counter() - start          # the first frame: the cables are read after it
    shown = time.perf_counter()
    qtbot.waitUntil(lambda: not window.loading, timeout=LOAD_TIMEOUT_MS)
    cables = np.array([t for t in ticks if t > shown])
    timer.stop()
    assert len(cables) >= 5 and np.diff(cables).max() < 0.3     # and stays live while the cables are read
    assert window.scene is not pod_scene and window.scene.geometry.n_parts > 50_000
    assert not window.progress.isVisible()
    reading = loaded_at[0] - start                 # the worker's part: the UI must stay live throughout
    during = np.array([t for t in ticks if t <= loaded_at[0]])
    assert reading > 0.3
    assert len(during) >= max(5, 0.3 * reading / 0.02), (len(during), reading)
    assert np.diff(np.concatenate([[start], during])).max() < 0.3
    assert elapsed - reading < 3.0                   # building the scene on the UI thread is short
    assert "building scene" in formats or "reading file" in formats
    big_scene = window.scene

    window.open_file(pod_db)
    assert window.loading
    qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert not window.progress.isVisible() and not window.cancel_button.isVisible()
    assert "cancelled" in window.statusBar().currentMessage()
    window.loader.wait()
    qtbot.wait(200)                                  # let the discarded result arrive
    assert window.scene is big_scene and window.design.source == hall2000_db
    assert "cancelled" in window.statusBar().currentMessage()
    assert not window.errors


def test_overlays_follow_availability_and_show_a_legend(qtbot, window, pod_db, tmp_path):
    no_cables = tmp_path / "no-cables.twin.db"
    shutil.copy(pod_db, no_cables)
    with sqlite3.connect(no_cables) as conn:
        conn.execute("DELETE FROM cables")
    open_and_wait(qtbot, window, no_cables)
    panel, scene = window.overlays, window.scene
    reasons = overlay_availability(window.design)
    assert reasons["cabling"]
    for name in overlay_names():
        assert panel.is_enabled(name) == (reasons[name] is None)
    assert panel.reason("cabling") == reasons["cabling"]
    panel.choose("cabling")                          # disabled: stays on none
    assert scene.overlay is None and not has_legend(scene)

    panel.choose("thermal")
    assert scene.overlay is not None and scene.overlay.name == "thermal"
    assert has_legend(scene)
    assert panel.time_row.isVisibleTo(panel) and len(panel.times) > 1
    panel.vmin.setValue(20.0)
    panel.vmax.setValue(30.0)
    assert (scene.overlay.vmin, scene.overlay.vmax) == (20.0, 30.0)
    first = scene.overlay
    panel.slider.setValue(0)
    qtbot.waitUntil(lambda: scene.overlay is not first, timeout=5000)
    assert scene.overlay.name == "thermal" and (scene.overlay.vmin, scene.overlay.vmax) == (20.0, 30.0)

    panel.choose("supply")
    assert scene.overlay.name == "supply" and has_legend(scene) and not panel.vmin.isEnabled()
    panel.choose("none")
    assert scene.overlay is None and not has_legend(scene)


def test_keys_hide_isolate_fly_and_visibility_panel(qtbot, window, pod_db, tmp_path):
    open_and_wait(qtbot, window, pod_db)
    scene, d = window.scene, window.design
    n = scene.geometry.n_parts
    tray = int(np.flatnonzero(scene.geometry.kind == "compute_tray")[0])
    window.select_parts([tray])
    assert d.parts.name[tray] in window.hierarchy.current_item().text()
    before = scene.camera.camera_pose()
    qtbot.keyClick(window.viewport, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not window.viewport.flying, timeout=5000)
    assert np.allclose(scene.camera.camera_pose().focal_point, scene.camera.fly_to_pose(tray).focal_point, atol=1e-3)
    assert scene.camera.camera_pose() != before
    qtbot.keyClick(window.viewport, Qt.Key.Key_H)
    assert not scene.visible[tray] and scene.visible.sum() == n - 1 and not window.selection
    window.select_parts([tray + 1])
    qtbot.keyClick(window.viewport, Qt.Key.Key_I)
    assert scene.visible[tray + 1] and scene.visible.sum() <= 2
    qtbot.keyClick(window.viewport, Qt.Key.Key_Escape)      # Esc clears one thing: the selection first
    assert not window.selection and scene.visible.sum() <= 2
    qtbot.keyClick(window.viewport, Qt.Key.Key_Escape)      # then the isolation (and what was hidden)
    assert scene.visible.all() and not window.selection

    window.visibility.kind_boxes["compute_tray"].setChecked(False)
    qtbot.waitUntil(lambda: not scene.visible[tray], timeout=5000)
    assert scene.visible[scene.geometry.kind != "compute_tray"].all()
    window.visibility.xray.setChecked(True)
    assert scene.state.xray
    window.visibility.axis.setCurrentIndex(1)
    assert scene.section is not None
    window.visibility.axis.setCurrentIndex(0)
    assert scene.section is None

    out = window.exporting.export_image(tmp_path / "view.png", (400, 300))
    assert out.exists() and out.stat().st_size > 1000
    assert read_png(out).shape == (300, 400, 3)          # the size asked for, not the viewport's
