"""Tests for twin.specs: generator invariants on the built scenes, seeded faults, spec errors, safe writes."""

from __future__ import annotations


import hashlib
import sqlite3
import tomllib
from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinError
from twin.model import physics
from twin.specs import build_design, load_spec
from twin.store import load_design

REPO = Path(__file__).resolve().parents[1]
POD_SPEC = REPO / "scenes" / "nvl72-pod.toml"
SCENES = ["pod_db", "hall_db"]


def _rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def designs(pod_db: Path, hall_db: Path) -> dict:
    return {"pod_db": load_design(pod_db), "hall_db": load_design(hall_db)}


@pytest.fixture(scope="module")
def hall(designs):
    return designs["hall_db"]


# ----------------------------------------------------------------------------- determinism

def test_same_spec_builds_identical_tables(hall_db: Path, tmp_path: Path) -> None:
    again = build_design(REPO / "scenes" / "ai-hall.toml", tmp_path / "again.twin.db").path
    for table in ("parts", "cables", "ports", "power_nodes", "readings"):
        first = _rows(hall_db, f"select * from {table} order by rowid")
        second = _rows(again, f"select * from {table} order by rowid")
        assert len(first) > 0
        assert first == second, table


def test_different_seed_changes_serials(tmp_path: Path) -> None:
    text = POD_SPEC.read_text().replace("seed = 7", "seed = 8")
    assert "seed = 8" in text
    spec = tmp_path / "pod8.toml"
    spec.write_text(text)
    a = build_design(POD_SPEC, tmp_path / "a.twin.db").path
    b = build_design(spec, tmp_path / "b.twin.db").path
    assert _rows(a, "select name, x, y, z from parts") == _rows(b, "select name, x, y, z from parts")
    assert _rows(a, "select serial from parts") != _rows(b, "select serial from parts")


# ----------------------------------------------------------------------------- placement

@pytest.mark.parametrize("scene", SCENES)
def test_no_two_parts_share_a_u_slot(designs, scene: str) -> None:
    d = designs[scene]
    in_u = (d.parts.rack >= 0) & (d.parts.u > 0)
    assert in_u.sum() > 0
    rack, u = d.parts.rack[in_u], d.parts.u[in_u]
    height = np.maximum(d.part_types.u_height[d.parts.type[in_u]], 1)
    assert (height == 2).any()                          # 2U parts are part of what is checked
    slot_rack = np.repeat(rack, height)
    slot = np.repeat(u, height) + (np.arange(height.sum()) - np.repeat(np.cumsum(height) - height, height))
    pairs = np.unique(np.column_stack([slot_rack, slot]), axis=0)
    assert len(pairs) == height.sum()


@pytest.mark.parametrize("scene", SCENES)
def test_u_parts_inside_rack_frame(designs, scene: str) -> None:
    d = designs[scene]
    in_u = np.flatnonzero((d.parts.rack >= 0) & (d.parts.u > 0))
    frame_type = d.racks.type[d.parts.rack[in_u]]
    frame_size = d.part_types.size[frame_type]
    size = d.part_types.size[d.parts.type[in_u]]
    z = d.parts.position[in_u, 2]
    assert (z >= 0).all()
    assert (z + size[:, 2] <= frame_size[:, 2]).all()
    # Horizontally, the part stays within its rack's footprint (racks are at yaw 0 or 180).
    offset = np.abs(d.parts.position[in_u, :2] - d.racks.position[d.parts.rack[in_u]])
    assert (offset[:, 0] + size[:, 0] / 2 <= frame_size[:, 0] / 2 + 1e-9).all()
    assert (offset[:, 1] + size[:, 1] / 2 <= frame_size[:, 1] / 2 + 1e-9).all()
    # U position and height agree: z = base + (u - 1) * pitch of the frame.
    pitch = d.part_types.u_pitch_m[frame_type]
    base = z - (d.parts.u[in_u] - 1) * pitch
    assert np.allclose(base, base[0])


@pytest.mark.parametrize("scene", SCENES)
def test_racks_inside_hall_and_apart(designs, scene: str) -> None:
    d = designs[scene]
    w, depth, _ = d.halls.size[0]
    size = d.part_types.size[d.racks.type]
    x, y = d.racks.position.T
    assert ((x - size[:, 0] / 2 >= 0) & (x + size[:, 0] / 2 <= w)).all()
    assert ((y - size[:, 1] / 2 >= 0) & (y + size[:, 1] / 2 <= depth)).all()
    for row in np.unique(d.racks.row):
        sel = np.flatnonzero(d.racks.row == row)
        order = sel[np.argsort(x[sel])]
        gaps = np.diff(x[order]) - (size[order[1:], 0] + size[order[:-1], 0]) / 2
        assert (gaps >= -1e-9).all(), row


# ----------------------------------------------------------------------------- topology

@pytest.mark.parametrize("scene", SCENES)
def test_cables_join_existing_ports_on_existing_parts(request: pytest.FixtureRequest, scene: str) -> None:
    path = request.getfixturevalue(scene)
    total, = _rows(path, "select count(*) from cables")[0]
    joined, = _rows(path, """select count(*) from cables c
                              join ports a on a.id = c.a_port_id join parts pa on pa.id = a.part_id
                              join ports b on b.id = c.b_port_id join parts pb on pb.id = b.part_id
                              where a.id != b.id and pa.id != pb.id""")[0]
    assert total > 0 and joined == total
    reused, = _rows(path, """select count(*) from (select port, count(*) n from
                               (select a_port_id port from cables union all select b_port_id from cables)
                               group by port having n > 1)""")[0]
    assert reused == 0


@pytest.mark.parametrize("scene", SCENES)
def test_cables_fit_their_length_and_reach(designs, scene: str) -> None:
    d = designs[scene]
    a, b = d.cable_ends()
    routed = np.abs(a - b).sum(axis=1)
    kinds = d.cable_kind()
    reach = np.array([physics.cable_reach_m(k, r) for k, r in zip(kinds, d.cables.rate_gbps)])
    too_long = d.cables.length_m > reach
    # The only cable beyond its reach is a seeded fault (ai-hall's C02 DAC).
    assert too_long.sum() == (1 if scene == "hall_db" else 0)
    # Every other cable is at least as long as the straight-line (Manhattan) run between its ends.
    assert (d.cables.length_m[~too_long] + 1e-9 >= routed[~too_long]).all()


@pytest.mark.parametrize("scene", SCENES)
def test_every_powered_part_is_fed(designs, scene: str) -> None:
    d = designs[scene]
    draws = d.part_types.power_nominal_w[d.parts.type] > 0
    assert draws.sum() > 0
    assert (d.parts.power_node[draws] >= 0).all()
    kinds = d.part_kind()
    feeder = d.power_nodes.kind[d.parts.power_node]
    assert set(feeder[np.isin(kinds, ["compute_tray", "switch_tray"])]) == {"busbar"}
    assert set(feeder[kinds == "power_shelf"]) == {"busway"}


@pytest.mark.parametrize("scene", SCENES)
def test_power_tree_one_root_no_cycles(designs, scene: str) -> None:
    nodes = designs[scene].power_nodes
    roots = np.flatnonzero(nodes.parent < 0)
    assert len(roots) == 1
    assert nodes.kind[roots[0]] == "utility"
    cur = np.arange(len(nodes))
    for _ in range(len(nodes)):
        cur = np.where(cur >= 0, nodes.parent[np.maximum(cur, 0)], -1)
    assert (cur == -1).all(), "some node never reaches the root: a cycle"


@pytest.mark.parametrize("scene", SCENES)
def test_shelf_groups_are_n_plus_one(designs, scene: str) -> None:
    d = designs[scene]
    kinds = d.part_kind()
    groups = np.flatnonzero(d.power_nodes.kind == "power_shelf_group")
    assert len(groups) > 0
    for g in groups:
        rack = d.rack_index(d.power_nodes.name[g].removesuffix("-shelves"))
        shelves = np.flatnonzero((d.parts.rack == rack) & (kinds == "power_shelf"))
        cap = d.part_types.power_capacity_w[d.parts.type[shelves]]
        assert d.power_nodes.capacity_w[g] == pytest.approx(cap.sum() - cap.max())
        busbar = np.flatnonzero(d.power_nodes.parent == g)
        assert len(busbar) == 1 and d.power_nodes.kind[busbar[0]] == "busbar"
        assert d.part_kind()[d.power_nodes.part[busbar[0]]] == "busbar"


@pytest.mark.parametrize("scene", SCENES)
def test_liquid_parts_have_a_liquid_loop(designs, scene: str) -> None:
    d = designs[scene]
    mode = d.part_types.cooling_mode[d.parts.type]
    wet = np.flatnonzero(np.isin(mode, ["liquid", "hybrid"]))
    assert len(wet) > 0
    loop = d.parts.cooling_loop[wet]
    assert (loop >= 0).all()
    assert set(d.cooling_loops.medium[loop]) == {"liquid"}
    assert (loop == d.racks.cooling_loop[d.parts.rack[wet]]).all()
    assert (d.cooling_loops.name == "Hall air").sum() == 1
    cdus = np.flatnonzero(d.part_kind() == "cdu")
    liquid = np.flatnonzero(d.cooling_loops.medium == "liquid")
    assert sorted(d.parts.cooling_loop[cdus]) == sorted(liquid)


# ----------------------------------------------------------------------------- seeded faults (ai-hall)

def test_fault_rack_over_budget(hall) -> None:
    power = hall.rack_power_w()
    budget = hall.racks.power_budget_w
    b04 = hall.rack_index("B04")
    assert power[b04] > budget[b04]
    blackwell = hall.generations.name[hall.racks.generation] == "blackwell"
    others = blackwell & (np.arange(len(hall.racks)) != b04)
    assert others.sum() >= 30
    assert (power[others] <= budget[others]).all()
    assert (power <= budget).sum() == len(hall.racks) - 1


def test_fault_dac_too_long(hall) -> None:
    kinds = hall.cable_kind()
    reach = np.array([physics.cable_reach_m("dac", r) for r in hall.cables.rate_gbps])
    bad = np.flatnonzero((kinds == "dac") & (hall.cables.length_m > reach))
    assert len(bad) == 1
    rack = hall.parts.rack[hall.cables.a_part[bad[0]]]
    assert hall.racks.name[rack] == "C02"
    assert hall.cables.rate_gbps[bad[0]] >= 800


def _liquid_heat_per_loop(d) -> np.ndarray:
    lf = d.part_types.liquid_fraction[d.parts.type]
    loop = np.where(d.parts.rack >= 0, d.racks.cooling_loop[np.maximum(d.parts.rack, 0)], -1)
    inside = loop >= 0
    return np.bincount(loop[inside], weights=(d.part_power_w() * lf)[inside], minlength=len(d.cooling_loops))


def test_fault_cdu_over_capacity(hall) -> None:
    heat = _liquid_heat_per_loop(hall)
    cdus = np.flatnonzero(hall.part_kind() == "cdu")
    assert len(cdus) == 8
    over = []
    for cdu in cdus:
        loop = hall.parts.cooling_loop[cdu]
        capacity = hall.part_types.cooling_capacity_w[hall.parts.type[cdu]]
        assert hall.cooling_loops.capacity_w[loop] == capacity
        assert heat[loop] > 0
        if capacity < heat[loop]:
            over.append(hall.parts.name[cdu])
    assert over == ["G-CDU1"]


def test_fault_hot_spot(hall_db: Path) -> None:
    inlet = dict(_rows(hall_db, """select r.name, avg(x.value) from readings x join sensors s on s.id = x.sensor_id
                                    join racks r on r.id = s.rack_id where s.kind = 'inlet_temp' group by r.id"""))
    assert len(inlet) == 64
    assert inlet.pop("A06") > physics.ASHRAE_ALLOWABLE_C["A1"][1]
    assert max(inlet.values()) < physics.ASHRAE_RECOMMENDED_C[1]


def test_pod_has_no_faults(designs, pod_db: Path) -> None:
    pod = designs["pod_db"]
    assert (pod.rack_power_w() <= pod.racks.power_budget_w).all()
    heat = _liquid_heat_per_loop(pod)
    assert (heat <= pod.cooling_loops.capacity_w).all()
    hottest, = _rows(pod_db, "select max(value) from readings x join sensors s on s.id = x.sensor_id "
                             "where s.kind = 'inlet_temp'")[0]
    assert hottest < physics.ASHRAE_RECOMMENDED_C[1]


# ----------------------------------------------------------------------------- counts and catalog

def test_hall2000_counts(hall2000_db: Path) -> None:
    count = lambda t: _rows(hall2000_db, f"select count(*) from {t}")[0][0]  # noqa: E731
    assert 1900 <= count("racks") <= 2100
    assert 75_000 <= count("parts") <= 85_000
    assert 280_000 <= count("cables") <= 320_000
    # a day at 15-minute steps for every sensor (3 per rack, 3 per liquid loop), 1 % lost at random
    sensors, racks, loops = count("sensors"), count("racks"), count("cooling_loops where medium = 'liquid'")
    assert sensors == 3 * racks + 3 * loops
    assert 0.975 * sensors * 96 <= count("readings") <= sensors * 96
    taken, = _rows(hall2000_db, "select count(*) from (select rack_id, u_position from parts "
                                "where u_position is not null group by rack_id, u_position having count(*) > 1)")[0]
    assert taken == 0


def test_ai_hall_counts(hall, hall_db: Path) -> None:
    assert 64 <= len(hall.racks) <= 128
    assert sorted(hall.generations.name) == ["blackwell", "rubin"]
    assert set(hall.racks.generation) == {0, 1}
    per_sensor = _rows(hall_db, "select s.id, count(x.sensor_id) from sensors s left join readings x "
                                "on x.sensor_id = s.id group by s.id")
    assert len(per_sensor) == len(hall.sensors) > 0
    # 96 steps a day; the spec loses 1 % of readings at random and names a sensor that dies
    # after 60 % of the day (57 readings at most)
    tel = tomllib.loads((REPO / "scenes" / "ai-hall.toml").read_text())["telemetry"]
    names = dict(_rows(hall_db, "select id, name from sensors"))
    dead = {i: n for i, n in per_sensor if names[i] == tel["dead_sensor"]}
    assert len(dead) == 1 and 50 <= next(iter(dead.values())) <= int(96 * 0.6)
    rest = [n for i, n in per_sensor if i not in dead]
    assert max(rest) == 96 and min(rest) >= 90
    lost = 1 - sum(rest) / (96 * len(rest))
    assert 0.002 < lost < 0.025, lost                       # about gap_share = 0.01


def test_catalog_supply_data(hall) -> None:
    t = hall.part_types
    assert len(t) >= 20
    for i in range(len(t)):
        assert t.vendor[i] and t.country_of_origin[i], t.name[i]
        assert t.supplier[i] >= 0, t.name[i]
        assert t.lead_time_days[i] > 0 and t.unit_cost_usd[i] > 0, t.name[i]
    domestic = hall.suppliers.domestic[t.supplier].astype(bool)
    assert domestic.any() and (~domestic).any()
    assert set(hall.suppliers.country[t.supplier[domestic]]) == {"US"}
    assert "US" not in set(t.country_of_origin[~domestic])


# ----------------------------------------------------------------------------- spec errors

def _bad_spec(tmp_path: Path, old: str, new: str, name: str = "bad.toml") -> Path:
    text = POD_SPEC.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1))
    return path


def _spec_error(path: Path) -> str:
    with pytest.raises(TwinError) as info:
        build_design(path, path.with_suffix(".twin.db"))
    message = str(info.value)
    assert message.startswith(str(path) + ": ")
    assert not path.with_suffix(".twin.db").exists()
    return message


def test_unmodified_pod_spec_loads() -> None:
    """The control: the spec the error tests edit is valid as it stands."""
    spec = load_spec(POD_SPEC)
    assert spec["rows"][0]["racks"] == 8


SPEC_EDITS = [
    # (what the author got wrong, line as written, line as edited, fragments the error must name)
    ("unknown key", "crah_count = 3", "colour = 1\ncrah_count = 3", ["hall.colour", "unknown key"]),
    ("wrong type", "racks = 8", 'racks = "eight"', ["rows[0].racks", "eight"]),
    ("boolean is not a number", "racks = 8", "racks = true", ["rows[0].racks"]),
    ("missing required key", 'cdu = "cdu-inrow-1350"\n', "", ["rows[0].cdu", "missing"]),
    ("reference to nothing", 'generation = "blackwell"\nracks', 'generation = "hopper"\nracks',
     ["rows[0].generation", "'hopper'"]),
    ("unknown part type", 'cdu = "cdu-inrow-1350"', 'cdu = "cdu-9000"', ["rows[0].cdu", "cdu-9000"]),
    ("invalid TOML", "racks = 8", "racks = = 8", ["TOML"]),
    ("row outside the hall", "origin_m = [4.0, 5.0]", "origin_m = [15.0, 5.0]", ["rows[0]", "does not fit", "hall"]),
]


@pytest.mark.parametrize("old,new,fragments", [case[1:] for case in SPEC_EDITS], ids=[c[0] for c in SPEC_EDITS])
def test_spec_mistakes_name_the_file_and_the_key(tmp_path: Path, old: str, new: str, fragments: list[str]) -> None:
    message = _spec_error(_bad_spec(tmp_path, old, new))
    for fragment in fragments:
        assert fragment in message, message


def test_fault_on_missing_rack(tmp_path: Path) -> None:
    path = tmp_path / "fault.toml"
    path.write_text(POD_SPEC.read_text() + '\n[[faults]]\nkind = "rack_over_budget"\nrack = "Z99"\n')
    message = _spec_error(path)
    assert "faults[0].rack" in message and "Z99" in message


def test_unknown_fault_kind(tmp_path: Path) -> None:
    path = tmp_path / "fault.toml"
    path.write_text(POD_SPEC.read_text() + '\n[[faults]]\nkind = "meteor"\nrack = "A01"\n')
    assert "faults[0].kind" in _spec_error(path)


def test_missing_spec_file(tmp_path: Path) -> None:
    assert "no such file" in _spec_error(tmp_path / "absent.toml")


# ----------------------------------------------------------------------------- safe writes

def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failed_builds_leave_nothing_behind(tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    bad = _bad_spec(tmp_path, "racks = 8", "racks = 0")
    with pytest.raises(TwinError):
        build_design(bad, out_dir / "a.twin.db")
    late = tmp_path / "late.toml"             # fails during generation, after validation
    late.write_text(POD_SPEC.read_text() + '\n[[faults]]\nkind = "hot_spot"\nrack = "Q01"\n')
    with pytest.raises(TwinError):
        build_design(late, out_dir / "b.twin.db")
    assert list(out_dir.iterdir()) == []
    blocked = out_dir / "c.twin.db"           # fails at the final rename: the target is a folder
    blocked.mkdir()
    with pytest.raises((TwinError, OSError)):
        build_design(POD_SPEC, blocked)
    assert [p.name for p in out_dir.iterdir()] == ["c.twin.db"]
    assert list(blocked.iterdir()) == []


def test_failed_rebuild_keeps_good_file(tmp_path: Path) -> None:
    out = tmp_path / "pod.twin.db"
    build_design(POD_SPEC, out)
    before = _digest(out)
    bad = _bad_spec(tmp_path, "origin_m = [4.0, 5.0]", "origin_m = [15.0, 5.0]")
    with pytest.raises(TwinError):
        build_design(bad, out)
    assert _digest(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert len(load_design(out).racks) == 9


def test_rebuild_keeps_review_notes_and_repins_them_by_part_name(tmp_path) -> None:
    spec = tmp_path / "pod.toml"
    spec.write_text(POD_SPEC.read_text())
    out = tmp_path / "pod.twin.db"
    build_design(spec, out)
    with sqlite3.connect(out) as conn:
        conn.execute("INSERT INTO reviews (id, name, status, created) VALUES (1, 'Gen1 DR', 'open', '2026-11-20')")
        for note_id, part in ((1, "A03-U07"), (2, "A08-U07")):
            pid, = conn.execute("SELECT id FROM parts WHERE name = ?", (part,)).fetchone()
            conn.execute("INSERT INTO notes (id, review_id, part_id, author, text, status, created) "
                         "VALUES (?, 1, ?, 'thermal', ?, 'open', '2026-11-20')", (note_id, pid, f"check {part}"))
        conn.execute("INSERT INTO viewpoints (id, name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle) "
                     "VALUES (1, 'row A front', 1, 2, 3, 4, 5, 6, 0, 0, 1, 30)")
    spec.write_text(spec.read_text().replace("racks = 8", "racks = 6"))      # A07 and A08 go away
    summary = build_design(spec, out)
    assert summary.carried_reviews == 4
    assert len(summary.warnings) == 1 and "A08-U07" in summary.warnings[0]
    with sqlite3.connect(out) as conn:
        notes = dict(conn.execute("SELECT n.text, p.name FROM notes n LEFT JOIN parts p ON p.id = n.part_id"))
        assert notes == {"check A03-U07": "A03-U07", "check A08-U07": None}
        x, y, z = conn.execute("SELECT x, y, z FROM notes WHERE id = 2").fetchone()
        assert None not in (x, y, z)                   # kept where the part stood
        assert conn.execute("SELECT name FROM viewpoints").fetchall() == [("row A front",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_build_refuses_to_overwrite_a_file_that_is_not_a_design(tmp_path) -> None:
    precious = tmp_path / "notes.twin.db"
    precious.write_text("my notes, not a design")
    with pytest.raises(TwinError, match="not overwriting"):
        build_design(POD_SPEC, precious)
    assert precious.read_text() == "my notes, not a design"
