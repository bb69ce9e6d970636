"""Selection over an overlay: the selected hot rack keeps its red and gains an outline (real VTK)."""

from __future__ import annotations

import numpy as np

from twin.scene import Scene
from twin.analysis.colouring import HIGHLIGHT
from twin.session import ReviewSession
from twin.store import load_design

SIZE = (800, 450)


def _is_red(c: np.ndarray) -> bool:
    return c[0] > 150 and c[1] < 110 and c[2] < 110


def _outline_pixels(img: np.ndarray, box: tuple[slice, slice]) -> int:
    patch = img[box].astype(int)
    cyan = np.abs(patch - np.array(HIGHLIGHT)).max(axis=2) < 40
    return int(cyan.sum())


def test_selected_hot_rack_stays_red_with_an_outline(hall_db):
    design = load_design(hall_db)
    scene = Scene(design, size=SIZE, labels=False)
    scene.set_overlay(ReviewSession(design).overlay("thermal"))
    scene.camera.set_view("top")
    r = design.rack_index("A06")
    frame = int(scene.geometry.frame_of_rack[r])
    centre = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.0]))[0].round().astype(int)
    corners = np.array([[x, y, scene.geometry.box_hi[frame, 2]] for x in (scene.geometry.box_lo[frame, 0], scene.geometry.box_hi[frame, 0])
                        for y in (scene.geometry.box_lo[frame, 1], scene.geometry.box_hi[frame, 1])])
    px = scene.camera.project(corners)
    (x0, y0), (x1, y1) = px.min(axis=0).astype(int) - 4, px.max(axis=0).astype(int) + 5
    around = (slice(max(y0, 0), y1), slice(max(x0, 0), x1))

    before = scene.screenshot()
    assert _is_red(before[centre[1], centre[0]]), before[centre[1], centre[0]]
    assert _outline_pixels(before, around) == 0

    scene.state.select([frame])
    after = scene.screenshot()
    assert _is_red(after[centre[1], centre[0]]), after[centre[1], centre[0]]      # the overlay colour stays
    assert _outline_pixels(after, around) > 20                                   # and the outline is drawn

    scene.set_overlay(None)                       # natural colours: the selection is still tinted
    centre = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.0]))[0].round().astype(int)   # framed wider
    tinted = scene.screenshot()[centre[1], centre[0]].astype(int)
    assert tinted[2] > 150 and tinted[1] > 150 and tinted[0] < 120, tinted
