"""A headless still builds only what its image can show: full rack meshes only for racks tall
enough on screen to show their trays, boxes for the rest; the image still shows what matters
(the hot rack red, a cool one not), on ai-hall and on the 2,000-rack hall.

Rack places and heights come from SQL, screen sizes from VTK's own camera (not twin's LOD code).
"""

from __future__ import annotations

import sqlite3

import numpy as np
from vtkmodules.vtkRenderingCore import vtkCoordinate

from twin.export.image import ImageRenderer, render_design
from twin.scene.options import EXPORT
from twin.session import ReviewSession
from twin.store import load_design

#: Half a pixel per rack unit of a 48U rack (twin.scene.options.EXPORT_MIN_PIXELS), written out.
MIN_PX = 24.0


def racks_from_sql(db) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Rack names, world centres (hall origin + rack x, y; half the frame height) and heights."""
    with sqlite3.connect(db) as con:
        rows = con.execute("select r.name, r.x + coalesce(h.origin_x_m, 0), r.y + coalesce(h.origin_y_m, 0), "
                           "t.height_m from racks r join part_types t on t.id = r.part_type_id "
                           "join halls h on h.id = r.hall_id order by r.id").fetchall()
    names = [r[0] for r in rows]
    height = np.array([r[3] for r in rows], float)
    centre = np.column_stack([[r[1] for r in rows], [r[2] for r in rows], height / 2])
    return names, centre, height


def apparent_px(scene, centre: np.ndarray, height: np.ndarray) -> np.ndarray:
    """On-screen size in pixels of each rack's height, seen square-on at its distance from the eye."""
    cam = scene.renderer.GetActiveCamera()
    view_h = scene.renderer.GetSize()[1]
    dist = np.linalg.norm(centre - np.array(cam.GetPosition()), axis=1)
    return height * view_h / (2 * np.tan(np.radians(cam.GetViewAngle()) / 2)) / dist


def window(scene, image: np.ndarray, point, radius: int = 1) -> np.ndarray:
    """The pixels (k, 3) within `radius` of where VTK projects a world point."""
    c = vtkCoordinate()
    c.SetCoordinateSystemToWorld()
    c.SetValue(*map(float, point))
    x, y = c.GetComputedDoubleDisplayValue(scene.renderer)
    col, row = int(round(x)), image.shape[0] - 1 - int(round(y))
    return image[row - radius:row + radius + 1, col - radius:col + radius + 1].reshape(-1, 3).astype(int)


def reds(pixels: np.ndarray) -> int:
    """How many of these pixels are a strong red (the thermal overlay's hot end)."""
    r, g, b = pixels.T
    return int(((r > 130) & (r > g + 60) & (r > b + 60)).sum())


def test_ai_hall_still_details_exactly_the_racks_tall_enough_and_looks_the_same(hall_db):
    """At 640x360 ai-hall's racks stand 18–26 px tall in the iso view: the nearer ones get full
    meshes, the farther stay boxes. The image matches the all-detail one (today's export) within
    tolerance, the hot rack A06 red in both, the cool A02 in neither."""
    design = load_design(hall_db)
    names, centre, height = racks_from_sql(hall_db)
    session = ReviewSession(design)
    image, scene = render_design(design, view="iso", size=(640, 360), overlay="thermal", session=session)
    px = apparent_px(scene, centre, height)
    detailed = set(np.asarray(design.racks.name)[scene.lod.detail_racks].tolist())
    clear_above = {n for n, p in zip(names, px) if p >= MIN_PX + 1}
    clear_below = {n for n, p in zip(names, px) if p < MIN_PX - 1}
    assert clear_above and clear_below                       # the view straddles the threshold
    assert clear_above <= detailed and not (clear_below & detailed), (sorted(clear_below & detailed))

    full = ImageRenderer(session, (640, 360), options=EXPORT.but(detail_min_pixels=0))
    reference = full.render("iso", "thermal")
    assert len(full.scene.lod.detail_racks) == len(names)      # the control: every rack in full detail
    diff = np.abs(image.astype(int) - reference.astype(int)).max(axis=2)
    assert diff.mean() < 2.0 and (diff > 48).mean() < 0.01, (diff.mean(), (diff > 48).mean())
    for picture, sc in ((image, scene), (reference, full.scene)):       # mid-height of the rack's front
        assert reds(window(sc, picture, centre[names.index("A06")])) >= 5
        assert reds(window(sc, picture, centre[names.index("A02")], 3)) == 0


def test_hall_2000_still_draws_no_full_rack_mesh_its_image_cannot_show(hall2000_db):
    """The default 1920x1080 iso still of hall-2000: every rack is under 24 px tall, so none gets
    full meshes (it drew 6.6 million triangles of them before); R3010, the seeded hot spot, shows
    red under thermal and a rack far from it does not."""
    design = load_design(hall2000_db)
    names, centre, height = racks_from_sql(hall2000_db)
    image, scene = render_design(design, view="iso", size=(1920, 1080), overlay="thermal")
    px = apparent_px(scene, centre, height)
    assert px.max() < MIN_PX, px.max()
    assert len(scene.lod.detail_racks) == 0
    assert scene.triangle_count() < 1_000_000, scene.triangle_count()
    top = np.array([0, 0, height[0] / 2])          # its top: the row in front hides most of its face
    assert reds(window(scene, image, centre[names.index("R3010")] + top, 6)) >= 10
    assert reds(window(scene, image, centre[names.index("R0101")] + top, 6)) == 0
