"""The moving-camera level of detail, rendered for real (offscreen Mesa): while the camera moves
the scene draws merged boxes, no labels, at half resolution; when it stops, the very frame it
drew before the move comes back."""

from __future__ import annotations

import numpy as np
import pytest

from twin.analysis.overlays import Overlay
from twin.scene import Scene
from twin.store import load_design

SIZE = (640, 360)
#: The moving level as it was before merged boxes, hidden labels and reduced resolution.
BEFORE = dict(moving_reduction=1, moving_merged=False, moving_labels=True, moving_detail_budget=0)


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def visible_actors(scene: Scene) -> set[int]:
    return {a.GetAddressAsString("vtkObject") for a in scene.actors() if a.GetVisibility()}


def shown_labels(scene: Scene) -> list[bool]:
    return [bool(a.GetVisibility()) for a in scene.decorations.label_actors()]


def close_up(scene: Scene) -> None:
    """A rack close-up: its neighbours in full detail, rack and row names shown."""
    scene.camera.set_view("rack:A03")
    scene.lod.update(force=True)


def test_moving_draws_less_and_the_still_frame_comes_back(hall):
    scene = Scene(hall, size=SIZE)
    close_up(scene)
    still = scene.screenshot()
    triangles, actors, labels = scene.triangle_count(), visible_actors(scene), shown_labels(scene)
    assert any(labels[1:]), "a close-up names the rows and racks around it"

    scene.lod.set_moving(True)
    moving = scene.screenshot()
    assert scene.triangle_count() < triangles / 2           # boxes stand in for the full meshes
    drawn = [c for c in scene.layers.chunks() if c.actor.GetVisibility()]
    # one merged box actor, the hall, and the full meshes of the rack looked at (a close-up keeps its trays)
    assert sorted(c.layer for c in drawn) == ["hall_moving", "moving", "moving_detail"]
    kept = next(c for c in drawn if c.layer == "moving_detail")
    assert set(hall.parts.rack[kept.face_key].tolist()) == {hall.rack_index("A03")}
    assert scene.geometry.n_parts + hall.rack_index("A03") not in next(c for c in drawn if c.layer == "moving").face_key
    assert not any(shown_labels(scene))                      # no labels, no title while moving
    assert scene.reduced.factor == 2
    # half resolution, scaled up: neighbouring pixel columns repeat far more than in the still
    # frame (the still frame has fine tray detail; a scaled-up frame has none)
    def repeats(img: np.ndarray) -> float:
        return float((np.abs(img[:, 0:-1:2].astype(int) - img[:, 1::2]).max(axis=2) <= 2).mean())
    assert repeats(moving) > 0.9 and repeats(moving) > repeats(still) + 0.1, (repeats(moving), repeats(still))
    assert not np.array_equal(moving, still)

    scene.lod.set_moving(False)
    assert scene.reduced.factor == 1
    assert scene.triangle_count() == triangles
    assert visible_actors(scene) == actors
    assert shown_labels(scene) == labels
    after = scene.screenshot()
    assert np.abs(after.astype(int) - still).max() == 0     # exactly the frame before the move


def test_still_frames_do_not_depend_on_the_moving_options(hall):
    """The still frame is today's: a scene set up as before (no merged boxes, full resolution,
    labels kept) draws the same image after a move as one with the new moving level."""
    now = Scene(hall, size=SIZE)
    before = Scene(hall, size=SIZE)
    before.lod.set_moving_options(**BEFORE)
    images = []
    for scene in (now, before):
        close_up(scene)
        scene.lod.set_moving(True)
        scene.render()
        scene.lod.set_moving(False)
        images.append(scene.screenshot())
    assert np.abs(images[0].astype(int) - images[1]).max() <= 1
    with pytest.raises(TypeError, match="doors"):
        now.lod.set_moving_options(doors=True)


def test_the_hot_rack_stays_red_while_moving(hall):
    scene = Scene(hall, size=SIZE)
    values = np.full(scene.geometry.n_parts, 20.0)
    hot = hall.rack_index("A06")
    values[hall.parts.rack == hot] = 44.0
    scene.set_overlay(Overlay("t", "Temperature", "°C", values, 18.0, 45.0, "thermal"))
    scene.camera.set_view("top")
    scene.lod.update(force=True)
    scene.lod.set_moving(True)
    img = scene.screenshot()

    def pixel(rack: int) -> np.ndarray:
        x, y = scene.camera.project(scene.geometry.rack_centre[rack] + np.array([0.0, 0.0, 1.2]))[0]
        return img[int(round(y)), int(round(x))].astype(int)
    red, cool = pixel(hot), pixel(hall.rack_index("A02"))
    assert red[0] > 150 and red[0] > red[2] + 60, red       # red under the baked shading
    assert cool[2] > cool[0], cool
