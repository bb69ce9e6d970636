"""Power analysis: hand-computed chains in real design files, the ai-hall faults, traces, bad input."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from twin.analysis.power import analyse_power, power_totals
from twin.session import ReviewSession
from twin.store import load_design
from twin.store.writer import write_tables

KW = 1000.0


def chain_design(path: Path, nodes: list[dict], loads: list[tuple], efficiency: dict[str, float] | None = None):
    """A design file holding only a power chain: `nodes` rows (id, name, kind, parent, capacity kW,
    group, side) and `loads` (node id, nominal kW[, max kW]): one 1U load part each, in a row
    along X. Nodes named in `efficiency` get a part of their own whose type has that efficiency."""
    efficiency = efficiency or {}
    types = {"id": [1], "name": ["load"], "kind": ["compute_tray"], "width_m": [0.5], "depth_m": [0.8],
             "height_m": [0.05], "power_nominal_w": [0.0], "power_max_w": [0.0], "efficiency": [None]}
    parts = {k: [] for k in ("id", "name", "part_type_id", "x", "y", "z", "power_w", "power_node_id")}
    node_part = {}
    for name, eff in efficiency.items():
        tid = len(types["id"]) + 1
        for key, value in zip(types, (tid, f"{name}-type", "switchboard", 1.0, 1.0, 2.0, 0.0, 0.0, eff)):
            types[key].append(value)
        pid = len(parts["id"]) + 1
        node_part[name] = pid
        for key, value in zip(parts, (pid, name, tid, -5.0 - pid, 0.0, 0.0, -1.0, -1)):
            parts[key].append(value)
    max_w = []
    for i, (node, kw, *rest) in enumerate(loads):
        pid = len(parts["id"]) + 1
        for key, value in zip(parts, (pid, f"load-{i}", 1, float(i), 2.0, 0.0, kw * KW, node)):
            parts[key].append(value)
        max_w.append((pid, (rest[0] if rest else kw) * KW))
    cols = {k: [] for k in ("id", "name", "kind", "parent_id", "part_id", "capacity_w", "voltage_v",
                            "redundancy_group", "redundancy_side")}
    for n in nodes:
        cols["id"].append(n["id"])
        cols["name"].append(n["name"])
        cols["kind"].append(n.get("kind", "panel"))
        cols["parent_id"].append(n.get("parent", -1))
        cols["part_id"].append(node_part.get(n["name"], -1))
        cols["capacity_w"].append(n["kw"] * KW if n.get("kw") is not None else None)
        cols["voltage_v"].append(415.0)
        cols["redundancy_group"].append(n.get("group"))
        cols["redundancy_side"].append(n.get("side"))
    write_tables(path, {"meta": {"key": ["design_name"], "value": ["chain"]}, "part_types": types,
                        "halls": {"id": [1], "name": ["hall"], "width_m": [20.0], "depth_m": [10.0], "height_m": [4.0]},
                        "power_nodes": cols, "parts": parts})
    # per-part maximum: one catalog type per load keeps the file honest about where max comes from
    with sqlite3.connect(path) as conn:
        for pid, watts in max_w:
            tid = conn.execute("select max(id) from part_types").fetchone()[0] + 1
            conn.execute("insert into part_types (id, name, kind, width_m, depth_m, height_m, power_nominal_w, "
                         "power_max_w) values (?, ?, 'compute_tray', 0.5, 0.8, 0.05, 0, ?)", (tid, f"load-{pid}", watts))
            conn.execute("update parts set part_type_id = ? where id = ?", (tid, pid))
    return path


def node_row(result, design, name: str) -> int:
    return int(np.flatnonzero(design.power_nodes.name == name)[0])


def codes(result) -> list[str]:
    return [f.code for f in result.findings]


# ---------------------------------------------------------------------------- hand-computed chains

def test_three_level_cascade_adds_up_with_losses(tmp_path: Path) -> None:
    # Utility → SWB (95 % efficient) → panel P1 → sub-panel P3, and SWB → P2.
    nodes = [dict(id=1, name="Utility", kind="utility", kw=100), dict(id=2, name="SWB", kind="switchboard", parent=1, kw=50),
             dict(id=3, name="P1", parent=2, kw=19), dict(id=4, name="P2", parent=2, kw=20),
             dict(id=5, name="P3", parent=3, kw=10)]
    loads = [(3, 5.0), (3, 7.0), (4, 3.0), (5, 4.0)]
    design = load_design(chain_design(tmp_path / "c.twin.db", nodes, loads, efficiency={"SWB": 0.95}))
    r = analyse_power(design)
    load = {n: r.nodes.load_w[node_row(r, design, n)] / KW for n in ("P3", "P1", "P2", "SWB", "Utility")}
    assert load["P3"] == pytest.approx(4.0)
    assert load["P1"] == pytest.approx(5 + 7 + 4)             # its own loads plus the whole sub-panel
    assert load["P2"] == pytest.approx(3.0)
    assert load["SWB"] == pytest.approx(19.0)
    assert r.nodes.input_w[node_row(r, design, "SWB")] / KW == pytest.approx(19.0 / 0.95)
    assert load["Utility"] == pytest.approx(20.0)              # the switchboard's loss is carried above it
    assert r.nodes.utilization[node_row(r, design, "P1")] == pytest.approx(16 / 19)      # above the 80 % warning
    assert power_totals(design, r)["losses_kw"] == pytest.approx(1.0)
    assert "node-over-capacity" not in codes(r)
    high = [f for f in r.findings if f.code == "node-high-load"]
    assert [f.subject for f in high] == ["P1"] and f"{16.0:,.1f} kW" in high[0].message


def ups_group(tmp_path: Path, loads_kw: tuple[float, float, float], max_factor: float = 1.0):
    nodes = [dict(id=1, name="Utility", kind="utility", kw=1000)] + [
        dict(id=2 + i, name=f"UPS-{c}", kind="ups", parent=1, kw=100, group="UPS N+1") for i, c in enumerate("ABC")]
    loads = [(2 + i, kw, kw * max_factor) for i, kw in enumerate(loads_kw)]
    return load_design(chain_design(tmp_path / "ups.twin.db", nodes, loads))


def test_n_plus_1_group_that_holds(tmp_path: Path) -> None:
    design = ups_group(tmp_path, (60.0, 60.0, 60.0))
    r = analyse_power(design)
    (group,) = r.groups
    assert group.mode == "N+1" and group.load_w == pytest.approx(180 * KW)
    assert group.surviving_w == pytest.approx(200 * KW)        # 3 × 100 kW less the largest member
    assert group.holds
    assert "redundancy-lost" not in codes(r) and "redundancy-at-max" not in codes(r)


def test_n_plus_1_group_that_fails(tmp_path: Path) -> None:
    design = ups_group(tmp_path, (80.0, 70.0, 70.0))
    r = analyse_power(design)
    lost = [f for f in r.findings if f.code == "redundancy-lost"]
    assert len(lost) == 1 and lost[0].severity == "critical"
    assert lost[0].value == pytest.approx(220.0) and lost[0].limit == pytest.approx(200.0) and lost[0].unit == "kW"
    assert "UPS N+1" == lost[0].subject and lost[0].location is not None


def test_n_plus_1_group_that_holds_only_below_max_power(tmp_path: Path) -> None:
    design = ups_group(tmp_path, (60.0, 60.0, 60.0), max_factor=1.25)     # 225 kW at max > 200 kW
    r = analyse_power(design)
    at_max = [f for f in r.findings if f.code == "redundancy-at-max"]
    assert len(at_max) == 1 and at_max[0].severity == "warning" and at_max[0].value == pytest.approx(225.0)
    assert "redundancy-lost" not in codes(r)
    assert "redundancy-lost" in codes(analyse_power(design, settings={"basis": "max"}))


def ab_pair(tmp_path: Path, kw_each: float, sides: bool = True):
    nodes = [dict(id=1, name="Utility", kind="utility", kw=1000)]
    for i, name in enumerate(("PDU-A1", "PDU-A2", "PDU-B1", "PDU-B2")):
        nodes.append(dict(id=2 + i, name=name, kind="pdu", parent=1, kw=50, group="R1 feeds",
                          side=name[4] if sides else None))
    return load_design(chain_design(tmp_path / "ab.twin.db", nodes, [(2 + i, kw_each) for i in range(4)]))


def test_a_b_pair_must_carry_the_whole_load_with_one_side_lost(tmp_path: Path) -> None:
    r = analyse_power(ab_pair(tmp_path, 30.0))                 # 120 kW; one side (2 × 50 kW) left: 100 kW
    (group,) = r.groups
    assert group.mode == "2N" and set(group.lost) in ({"PDU-A1", "PDU-A2"}, {"PDU-B1", "PDU-B2"})
    assert group.surviving_w == pytest.approx(100 * KW) and not group.holds
    assert "redundancy-lost" in codes(r)
    (tmp_path / "ok").mkdir()
    assert analyse_power(ab_pair(tmp_path / "ok", 20.0)).groups[0].holds       # 80 kW fits on one side


def test_without_sides_the_same_four_feeds_are_n_plus_1(tmp_path: Path) -> None:
    (group,) = analyse_power(ab_pair(tmp_path, 30.0, sides=False)).groups
    assert group.mode == "N+1" and group.surviving_w == pytest.approx(150 * KW) and group.holds


def test_findings_built_from_columns_equal_findings_built_one_by_one() -> None:
    from twin.analysis.findings import Finding, findings_from_columns

    made = findings_from_columns("critical", "node-over-capacity", ["a", "b"], ["X", "Y"], analysis="power", unit="kW",
                                 part=np.array([3, -1]), rack=np.array([1, 2]), value=np.array([1.5, 2.0]),
                                 location=np.array([[1, 2, 3], [4, 5, 6]]))
    assert made == [Finding("critical", "node-over-capacity", "a", part=3, rack=1, location=(1, 2, 3), value=1.5,
                            unit="kW", subject="X", analysis="power"),
                    Finding("critical", "node-over-capacity", "b", part=-1, rack=2, location=(4, 5, 6), value=2.0,
                            unit="kW", subject="Y", analysis="power")]
    assert type(made[0].part) is int and type(made[0].location[0]) is float
    with pytest.raises(ValueError):
        findings_from_columns("fatal", "x", ["a"], ["X"])


# ---------------------------------------------------------------------------- bad input

def test_bad_chains_give_findings_naming_rows_and_the_rest_still_runs(tmp_path: Path) -> None:
    nodes = [dict(id=1, name="Utility", kind="utility", kw=100), dict(id=2, name="SWB", parent=1, kw=50),
             dict(id=3, name="Loop-A", parent=4, kw=10), dict(id=4, name="Loop-B", parent=3, kw=10),
             dict(id=5, name="Blank", parent=2, kw=None)]
    path = chain_design(tmp_path / "bad.twin.db", nodes, [(2, 10.0), (3, 2.0), (5, 1.0), (2, 1.0)])
    with sqlite3.connect(path) as conn:
        conn.execute("update parts set power_node_id = 99 where name = 'load-3'")          # no such node
        conn.execute("update part_types set power_nominal_w = -500 where name = 'load'")    # negative catalog power
    design = load_design(path)
    r = analyse_power(design)
    by_code = {f.code: f for f in r.findings}
    assert "power_nodes rows id 3 → 4 → 3" in by_code["power-cycle"].message
    assert "row id 4" in by_code["part-node-missing"].message and "99" in by_code["part-node-missing"].message
    assert "power_nodes row id 5 (Blank)" in by_code["node-no-capacity"].message
    assert "power_nominal_w is -500 W" in by_code["power-negative"].message
    # the valid part of the tree still adds up: SWB carries 10 kW plus the 1 kW behind Blank
    assert r.nodes.load_w[node_row(r, design, "SWB")] == pytest.approx(11 * KW)
    assert r.nodes.load_w[node_row(r, design, "Loop-A")] + r.nodes.load_w[node_row(r, design, "Loop-B")] > 0
    assert np.isnan(r.nodes.utilization[node_row(r, design, "Blank")])


def test_files_without_the_new_columns_still_load_and_analyse(tmp_path: Path) -> None:
    nodes = [dict(id=1, name="Utility", kind="utility", kw=100), dict(id=2, name="SWB", parent=1, kw=50)]
    path = chain_design(tmp_path / "old.twin.db", nodes, [(2, 10.0)], efficiency={"SWB": 0.9})
    with sqlite3.connect(path) as conn:                 # a file written before the columns existed
        conn.execute("alter table part_types drop column efficiency")
        conn.execute("alter table power_nodes drop column redundancy_side")
    design = load_design(path)
    r = analyse_power(design)
    assert r.nodes.input_w[node_row(r, design, "SWB")] == pytest.approx(10 * KW)      # no loss known
    assert not design.warnings


# ---------------------------------------------------------------------------- the ai-hall design

@pytest.fixture(scope="module")
def hall(hall_db: Path):
    return load_design(hall_db)


@pytest.fixture(scope="module")
def hall_result(hall):
    return analyse_power(hall)


def independent_node_loads(path: Path) -> dict[str, tuple[float, float]]:
    """Node name → (delivered load, capacity), summed straight from the file with plain Python
    recursion over SQL rows: a second implementation, not the analysis's level roll-up."""
    with sqlite3.connect(path) as conn:
        nodes = conn.execute("select n.id, n.name, n.parent_id, n.capacity_w, t.efficiency from power_nodes n "
                             "left join parts p on p.id = n.part_id left join part_types t on t.id = p.part_type_id"
                             ).fetchall()
        direct = dict(conn.execute("select p.power_node_id, sum(coalesce(p.power_w, t.power_nominal_w)) from parts p "
                                   "join part_types t on t.id = p.part_type_id where p.power_node_id is not null "
                                   "group by p.power_node_id").fetchall())
    children: dict[int, list[int]] = {}
    for nid, _, parent, _, _ in nodes:
        children.setdefault(parent, []).append(nid)
    eff = {nid: (e if e else 1.0) for nid, _, _, _, e in nodes}

    def delivered(nid: int) -> float:
        return direct.get(nid, 0.0) + sum(delivered(c) / eff[c] for c in children.get(nid, []))

    return {name: (delivered(nid), cap) for nid, name, _, cap, _ in nodes}


def test_ai_hall_finds_b04_over_budget(hall, hall_result) -> None:
    over = [f for f in hall_result.findings if f.code == "rack-over-budget"]
    assert [f.subject for f in over] == ["B04"]
    # IT power only (the budget's definition): 18 GB200 trays at 1.2 × 5.8 kW, 9 NVLink 5 switch trays at
    # 0.8 kW, 2 ToR switches at 98 W = 132.676 kW; its 8 power shelves' 8 × 650 W of losses are not counted
    assert over[0].value == pytest.approx((18 * 5800 * 1.2 + 9 * 800 + 2 * 98) / 1e3, rel=1e-9)
    assert over[0].limit == pytest.approx(132.0)
    assert over[0].rack == hall.rack_index("B04") and over[0].location is not None


def test_ai_hall_every_node_over_capacity_is_found(hall_db: Path, hall_result) -> None:
    truth = independent_node_loads(hall_db)
    expected = {name for name, (load, cap) in truth.items() if cap and load > cap}
    found = {f.subject for f in hall_result.findings if f.code == "node-over-capacity"}
    assert found == expected
    assert found == {"F-busway2"}                  # the seeded node_undersized fault, and nothing else
    with sqlite3.connect(hall_db) as conn:         # installed at 480 kW, where the other busways have 1,440 kW
        caps = dict(conn.execute("select name, capacity_w from power_nodes where kind = 'busway'").fetchall())
    assert caps.pop("F-busway2") == pytest.approx(480 * KW) and set(caps.values()) == {1440 * KW}
    for f in hall_result.findings:
        if f.code == "node-over-capacity":
            assert f.value == pytest.approx(truth[f.subject][0] / KW, rel=1e-9)


def independent_groups(path: Path, truth: dict[str, tuple[float, float]]) -> dict[str, tuple[int, float, float]]:
    """Redundancy group → (members, load, capacity left with its largest member lost), from SQL rows."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select redundancy_group, name from power_nodes where redundancy_group is not null").fetchall()
    groups: dict[str, list[str]] = {}
    for group, name in rows:
        groups.setdefault(group, []).append(name)
    out = {}
    for group, names in groups.items():
        if len(names) < 2:
            continue
        caps = [truth[n][1] for n in names]
        out[group] = (len(names), sum(truth[n][0] for n in names), sum(caps) - max(caps))
    return out


def test_ai_hall_ups_groups_lose_redundancy(hall_db: Path, hall_result) -> None:
    groups = independent_groups(hall_db, independent_node_loads(hall_db))
    lost = {f.subject: f for f in hall_result.findings if f.code == "redundancy-lost"}
    assert set(lost) == {g for g, (_, load, left) in groups.items() if load > left}
    # the seeded ups_module_missing fault: SWB-2 has two modules where every other switchboard has three
    assert set(lost) == {"SWB-2 UPS N+1"}
    assert {g: n for g, (n, _, _) in groups.items()} == {f"SWB-{k} UPS N+1": 2 if k == 2 else 3 for k in range(1, 6)}
    n, load, left = groups["SWB-2 UPS N+1"]
    assert lost["SWB-2 UPS N+1"].value == pytest.approx(load / KW, rel=1e-9)
    assert lost["SWB-2 UPS N+1"].limit == pytest.approx(left / KW) == pytest.approx(1600.0)   # one 1,600 kVA module


def independent_max_loads(path: Path) -> dict[str, tuple[float, float]]:
    """independent_node_loads at maximum power: each part at its catalog maximum (nominal where the
    catalog gives none), never below its own override."""
    with sqlite3.connect(path) as conn:
        nodes = conn.execute("select n.id, n.name, n.parent_id, n.capacity_w, t.efficiency from power_nodes n "
                             "left join parts p on p.id = n.part_id left join part_types t on t.id = p.part_type_id"
                             ).fetchall()
        direct = dict(conn.execute(
            "select p.power_node_id, sum(max(case when t.power_max_w > 0 then t.power_max_w else t.power_nominal_w end, "
            "coalesce(p.power_w, 0))) from parts p join part_types t on t.id = p.part_type_id "
            "where p.power_node_id is not null group by p.power_node_id").fetchall())
    children: dict[int, list[int]] = {}
    for nid, _, parent, _, _ in nodes:
        children.setdefault(parent, []).append(nid)
    eff = {nid: (e if e else 1.0) for nid, _, _, _, e in nodes}

    def delivered(nid: int) -> float:
        return direct.get(nid, 0.0) + sum(delivered(c) / eff[c] for c in children.get(nid, []))

    return {name: (delivered(nid), cap) for nid, name, _, cap, _ in nodes}


def test_ai_hall_chain_meets_the_sizing_rules_at_maximum_but_for_its_seeded_faults(hall_db: Path) -> None:
    """Busways, UPS modules, switchboards and the utility at most 80 % at maximum power, every UPS group
    within 80 % of what is left with one module lost: all but the seeded faults (F-busway2 undersized;
    SWB-2 without its third module, whose run UPS-2B took)."""
    truth = independent_max_loads(hall_db)
    with sqlite3.connect(hall_db) as conn:
        kind = dict(conn.execute("select name, kind from power_nodes").fetchall())
    over = {n for n, (load, cap) in truth.items()
            if kind[n] in ("busway", "ups", "switchboard", "utility") and load > 0.8 * cap}
    assert over == {"F-busway2", "UPS-2B"}
    groups = independent_groups(hall_db, truth)
    assert {g for g, (_, load, left) in groups.items() if load > 0.8 * left} == {"SWB-2 UPS N+1"}
    assert len(groups) == 5


def test_ai_hall_stranded_capacity_is_one_summary(hall_db: Path, hall_result) -> None:
    """Busway spare that the chain above cannot deliver: one info finding totalling every busway,
    at the one that strands most; recomputed here from SQL loads (independent_node_loads)."""
    truth = independent_node_loads(hall_db)
    with sqlite3.connect(hall_db) as conn:
        rows = conn.execute("select id, name, parent_id, kind from power_nodes").fetchall()
    name_of = {nid: name for nid, name, _, _ in rows}
    parent = {nid: par for nid, _, par, _ in rows}

    def headroom(nid: int) -> float:
        load, cap = truth[name_of[nid]]
        return cap - load if cap and cap > 0 else float("inf")

    stranded = {}
    for nid, name, _, kind in rows:
        if kind != "busway" or not np.isfinite(headroom(nid)):
            continue
        above, up = float("inf"), parent[nid]
        while up is not None:                       # the tightest node above, walking parent ids
            above, up = min(above, headroom(up)), parent[up]
        spare = max(headroom(nid), 0.0)
        stranded[name] = spare - max(min(headroom(nid), above), 0.0)
    kept = {n: w for n, w in stranded.items() if w > 500.0}
    found = [f for f in hall_result.findings if f.code == "stranded-capacity"]
    assert len(kept) > 1 and len(found) == 1
    f = found[0]
    assert f.severity == "info" and f.unit == "kW" and f.location is not None
    assert f.subject == max(kept, key=kept.get)
    assert f.value == pytest.approx(sum(kept.values()) / KW, rel=1e-9)
    assert f.message.startswith(f"{len(kept)} busways strand ")


def test_trace_of_a_compute_tray_is_exactly_its_chain(hall, hall_result, hall_db: Path) -> None:
    tray = int(np.flatnonzero((hall.part_kind() == "compute_tray") & (hall.parts.rack == hall.rack_index("A06")))[0])
    t = hall_result.trace(hall, part=tray)
    names = [hall.power_nodes.name[i] for i in t.upstream]
    assert names == ["A06-busbar", "A06-shelves", "A-busway1", "UPS-1A", "SWB-1", "Utility"]
    with sqlite3.connect(hall_db) as conn:               # the same chain by walking parent ids in SQL
        chain, node = [], conn.execute("select power_node_id from parts where id = ?", (int(hall.parts.id[tray]),)).fetchone()[0]
        while node is not None:
            name, node = conn.execute("select name, parent_id from power_nodes where id = ?", (node,)).fetchone()
            chain.append(name)
    assert names == chain
    part_names = set(hall.parts.name[t.parts])
    kinds = hall.part_kind()[t.parts]
    assert {"A06-busbar", "UPS-1A", "SWB-1", str(hall.parts.name[tray])} <= part_names
    shelves = set(hall.parts.name[(hall.parts.rack == hall.rack_index("A06")) & (hall.part_kind() == "power_shelf")])
    assert set(hall.parts.name[t.parts][kinds == "power_shelf"]) == shelves and len(shelves) == 8
    taps = hall.parts.name[t.parts][kinds == "busway"]
    assert list(taps) == ["A06-busway-tap"]              # the busway, where it feeds this rack
    assert set(kinds) == {"compute_tray", "busbar", "power_shelf", "busway", "ups", "switchboard"}
    assert len(t.cables) == 8 and set(hall.cable_kind()[t.cables]) == {"power"}


def test_trace_of_a_rack_leads_with_its_own_nodes(hall, hall_result) -> None:
    t = hall_result.trace(hall, rack=hall.rack_index("B04"))
    assert [hall.power_nodes.name[i] for i in t.nodes] == ["B04-busbar", "B04-shelves", "B-busway1", "UPS-1C",
                                                            "SWB-1", "Utility"]
    assert set(hall.parts.rack[t.parts][hall.parts.rack[t.parts] >= 0]) == {hall.rack_index("B04")}
    assert {"UPS-1C", "SWB-1"} <= set(hall.parts.name[t.parts])


def test_trace_of_a_node_brings_its_subtree(hall, hall_result, hall_db: Path) -> None:
    ups = node_row(hall_result, hall, "UPS-1A")
    t = hall_result.trace(hall, node=ups)
    assert [hall.power_nodes.name[i] for i in t.upstream] == ["UPS-1A", "SWB-1", "Utility"]
    below = set(hall.power_nodes.name[t.nodes]) - {"UPS-1A", "SWB-1", "Utility"}
    assert "A-busway1" in below and "A06-busbar" in below and not any(n.startswith("B") for n in below)
    racks = set(hall.racks.name[np.unique(hall.parts.rack[t.parts][hall.parts.rack[t.parts] >= 0])])
    with sqlite3.connect(hall_db) as conn:          # the racks whose busway taps hang from UPS-1A's busways
        fed = {r for (r,) in conn.execute(
            "select distinct r.name from parts p join racks r on r.id = p.rack_id join power_nodes b on b.id = "
            "p.power_node_id join power_nodes u on u.id = b.parent_id where b.kind = 'busway' and u.name = 'UPS-1A'")}
    assert racks == fed == {f"A0{k}" for k in range(1, 7)}       # A-busway1: A01–A06 (six 134 kW racks at maximum)


def test_measured_basis_uses_rack_power_sensors(hall) -> None:
    session = ReviewSession(hall, settings={"power": {"basis": "measured"}})
    result = session.result("power").detail
    assert result.racks.measured.all()
    b04 = hall.rack_index("B04")
    assert result.racks.load_w[b04] < result.racks.nominal_w[b04]       # sensors read 70–95 % of nominal
    assert session.result("power").reading_ts is not None
    assert result.nodes.measured_share[node_row(result, hall, "B04-busbar")] == pytest.approx(1.0)


def test_power_overlay_bands_b04_red_among_amber(hall) -> None:
    overlay = ReviewSession(hall).overlay("power")
    assert overlay.colormap == "utilization" and (overlay.vmin, overlay.vmax) == pytest.approx((0.0, 120.0))
    frames = hall.part_kind() == "rack"
    b04 = frames & (hall.parts.rack == hall.rack_index("B04"))
    b03 = frames & (hall.parts.rack == hall.rack_index("B03"))
    assert overlay.values[b04][0] == pytest.approx((18 * 5800 * 1.2 + 9 * 800 + 2 * 98) / 132000 * 100, rel=1e-9)   # IT power / budget
    assert overlay.values[b03][0] == pytest.approx((18 * 5800 + 9 * 800 + 2 * 98) / 132000 * 100, rel=1e-9)  # amber
    busbar = hall.parts.name == "A06-busbar"                 # the rack's IT on a 3,500 A × 48 V busbar: green
    assert overlay.values[busbar][0] == pytest.approx((18 * 5800 + 9 * 800 + 2 * 98) / 168000 * 100, rel=1e-9)
