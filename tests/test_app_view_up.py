"""Orbiting to straight down with the real widgets under Xvfb: no VTK "Resetting view-up"
warnings (the orientation axes reset their camera each frame and warn when the view up is
within 2.6 degrees of the view direction)."""

from __future__ import annotations

import os

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` or under xvfb-run")

from PySide6.QtCore import QPoint  # noqa: E402
from vtkmodules.vtkCommonCore import vtkOutputWindow, vtkStringOutputWindow  # noqa: E402

from tests.support import shown_window  # noqa: E402
from tests.test_app_navigation import drag  # noqa: E402


@pytest.fixture
def window(qtbot, tmp_path, pod_db):
    win = shown_window(qtbot, tmp_path)
    win.open_file(pod_db)
    qtbot.waitUntil(lambda: not win.loading, timeout=30_000)
    assert win.scene is not None, win.errors
    yield win
    win.loader.cancel()
    win.loader.wait()


@pytest.fixture
def vtk_messages():
    """What VTK warns while the test runs, as text (VTK's own output window, swapped in and back)."""
    old = vtkOutputWindow.GetInstance()
    caught = vtkStringOutputWindow()
    vtkOutputWindow.SetInstance(caught)
    try:
        yield caught
    finally:
        vtkOutputWindow.SetInstance(old)


def test_orbiting_to_straight_down_warns_nothing(qtbot, window, vtk_messages):
    vp, scene = window.viewport, window.scene
    centre = vp.rect().center()
    drag(vp, centre, centre + QPoint(0, 500), steps=20)           # far past the zenith
    pose = scene.camera.camera_pose()
    offset = np.subtract(pose.position, pose.focal_point)
    assert offset[2] / np.linalg.norm(offset) > 0.99                # looking (almost) straight down
    drag(vp, centre, centre + QPoint(250, 0), steps=10)            # and turning there
    window.viewport.set_view("top")
    drag(vp, centre, centre + QPoint(0, 200), steps=10)
    assert "Resetting view-up" not in vtk_messages.GetOutput()
