"""The power and tray fault kinds a spec can seed (node_undersized, ups_module_missing, tray_overfilled):
each built on an edited copy of the pod spec, its effect read back with SQL, and its mistakes named."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from test_power import independent_node_loads
from twin.analysis.cabling import run_cabling
from twin.analysis.power import analyse_power
from twin.errors import TwinError
from twin.specs import build_design
from twin.store import load_design

POD_SPEC = Path(__file__).resolve().parents[1] / "scenes" / "nvl72-pod.toml"


def pod_with(tmp_path: Path, *faults: str, sized: bool = False, ups_per_board: int = 2) -> Path:
    """The pod spec with `faults` ([[faults]] bodies) appended; `sized` turns on [sizing] power."""
    text = POD_SPEC.read_text().replace("ups_per_switchboard = 2", f"ups_per_switchboard = {ups_per_board}")
    if sized:
        text = text.replace("[cooling]", "[sizing]\npower = true\n\n[cooling]", 1)
    text += "".join(f"\n[[faults]]\n{body}\n" for body in faults)
    path = tmp_path / "pod.toml"
    path.write_text(text)
    return path


def built(spec: Path) -> Path:
    out = spec.with_suffix(".twin.db")
    build_design(spec, out)
    return out


def error(spec: Path) -> str:
    with pytest.raises(TwinError) as info:
        build_design(spec, spec.with_suffix(".twin.db"))
    assert not spec.with_suffix(".twin.db").exists()
    message = str(info.value)
    assert message.startswith(f"{spec}: ") and "\n" not in message
    return message


def test_node_undersized_gives_the_named_node_its_smaller_rating(tmp_path: Path) -> None:
    db = built(pod_with(tmp_path, 'kind = "node_undersized"\nnode = "A-busway"\ncapacity_kw = 500'))
    with sqlite3.connect(db) as conn:
        caps = dict(conn.execute("select name, capacity_w from power_nodes").fetchall())
    assert caps["A-busway"] == pytest.approx(500_000.0)
    assert caps["SWB-1"] == pytest.approx(3_500_000.0)                  # nothing else changed
    truth = independent_node_loads(db)                                  # the pod's ~0.92 MW on 500 kW
    result = analyse_power(load_design(db))
    over = [f for f in result.findings if f.code == "node-over-capacity"]
    assert [f.subject for f in over] == ["A-busway"] and over[0].severity == "critical"
    assert over[0].value == pytest.approx(truth["A-busway"][0] / 1000, rel=1e-9) and over[0].limit == pytest.approx(500)


def test_ups_module_missing_leaves_it_out_and_moves_its_runs(tmp_path: Path) -> None:
    # Sized with three 1,250 kW modules: a run may carry 0.8 × 1,250 × 2/3 = 666.7 kW at maximum, so the row's
    # eight 134.2 kW racks and its 33.3 kW leaf rack (last in the row) make runs A01–A04 (536.9 kW) and
    # A05–A08 + A-N1 (570.2 kW): one module cannot take both, so run 1 is on UPS-1A, run 2 on UPS-1B. Without
    # UPS-1B, run 2 goes to the module of SWB-1 that carries least: UPS-1C (idle).
    db = built(pod_with(tmp_path, 'kind = "ups_module_missing"\nnode = "UPS-1B"', sized=True, ups_per_board=3))
    with sqlite3.connect(db) as conn:
        ups_parts = [n for (n,) in conn.execute("select p.name from parts p join part_types t on t.id = p.part_type_id "
                                                "where t.kind = 'ups' order by p.name")]
        group = [n for (n,) in conn.execute("select name from power_nodes where redundancy_group = 'SWB-1 UPS N+1' "
                                            "order by name")]
        parent = dict(conn.execute("select b.name, u.name from power_nodes b join power_nodes u on u.id = b.parent_id "
                                   "where b.kind = 'busway'").fetchall())
    assert ups_parts == group == ["UPS-1A", "UPS-1C"]
    assert parent == {"A-busway1": "UPS-1A", "A-busway2": "UPS-1C"}


def test_ups_module_missing_loses_n_plus_1_when_the_rest_cannot_carry_the_group(tmp_path: Path) -> None:
    # Unsized, the one row's busway hangs from UPS-1A; with it left out, from UPS-1B. The group of two 1,250 kW
    # modules keeps 1,250 kW with one lost, above the pod's load: it holds, as the SQL sum says.
    db = built(pod_with(tmp_path, 'kind = "ups_module_missing"\nnode = "UPS-1A"', ups_per_board=3))
    truth = independent_node_loads(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("select u.name from power_nodes b join power_nodes u on u.id = b.parent_id "
                            "where b.name = 'A-busway'").fetchone() == ("UPS-1B",)
    load = truth["UPS-1B"][0] + truth["UPS-1C"][0]
    result = analyse_power(load_design(db))
    (group,) = result.groups
    assert sorted(group.lost + tuple(set(["UPS-1B", "UPS-1C"]) - set(group.lost))) == ["UPS-1B", "UPS-1C"]
    assert group.load_w == pytest.approx(load, rel=1e-9) and group.surviving_w == pytest.approx(1_250_000.0)
    assert ("redundancy-lost" in {f.code for f in result.findings}) == (load > 1_250_000.0)


def test_tray_overfilled_cuts_the_named_trays_capacity(tmp_path: Path) -> None:
    db = built(pod_with(tmp_path, 'kind = "tray_overfilled"\ntray = "A-tray"\nfill = 1.3'))
    with sqlite3.connect(db) as conn:
        tray_id, width, height, capacity = conn.execute(
            "select id, width_m, height_m, capacity from cable_trays where name = 'A-tray'").fetchone()
        routes = [r for (r,) in conn.execute("select route from cables where route is not null and route != ''")]
    cables = sum(str(tray_id) in set(re.findall(r"\d+", r)) for r in routes)
    assert cables > 0
    assert capacity == int(cables / 1.3) and width == pytest.approx(0.6)          # same width: the same routes
    assert height == pytest.approx(0.15 * capacity / 1200)                        # one tier's 1,200 cables, cut
    fill = [f for f in run_cabling(load_design(db)).findings if f.code == "tray-fill"]
    assert [(f.subject, f.severity) for f in fill] == [("A-tray", "critical")]
    assert fill[0].value == pytest.approx(cables / capacity * 100)


@pytest.mark.parametrize("body,where,words", [
    ('kind = "node_undersized"\nnode = "Z-busway"\ncapacity_kw = 100', "faults[0].node", ["Z-busway", "A-busway (busway)"]),
    ('kind = "node_undersized"\nnode = "A-busway"', "faults[0].capacity_kw", ["capacity_kw"]),
    ('kind = "node_undersized"\ncapacity_kw = 100', "faults[0]", ["needs 'node'"]),
    ('kind = "ups_module_missing"\nnode = "UPS-9Z"', "faults[0].node", ["UPS-9Z", "UPS-1A"]),
    ('kind = "ups_module_missing"\nnode = "UPS-1B"', "faults[0].node", ["N+1", "ups_per_switchboard"]),
    ('kind = "tray_overfilled"\ntray = "Q-tray"', "faults[0].tray", ["Q-tray", "A-tray"]),
    ('kind = "tray_overfilled"\ntray = "A-tray"\nfill = 0', "faults[0].fill", ["above 0"]),
    ('kind = "tray_overfilled"\ntray = "A-tray"\nfill = 0.1', "faults[0].fill", ["A-tray", "would not overfill"]),
], ids=["no-such-node", "no-capacity", "no-node", "no-such-ups", "last-module", "no-such-tray", "zero-fill",
        "fill-below-today"])
def test_fault_mistakes_name_the_fault_and_its_key(tmp_path: Path, body: str, where: str, words: list[str]) -> None:
    message = error(pod_with(tmp_path, body))
    assert f": {where}: " in message, message
    for word in words:
        assert word in message, message
