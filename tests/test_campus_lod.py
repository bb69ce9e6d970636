"""The site level of detail on a real two-hall build and real offscreen VTK: a far hall is a
block per row, coloured by its worst rack; coming near swaps in rack boxes, then meshes; going
far again releases them; a block answers a pick with its hall and row."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from twin.scene import CameraPose, Scene
from twin.session import ReviewSession
from twin.specs import build_design
from twin.store import load_design

SPEC = Path(__file__).parent / "specs" / "two-halls.toml"
SIZE = (640, 360)
#: A camera 140 m from the site, looking down on it: every rack under 3 pixels wide.
FAR = CameraPose((15.0, -60.0, 130.0), (15.0, 28.0, 0.0), (0.0, 0.0, 1.0), 30.0)
#: Above the north hall's south edge, looking across it; the south hall is 30-60 m behind and below.
OVER_NORTH = CameraPose((15.0, 34.0, 9.0), (15.0, 48.0, 0.0), (0.0, 0.0, 1.0), 60.0)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site-lod") / "two-halls.twin.db"
    build_design(SPEC, out)
    return load_design(out)


def hot_overlay(site, rack_name: str):
    """The real thermal overlay with one rack's parts raised to the top of the scale (a hot spot)."""
    thermal = ReviewSession(site).overlay("thermal")
    values = np.asarray(thermal.values, float).copy()
    rack = site.rack_index(rack_name)
    values[site.parts.rack == rack] = thermal.vmax
    values[(site.parts.rack >= 0) & (site.parts.rack != rack)] = thermal.vmin
    return replace(thermal, values=values, measured=None)


def block_of(scene, hall: str, row: str) -> int:
    blocks = scene.site.blocks
    hall_row = scene.design.hall_named(hall)
    return int(np.flatnonzero((blocks.hall == hall_row) & (blocks.row == row))[0])


def block_pixel(scene, block: int) -> tuple[int, int]:
    """Pixel at the middle of a block's top face."""
    blocks = scene.site.blocks
    top = np.r_[(blocks.lo[block, :2] + blocks.hi[block, :2]) / 2, blocks.hi[block, 2]]
    x, y = scene.camera.project(top)[0]
    return int(round(x)), int(round(y))


def drawn_polydata(scene) -> int:
    return sum(1 for a in scene.actors() if a.GetVisibility() and a.GetMapper() is not None)


def test_a_far_hall_is_row_blocks_in_the_colour_of_its_hottest_rack(site):
    scene = Scene(site, size=SIZE, labels=False)
    scene.camera.set_camera_pose(FAR)
    scene.lod.update()
    assert not scene.site.near.any()
    assert "boxes" not in scene.layers.names() and "detail" not in scene.layers.names()
    blocks = scene.site.blocks
    rows_per_hall = {h: set(blocks.row[blocks.hall == site.hall_named(h)]) for h in ("North", "South")}
    assert rows_per_hall == {"North": {"NA"}, "South": {"SA", "SB", "SS", "ST"}}
    # one box per row: twelve triangles each, where the racks drew twelve per rack
    block_tris = sum(c.mapper.GetInput().GetNumberOfCells() for c in scene.layers.chunks() if c.layer == "blocks")
    assert block_tris == 12 * blocks.n
    far_tris = scene.triangle_count()

    natural = scene.screenshot()
    na, sa = block_of(scene, "North", "NA"), block_of(scene, "South", "SA")
    for b in (na, sa):
        x, y = block_pixel(scene, b)
        assert natural[y, x].mean() < 110                    # dark grey, like the rack boxes it stands for

    # the hot spot is one rack of row SA: its row block turns red, the north row stays cool
    scene.set_overlay(hot_overlay(site, "SA02"))
    img = scene.screenshot()
    x, y = block_pixel(scene, sa)
    r, g, b = img[y, x].astype(int)
    assert r > 120 and r > g + 60 and r > b + 60, img[y, x]
    x, y = block_pixel(scene, na)
    r, g, b = img[y, x].astype(int)
    assert b > r + 40, img[y, x]
    assert np.array_equal(scene.colour_of(block=sa), scene.colour_of(rack=site.rack_index("SA02")))

    # coming over the north hall draws it rack by rack: more triangles, its row block gone
    scene.camera.set_camera_pose(OVER_NORTH)
    scene.lod.update()
    assert scene.site.near[site.hall_named("North")]
    assert {"boxes", "detail"} & set(scene.layers.names())
    assert na not in scene.site.far_blocks()
    assert scene.triangle_count() > far_tris


def test_coming_close_swaps_in_racks_then_meshes_and_going_far_releases_them(site):
    scene = Scene(site, size=SIZE, labels=False, hall_min_pixels=12)
    north, south = site.hall_named("North"), site.hall_named("South")
    north_racks = np.flatnonzero(site.racks.hall == north)
    scene.camera.set_camera_pose(FAR)
    scene.lod.update()
    far_actors, far_polydata = len(scene.actors()), drawn_polydata(scene)
    assert not scene.site.near.any()

    # over the north hall: its racks are boxes, the south hall (30 m and more behind) stays blocks
    scene.camera.set_camera_pose(OVER_NORTH)
    scene.lod.update()
    near = np.zeros(2, bool)
    near[north] = True
    assert scene.site.near.tolist() == near.tolist()
    box_keys = np.concatenate([c.face_key for c in scene.layers.chunks() if c.layer == "boxes"])
    boxed_racks = np.unique(box_keys[box_keys >= scene.geometry.n_parts] - scene.geometry.n_parts)
    assert set(north_racks) <= set(boxed_racks.tolist()) | set(scene.lod.detail_racks.tolist())
    assert not np.isin(boxed_racks, np.flatnonzero(site.racks.hall == south)).any()
    drawn_blocks = np.unique(np.concatenate([c.face_key for c in scene.layers.chunks() if c.layer == "blocks"]))
    assert set(scene.site.blocks.hall[drawn_blocks - scene.geometry.n_parts - scene.geometry.n_racks].tolist()) == {south}
    assert len(scene.actors()) > far_actors

    # up close to one rack: its full meshes
    scene.camera.set_view("rack:NA02")
    scene.lod.update()
    assert site.rack_index("NA02") in scene.lod.detail_racks.tolist()
    assert "detail" in scene.layers.names()
    scene.lod.set_moving(True)                                   # a move builds the stand-in boxes of the near hall
    scene.lod.set_moving(False)
    close_actors = len(scene.actors())

    # far again: the racks, meshes and trays of the north hall are gone from the renderer
    scene.camera.set_camera_pose(FAR)
    scene.lod.update()
    assert not scene.site.near.any()
    assert "boxes" not in scene.layers.names() and "detail" not in scene.layers.names()
    assert len(scene.actors()) == far_actors < close_actors
    assert drawn_polydata(scene) == far_polydata
    assert len(scene.site.cache) <= 2 + 2 * scene.site.cache.size     # the ducts' pair + the halls kept


def test_a_block_answers_a_pick_with_its_hall_and_row(site):
    scene = Scene(site, size=SIZE, labels=False)
    scene.camera.set_camera_pose(FAR)
    scene.lod.update()
    scene.render()
    for hall, row in (("North", "NA"), ("South", "SA"), ("South", "SS")):
        x, y = block_pixel(scene, block_of(scene, hall, row))
        assert scene.picking.pick_row(x, y) == (hall, row)
        assert scene.picking.pick(x, y) == -1                        # no part is drawn there, only the row
    assert scene.picking.pick_row(2, 2) is None                      # the sky
    # near, a rack answers with its part again, and no row
    scene.camera.set_camera_pose(OVER_NORTH)
    scene.lod.update()
    scene.render()
    rack = site.rack_index("NA02")
    x, y = scene.camera.project(scene.geometry.rack_centre[rack] + [0, 0, 0.5])[0]
    part = scene.picking.pick(x, y)
    assert part >= 0 and site.racks.hall[site.parts.rack[part]] == site.hall_named("North")
    assert scene.picking.pick_row(x, y) is None


def test_picking_through_the_cell_index_finds_what_testing_every_drawn_part_finds(site):
    from twin.scene.picking import display_ray, pick_ray

    scene = Scene(site, size=SIZE, labels=False, hall_min_pixels=12)
    scene.camera.set_camera_pose(OVER_NORTH)
    scene.lod.update()
    scene.render()
    hits = 0
    for x in range(0, SIZE[0], 16):
        for y in range(0, SIZE[1], 16):
            origin, direction = display_ray(scene.renderer, SIZE[1], x, y)
            every = pick_ray(scene.geometry, scene.drawn, scene.lod.detail_racks, None, origin, direction)
            block, _ = scene.site.pick(origin, direction)
            got = scene.picking.pick(x, y)
            assert got == every or (got == -1 and block >= 0)
            hits += got >= 0
    assert hits > 50                                         # the racks of the north hall fill much of the frame


def test_a_hall_name_shows_from_the_site_and_not_through_the_racks_of_a_close_up(site):
    scene = Scene(site, size=SIZE)
    names = {label.GetInput(): label for label in scene.decorations.hall_labels}
    scene.camera.set_camera_pose(FAR)
    scene.lod.update()
    assert all(label.GetVisibility() for label in names.values())
    # from inside the south hall, facing its racks: the north hall's name stands behind them
    rack = site.rack_index("SA02")
    front = scene.geometry.rack_centre[rack] + [0.0, -2.5, 0.2]
    north = np.array(names["North"].GetPositionCoordinate().GetValue())
    scene.camera.set_camera_pose(CameraPose(tuple(front), tuple(north), (0.0, 0.0, 1.0), 60.0))
    scene.lod.update()
    assert not names["North"].GetVisibility()
