"""The scene applying a view state, rendered for real: the section clips every actor, the
highlight emphasises parts and cables and dims the rest, exports draw the state they are given."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.analysis.routes import polylines
import pytest

from twin.export.image import render_view
from twin.scene import Scene
from twin.scene.field import load_field
from twin.scene.options import EXPORT, INTERACTIVE
from twin.session import ReviewSession
from twin.store import load_design
from twin.viewstate import ViewState

SIZE = (640, 360)
AIR_FIELD = Path(__file__).resolve().parents[1] / "scenes" / "ai-hall-air.vti"


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def _planes(actor) -> list:
    planes = actor.GetMapper().GetClippingPlanes()
    if planes is None:
        return []
    return [planes.GetItem(i) for i in range(planes.GetNumberOfItems())]


def _pixel(img: np.ndarray, xy) -> np.ndarray:
    x, y = (int(round(v)) for v in np.asarray(xy).reshape(-1)[:2])
    return img[y, x].astype(int)


def _cross_rack_cable(design, first: str) -> int:
    a, b, rack = design.cables.a_part, design.cables.b_part, design.parts.rack
    ok = (a >= 0) & (b >= 0) & (rack[a] >= 0) & (rack[b] >= 0) & (rack[a] != rack[b])
    ok &= rack[np.maximum(a, 0)] == design.rack_index(first)
    return int(np.flatnonzero(ok)[0])


def test_section_clips_every_actor_and_follows_it_when_it_moves(hall):
    session = ReviewSession(hall)
    scene = Scene(hall, size=SIZE, state=session.view)
    x = float(scene.geometry.rack_centre[hall.rack_index("D04")][0])
    scene.state.set_section("x", x)
    # everything added after the section is clipped too: pipes, outline, field, cables, highlighted cables
    scene.set_overlay(session.overlay("cooling"))
    scene.state.select([int(scene.geometry.frame_of_rack[hall.rack_index("B02")])])
    scene.show_field(load_field(AIR_FIELD), "z", 1.2, iso=30.0)
    scene.state.highlight(cables=[_cross_rack_cable(hall, "A03")])
    kinds = {"pipes": scene.decorations.pipes, "outline": scene.decorations.outline,
             "trace": scene.decorations.trace}
    assert all(actor is not None for actor in kinds.values()), kinds
    assert any(a.IsA("vtkActor") for a in scene.decorations.field)
    actors = scene.actors()
    assert len(actors) > 20
    plane = scene.section
    assert all(_planes(actor) == [plane] for actor in actors)
    assert np.allclose(plane.GetOrigin(), (x, 0, 0)) and np.allclose(plane.GetNormal(), (-1, 0, 0))

    scene.set_overlay(session.overlay("cabling"))             # cables come and go under the section
    assert scene.cable_actor is not None and _planes(scene.cable_actor) == [scene.section]
    scene.state.set_section("y", 5.0, keep="+")
    moved = scene.section
    assert moved is not plane and np.allclose(moved.GetNormal(), (0, 1, 0))
    assert all(_planes(actor) == [moved] for actor in scene.actors())        # no stale plane anywhere
    scene.state.set_section(None)
    assert scene.section is None and all(_planes(actor) == [] for actor in scene.actors())


def test_section_removes_what_it_cuts_from_the_image(hall):
    scene = Scene(hall, size=SIZE, options=INTERACTIVE.but(labels=False, detail_budget=0))
    scene.camera.set_view("top")
    kept, cut = hall.rack_index("A01"), hall.rack_index("A08")
    kept_px = scene.camera.project(scene.geometry.rack_centre[kept] + [0, 0, 1.1])[0]
    cut_px = scene.camera.project(scene.geometry.rack_centre[cut] + [0, 0, 1.1])[0]
    before = scene.screenshot()
    assert _pixel(before, cut_px).mean() < 110                 # a dark rack
    x = (scene.geometry.rack_centre[kept][0] + scene.geometry.rack_centre[cut][0]) / 2
    scene.state.set_section("x", float(x))
    after = scene.screenshot()
    assert _pixel(after, kept_px).mean() < 110
    assert _pixel(after, cut_px).mean() > 150                  # gone: background shows through


def test_highlight_emphasises_parts_and_cables_and_dims_the_rest(hall):
    scene = Scene(hall, size=SIZE, options=INTERACTIVE.but(labels=False))
    scene.camera.set_view("top")
    scene.lod.update(force=True)
    a03, h06 = hall.rack_index("A03"), hall.rack_index("H06")
    a03_px = scene.camera.project(scene.geometry.rack_centre[a03] + [0, 0, 1.2])[0]
    h06_px = scene.camera.project(scene.geometry.rack_centre[h06] + [0, 0, 1.2])[0]
    plain = scene.screenshot()
    assert _pixel(plain, h06_px).mean() < 110 and _pixel(plain, a03_px).mean() < 110

    cable = _cross_rack_cable(hall, "C05")
    a, b = int(hall.cables.a_part[cable]), int(hall.cables.b_part[cable])
    scene.state.highlight(parts=scene.geometry.rack_parts(a03), cables=[cable])
    img = scene.screenshot()
    lit = _pixel(img, a03_px)
    assert lit[0] > 150 and lit[0] > lit[2] + 80, lit                     # emphasised: trace orange
    dim = _pixel(img, h06_px)
    assert dim.mean() > 150 and abs(dim[0] - dim[2]) < 30, dim            # dimmed towards the floor grey
    # the cable itself: drawn bold over the aisle between its racks
    route, _ = polylines(hall, [cable])                  # its run along the tray, from above
    mid = scene.camera.project((route[2] + route[3]) / 2)[0]
    x, y = (int(round(v)) for v in mid)
    patch = img[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).astype(int)
    assert ((patch[:, 0] > 200) & (patch[:, 2] < 90)).any(), patch
    for end in (a, b):                       # both ends stand out where the cable plugs in, among dimmed neighbours
        rack = int(hall.parts.rack[end])
        assert rack in scene.lod.detail_racks
        scene.camera.set_camera_pose(scene.camera.fly_to_pose(end))
        close = scene.screenshot()
        yaw = np.radians(scene.geometry.yaw[end])                                  # the middle of its front face
        front = scene.geometry.centre[end] + np.array([np.sin(yaw), -np.cos(yaw), 0.0]) * scene.geometry.size[end, 1] / 2
        x, y = (int(round(v)) for v in scene.camera.project(front)[0])
        patch = close[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).astype(int)     # ports are dark holes: a patch
        assert ((patch[:, 0] > 150) & (patch[:, 0] > patch[:, 2] + 80)).any(), (str(hall.parts.name[end]), patch)
    scene.camera.set_view("top")

    scene.state.clear_highlight()
    again = scene.screenshot()
    assert _pixel(again, h06_px).mean() < 110 and _pixel(again, a03_px).mean() < 110
    assert scene.decorations.trace is None


def test_highlight_keeps_hidden_cable_ends_visible_and_an_overlay_dims_too(hall):
    session = ReviewSession(hall)
    state = session.view
    scene = Scene(hall, size=SIZE, state=state, options=INTERACTIVE.but(labels=False))
    cable = _cross_rack_cable(hall, "B04")
    a, b = int(hall.cables.a_part[cable]), int(hall.cables.b_part[cable])
    state.set_filter("kinds", hall.part_kind() == "rack")           # trays and switches hidden
    assert not scene.visible[a] and not scene.visible[b]
    scene.set_overlay(session.overlay("thermal"))
    scene.state.highlight(cables=[cable])
    assert scene.visible[a] and scene.visible[b]
    scene.camera.set_view("top")
    img = scene.screenshot()
    hot = scene.colour_of(rack=hall.rack_index("H06"))
    dim = _pixel(img, scene.camera.project(scene.geometry.rack_centre[hall.rack_index("H06")] + [0, 0, 1.2])[0])
    assert dim.mean() > 150 and np.abs(dim - hot).sum() > 60                # overlay colour faded


def test_export_draws_the_view_state_it_is_given(hall):
    state = ViewState(hall)
    row_a = np.isin(hall.parts.rack, np.flatnonzero(hall.racks.row == "A"))
    state.hide(np.flatnonzero(row_a))
    image, scene = render_view(hall, (480, 270), "top", state=state, options=EXPORT.but(labels=False))
    assert image.shape == (270, 480, 3) and scene.options.multisamples == 8
    gone = _pixel(image, scene.camera.project(scene.geometry.rack_centre[hall.rack_index("A04")] + [0, 0, 1.1])[0])
    there = _pixel(image, scene.camera.project(scene.geometry.rack_centre[hall.rack_index("B04")] + [0, 0, 1.1])[0])
    assert gone.mean() > 150 and there.mean() < 110
