"""The N-1 sweep: the vectorised sweep equals the naive loop of full scenario analyses, and
ai-hall's single points of failure are exactly those a hand check (SQL and numpy here) finds."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np

from tests.support import edited
from tests.test_export_batch import twin_cli
from tests.test_scenario import air_heat_w, heat_table, rack_links
from twin.analysis.contingency import sweep
from twin.analysis.contingency_report import naive_sweep
from twin.session import ReviewSession
from twin.store import load_design


def outcomes(path: Path, kinds: tuple[str, ...], switches: set[str] | None = None) -> tuple[list, list]:
    session = ReviewSession(load_design(path))
    power, thermal = session.result("power").detail, session.result("thermal").detail
    fast = sweep(session.design, power, thermal, kinds)
    slow = naive_sweep(session, kinds, only=switches)
    if switches is not None:
        fast = [o for o in fast if o.element in switches]
    return fast, slow


def test_the_vectorised_sweep_equals_the_naive_loop_on_ai_hall(hall_db: Path) -> None:
    fast, slow = outcomes(hall_db, ("ups", "busway", "switchboard", "cdu", "crah"))
    assert len(fast) == len(slow) > 30
    assert [o.to_dict() for o in fast] == [o.to_dict() for o in slow]
    assert any(o.lost_power for o in slow) and any(o.lost_loops for o in slow) and any(o.over_nodes for o in slow)


def test_the_vectorised_sweep_equals_the_naive_loop_where_a_switch_isolates_racks(hall_db: Path, tmp_path: Path) -> None:
    links = rack_links(hall_db)
    rack = links[0][1]
    mine = [lk for lk in links if rack in (lk[1], lk[2])]
    far = [lk[4] if lk[1] == rack else lk[3] for lk in mine]
    leaf = max(set(far), key=far.count)
    others = [str(lk[0]) for lk, f in zip(mine, far) if f != leaf]
    path = edited(hall_db, tmp_path, f"delete from cables where id in ({','.join(others)})")
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("select name from parts where id in (%s)" % ",".join(map(str, set(far))))}
    fast, slow = outcomes(path, ("switch",), switches=names)
    assert [o.to_dict() for o in fast] == [o.to_dict() for o in slow]
    assert any(o.isolated for o in slow)


# ---------------------------------------------------------------------------- the hand check
def node_table(path: Path) -> dict[str, np.ndarray]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("""select n.id, n.name, n.kind, coalesce(n.parent_id, -1), coalesce(n.capacity_w, 0),
                                      coalesce(n.redundancy_group, ''), coalesce(t.efficiency, 1.0)
                               from power_nodes n left join parts p on p.id = n.part_id
                               left join part_types t on t.id = p.part_type_id order by n.id""").fetchall()
        feeds = conn.execute("""select coalesce(p.power_node_id, -1), p.rack_id,
                                       case when p.power_w >= 0 then p.power_w else t.power_nominal_w end
                                from parts p join part_types t on t.id = p.part_type_id""").fetchall()
    cols = list(zip(*rows))
    return {"id": np.array(cols[0]), "name": np.array(cols[1], object), "kind": np.array(cols[2], object),
            "parent": np.array(cols[3]), "cap": np.array(cols[4], float), "group": np.array(cols[5], object),
            "eff": np.array(cols[6], float), "feeds": feeds}


def hand_loads(t: dict) -> dict[int, float]:
    """Each node's load: what its parts draw plus its children's input (load / efficiency)."""
    children: dict[int, list[int]] = {}
    for nid, parent in zip(t["id"].tolist(), t["parent"].tolist()):
        children.setdefault(parent, []).append(nid)
    own: dict[int, float] = {}
    for node, _rack, watts in t["feeds"]:
        own[node] = own.get(node, 0.0) + max(watts or 0.0, 0.0)
    eff = dict(zip(t["id"].tolist(), t["eff"].tolist()))
    load: dict[int, float] = {}

    def walk(n: int) -> float:
        if n not in load:
            load[n] = own.get(n, 0.0) + sum(walk(c) / (eff[c] if 0 < eff[c] <= 1 else 1.0) for c in children.get(n, []))
        return load[n]
    for n in t["id"].tolist():
        walk(n)
    return load


def subtree_racks(t: dict, node: int) -> set[int]:
    below, frontier = {node}, {node}
    while frontier:
        frontier = {int(c) for c, p in zip(t["id"], t["parent"]) if p in frontier}
        below |= frontier
    return {rack for n, rack, watts in t["feeds"] if n in below and rack is not None and (watts or 0) > 0}


def test_ai_hall_single_points_of_failure_are_those_a_hand_check_finds(hall_db: Path) -> None:
    t = node_table(hall_db)
    load = hand_loads(t)
    expected: dict[str, set[str]] = {"ups": set(), "busway": set(), "switchboard": set(), "cdu": set(), "crah": set()}
    racks_lost: dict[str, int] = {}
    for i, nid in enumerate(t["id"].tolist()):
        kind, name = t["kind"][i], str(t["name"][i])
        if kind in ("busway", "switchboard"):
            lost = subtree_racks(t, nid)
            if lost:                        # nothing carries a busway or switchboard in this design
                expected[kind].add(name)
                racks_lost[name] = len(lost)
        elif kind == "ups":
            mates = [j for j in range(len(t["id"])) if t["group"][j] == t["group"][i] and j != i and t["group"][i]]
            spare = sum(t["cap"][j] for j in mates)
            # a survivor newly over its capacity once it takes its share (by capacity) of this one's load
            if any(load[int(t["id"][j])] + load[nid] * t["cap"][j] / spare > t["cap"][j] >= load[int(t["id"][j])]
                   for j in mates):
                expected["ups"].add(name)
    h = heat_table(hall_db)
    for c in np.flatnonzero(h["kind"] == "cdu"):
        loop = h["loop"][c]
        alone = int(((h["loop"] == loop) & (h["capacity"] > 0)).sum()) == 1
        cooled = ((h["loop"] == loop) & (h["frac"] > 0) & (h["power"] > 0)).any()
        if alone and cooled:
            expected["cdu"].add(str(h["name"][c]))
    crahs = np.flatnonzero(h["kind"] == "crah")
    heat = air_heat_w(h)
    for c in crahs:
        if heat - h["power"][c] > h["capacity"][crahs].sum() - h["capacity"][c]:
            expected["crah"].add(str(h["name"][c]))
    r = twin_cli("contingency", hall_db, "--kinds", "ups,busway,switchboard,cdu,crah", "--json", "--fail-on", "critical")
    out = json.loads(r.stdout)
    assert {k: set(v) for k, v in out["single_points_of_failure"].items()} == expected
    assert r.returncode == (1 if any(expected.values()) else 0)
    by_name = {o["element"]: o for o in out["outcomes"]}
    for name, n in racks_lost.items():
        assert len(by_name[name]["racks_lose_power"]) == n
    text = twin_cli("contingency", hall_db, "--kinds", "crah,busway")        # no --fail-on: exit 0 whatever
    assert text.returncode == 0
    assert ("concurrently maintainable: every CRAH" in text.stdout) == (not expected["crah"])
    assert all(f"CRITICAL  {b}" in text.stdout for b in expected["busway"])


def test_the_report_has_a_contingency_section_naming_the_single_points_of_failure(hall_db: Path) -> None:
    from twin.export.report import report_html

    with sqlite3.connect(hall_db) as conn:
        busways = [r[0] for r in conn.execute("""select n.name from power_nodes n where n.kind = 'busway' and exists
                    (select 1 from power_nodes c join parts p on p.power_node_id = c.id or p.power_node_id = n.id
                     where (c.parent_id = n.id or c.id = n.id) and p.rack_id is not null)""")]
        crahs = conn.execute("select count(*) from parts p join part_types t on t.id = p.part_type_id "
                             "where t.kind = 'crah'").fetchone()[0]
    page = report_html(ReviewSession(load_design(hall_db)), images=[])
    section = page[page.index("<h2>N-1 contingency</h2>"):]
    section = section[:section.index("<h2>", 5)] if "<h2>" in section[5:] else section
    assert busways and all(f"<td>{b}</td>" in section for b in busways)
    assert f'<td class="num">{crahs}</td>' in section
