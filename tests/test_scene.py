"""The VTK scene rendered for real (offscreen Mesa): layers, level of detail, picking, colours."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from twin.analysis.overlays import Overlay
from twin.scene import Scene
from twin.session import ReviewSession
from twin.store import load_design

SIZE = (640, 360)


@pytest.fixture(scope="module")
def pod(pod_db):
    return load_design(pod_db)


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def _pixel(img: np.ndarray, xy: np.ndarray) -> np.ndarray:
    x, y = (int(round(v)) for v in xy)
    return img[y, x].astype(int)


def test_scene_layers_are_batched_not_one_actor_per_part(hall):
    from twin.scene.layers import CHUNK_M

    scene = Scene(hall, size=SIZE, labels=False)
    actors = scene.renderer.GetActors().GetNumberOfItems()
    w, d, _ = hall.halls.size[0]
    cells = (int(w // CHUNK_M) + 2) * (int(d // CHUNK_M) + 2)
    layers = 7                                      # hall, grid, detail, doors, boxes, facility, ghost
    assert actors <= layers * cells                 # one actor per layer and floor cell, never per part
    assert actors * 20 < scene.geometry.n_parts == len(hall.parts)


def test_top_view_draws_each_rack_where_it_stands(hall):
    scene = Scene(hall, size=SIZE, labels=False)
    scene.camera.set_view("top")
    scene.lod.update(force=True)
    img = scene.screenshot()
    background = _pixel(img, (5, 5))
    for name in ("A01", "D08", "E01", "H06"):
        r = hall.rack_index(name)
        px = scene.camera.project(scene.geometry.rack_centre[r])[0]
        assert 0 <= px[0] < SIZE[0] and 0 <= px[1] < SIZE[1]
        colour = _pixel(img, px)
        # racks are dark (chassis) against a light floor
        assert colour.mean() < 110, (name, colour, background)
    floor = _pixel(img, scene.camera.project(np.array([20.0, 17.5, 0.0]))[0])
    assert floor.mean() > 150


def test_pick_maps_a_pixel_back_to_the_part_under_it(hall):
    scene = Scene(hall, size=SIZE, labels=False)
    scene.camera.set_view("top")
    scene.lod.update(force=True)
    r = hall.rack_index("C05")
    px = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.2]))[0]
    part = scene.picking.pick(*px)
    assert part >= 0
    assert hall.parts.rack[part] == r
    # a pixel on the empty floor picks nothing
    assert scene.picking.pick(*scene.camera.project(np.array([20.0, 17.5, 0.0]))[0]) == -1


def test_far_racks_pick_as_racks_near_racks_pick_their_parts(hall):
    scene = Scene(hall, size=SIZE, labels=False, detail_budget=0)
    scene.camera.set_view("top")
    scene.lod.update(force=True)
    assert len(scene.lod.detail_racks) == 0
    r = hall.rack_index("B02")
    px = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.2]))[0]
    assert scene.picking.pick(*px) == scene.geometry.frame_of_rack[r]
    scene.state.select([scene.geometry.frame_of_rack[r]])          # selecting draws the rack in detail
    assert r in scene.lod.detail_racks


def test_selected_rack_is_highlighted(hall):
    scene = Scene(hall, size=SIZE, labels=False)
    scene.camera.set_view("top")
    r = hall.rack_index("B03")
    scene.state.select([scene.geometry.frame_of_rack[r]])
    img = scene.screenshot()
    px = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.1]))[0]
    c = _pixel(img, px)
    assert c[2] > 150 and c[1] > 150 and c[0] < 120, c     # cyan highlight
    scene.state.select([])
    c = _pixel(scene.screenshot(), px)
    assert not (c[2] > 150 and c[1] > 150 and c[0] < 120)


def test_overlay_recolours_by_gather_and_hot_rack_is_red(hall):
    scene = Scene(hall, size=SIZE, labels=False, detail_budget=0)
    scene.camera.set_view("top")
    values = np.full(scene.geometry.n_parts, 20.0)
    hot = hall.rack_index("A06")
    values[hall.parts.rack == hot] = 44.0
    scene.set_overlay(Overlay("t", "Temperature", "°C", values, 18.0, 45.0, "thermal"))
    img = scene.screenshot()
    red = _pixel(img, scene.camera.project(scene.geometry.rack_centre[hot] + np.array([0, 0, 1.2]))[0])
    cool = _pixel(img, scene.camera.project(scene.geometry.rack_centre[hall.rack_index("A02")] + np.array([0, 0, 1.2]))[0])
    assert red[0] > 150 and red[0] > red[2] + 60, red
    assert cool[2] > cool[0], cool


def test_visibility_filters_and_isolate(hall):
    scene = Scene(hall, size=SIZE, labels=False)
    rubin = scene.geometry.parts_matching(generations=["rubin"])
    assert rubin.any() and not rubin.all()
    scene.state.set_filter("shown", rubin)
    scene.camera.set_view("top")
    img = scene.screenshot()
    gone = _pixel(img, scene.camera.project(scene.geometry.rack_centre[hall.rack_index("A01")] + np.array([0, 0, 1.1]))[0])
    assert gone.mean() > 150          # Blackwell rack hidden: floor shows through
    trays = scene.geometry.parts_matching(kinds=["compute_tray"], racks=["E02"])
    scene.state.set_focus("isolate", trays)
    assert scene.visible.sum() == trays.sum() + 1          # plus the rack frame for context
    scene.state.xray = True
    assert "ghost" in scene.layers.names()
    scene.state.show_all()
    assert scene.visible.all()


def test_section_plane_clips_and_picking_respects_it(hall):
    scene = Scene(hall, size=SIZE, labels=False)
    scene.camera.set_view("top")
    r = hall.rack_index("A03")
    px = scene.camera.project(scene.geometry.rack_centre[r] + np.array([0, 0, 1.1]))[0]
    assert scene.picking.pick(*px) >= 0
    scene.state.set_section("x", float(scene.geometry.rack_centre[r][0]) - 1.0, keep="-")
    assert scene.picking.pick(*px) == -1


def test_camera_presets_and_fly_to(hall):
    scene = Scene(hall, size=SIZE)
    for view in ("iso", "top", "front", "aisle", "rack:B02"):
        scene.camera.set_view(view)
        scene.render()
    with pytest.raises(ValueError, match="no rack called"):
        scene.camera.view_pose("rack:ZZ99")
    with pytest.raises(ValueError, match="unknown view"):
        scene.camera.view_pose("sideways")
    part = int(np.flatnonzero(hall.part_kind() == "compute_tray")[0])
    pose = scene.camera.fly_to_pose(part)
    scene.camera.set_camera_pose(pose)
    ndc = scene.camera.project_ndc(scene.geometry.centre[part][None])[0]
    assert abs(ndc[0]) < 0.05 and abs(ndc[1]) < 0.05


def test_cabling_overlay_draws_cables(pod):
    scene = Scene(pod, size=SIZE)
    scene.set_overlay(ReviewSession(pod).overlay("cabling"))
    assert scene.cable_actor is not None
    # from afar, cables that run together (same racks, same kind) are drawn as one line
    far = scene.cable_actor.GetMapper().GetInput().GetNumberOfCells()
    assert far == len(scene.decorations.cable_rows) and 0 < far < len(pod.cables) / 4
    assert set(pod.cable_kind()[scene.decorations.cable_rows]) == set(pod.cable_kind())
    # up close, every cable
    scene.camera.set_view(f"rack:{pod.racks.name[0]}")
    scene.lod.update(force=True)
    assert scene.cable_actor.GetMapper().GetInput().GetNumberOfCells() == len(pod.cables)
    scene.set_overlay(None)
    assert scene.cable_actor is None


def test_scene_and_export_do_not_import_qt():
    code = ("import sys, twin.scene, twin.export.image, twin.analysis.overlays; "
            "bad = [m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'PyQt'))]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_thermal_colours_follow_the_readings_over_time(hall_db, hall):
    """Two moments of the day: the overlay shows each rack's measured inlet at that time."""
    import sqlite3

    from twin.analysis import colouring

    with sqlite3.connect(hall_db) as conn:
        times = [r[0] for r in conn.execute("select distinct ts from readings order by ts")]
        early, late = times[8], times[60]       # 02:00 and 15:00: the daily swing apart
        def inlet(rack: str, ts: str) -> float:
            return conn.execute("select value from readings r join sensors s on s.id = r.sensor_id "
                                "where s.name = ? and r.ts = ?", (f"{rack}-inlet", ts)).fetchone()[0]
        a06 = (inlet("A06", early), inlet("A06", late))
    session = ReviewSession(hall)
    first, second = session.overlay("thermal", at=early), session.overlay("thermal", at=late)
    parts = hall.parts.rack == hall.rack_index("A06")
    assert np.allclose(first.values[parts], a06[0]) and np.allclose(second.values[parts], a06[1])
    scene = Scene(hall, size=SIZE, labels=False, detail_budget=0)
    scene.set_overlay(first)
    colour_early = scene.colour_of(rack=hall.rack_index("A06"))
    scene.set_overlay(second)
    colour_late = scene.colour_of(rack=hall.rack_index("A06"))
    expected = colouring.map_values(np.array(a06), "thermal", first.vmin, first.vmax)
    assert np.array_equal(colour_early, expected[0]) and np.array_equal(colour_late, expected[1])
    assert a06[1] > a06[0] and not np.array_equal(colour_early, colour_late)


def test_estimated_values_read_paler_than_measured(hall):
    scene = Scene(hall, size=SIZE, labels=False, detail_budget=0)
    values = np.full(scene.geometry.n_parts, 30.0)
    measured = np.zeros(scene.geometry.n_parts, bool)
    a01 = hall.rack_index("A01")
    measured[hall.parts.rack == a01] = True
    scene.set_overlay(Overlay("t", "Temperature", "°C", values, 18.0, 45.0, "thermal", measured=measured))
    solid = scene.colour_of(rack=a01).astype(int)
    pale = scene.colour_of(rack=hall.rack_index("A02")).astype(int)
    assert pale.sum() > solid.sum() + 60          # same value, estimated: lighter
    assert "estimated" in scene.title


def test_broken_or_foreign_meshes_become_placeholders_and_the_rest_loads(pod_db, shared_data, tmp_path):
    """A design pointing at real odd files: a missing one, a broken STL, a vendor STL in mm."""
    import shutil
    import sqlite3

    db = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, db)
    corpus = shared_data / "meshes" / "trimesh-models"
    (tmp_path / "vendor").mkdir()
    for name in ("empty.stl", "20mm-xyz-cube.stl"):          # meshes live beside the design file
        shutil.copy(corpus / name, tmp_path / "vendor" / name)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE part_types SET mesh_path = 'missing/tray.glb' WHERE name = 'gb200-compute-tray'")
        conn.execute("UPDATE part_types SET mesh_path = 'vendor/empty.stl' WHERE name = 'nvlink5-switch-tray'")
        conn.execute("UPDATE part_types SET mesh_path = 'vendor/20mm-xyz-cube.stl', mesh_units = 'mm' "
                     "WHERE name = 'power-shelf-33kw'")
    design = load_design(db)
    scene = Scene(design, size=SIZE)
    text = "\n".join(scene.warnings)
    assert "missing/tray.glb" in text and "empty.stl" in text
    assert "20mm-xyz-cube" not in text                       # a good mesh in mm: no warning
    shelf = int(np.flatnonzero(design.part_types.name == "power-shelf-33kw")[0])
    assert np.allclose(scene.geometry.meshes[shelf].size, design.part_types.size[shelf], atol=1e-4)   # fitted to its slot
    scene.camera.set_view("rack:A03")
    scene.lod.update(force=True)
    assert scene.screenshot().std() > 10                     # it still draws the rack
