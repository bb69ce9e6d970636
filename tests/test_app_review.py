"""The viewer's review tools with real widgets, real files and real VTK: notes, pins, viewpoints,
compare table, findings filters (run under Xvfb)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)
from twin.store.notes import ReviewStore

REPO = Path(__file__).resolve().parents[1]
HTML = "<b>not bold</b> & 'quoted' 🔥"


def test_notes_panel_adds_edits_resolves_and_pins(qtbot, window, hall_db, tmp_path):  # noqa: F811
    path = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, path)
    open_and_wait(qtbot, window, path)
    panel, review, scene, d = window.review.notes, window.review, window.scene, window.design
    assert panel.list.topLevelItemCount() == 0 and not review.markers.actor.GetVisibility()

    note = panel.add_note(HTML, part="A06-U05", author="rev")
    assert note is not None and panel.list.topLevelItemCount() == 1
    panel.select_note(note.id)
    assert panel.detail.toPlainText() == HTML                 # plain text, not rendered markup
    assert review.markers.actor.GetVisibility() and review.markers.ids == [note.id]
    # the pin stands in front of the tray it is about
    tray = int(np.flatnonzero(d.parts.name == "A06-U05")[0])
    assert np.linalg.norm(review.markers.positions[0][:2] - d.parts.position[tray][:2]) < 1.0

    # a click on the pin selects the note
    panel.list.clearSelection()
    panel.list.setCurrentItem(None)
    window.viewport.set_view("aisle")
    scene.camera.set_camera_pose(scene.camera.fly_to_pose(tray))
    window.viewport.refresh()
    x, y = scene.camera.project(review.markers.positions)[0]
    ratio = window.viewport.devicePixelRatioF()
    qtbot.mouseClick(window.viewport, Qt.MouseButton.LeftButton, pos=QPoint(int(x / ratio), int(y / ratio)))
    qtbot.waitUntil(lambda: panel.current_note() is not None, timeout=5000)
    assert panel.current_note().id == note.id
    # and the pin is drawn: its orange/highlight colour is in the frame
    image = scene.screenshot()
    px = image[max(int(y) - 3, 0):int(y) + 4, max(int(x) - 3, 0):int(x) + 4].reshape(-1, 3).astype(int)
    assert (np.abs(px - [0, 229, 255]).sum(axis=1) < 120).any() or (np.abs(px - [240, 110, 20]).sum(axis=1) < 120).any()

    panel.toggle_resolved()
    assert panel.current_note().status == "resolved" and panel.resolve_button.text() == "Reopen"
    panel.status_filter.setCurrentText("open")
    assert panel.list.topLevelItemCount() == 0
    panel.status_filter.setCurrentText("all")
    panel.text_filter.setText("quoted")
    assert panel.list.topLevelItemCount() == 1
    panel.text_filter.setText("")
    assert panel.edit_note(note.id, text="reworded") is not None
    with ReviewStore(path) as store:                             # it is in the file, for every other program
        assert [(n.text, n.status, n.author) for n in store.notes()] == [("reworded", "resolved", "rev")]


def test_notes_written_elsewhere_appear_and_failed_writes_keep_the_draft(qtbot, window, pod_db, tmp_path):  # noqa: F811
    path = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, path)
    open_and_wait(qtbot, window, path)
    panel = window.review.notes
    window.review.notes_dock.raise_()
    qtbot.waitUntil(panel.isVisible, timeout=5000)
    result = subprocess.run([sys.executable, "-m", "twin", "notes", "add", str(path), "--part", "A02", "--text",
                             "from the CLI"], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    qtbot.waitUntil(lambda: panel.list.topLevelItemCount() == 1, timeout=10000)
    assert panel.notes[0].text == "from the CLI"

    # a locked file: the write fails with a clear message and the text is kept
    import sqlite3
    panel.store.busy_timeout_s = 0.2
    panel.store.close()
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        assert panel.add_note("important finding", part="A03") is None
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    title, message = window.errors[-1]
    assert "locked" in message and str(path) in message
    assert panel.draft == "important finding"
    assert panel.add_note(panel.draft, part="A03") is not None and panel.draft == ""
    assert [n.text for n in panel.notes] == ["from the CLI", "important finding"]


def test_viewpoints_save_and_restore(qtbot, window, pod_db, tmp_path):  # noqa: F811
    path = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, path)
    open_and_wait(qtbot, window, path)
    panel, scene = window.review.notes, window.scene
    window.viewport.set_view("top")
    top = scene.camera.camera_pose()
    assert panel.save_viewpoint("plan") is not None
    window.viewport.set_view("iso")
    assert panel.views.count() == 1 and panel.views.item(0).text() == "plan"
    window.review.go_to_viewpoint(panel.viewpoints[0])
    qtbot.waitUntil(lambda: not window.viewport.flying, timeout=5000)
    assert np.allclose(scene.camera.camera_pose().position, top.position, atol=1e-6)
    assert np.allclose(scene.camera.camera_pose().focal_point, top.focal_point, atol=1e-6)


def test_right_click_on_a_part_offers_add_note(qtbot, window, pod_db, tmp_path):  # noqa: F811
    path = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, path)
    open_and_wait(qtbot, window, path)
    scene, d = window.scene, window.design
    window.viewport.set_view("top")
    rack = d.rack_index("A04")
    x, y = scene.camera.project(scene.geometry.rack_centre[rack])[0]
    ratio = window.viewport.devicePixelRatioF()
    pos = QPoint(int(round(x / ratio)), int(round(y / ratio)))
    qtbot.mouseClick(window.viewport, Qt.MouseButton.RightButton, pos=pos)
    qtbot.waitUntil(lambda: window.review.context_menu is not None, timeout=5000)
    menu = window.review.context_menu
    texts = [a.text() for a in menu.actions()]
    part = window.selection[0]
    assert texts[0] == f"Add note… ({d.parts.name[part]})" and d.parts.rack[part] == rack
    menu.close()


def test_compare_panel_shows_generation_deltas_and_diff_colours(qtbot, window, hall_db, tmp_path):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    panel = window.review.compare
    c = panel.comparison
    assert c is not None and (c.baseline, c.new) == ("blackwell", "rubin")
    _, b, delta = next(p for p in c.pairs if p[1].key == "rubin / orv3-rack-rubin")
    label = "Δ rubin / orv3-rack-rubin  vs  blackwell / orv3-rack-gb200"
    assert panel.cell(label, "power kW") == f"{delta['power_w'] / 1000:+,.1f}"
    assert panel.cell("rubin / orv3-rack-rubin", "racks") == str(b.racks)
    panel.per_rack.setChecked(True)
    assert panel.table.rowCount() == len(c.types) + len(c.pairs) + 64

    # against a baseline file missing one tray: the open design shows it as added
    baseline = tmp_path / "baseline.twin.db"
    shutil.copy(hall_db, baseline)
    import sqlite3
    with sqlite3.connect(baseline) as conn:
        tray = "(SELECT id FROM parts WHERE name = 'C02-U07')"
        ports = f"(SELECT id FROM ports WHERE part_id = {tray})"
        conn.execute(f"DELETE FROM cables WHERE a_port_id IN {ports} OR b_port_id IN {ports}")
        conn.execute(f"DELETE FROM ports WHERE part_id = {tray}")
        conn.execute(f"DELETE FROM parts WHERE id = {tray}")
    panel.compare_file(baseline)
    assert "1 parts added, 0 removed" in panel.title.text()
    overlay = window.scene.overlay
    assert overlay is not None and overlay.name == "diff"
    added = np.flatnonzero(np.isfinite(overlay.values))
    assert window.design.parts.name[added].tolist() == ["C02-U07"]
    panel.compare_generations()
    assert window.scene.overlay is None


def test_findings_filters_by_severity_analysis_and_text(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    panel = window.findings
    everything = list(panel.all_findings)
    assert everything and len(panel.finding_items()) == len(everything)
    assert {f.analysis for f in everything} >= {"thermal"}
    panel.set_filters(severities=("critical",))
    assert panel.findings and all(f.severity == "critical" for f in panel.findings)
    panel.set_filters(severities=("critical", "warning", "info"), text="A06")
    assert panel.findings and all("A06" in f.subject or "A06" in f.message for f in panel.findings)
    panel.set_filters(text="", analysis="thermal")
    assert len(panel.findings) == sum(f.analysis == "thermal" for f in everything)
    panel.set_filters(analysis="supply")
    assert panel.findings == [f for f in everything if f.analysis == "supply"]
    panel.set_filters(analysis="")
    assert len(panel.findings) == len(everything)
