"""The viewer's Findings dock and CFD field controls, with real widgets and real VTK (run under Xvfb)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)
from twin.analysis import registry
from twin.analysis.findings import SEVERITIES, summary_line
from twin.scene.field import FIELD_SUFFIXES
from twin.session import ReviewSession

SCENES = Path(__file__).resolve().parents[1] / "scenes"
AIR_FIELD = SCENES / "ai-hall-air.vti"


def expected_findings(design, ts):
    """Every registered analysis's findings at `ts`, from a session of its own."""
    return ReviewSession(design, ts).findings()


def messages(panel) -> set[str]:
    return {item.text(3) for item in panel.finding_items()}


def wait_landed(qtbot, win) -> None:
    qtbot.waitUntil(lambda: not win.viewport.flying, timeout=5000)


def test_findings_list_flies_to_the_seeded_faults(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    scene, d, panel = window.scene, window.design, window.findings
    assert window.findings_dock.isVisible()
    times = window.overlays.times
    expected = expected_findings(d, None)
    assert len(panel.finding_items()) == len(expected) >= 2
    assert panel.summary.text() == summary_line(expected) and "critical" in panel.summary.text()
    assert times[-1] in panel.time_label.text()
    ranks = [SEVERITIES.index(item.text(0)) for item in panel.finding_items()]
    assert ranks == sorted(ranks)
    rack_item = panel.item_for("A06", "critical")
    loop_item = panel.item_for("G-loop1", "critical")
    assert rack_item is not None and loop_item is not None
    assert not rack_item.icon(0).isNull()

    # double-click the A06 finding: a part of rack A06 is selected and the camera flies there
    rack = d.rack_index("A06")
    before = scene.camera.camera_pose()
    panel.list.scrollToItem(rack_item)
    centre = panel.list.visualItemRect(rack_item).center()
    # Qt 6's QTest double-click sends only the double-click event; a real one starts with a click
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert not window.selection                     # a single click only picks the row
    qtbot.mouseDClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.waitUntil(lambda: bool(window.selection), timeout=5000)
    wait_landed(qtbot, window)
    part = window.selection[0]
    assert d.parts.rack[part] == rack and scene.state.selected_mask()[part]
    assert "rack: A06" in window.properties.text() and "A06" in window.properties.title.text()
    assert window.hierarchy.current_item() is not None
    focal = np.array(scene.camera.camera_pose().focal_point)
    assert scene.camera.camera_pose() != before
    assert np.linalg.norm(focal[:2] - scene.geometry.rack_centre[rack][:2]) < 1.5, (focal, scene.geometry.rack_centre[rack])
    assert "A06" in window.statusBar().currentMessage()

    # Enter on the G-loop1 finding: selects its CDU (the finding's part) and frames the loop: CDU and racks
    finding = panel.finding(loop_item)
    panel.list.setCurrentItem(loop_item)
    panel.list.setFocus()
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.selection == [finding.part], timeout=5000)
    wait_landed(qtbot, window)
    g = scene.geometry
    framed = [finding.part] + [int(g.frame_of_rack[r]) for r in np.flatnonzero(d.racks.cooling_loop == finding.loop)]
    assert len(framed) > 2
    box = np.vstack([g.box_lo[framed], g.box_hi[framed]])
    assert np.abs(scene.camera.project_ndc(box)[:, :2]).max() <= 1.0


def test_findings_follow_the_time_slider(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    panel, overlays, d = window.findings, window.overlays, window.design
    times = overlays.times
    latest = messages(panel)
    overlays.choose("thermal")
    overlays.slider.setValue(0)
    qtbot.waitUntil(lambda: times[0] in panel.time_label.text(), timeout=5000)
    assert panel.timestamp == times[0]
    early = expected_findings(d, times[0])
    assert messages(panel) == {f.message for f in early} != latest
    assert panel.summary.text() == summary_line(early)

    # the slider drives the findings whatever colours the scene
    overlays.choose("none")
    overlays.slider.setValue(10)
    qtbot.waitUntil(lambda: times[10] in panel.time_label.text(), timeout=5000)
    assert messages(panel) == {f.message for f in expected_findings(d, times[10])}


def field_actors(scene) -> list:
    return scene.decorations.field


def slice_bounds(scene) -> tuple[float, ...]:
    slices = [a for a in field_actors(scene) if a.IsA("vtkActor") and a.GetMapper().GetScalarVisibility()]
    assert len(slices) == 1
    return slices[0].GetBounds()


def in_renderer(scene, actor) -> bool:
    props = scene.renderer.GetViewProps()
    return any(props.GetItemAsObject(i) is actor for i in range(props.GetNumberOfItems()))


def test_field_controls_load_slice_iso_clear_and_bad_file(qtbot, window, hall_db, tmp_path,  # noqa: F811
                                                          monkeypatch):
    open_and_wait(qtbot, window, hall_db)
    scene, group = window.scene, window.overlays.field
    assert not field_actors(scene) and not group.clear_button.isEnabled()

    # the button opens a file dialog filtered to field files; the chosen file is loaded
    seen = {}

    def fake_dialog(_parent, _title, _start, filters):
        seen["filter"] = filters
        return str(AIR_FIELD), ""

    monkeypatch.setattr("twin.app.field_panel.QFileDialog.getOpenFileName", fake_dialog)
    qtbot.mouseClick(group.load_button, Qt.MouseButton.LeftButton)
    assert all(f"*{s}" in seen["filter"] for s in FIELD_SUFFIXES)
    actors = field_actors(scene)
    assert actors and all(in_renderer(scene, a) for a in actors)
    assert AIR_FIELD.name in group.file_label.text() and group.clear_button.isEnabled()
    assert group.axis_name() == "z"
    z0 = group.position_value()
    lo, hi = slice_bounds(scene)[4:6]
    assert abs(lo - z0) < 0.5 and abs(hi - z0) < 0.5

    # moving the slider moves the slice
    group.set_position(2.5)
    assert abs(group.position_value() - 2.5) < 0.01
    moved = field_actors(scene)
    assert moved[0] is not actors[0] and not in_renderer(scene, actors[0])
    lo, hi = slice_bounds(scene)[4:6]
    assert abs(lo - 2.5) < 0.5 and abs(hi - 2.5) < 0.5

    # another axis: a slice across x within the field's bounds
    group.axis.setCurrentIndex(0)
    x = group.position_value()
    bounds = window.fields.field_data.GetBounds()
    assert bounds[0] < x < bounds[1]
    b = slice_bounds(scene)
    assert abs(b[0] - x) < 0.5 and abs(b[1] - x) < 0.5 and b[5] - b[4] > 2.0

    # an isosurface adds an actor
    n = len(field_actors(scene))
    group.iso.setChecked(True)
    assert len(field_actors(scene)) == n + 1
    group.iso_value.setValue(group.iso_value.minimum() + 0.5 * (group.iso_value.maximum() - group.iso_value.minimum()))
    assert len(field_actors(scene)) == n + 1
    image = scene.screenshot()
    assert image.std() > 5

    # a broken file: an error naming it, and the scene keeps the field it had
    shown = field_actors(scene)
    bad = tmp_path / "broken.vti"
    bad.write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert not window.fields.load_field(bad)
    title, message = window.errors[-1]
    assert "field" in title.lower() and str(bad) in message
    assert field_actors(scene) == shown and all(in_renderer(scene, a) for a in shown)
    assert AIR_FIELD.name in group.file_label.text()
    assert "broken.vti" in window.statusBar().currentMessage()

    # Clear removes it all
    qtbot.mouseClick(group.clear_button, Qt.MouseButton.LeftButton)
    assert not field_actors(scene) and not any(in_renderer(scene, a) for a in shown)
    assert window.fields.field_data is None and not group.clear_button.isEnabled()


@pytest.mark.parametrize("name, content", [("empty.csv", b""), ("missing.vtu", None), ("field.txt", b"1,2,3")])
def test_field_errors_name_the_file(qtbot, window, pod_db, tmp_path, name, content):  # noqa: F811
    open_and_wait(qtbot, window, pod_db)
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert not window.fields.load_field(path)
    assert str(path) in window.errors[-1][1]
    assert not field_actors(window.scene) and window.fields.field_data is None


def test_properties_show_thermal_figures_marked_measured_or_estimated(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    d, scene = window.design, window.scene
    a06 = d.rack_index("A06")
    tray = int(np.flatnonzero((d.parts.rack == a06) & (scene.geometry.kind == "compute_tray"))[0])
    window.select_parts([tray])
    text = window.properties.text()
    assert "[Thermal and cooling]" in text
    assert "inlet air: 33." in text and "(measured)" in text          # A06's inlet sensor
    cdu = int(np.flatnonzero(scene.geometry.kind == "cdu")[0])
    window.select_parts([cdu])
    assert "(estimated)" in window.properties.text()                   # no sensor on the CDU's air side


def test_load_warnings_are_listed_for_the_reviewer(qtbot, window, pod_db, tmp_path):  # noqa: F811
    import shutil
    import sqlite3

    db = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE part_types SET mesh_path = 'vendor/cad-tray.glb' WHERE name = 'gb200-compute-tray'")
    open_and_wait(qtbot, window, db)
    assert window.warnings_action.isEnabled()
    assert "warnings" in window.statusBar().currentMessage()
    window.warnings_action.trigger()
    box = window.warnings_box
    assert box.isVisible() and "vendor/cad-tray.glb" in box.text.toPlainText()
    box.close()


def test_one_time_slider_step_runs_each_analysis_once(qtbot, window, hall_db):  # noqa: F811
    """Overlay, findings and properties all look at the slider's moment through one session."""
    open_and_wait(qtbot, window, hall_db)
    session, overlays, d = window.session, window.overlays, window.design
    assert window.overlays.session is session and window.findings.session is session
    assert window.scene.state is session.view
    overlays.choose("thermal")
    tray = int(np.flatnonzero((d.parts.rack == d.rack_index("A06")) & (window.scene.geometry.kind == "compute_tray"))[0])
    window.select_parts([tray])
    assert "[Thermal and cooling]" in window.properties.text()
    before = dict(session.run_counts)
    assert before["thermal"] == 1                        # opening, overlay, findings, properties: one run
    assert set(before.values()) == {1}                   # and one of every other analysis
    times = overlays.times
    overlays.slider.setValue(7)
    qtbot.waitUntil(lambda: window.findings.timestamp == times[7], timeout=5000)
    assert window.scene.overlay.label.endswith(times[7]) and f"at: {times[7]}" in window.properties.text()
    stepped = {name: 2 if registry.get_analysis(name).uses_readings else 1 for name in before}
    assert stepped["thermal"] == 2 and session.run_counts == stepped     # once more each if it reads sensors
    overlays.choose("cooling")                           # another overlay on the same analysis: no new run
    assert window.scene.overlay.name == "cooling" and session.run_counts == stepped
