"""Image batches: a close-up reuses the full meshes its neighbours got for the image before (the
same VTK actors, not rebuilt) and still draws what a fresh scene draws; every rack image is
captioned with its rack, row, view and overlay, and the rack is outlined where it stands.

Rack boxes come from SQL, their screen places from VTK's own projection.
"""

from __future__ import annotations

import sqlite3

import numpy as np
from vtkmodules.vtkRenderingCore import vtkCoordinate

from twin.export.batch import ImageRenderer, plan_images
from twin.session import ReviewSession
from twin.store import load_design

SIZE = (640, 360)


def detail_actors(scene) -> dict[str, object]:
    """Rack name → the actor holding its full meshes, for the racks drawn in detail now."""
    d = scene.design
    out = {}
    for chunk in scene.layers.chunks():
        if chunk.layer != "detail" or not chunk.actor.GetVisibility():
            continue
        racks = np.unique(d.parts.rack[chunk.face_key])
        assert len(racks) == 1, "one rack per detail piece"
        out[str(d.racks.name[racks[0]])] = chunk.actor
    return out


def test_a_row_batch_reuses_the_near_racks_meshes_and_matches_fresh_scenes(hall_db, tmp_path):
    session = ReviewSession(load_design(hall_db))
    jobs = plan_images(session, str(tmp_path / "{rack}.png"), ["front"], ["thermal"], row="A")
    renderer = ImageRenderer(session, size=SIZE, quality="fast")
    before = None
    reused = 0
    for job in jobs[:4]:
        image = renderer.render(job.camera, job.overlay, SIZE)
        now = detail_actors(renderer.scene)
        assert now
        if before is not None:
            common = set(now) & set(before)
            assert common, (sorted(before), sorted(now))     # neighbours shared between two close-ups
            assert all(now[name] is before[name] for name in common), sorted(common)
            reused += len(common)
        before = now
    assert reused >= 3
    fresh = ImageRenderer(session, size=SIZE, quality="fast")
    reference = fresh.render(jobs[3].camera, jobs[3].overlay, SIZE)
    diff = np.abs(image.astype(int) - reference.astype(int)).max(axis=2)
    assert diff.mean() < 1.0 and (diff > 32).mean() < 0.003, (diff.mean(), (diff > 32).mean())


def rack_box_on_screen(db, scene, rack: str) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) pixel rectangle, top row 0, around a rack's box (SQL) as VTK projects it."""
    with sqlite3.connect(db) as con:
        x, y, yaw, w, dpt, h = con.execute("select r.x, r.y, coalesce(r.yaw_deg, 0), t.width_m, t.depth_m, "
                                           "t.height_m from racks r join part_types t on t.id = r.part_type_id "
                                           "where r.name = ?", (rack,)).fetchone()
    c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
    pts = []
    for dx in (-w / 2, w / 2):
        for dy in (-dpt / 2, dpt / 2):
            for z in (0.0, h):
                pts.append((x + c * dx - s * dy, y + s * dx + c * dy, z))
    coord = vtkCoordinate()
    coord.SetCoordinateSystemToWorld()
    screen = []
    for p in pts:
        coord.SetValue(*p)
        px, py = coord.GetComputedDoubleDisplayValue(scene.renderer)
        screen.append((px, SIZE[1] - 1 - py))
    xs, ys = zip(*screen)
    return min(xs), min(ys), max(xs), max(ys)


def cyan(image: np.ndarray) -> np.ndarray:
    r, g, b = (image[..., i].astype(int) for i in range(3))
    return (r < 90) & (g > 170) & (b > 190)


def test_rack_images_are_captioned_and_outline_their_rack(hall_db, tmp_path):
    session = ReviewSession(load_design(hall_db))
    renderer = ImageRenderer(session, size=SIZE, quality="fast")
    thermal = session.overlay("thermal")
    for rack, view in (("A06", "front"), ("A03", "top")):
        image = renderer.render(f"rack:{rack}:{view}", "thermal", SIZE)
        title = renderer.scene.title
        fields = [field.strip() for field in title.split("·")]
        assert f"rack {rack} (row A)" in fields and view in fields and thermal.label in title, title
        ys, xs = np.nonzero(cyan(image))
        assert len(xs) > 50, len(xs)                          # the outline is drawn...
        x0, y0, x1, y1 = rack_box_on_screen(hall_db, renderer.scene, rack)
        inside = (xs >= x0 - 4) & (xs <= x1 + 4) & (ys >= y0 - 4) & (ys <= y1 + 4)
        assert inside.mean() > 0.95, inside.mean()            # ...around that rack, not elsewhere
    # a hall view has no rack: no rack in its caption, no outline
    image = renderer.render("iso", "thermal", SIZE)
    assert "rack " not in renderer.scene.title and not cyan(image).any()
