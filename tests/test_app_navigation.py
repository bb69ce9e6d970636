"""Navigating the 3D view with the real widgets: turntable orbit, zoom to the cursor, fly-to,
Home, orientation axes and one-step Esc (run under Xvfb)."""

from __future__ import annotations

import os

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` or under xvfb-run")

from PySide6.QtCore import QEvent, QPoint, QPointF, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent, QWheelEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.support import shown_window  # noqa: E402
from twin.app.window import MainWindow  # noqa: E402
from twin.scene.camera import inside_boxes  # noqa: E402

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


def drag(widget, start: QPoint, end: QPoint, steps: int = 12) -> None:
    """A left-button drag as Qt delivers it: press, moves with the button held, release."""
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        pos = QPointF(start + (end - start) * (i / steps))
        move = QMouseEvent(QEvent.Type.MouseMove, pos, QPointF(widget.mapToGlobal(pos)), Qt.MouseButton.NoButton,
                           Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(widget, move)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, end)


def wheel(widget, pos: QPoint, notches: float = 1.0) -> None:
    p = QPointF(pos)
    event = QWheelEvent(p, QPointF(widget.mapToGlobal(p)), QPoint(0, 0), QPoint(0, int(120 * notches)),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def screen_axes(scene) -> tuple[np.ndarray, np.ndarray]:
    """The camera's screen right and up directions in world space."""
    cam = scene.renderer.GetActiveCamera()
    m = cam.GetViewTransformMatrix()
    right = np.array([m.GetElement(0, j) for j in range(3)])
    up = np.array([m.GetElement(1, j) for j in range(3)])
    return right, up


def rack_boxes(scene) -> tuple[np.ndarray, np.ndarray]:
    frames = scene.geometry.frame_of_rack[scene.geometry.frame_of_rack >= 0]
    return scene.geometry.box_lo[frames], scene.geometry.box_hi[frames]


def test_vertical_drag_keeps_the_floor_down(qtbot, window):
    vp, scene = window.viewport, window.scene
    centre = vp.rect().center()
    before = np.array(scene.camera.camera_pose().position)
    drag(vp, centre, centre + QPoint(0, 300))
    after = np.array(scene.camera.camera_pose().position)
    assert not np.allclose(before, after, atol=1e-3), "the drag did not move the camera"
    right, up = screen_axes(scene)
    assert abs(right[2]) < 1e-6, right          # no roll: the horizon stays level
    assert up[2] > 0.0, up                       # +Z still points up the screen
    assert after[2] > 0.0                        # and the camera is above the floor
    drag(vp, centre, centre + QPoint(0, -300))   # the other way: looks down on the hall, still upright
    right, up = screen_axes(scene)
    assert abs(right[2]) < 1e-6 and up[2] > 0.0 and scene.camera.camera_pose().position[2] > 0.0
    drag(vp, centre, centre + QPoint(250, 0))    # a horizontal drag turns about the vertical axis
    assert abs(screen_axes(scene)[0][2]) < 1e-6

    window.trackball_action.trigger()            # the free trackball is still there as an option
    assert not vp.turntable
    drag(vp, centre, centre + QPoint(0, 300))
    assert abs(screen_axes(scene)[0][2]) > 1e-3 or screen_axes(scene)[1][2] <= 0.0 or \
        scene.camera.camera_pose().position[2] < 0.0


def test_wheel_zooms_toward_the_point_under_the_cursor(qtbot, window):
    vp, scene = window.viewport, window.scene
    vp.set_view("iso")
    ratio = vp.devicePixelRatioF()
    r = scene.design.rack_index("A06")
    x, y = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0.0, 0.0, 1.0]))[0]
    cursor = QPoint(int(round(x / ratio)), int(round(y / ratio)))
    assert vp.rect().contains(cursor)
    anchor = scene.picking.point_under(cursor.x() * ratio, cursor.y() * ratio)
    before = scene.camera.camera_pose()
    wheel(vp, cursor, 1)
    after = scene.camera.camera_pose()
    moved = np.array(after.position) - np.array(before.position)
    toward = anchor - np.array(before.position)
    assert np.linalg.norm(moved) > 0.01
    cos = moved @ toward / (np.linalg.norm(moved) * np.linalg.norm(toward))
    assert cos > 0.999, cos                                    # straight toward the point under the cursor
    view_dir = np.array(before.focal_point) - np.array(before.position)
    assert moved @ view_dir / (np.linalg.norm(moved) * np.linalg.norm(view_dir)) < 0.999   # not the view centre
    assert np.linalg.norm(anchor - np.array(after.position)) < np.linalg.norm(toward) * 0.9
    still = scene.camera.project(anchor[None])[0]
    assert np.allclose(still, (x, y), atol=2.5), (still, (x, y))  # the point stays under the cursor
    wheel(vp, cursor, -1)                                        # and back out
    assert np.allclose(scene.camera.camera_pose().position, before.position, atol=1e-3)


def test_fly_to_frames_the_part_from_outside_every_rack(qtbot, window):
    vp, scene, d = window.viewport, window.scene, window.design
    lo, hi = rack_boxes(scene)
    kinds = scene.geometry.kind
    picks = [int(np.flatnonzero(kinds == k)[len(np.flatnonzero(kinds == k)) // 2])
             for k in ("compute_tray", "switch_tray", "power_shelf") if (kinds == k).any()]
    picks.append(int(scene.geometry.frame_of_rack[d.rack_index("C03")]))
    for part in picks:
        window.select_parts([part])
        QTest.keyClick(vp, Qt.Key.Key_F)
        qtbot.waitUntil(lambda: not vp.flying, timeout=5000)
        pose = scene.camera.camera_pose()
        assert np.allclose(pose.focal_point, scene.geometry.centre[part], atol=1e-3)
        assert not inside_boxes(pose.position, lo, hi).any(), (d.parts.name[part], pose.position)
        # the neighbours are in view: the part does not fill the frame
        ndc = scene.camera.project_ndc(np.array([scene.geometry.box_lo[part], scene.geometry.box_hi[part]]))
        assert np.abs(ndc[:, :2]).max() < 0.9
        centre = vp.rect().center()
        for _ in range(6):                        # zooming out afterwards never walks into a rack
            wheel(vp, centre, -1)
            assert not inside_boxes(scene.camera.camera_pose().position, lo, hi).any()


def test_home_and_axes_and_esc_one_step_at_a_time(qtbot, window):
    vp, scene = window.viewport, window.scene
    assert vp.axes.GetEnabled()
    iso = scene.camera.view_pose("iso")
    drag(vp, vp.rect().center(), vp.rect().center() + QPoint(120, 40))
    QTest.keyClick(vp, Qt.Key.Key_Home)
    assert np.allclose(scene.camera.camera_pose().position, iso.position, atol=1e-3)

    n = scene.geometry.n_parts
    trays = np.flatnonzero(scene.geometry.kind == "compute_tray")
    window.select_parts([int(trays[0])])
    QTest.keyClick(vp, Qt.Key.Key_I)                               # isolate
    window.hierarchy.search.setText("C02")
    window.hierarchy.run_search()
    window.select_parts([int(np.flatnonzero(window.design.parts.rack == window.design.rack_index("C02"))[3])])
    chosen = window.selection[0]
    QTest.keyClick(vp, Qt.Key.Key_Escape)                          # 1: the selection
    assert not window.selection and window.hierarchy.search.text() == "C02"
    window.select_parts([chosen])
    window.selecting.escape()
    window.select_parts([chosen])
    QTest.keyClick(vp, Qt.Key.Key_Escape)                          # selection again
    QTest.keyClick(vp, Qt.Key.Key_Escape)                          # 2: the search
    assert window.hierarchy.search.text() == "" and "isolate" in window.view.focus
    QTest.keyClick(vp, Qt.Key.Key_Escape)                          # 3: the isolation
    assert scene.visible.sum() == n

    window.select_parts([chosen])
    window.hierarchy.search.setText("C02")
    window.hierarchy.run_search()
    window.show_all_action.trigger()                               # Show all keeps the selection
    assert scene.visible.sum() == n and window.selection == [chosen]
    item = window.hierarchy.current_item()                         # and the tree still shows it
    assert item is not None and str(window.design.parts.name[chosen]) in item.text()


def test_loading_bar_shows_stage_and_percentage(qtbot, tmp_path, hall_db):
    win = MainWindow(settings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                     report_error=lambda *_: None)
    qtbot.addWidget(win)
    win.show()
    seen: list[str] = []
    win.loader.progress.connect(lambda *_: seen.append(win.progress.text()))
    win.open_file(hall_db)
    qtbot.waitUntil(lambda: not win.loading, timeout=LOAD_TIMEOUT_MS)
    win.loader.wait()
    assert any(t.startswith("reading parts ") and t.endswith("%") for t in seen), seen
    percents = [int(t.rsplit(" ", 1)[1].rstrip("%")) for t in seen]
    assert percents == sorted(percents) and 0 <= percents[0] < percents[-1] <= 80
    assert win.scene is not None and not win.progress.isVisible()


def test_moving_frames_are_light_and_full_detail_returns_when_the_camera_stops(qtbot, window):
    """Drags, wheel steps and fly-to draw the moving level (boxes, half resolution); each
    returns to full detail when it ends. The View menu turns reduced resolution off."""
    vp, scene = window.viewport, window.scene
    vp.set_view("iso")
    frames: list[tuple[bool, int]] = []
    vp.frameRendered.connect(lambda _ms: frames.append((scene.lod.moving, scene.reduced.factor)))
    centre = vp.rect().center()

    def repeats(img: np.ndarray) -> float:
        """Share of pixel pairs that repeat: near 1 in a frame drawn at half resolution and scaled up."""
        return float((np.abs(img[:, 0:-1:2].astype(int) - img[:, 1::2]).max(axis=2) <= 2).mean())

    QTest.mousePress(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    for i in range(1, 6):
        pos = QPointF(centre + QPoint(20 * i, 0))
        QApplication.sendEvent(vp, QMouseEvent(QEvent.Type.MouseMove, pos, QPointF(vp.mapToGlobal(pos)),
                                               Qt.MouseButton.NoButton, Qt.MouseButton.LeftButton,
                                               Qt.KeyboardModifier.NoModifier))
    assert scene.lod.moving and scene.reduced.factor == 2 and (True, 2) in frames
    moving_repeats = repeats(scene.screenshot())
    assert moving_repeats > 0.9                               # what the widget shows is half resolution
    assert not any(a.GetVisibility() for a in scene.decorations.label_actors())
    QTest.mouseRelease(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre + QPoint(100, 0))
    assert not scene.lod.moving and scene.reduced.factor == 1 and frames[-1] == (False, 1)
    assert repeats(scene.screenshot()) < moving_repeats - 0.02   # full resolution again
    assert "moving" not in [c.layer for c in scene.layers.chunks() if c.actor.GetVisibility()]

    frames.clear()
    wheel(vp, centre, 1)
    assert scene.lod.moving and (True, 2) in frames                # a run of wheel steps draws light frames
    qtbot.waitUntil(lambda: not scene.lod.moving, timeout=3000)   # full detail once it pauses
    qtbot.waitUntil(lambda: frames[-1] == (False, 1), timeout=3000)

    frames.clear()
    window.select_parts([int(np.flatnonzero(scene.geometry.kind == "compute_tray")[0])])
    QTest.keyClick(vp, Qt.Key.Key_F)
    qtbot.waitUntil(lambda: not vp.flying, timeout=5000)
    assert (True, 2) in frames and frames[-1] == (False, 1) and not scene.lod.moving

    window.reduced_action.trigger()                           # View > Reduced resolution while moving: off
    assert not window.reduced_action.isChecked()
    frames.clear()
    drag(vp, centre, centre + QPoint(80, 0))
    assert (True, 1) in frames and (True, 2) not in frames and frames[-1] == (False, 1)
