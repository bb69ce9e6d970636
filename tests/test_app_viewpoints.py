"""A saved viewpoint is a whole view state: with real widgets, a real file and real VTK (under Xvfb).

The reviewer sets an overlay and its range, a moment, a basis, a selection, hides a rack,
cuts a section and moves the camera; saves a viewpoint; the file is opened again (a fresh
session and view state); restoring the viewpoint gives the same view state, field by field,
in one `changed` event, and the same picture.
"""

from __future__ import annotations

import shutil

import numpy as np

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)


def _fields(win) -> dict:
    """Every field of the window's view state that a viewpoint keeps, as plain comparable values."""
    view, scene = win.view, win.scene
    pose = scene.camera.camera_pose()
    return {
        "selected": view.selected.tolist(),
        "filters": {k: np.flatnonzero(~m).tolist() for k, m in view.filters.items()},
        "focus": {k: np.flatnonzero(m).tolist() for k, m in view.focus.items()},
        "visible": int(view.visible.sum()),
        "xray": view.xray,
        "section": view.section,
        "highlight": (view.highlight_parts.tolist(), view.highlight_cables.tolist(),
                      np.asarray(getattr(view, "trace_path", [])).round(6).tolist()),
        "overlay": (view.overlay_name, round(view.overlay.vmin, 9), round(view.overlay.vmax, 9))
        if view.overlay is not None else None,
        "overlay_options": view.overlay_options,
        "moment": view.moment,
        "session_at": win.session.at,
        "basis": view.basis,
        "camera": tuple(np.round(np.concatenate([pose.position, pose.focal_point, pose.view_up, [pose.view_angle]]), 6)),
        "slider": win.overlays.slider.value(),
        "overlay_combo": win.overlays.current_name(),
        "basis_combo": win.overlays.basis.currentData(),
    }


def test_a_viewpoint_restored_after_reopening_gives_the_same_view_and_image(qtbot, window, pod_db, tmp_path):  # noqa: F811
    path = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, path)
    open_and_wait(qtbot, window, path)
    d, view, panel = window.design, window.view, window.overlays
    # the reviewer's view: thermal overlay at an earlier moment, its range narrowed, max basis, A03
    # selected and traced, A04 hidden, a section at 1.6 m, the camera down the aisle
    panel.basis.setCurrentIndex(1)                            # "max"
    panel.choose("thermal")
    assert len(panel.times) > 2
    panel.slider.setValue(1)
    panel._apply_time()                                        # what the slider's timer does
    view.set_overlay_range(21.0, 29.0)
    a03 = int(np.flatnonzero(d.parts.name == "A03-frame")[0])
    a04 = np.flatnonzero(d.parts.rack == d.rack_index("A04"))
    window.select_parts([a03])
    with view.hold():
        view.hide(a04)
        view.set_section("z", 1.6)
        view.highlight(np.flatnonzero(d.parts.rack == d.rack_index("A03"))[:5], [0, 1])
    window.viewport.set_view("aisle")
    qtbot.wait(50)
    before = _fields(window)
    assert before["overlay"][0] == "thermal" and before["moment"] == panel.times[1] and before["basis"] == "max"
    image_before = window.scene.screenshot()
    assert window.review.notes.save_viewpoint("review") is not None

    open_and_wait(qtbot, window, path)                         # a fresh session: nothing of the above
    assert _fields(window) != before
    events = []
    window.view.changed.connect(lambda aspects: events.append(aspects))
    notes = window.review.notes
    assert [v.name for v in notes.viewpoints] == ["review"]
    notes.views.itemActivated.emit(notes.views.item(0))        # double-click in the Notes dock
    qtbot.wait(50)
    assert len(events) == 1                                    # restored whole: one update, not a series
    after = _fields(window)
    for key in before:
        assert after[key] == before[key], key
    image_after = window.scene.screenshot()
    assert image_after.shape == image_before.shape
    close = np.abs(image_after.astype(int) - image_before.astype(int)).max(axis=2) <= 12
    assert close.mean() > 0.995, f"only {close.mean():.2%} of the pixels match"
