"""A site of several halls in one design: the spec, hall ownership, per-hall analyses, the
campus spine over routed ducts, and the hall and site views (real build, real VTK)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinError
from twin.scene import Scene
from twin.scene.views import view_names
from twin.session import ReviewSession
from twin.specs import build_design
from twin.specs.spec import load_spec
from twin.store import load_design

SPEC = Path(__file__).parent / "specs" / "two-halls.toml"
SIZE = (640, 360)


@pytest.fixture(scope="module")
def site_db(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "two-halls.twin.db"
    build_design(SPEC, out)
    return out


@pytest.fixture(scope="module")
def site(site_db):
    return load_design(site_db)


def test_each_hall_keeps_its_place_rows_and_gear(site):
    assert site.halls.name.tolist() == ["North", "South"]
    assert site.hall_origin().tolist() == [[0.0, 40.0], [0.0, 0.0]]
    north, south = site.hall_named("North"), site.hall_named("South")
    rack_hall = dict(zip(site.racks.name.tolist(), site.racks.hall.tolist()))
    assert rack_hall["NA01"] == north and rack_hall["SA01"] == south and rack_hall["SS-S1"] == south
    # every rack stands inside its own hall's room, in site coordinates
    for r in range(len(site.racks)):
        lo, hi = site.hall_box(int(site.racks.hall[r]))
        assert np.all(site.racks.position[r, :2] > lo[:2]) and np.all(site.racks.position[r, :2] < hi[:2])
    part_hall = site.part_hall()
    names = site.parts.name.astype(str)
    assert (part_hall >= 0).all()
    assert part_hall[names == "North/CRAH-1"][0] == north and part_hall[names == "South/SWB-1"][0] == south
    in_rack = site.parts.rack >= 0
    assert np.array_equal(part_hall[in_rack], site.racks.hall[site.parts.rack[in_rack]])
    # CDU loops and air loops belong to the hall they cool
    loops = site.cooling_loops
    assert sorted(loops.name[loops.medium == "air"].tolist()) == ["North air", "South air"]
    na_loop = np.flatnonzero(loops.name == "NA-loop1")[0]
    assert loops.hall[na_loop] == north


def test_site_power_has_a_substation_above_each_halls_switchboards(site):
    nodes = site.power_nodes
    names = nodes.name.astype(str).tolist()
    sub = names.index("Substation")
    feeds = [names.index("North utility feed"), names.index("South utility feed")]
    parent = np.asarray(nodes.parent).tolist()                  # row index of each node's parent, -1 none
    parent_name = {n: (names[p] if p >= 0 else None) for n, p in zip(names, parent)}
    assert nodes.kind[sub] == "utility" and all(nodes.kind[f] == "feed" for f in feeds)
    assert parent_name["Substation"] is None
    assert parent_name["North utility feed"] == parent_name["South utility feed"] == "Substation"
    assert parent_name["North/SWB-1"] == "North utility feed"
    assert parent_name["South/SWB-1"] == "South utility feed"
    assert parent_name["NA-busway"].startswith("North/UPS-") and parent_name["SB-busway"].startswith("South/UPS-")


def test_analyses_report_per_hall(site):
    session = ReviewSession(site)
    thermal = session.result("thermal").detail
    inlet = np.asarray(thermal.racks.inlet_c, float)
    north = site.racks.hall == site.hall_named("North")
    # the north hall is supplied at 24 °C, the south at 20 °C: inlets follow their own hall
    assert inlet[north].min() > inlet[~north].max()
    for name in ("power", "cabling", "supply"):
        session.result(name)              # every analysis runs on a site


def test_cross_hall_spine_fibre_routes_through_the_campus_ducts_and_is_checked(site_db, tmp_path):
    d = load_design(site_db)
    smf = np.flatnonzero(d.cable_kind() == "smf")
    assert len(smf) == 2 * 18 * 3          # every leaf (3 leaf racks × 18) sends 2 uplinks to a spine
    a_hall = d.part_hall()[d.cables.a_part[smf]]
    b_hall = d.part_hall()[d.cables.b_part[smf]]
    cross = smf[a_hall != b_hall]
    assert len(cross) == 2 * 18            # the north hall's leaves reach the spine rows in the south hall
    from twin.geometry.routing import STATUS_CODES

    routed = np.asarray(d.cables.routed_m, float)[cross]
    status = np.asarray(d.cables.route_status)[cross]
    assert (status == STATUS_CODES.index("trays")).all()
    assert routed.min() > 30.0             # up the north backbone, along the lead and duct, into the south hall
    assert (np.asarray(d.cables.length_m, float)[cross] >= routed).all()
    cabling = ReviewSession(d).result("cabling")
    assert not [f for f in cabling.findings if f.severity == "critical"]
    # move the north hall 600 m away: the same fibre no longer reaches at 800G and the check says so
    far = tmp_path / "far.toml"
    far.write_text(SPEC.read_text().replace("origin_m = [0.0, 40.0]", "origin_m = [0.0, 640.0]"))
    out = tmp_path / "far.twin.db"
    build_design(far, out)
    findings = ReviewSession(load_design(out)).result("cabling").findings
    over = [f for f in findings if f.code == "over-reach"]
    assert over and all(f.severity == "critical" for f in over)
    assert {f.unit for f in over} == {"m"} and min(f.value for f in over) > 500.0


def test_single_hall_specs_still_load_and_both_forms_are_not_allowed(tmp_path):
    spec = load_spec(Path(__file__).parents[1] / "scenes" / "ai-hall.toml")
    assert len(spec["halls"]) == 1 and spec["halls"][0]["origin_m"] == [0.0, 0.0]
    both = tmp_path / "both.toml"
    both.write_text(SPEC.read_text() + '\n[hall]\nname = "X"\nsize_m = [10.0, 10.0, 4.0]\n')
    with pytest.raises(TwinError, match="not both"):
        load_spec(both)
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.read_text().replace('spine_hall = "South"', 'spine_hall = "East"'))
    with pytest.raises(TwinError) as err:
        load_spec(bad)
    assert err.value.where == "campus.spine_hall"
    dup = tmp_path / "dup.toml"
    dup.write_text(SPEC.read_text().replace('name = "North"', 'name = "South"'))
    with pytest.raises(TwinError, match="two halls"):
        load_spec(dup)


def test_hall_and_site_views_frame_what_they_name(site):
    assert "site" in view_names() and "hall:NAME" in view_names()
    scene = Scene(site, size=SIZE, labels=False)
    scene.camera.set_view("site")
    scene.lod.update(force=True)
    img = scene.screenshot()
    pts = scene.camera.project(scene.geometry.rack_centre)
    assert ((pts >= 0) & (pts < SIZE)).all()                            # every rack of both halls is in frame
    dark = [img[int(y), int(x)].mean() < 120 for x, y in pts]
    assert np.mean(dark) > 0.8                                          # and drawn where it stands
    for hall in ("North", "South"):
        mine = site.racks.hall == site.hall_named(hall)
        site_span = np.ptp(pts[mine, 0])
        scene.camera.set_view(f"hall:{hall}")
        scene.render()
        inside = scene.camera.project(scene.geometry.rack_centre[mine])
        assert ((inside >= 0) & (inside < SIZE)).all()
        assert np.ptp(inside[:, 0]) > 1.5 * site_span                  # closer than the site view: the hall fills the frame
    with pytest.raises(ValueError, match="halls: North, South"):
        scene.camera.set_view("hall:East")


def test_each_hall_of_a_site_is_labelled_above_its_back_wall(site):
    scene = Scene(site, size=SIZE)
    labels = {label.GetInput(): label.GetPositionCoordinate().GetValue() for label in scene.decorations.labels}
    for hall in ("North", "South"):
        lo, hi = site.hall_box(site.hall_named(hall))
        x, y, z = labels[hall]
        assert lo[0] < x < hi[0] and y == pytest.approx(hi[1]) and z > hi[2]
    rows = set(scene.decorations.screen_labels.row_text) if scene.decorations.screen_labels else set(labels)
    assert {"Row NA", "Row SA", "Row SS"} <= rows
