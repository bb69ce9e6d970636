"""The viewer on a site of two halls (real widgets, real VTK under Xvfb): a click on a far
hall's row block flies the camera into that hall, which is then drawn rack by rack."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` (it starts Xvfb) "
                       "or under xvfb-run")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from tests.support import shown_window  # noqa: E402
from twin.scene import CameraPose  # noqa: E402
from twin.specs import build_design  # noqa: E402

SPEC = Path(__file__).parent / "specs" / "two-halls.toml"
LOAD_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def site_db(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("app-site") / "two-halls.twin.db"
    build_design(SPEC, out)
    return out


def test_clicking_a_far_halls_row_block_flies_into_that_hall(qtbot, tmp_path, site_db):
    window = shown_window(qtbot, tmp_path)
    try:
        window.open_file(site_db)
        qtbot.waitUntil(lambda: not window.loading, timeout=LOAD_TIMEOUT_MS)
        scene, viewport = window.scene, window.viewport
        # 300 m from the site: both halls are row blocks in this window
        scene.camera.set_camera_pose(CameraPose((15.0, -130.0, 260.0), (15.0, 28.0, 0.0), (0.0, 0.0, 1.0), 30.0))
        scene.lod.update()
        viewport.refresh()
        assert not scene.site.near.any()
        blocks = scene.site.blocks
        south = scene.design.hall_named("South")
        block = int(np.flatnonzero((blocks.hall == south) & (blocks.row == "SA"))[0])
        top = np.r_[(blocks.lo[block, :2] + blocks.hi[block, :2]) / 2, blocks.hi[block, 2]]
        x, y = scene.camera.project(top)[0]
        assert scene.picking.pick_row(x, y) == ("South", "SA")
        ratio = viewport.devicePixelRatioF()
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=QPoint(int(round(x / ratio)), int(round(y / ratio))))
        qtbot.waitUntil(lambda: not viewport.flying, timeout=10_000)
        goal = scene.camera.view_pose("hall:South")
        assert np.allclose(scene.camera.camera_pose().focal_point, goal.focal_point, atol=0.05)
        assert np.allclose(scene.camera.camera_pose().position, goal.position, atol=0.05)
        assert scene.site.near[south]                       # arrived: the south hall rack by rack
        assert not window.selection                          # a row block selects no part
    finally:
        window.loader.cancel()
        window.loader.wait()
