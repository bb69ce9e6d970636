"""Every analysis under a scenario: power moves or is lost by redundancy, a CDU failure heats its
loop's parts, a CRAH failure with and without a spare, a leaf-switch failure isolates its racks.

Each expectation is computed here from the design's own tables (plain SQL and numpy) or written
out by hand, never by asking twin what it expects."""

from __future__ import annotations

import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from tests.support import edited
from tests.test_power import KW, chain_design
from twin.analysis.scenario import effect_of
from twin.errors import TwinError
from twin.model.scenario import Change, Scenario, failure
from twin.session import ReviewSession
from twin.store import load_design

# air: ΔT = P / (ρ · cp · V̇), DESIGN.md §4, written out here
RHO, CP, CFM_M3S = 1.2, 1005.0, 0.000471947


def node_load_kw(session: ReviewSession, name: str) -> float:
    r = session.result("power").detail
    row = int(np.flatnonzero(session.design.power_nodes.name == name)[0])
    return float(r.nodes.load_w[row]) / KW


def critical(session: ReviewSession, code: str) -> list:
    return [f for f in session.findings() if f.code == code and f.severity == "critical"]


# ---------------------------------------------------------------------------- power
def two_n(tmp_path: Path, kw_each: float) -> ReviewSession:
    nodes = [dict(id=1, name="Utility", kind="utility", kw=1000),
             dict(id=2, name="PDU-A", kind="pdu", parent=1, kw=100, group="R1 feeds", side="A"),
             dict(id=3, name="PDU-B", kind="pdu", parent=1, kw=100, group="R1 feeds", side="B")]
    return ReviewSession(load_design(chain_design(tmp_path / "2n.twin.db", nodes, [(2, kw_each), (3, kw_each)])))


def test_2n_side_b_takes_side_a_and_at_101_percent_it_is_critical(tmp_path: Path) -> None:
    session = two_n(tmp_path, 50.5)
    assert not critical(session, "node-over-capacity")              # 50.5 kW of 100 each
    session.set_scenario(failure("PDU-A"))
    assert node_load_kw(session, "PDU-B") == pytest.approx(50.5 + 50.5)
    assert node_load_kw(session, "PDU-A") == pytest.approx(0.0)
    (over,) = critical(session, "node-over-capacity")
    assert over.subject == "PDU-B" and "101.0%" in over.message
    assert not critical(session, "power-lost")                        # nothing lost: side B carries it
    (tmp_path / "ok").mkdir()
    fits = two_n(tmp_path / "ok", 49.5)
    fits.set_scenario(failure("PDU-A"))
    assert node_load_kw(fits, "PDU-B") == pytest.approx(99.0) and not critical(fits, "node-over-capacity")


def ups_group(tmp_path: Path, kw: float) -> ReviewSession:
    nodes = [dict(id=1, name="Utility", kind="utility", kw=1000)] + [
        dict(id=2 + i, name=f"UPS-{c}", kind="ups", parent=1, kw=100, group="UPS N+1") for i, c in enumerate("ABC")]
    return ReviewSession(load_design(chain_design(tmp_path / "ups.twin.db", nodes, [(2 + i, kw) for i in range(3)])))


def test_an_n_plus_1_group_shares_a_failed_member_among_its_survivors(tmp_path: Path) -> None:
    session = ups_group(tmp_path, 60.0)
    session.set_scenario(failure("UPS-A"))
    share = 60.0 + 60.0 * 100 / (100 + 100)               # its own 60 kW and half of UPS-A's, by capacity
    assert node_load_kw(session, "UPS-B") == pytest.approx(share)
    assert node_load_kw(session, "UPS-C") == pytest.approx(share)
    assert node_load_kw(session, "Utility") == pytest.approx(180.0)      # nothing lost on the way
    assert not critical(session, "node-over-capacity") and not critical(session, "redundancy-lost")
    assert [f.subject for f in session.findings() if f.code == "redundancy-spent"] == ["UPS N+1"]
    (tmp_path / "tight").mkdir()
    tight = ups_group(tmp_path / "tight", 70.0)              # 70 + 35 = 105 kW on each 100 kW survivor
    tight.set_scenario(failure("UPS-A"))
    assert sorted(f.subject for f in critical(tight, "node-over-capacity")) == ["UPS-B", "UPS-C"]


def test_a_node_nobody_carries_takes_its_loads_down(tmp_path: Path) -> None:
    nodes = [dict(id=1, name="Utility", kind="utility", kw=1000), dict(id=2, name="P1", parent=1, kw=50),
             dict(id=3, name="P2", parent=1, kw=50), dict(id=4, name="P1a", parent=2, kw=20)]
    session = ReviewSession(load_design(chain_design(tmp_path / "c.twin.db", nodes, [(2, 5.0), (4, 7.0), (3, 3.0)])))
    session.set_scenario(failure("P1"))
    (lost,) = critical(session, "power-lost")
    assert lost.subject == "P1" and lost.value == pytest.approx(5.0 + 7.0)
    assert node_load_kw(session, "Utility") == pytest.approx(3.0)
    with pytest.raises(TwinError, match="NO-SUCH"):
        session.set_scenario(failure("NO-SUCH"))
    assert session.scenario is not None and session.scenario.failed == ("P1",)     # the one in force stays


def test_results_are_cached_per_scenario(tmp_path: Path) -> None:
    session = ups_group(tmp_path, 60.0)
    session.result("power")
    session.set_scenario(failure("UPS-A"))
    session.result("power")
    session.set_scenario(None)
    session.result("power")
    session.set_scenario(failure("UPS-A"))
    session.result("power")
    assert session.run_counts["power"] == 2


# ---------------------------------------------------------------------------- cooling
def heat_table(path: Path) -> dict[str, np.ndarray]:
    """Per part, straight from the file: power, liquid fraction as the thermal model uses it,
    airflow, loop id, loop medium, kind."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("""
            select p.id, case when p.power_w is not null and p.power_w >= 0 then p.power_w else t.power_nominal_w end,
                   coalesce(t.liquid_fraction, 0), t.cooling_mode, coalesce(t.airflow_cfm, 0),
                   coalesce(p.cooling_loop_id, -1), coalesce(l.medium, ''), t.kind, coalesce(t.cooling_capacity_w, 0),
                   p.name
            from parts p join part_types t on t.id = p.part_type_id left join cooling_loops l on l.id = p.cooling_loop_id
            order by p.id""").fetchall()
    cols = list(zip(*rows))
    mode = np.array(cols[3], object)
    frac = np.clip(np.array(cols[2], float), 0, 1)
    frac = np.where((mode == "liquid") & (frac <= 0), 1.0, np.where(np.isin(mode, ["liquid", "hybrid"]), frac, 0.0))
    return {"id": np.array(cols[0]), "power": np.maximum(np.array(cols[1], float), 0), "frac": frac,
            "cfm": np.array(cols[4], float), "loop": np.array(cols[5]), "medium": np.array(cols[6], object),
            "kind": np.array(cols[7], object), "capacity": np.array(cols[8], float), "name": np.array(cols[9], object)}


def test_a_cdu_failure_heats_its_loops_parts_by_their_cold_plate_heat_over_their_airflow(hall_db: Path) -> None:
    t = heat_table(hall_db)
    cdus = np.flatnonzero(t["kind"] == "cdu")
    cdu = int(cdus[0])
    loop_id = t["loop"][cdu]
    assert (t["loop"][cdus] == loop_id).sum() == 1            # the loop's only CDU
    on = (t["loop"] == loop_id) & (np.arange(len(t["id"])) != cdu)
    heated = on & (t["frac"] > 0) & (t["power"] > 0) & (t["cfm"] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = t["power"] * t["frac"] / (RHO * CP * t["cfm"] * CFM_M3S)
    session = ReviewSession(load_design(hall_db))
    base = session.result("thermal").detail.outlet_c.copy()
    session.set_scenario(failure(str(t["name"][cdu])))
    under = session.result("thermal").detail.outlet_c
    assert heated.sum() > 10
    np.testing.assert_allclose((under - base)[heated], expected[heated], rtol=1e-6)
    others = ~on & (t["kind"] != "cdu") & np.isfinite(base)
    np.testing.assert_allclose(under[others], base[others], rtol=1e-9)
    (lost,) = [f for f in session.findings() if f.code == "cooling-lost"]
    assert lost.severity == "critical" and lost.value == pytest.approx(expected[heated].max(), rel=1e-6)
    assert critical(session, "part-outlet")                      # and the thermal check sees the heat


def air_heat_w(t: dict[str, np.ndarray]) -> float:
    on_liquid = (t["loop"] >= 0) & (t["medium"] == "liquid")
    return float((t["power"] * (1 - np.where(on_liquid, t["frac"], 0.0))).sum())


def test_a_crah_failure_with_a_spare_holds_and_without_one_is_critical(hall_db: Path, tmp_path: Path) -> None:
    t = heat_table(hall_db)
    crahs = np.flatnonzero(t["kind"] == "crah")
    cap = t["capacity"][crahs[0]]
    assert (t["capacity"][crahs] == cap).all()
    heat = air_heat_w(t)
    session = ReviewSession(load_design(hall_db))
    session.set_scenario(failure(str(t["name"][crahs[-1]])))
    assert bool(critical(session, "air-capacity")) == (heat > (len(crahs) - 1) * cap)
    assert heat <= (len(crahs) - 1) * cap                          # the sample hall keeps a spare CRAH
    # the same hall with just enough CRAHs and no spare: each CRAH removes cap and adds its own draw
    own = t["power"][crahs[0]]
    rest = heat - len(crahs) * own
    need = math.ceil(rest / (cap - own))
    drop = [int(i) for i in t["id"][crahs[need:]]]
    bare = edited(hall_db, tmp_path, f"delete from parts where id in ({','.join(map(str, drop))})")
    assert (rest + need * own) <= need * cap < (rest + need * own) + cap
    thin = ReviewSession(load_design(bare))
    assert not critical(thin, "air-capacity")
    thin.set_scenario(failure(str(t["name"][crahs[0]])))
    (short,) = critical(thin, "air-capacity")
    assert short.limit == pytest.approx((need - 1) * cap / 1e3)
    assert short.value == pytest.approx((rest + (need - 1) * own) / 1e3, rel=1e-6)
    # the heat the CRAHs leave behind warms the supply air the racks' fans move: every rack's inlet
    # rises by ΔT = P / (ρ · cp · V̇) over the airflow of the powered parts in racks
    with sqlite3.connect(bare) as conn:
        supply, recirc, cls = conn.execute("select supply_air_c, recirculation_c, ashrae_class from halls").fetchone()
        it_cfm = conn.execute("""select sum(t.airflow_cfm) from parts p join part_types t on t.id = p.part_type_id
            where p.rack_id is not null and (case when p.power_w >= 0 then p.power_w else t.power_nominal_w end) > 0
            """).fetchone()[0]
    left = (rest + (need - 1) * own) - (need - 1) * cap
    rise = left / (RHO * CP * it_cfm * CFM_M3S)
    inlet = thin.result("thermal").detail.racks.inlet_c
    np.testing.assert_allclose(inlet, supply + recirc + rise, rtol=1e-9)
    allowable_high = {"A1": 32.0, "A2": 35.0, "A3": 40.0, "A4": 45.0}[cls]
    assert rise > 0.5
    assert len(critical(thin, "inlet-allowable")) == (len(inlet) if supply + recirc + rise > allowable_high else 0)


# ---------------------------------------------------------------------------- network
def rack_links(path: Path) -> list[tuple[int, int, int, int]]:
    """(cable id, rack at a, rack at b, a part, b part) of every cable leaving a rack."""
    with sqlite3.connect(path) as conn:
        return conn.execute("""
            select c.id, coalesce(pa.rack_id, -1), coalesce(pb.rack_id, -1), pa.id, pb.id from cables c
            join ports a on a.id = c.a_port_id join ports b on b.id = c.b_port_id
            join parts pa on pa.id = a.part_id join parts pb on pb.id = b.part_id
            where coalesce(pa.rack_id, -1) != coalesce(pb.rack_id, -1)""").fetchall()


def test_a_leaf_switch_failure_isolates_the_racks_that_hang_on_it_alone(hall_db: Path, tmp_path: Path) -> None:
    links = rack_links(hall_db)
    rack = links[0][1]
    mine = [lk for lk in links if rack in (lk[1], lk[2])]
    far = [lk[4] if lk[1] == rack else lk[3] for lk in mine]
    leaf = max(set(far), key=far.count)
    others = [str(lk[0]) for lk, f in zip(mine, far) if f != leaf]
    assert others                                                     # as built, the rack has several leaves
    design_path = edited(hall_db, tmp_path, f"delete from cables where id in ({','.join(others)})")
    links = rack_links(design_path)
    by_rack: dict[int, list[bool]] = {}
    for _cid, ra, rb, pa, pb in links:
        for r in (ra, rb):
            if r >= 0:
                by_rack.setdefault(r, []).append(leaf in (pa, pb))
    expected = {r for r, touches in by_rack.items() if all(touches)}
    assert rack in expected
    with sqlite3.connect(design_path) as conn:
        leaf_name = conn.execute("select name from parts where id = ?", (leaf,)).fetchone()[0]
        names = dict(conn.execute("select id, name from racks").fetchall())
    session = ReviewSession(load_design(design_path))
    assert not [f for f in session.findings() if f.code == "network-isolated"]
    session.set_scenario(failure(leaf_name))
    isolated = {f.subject for f in session.findings() if f.code == "network-isolated"}
    assert isolated == {names[r] for r in expected}


# ---------------------------------------------------------------------------- settings, loads, swaps
def test_settings_loads_and_swaps_change_what_the_analyses_see(hall_db: Path) -> None:
    t = heat_table(hall_db)
    with sqlite3.connect(hall_db) as conn:
        rack_name, rack_id = conn.execute("select name, id from racks order by id limit 1").fetchone()
        it_w = conn.execute("""select sum(case when p.power_w >= 0 then p.power_w else t.power_nominal_w end)
                               from parts p join part_types t on t.id = p.part_type_id where p.rack_id = ?""",
                            (rack_id,)).fetchone()[0]
        big = conn.execute("select name, cooling_capacity_w from part_types where kind = 'cdu' "
                           "order by cooling_capacity_w desc limit 1").fetchone()
    cdu = str(t["name"][np.flatnonzero(t["kind"] == "cdu")[0]])
    session = ReviewSession(load_design(hall_db))
    base_power = session.result("thermal").detail.racks.estimated_power_w.copy()
    session.set_scenario(Scenario("what if", (Change("set", "supply_air_c", "26"), Change("scale", rack_name, "1.5"),
                                              Change("swap", cdu, big[0]))))
    d = session.analysis_design()
    thermal = session.result("thermal").detail
    row = int(np.flatnonzero(d.racks.name == rack_name)[0])
    assert thermal.racks.estimated_power_w[row] == pytest.approx(1.5 * it_w)
    others = np.arange(len(base_power)) != row
    np.testing.assert_allclose(thermal.racks.estimated_power_w[others], base_power[others])
    assert float(d.halls.supply_air_c[0]) == 26.0
    loop = int(d.parts.cooling_loop[int(np.flatnonzero(d.parts.name == cdu)[0])])
    assert thermal.loops.capacity_w[loop] == pytest.approx(big[1])
    assert effect_of(d) is not None and effect_of(session.design) is None     # the design itself is untouched


def test_a_failed_tray_drops_the_cables_routed_through_it(hall_db: Path) -> None:
    with sqlite3.connect(hall_db) as conn:
        tray_id, tray = conn.execute("select id, name from cable_trays order by id limit 1").fetchone()
        routes = dict(conn.execute("select id, coalesce(route, '') from cables").fetchall())
        names = dict(conn.execute("select id, name from racks").fetchall())
    through = {cid for cid, route in routes.items() if str(tray_id) in route.replace(",", " ").split()}
    links = rack_links(hall_db)
    with sqlite3.connect(hall_db) as conn:
        kinds = dict(conn.execute("select id, kind from cables").fetchall())
    by_rack: dict[int, list[bool]] = {}
    for cid, ra, rb, _pa, _pb in links:
        if kinds[cid] in ("power", "coolant"):
            continue
        for r in (ra, rb):
            if r >= 0:
                by_rack.setdefault(r, []).append(cid in through)
    expected = {names[r] for r, hits in by_rack.items() if all(hits)}
    session = ReviewSession(load_design(hall_db))
    session.set_scenario(failure(tray))
    effect = effect_of(session.analysis_design())
    assert int(effect.lost_cables.sum()) == len(through) > 0 and expected
    assert {f.subject for f in session.findings() if f.code == "network-isolated"} == expected


def test_with_two_cdus_on_a_loop_one_failing_raises_the_coolant_by_the_survivors_flow(hall_db: Path,
                                                                                      tmp_path: Path) -> None:
    t = heat_table(hall_db)
    cdu = int(np.flatnonzero(t["kind"] == "cdu")[0])
    name, loop_id = str(t["name"][cdu]), int(t["loop"][cdu])
    twin_path = edited(hall_db, tmp_path, f"""insert into parts (name, part_type_id, x, y, z, yaw_deg, power_w,
        power_node_id, cooling_loop_id) select name || '-B', part_type_id, x, y + 1.2, z, yaw_deg, power_w,
        power_node_id, cooling_loop_id from parts where name = '{name}'""")
    with sqlite3.connect(twin_path) as conn:
        lpm, supply = conn.execute("""select t.coolant_lpm, l.supply_c from parts p join part_types t
            on t.id = p.part_type_id join cooling_loops l on l.id = p.cooling_loop_id where p.name = ?""",
                                   (name,)).fetchone()
    on = (t["loop"] == loop_id) & (t["kind"] != "cdu") & (t["medium"] == "liquid")
    heat = float((t["power"] * t["frac"])[on].sum())
    rise = heat / (lpm / 60.0 * 1.0 * 4186.0)              # ΔT = P / (ṁ · cp), one CDU's flow left
    session = ReviewSession(load_design(twin_path))
    row = int(np.flatnonzero(session.design.cooling_loops.id == loop_id)[0])
    session.set_scenario(failure(name))
    loops = session.result("thermal").detail.loops
    assert loops.flow_lpm[row] == pytest.approx(lpm)               # the loop's flow sensor no longer holds
    assert loops.supply_c[row] == pytest.approx(supply)
    assert loops.return_c[row] == pytest.approx(supply + rise, rel=1e-6)
    assert not [f for f in session.findings() if f.code == "cooling-lost"]     # the other CDU still cools it
