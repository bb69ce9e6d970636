"""Cables in the real offscreen scene: drawn along their routes, the faulty DAC red, traced, picked."""

from __future__ import annotations

import numpy as np
import pytest

from twin.analysis.routes import polylines
from twin.scene import Scene
from twin.scene.camera import CameraPose
from twin.session import ReviewSession
from twin.store import load_design

SIZE = (800, 450)
#: Above the cold aisle between rows B and C, looking down along row C to its network rack
#: (from below, a tray's floor hides the cables lying in it, as it does in a real hall).
AISLE = CameraPose((3.0, 6.9, 5.2), (7.0, 8.5, 1.8), (0.0, 0.0, 1.0), 50.0)


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


@pytest.fixture(scope="module")
def dac(hall) -> int:
    return int(np.flatnonzero(hall.cable_kind() == "dac")[0])


def _route_pixels(scene: Scene, design, row: int) -> np.ndarray:
    """Pixels along the middle of the cable's tray run (between its two risers)."""
    pts, _ = polylines(design, [row])
    ea, eb = pts[2], pts[3]
    along = ea + np.linspace(0.2, 0.8, 25)[:, None] * (eb - ea)
    px = scene.camera.project(along)
    w, h = SIZE
    return px[(px[:, 0] >= 2) & (px[:, 0] < w - 2) & (px[:, 1] >= 2) & (px[:, 1] < h - 2)]


def _patch(img: np.ndarray, xy: np.ndarray, radius: int = 2) -> np.ndarray:
    x, y = (int(round(v)) for v in xy)
    return img[y - radius:y + radius + 1, x - radius:x + radius + 1].astype(int).reshape(-1, 3)


def _red(img, xy) -> bool:
    """A clearly red pixel nearby (tubes are shaded, so judge the hue, not one RGB value)."""
    p = _patch(img, xy)
    return bool(((p[:, 0] > 90) & (p[:, 0] > 3 * p[:, 1]) & (p[:, 0] > 3 * p[:, 2])).any())


def _orange(img, xy) -> bool:
    """A clearly orange (the trace colour) pixel nearby."""
    p = _patch(img, xy)
    return bool(((p[:, 0] > 170) & (p[:, 1] > 60) & (p[:, 1] < 0.8 * p[:, 0]) & (p[:, 2] < 0.45 * p[:, 0])).any())


def test_the_over_long_dac_is_drawn_red_along_its_route(hall, dac) -> None:
    scene = Scene(hall, size=SIZE, labels=False)
    scene.set_overlay(ReviewSession(hall).overlay("cabling-findings"))
    scene.camera.set_camera_pose(AISLE)
    scene.lod.update(force=True)
    img = scene.screenshot()
    px = _route_pixels(scene, hall, dac)
    assert len(px) >= 10
    red = sum(_red(img, p) for p in px)
    assert red >= 0.6 * len(px), red
    # and the same place is not red without the overlay
    scene.set_overlay(None)
    plain = scene.screenshot()
    assert sum(_red(plain, p) for p in px) <= 0.2 * len(px)


def test_trace_lights_the_route_end_to_end_and_details_both_ends(hall, dac) -> None:
    scene = Scene(hall, size=SIZE, labels=False)            # no overlay: a trace is drawn in the trace colour
    scene.camera.set_camera_pose(AISLE)
    scene.lod.update(force=True)
    px = _route_pixels(scene, hall, dac)
    before = scene.screenshot()
    assert sum(_orange(before, p) for p in px) <= 0.2 * len(px)
    scene.state.highlight(cables=[dac])
    scene.lod.update(force=True)
    img = scene.screenshot()
    lit = sum(_orange(img, p) for p in px)
    assert lit >= 0.6 * len(px), lit
    c = hall.cables
    assert {hall.parts.rack[c.a_part[dac]], hall.parts.rack[c.b_part[dac]]} <= set(scene.lod.detail_racks.tolist())
    scene.state.clear_highlight()
    assert scene.decorations.trace is None


def test_cables_are_picked_by_their_drawn_route(hall, dac) -> None:
    scene = Scene(hall, size=SIZE, labels=False)
    scene.set_overlay(ReviewSession(hall).overlay("cabling"))
    scene.camera.set_camera_pose(AISLE)
    scene.lod.update(force=True)
    pts, _ = polylines(hall, [dac])
    # on the DAC's riser out of C02, halfway up: only its own bundle runs there
    riser = scene.camera.project(pts[0] + 0.5 * (pts[1] - pts[0]))[0]
    picked = scene.picking.pick_cable(*riser)
    assert picked >= 0
    a = hall.cable_ends()[0]
    assert np.linalg.norm(a[picked, :2] - a[dac, :2]) < 0.05         # a cable of the same port column
    assert scene.picking.pick_cable(5, 5) == -1                               # the sky has no cables


def test_isolating_a_rack_keeps_the_cables_that_leave_it(hall, dac) -> None:
    scene = Scene(hall, size=SIZE, labels=False)
    scene.set_overlay(ReviewSession(hall).overlay("cabling"))
    rack = hall.parts.rack[hall.cables.a_part[dac]]
    scene.state.set_focus("isolate", hall.parts.rack == rack)
    assert dac in set(scene.decorations.cable_rows.tolist())
    assert len(scene.decorations.cable_rows) < len(hall.cables) / 10
