"""Legends in exports, read back: every title and label whole, inside the window and the legend
strip, drawn where VTK says, and the design framed beside the strip, never under it."""

from __future__ import annotations

import numpy as np
import pytest

import twin
from legend_readback import check_legend, design_right_edge, legend_texts, text_boxes
from twin.analysis.overlays import Overlay
from twin.export.image import read_png, render_design, render_view
from twin.scene import Scene
from twin.scene.options import BATCH
from twin.session import ReviewSession
from twin.store import load_design


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def shown_overlays(session: ReviewSession) -> list[str]:
    return [n for n, why in session.overlay_availability().items() if why is None and n != "none"]


@pytest.mark.parametrize("size", [(1280, 720), (640, 360), (1920, 1080)])
def test_every_overlay_legend_reads_back_whole_beside_the_design(hall, size):
    session = ReviewSession(hall)
    names = shown_overlays(session)
    assert {"thermal", "power", "cabling", "cooling", "supply", "supply-country", "lead-time"} <= set(names)
    scene = Scene(hall, size=size, options=BATCH)
    for name in names:
        scene.camera.set_view("iso")
        overlay = session.overlay(name)
        scene.set_overlay(overlay)
        check_legend(scene, scene.screenshot(), overlay)
    scene.set_overlay(None)                     # no overlay: no strip, the view takes the whole window
    assert scene.camera.legend_box() is None and scene.camera.view_box() == (0, 0, *size)


def test_the_export_command_and_the_api_draw_the_same_legend(hall_db, hall, tmp_path):
    # `twin export image` (render_design): the iso view is framed after the legend took its strip
    image, scene = render_design(hall, view="iso", size=(1280, 720), overlay="thermal")
    check_legend(scene, image, scene.overlay)
    assert legend_texts(scene)[0] == "°C"
    # twin.open(...).view().save_image: the batch renderer of the API
    opened = twin.open(hall_db)
    path = opened.view(overlay="supply-country", camera="top").save_image(tmp_path / "supply.png", size=(640, 360))
    scene = opened.renderer().scene
    check_legend(scene, read_png(path), scene.overlay)


def test_a_long_category_list_wraps_into_columns_and_stays_whole(hall):
    names = tuple(f"Country of origin number {i:02d}" for i in range(40))
    values = (np.arange(len(hall.parts)) % len(names)).astype(float)
    overlay = Overlay("supply-country", "Country of origin", "", values, 0, len(names) - 1, "categorical", names)
    image, scene = render_view(hall, (640, 360), "iso", overlay, options=BATCH)
    check_legend(scene, image, overlay)
    lefts = {round(box[0]) for text, box in text_boxes(scene)[1:]}
    assert len(lefts) >= 2                      # more than one column of labels
    strip = scene.camera.legend_box()
    assert strip[2] - strip[0] < 0.5 * 640      # and still most of the window for the design


def test_a_field_legend_stacks_under_the_overlay_legend(hall, tmp_path):
    from twin.export.field import write_demo_field
    from twin.scene.field import load_field

    field = write_demo_field(hall.source, tmp_path / "field.vti")
    scene = Scene(hall, size=(1280, 720), options=BATCH)
    overlay = ReviewSession(hall).overlay("supply")
    scene.set_overlay(overlay)
    scene.show_field(load_field(field))
    texts = legend_texts(scene)
    assert texts[:3] == [overlay.label, *overlay.categories] and texts[3] == "Field °C"
    boxes = [box for _, box in text_boxes(scene)]
    assert boxes[3][1] > boxes[2][3]            # the field's title below the last category
    image = scene.screenshot()
    strip = scene.camera.legend_box()
    for text, (x0, y0, x1, y1) in text_boxes(scene):
        assert strip[0] <= x0 and x1 <= strip[2] and 0 <= y0 and y1 <= 720, text
    assert design_right_edge(scene) <= strip[0]
    scene.clear_field()
    assert legend_texts(scene) == [overlay.label, *overlay.categories]
    assert image.shape == (720, 1280, 3)


def test_the_strip_follows_a_resized_window_and_the_view_is_framed_again(hall):
    scene = Scene(hall, size=(1280, 720), options=BATCH)
    overlay = ReviewSession(hall).overlay("power")
    scene.set_overlay(overlay)
    check_legend(scene, scene.screenshot(), overlay)
    wide = scene.camera.legend_box()
    scene.render_window.SetSize(640, 360)
    check_legend(scene, scene.screenshot(), overlay)
    assert scene.camera.legend_box()[2] == 640 and scene.camera.legend_box() != wide


def test_nothing_is_picked_over_the_strip_and_projection_uses_the_3d_view(hall):
    scene = Scene(hall, size=(1280, 720), options=BATCH)
    scene.camera.set_view("top")
    rack = hall.rack_index("H06")                # the east end of the hall
    before = scene.camera.project(scene.geometry.rack_centre[rack])[0]
    scene.set_overlay(ReviewSession(hall).overlay("supply-country"))
    x0 = scene.camera.legend_box()[0]
    after = scene.camera.project(scene.geometry.rack_centre[rack])[0]
    assert after[0] < x0 and abs(after[0] - before[0]) > 1
    assert design_right_edge(scene) <= x0        # framed again in the narrower view
    assert scene.picking.pick(*after) >= 0
    assert scene.picking.pick(x0 + 20, 360) == -1 and scene.picking.pick_cable(x0 + 20, 360) == -1
    assert scene.camera.aspect() == pytest.approx(x0 / 720, abs=0.01)
    # a camera the reviewer moved stays where it is when the legend changes
    pose = scene.camera.camera_pose()
    moved = type(pose)(tuple(np.add(pose.position, (1.0, 0, 0))), pose.focal_point, pose.view_up, pose.view_angle)
    scene.camera.set_camera_pose(moved)
    scene.set_overlay(ReviewSession(hall).overlay("thermal"))
    scene.render()
    assert np.allclose(scene.camera.camera_pose().position, moved.position)


def test_the_legend_stays_whole_while_the_camera_moves(hall):
    """A moving frame draws the 3D view at reduced resolution; the strip beside it is untouched."""
    scene = Scene(hall, size=(1280, 720))
    overlay = ReviewSession(hall).overlay("thermal")
    scene.set_overlay(overlay)
    still = scene.screenshot()
    scene.lod.set_moving(True)
    assert scene.reduced.factor > 1
    check_legend(scene, scene.screenshot(), overlay)
    scene.lod.set_moving(False)
    assert (scene.screenshot() == still).all()
