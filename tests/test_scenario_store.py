"""Scenarios in the design file: stored through the CLI (real subprocesses, real SQLite), names
checked against the design, nothing written on a bad one, and carried by a `twin build` rebuild."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.test_export_batch import one_line_error, twin_cli
from twin.errors import TwinError
from twin.model.scenario import Change
from twin.store.scenarios import ScenarioStore

REPO = Path(__file__).resolve().parents[1]


def rows(path: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(sql).fetchall()


def test_add_list_delete_through_the_cli(hall_db: Path, tmp_path: Path) -> None:
    design = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, design)
    ups, crah = rows(design, "select name from power_nodes where kind = 'ups' order by id limit 1")[0][0], \
        rows(design, "select p.name from parts p join part_types t on t.id = p.part_type_id where t.kind = 'crah' "
                     "order by p.id limit 1")[0][0]
    gen = rows(design, "select name from generations order by id limit 1")[0][0]
    cdu_type = rows(design, "select name from part_types where kind = 'cdu' order by id limit 1")[0][0]
    cdu = rows(design, "select p.name from parts p join part_types t on t.id = p.part_type_id where t.kind = 'cdu' "
                       "order by p.id limit 1")[0][0]
    r = twin_cli("scenario", "add", design, "--name", "maintenance", "--fail", f"{ups},{crah}", "--set",
                 "supply_air_c=24", "--scale", f"gen:{gen}=1.2", "--swap", f"{cdu}={cdu_type}", "--json")
    assert r.returncode == 0, r.stderr
    stored = json.loads(r.stdout)
    assert [(c["kind"], c["target"], c["value"]) for c in stored["changes"]] == [
        ("fail", ups, ""), ("fail", crah, ""), ("set", "supply_air_c", "24"), ("scale", f"gen:{gen}", "1.2"),
        ("swap", cdu, cdu_type)]
    # what the file holds, read with plain SQL
    assert rows(design, "select name from scenarios") == [("maintenance",)]
    assert rows(design, "select kind, target, value from scenario_changes order by id")[0] == ("fail", ups, "")
    listed = json.loads(twin_cli("scenario", "list", design, "--json").stdout)
    assert [s["name"] for s in listed["scenarios"]] == ["maintenance"]
    one_line_error(twin_cli("scenario", "add", design, "--name", "maintenance", "--fail", ups), "maintenance", "exists")
    assert twin_cli("scenario", "delete", design, "maintenance").returncode == 0
    assert rows(design, "select count(*) from scenarios") == [(0,)]
    assert rows(design, "select count(*) from scenario_changes") == [(0,)]
    one_line_error(twin_cli("scenario", "delete", design, "maintenance"), str(design), "maintenance")


def test_an_unknown_name_is_one_error_naming_it_and_nothing_is_written(hall_db: Path, tmp_path: Path) -> None:
    design = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, design)
    before = design.read_bytes()
    one_line_error(twin_cli("scenario", "add", design, "--name", "x", "--fail", "UPS-1A,NO-SUCH-UPS"), "NO-SUCH-UPS")
    bad = {"ZZ9": [Change("scale", "ZZ9", "1.2")], "no-such-type": [Change("swap", "UPS-1A", "no-such-type")],
           "warm": [Change("set", "supply_air_c", "warm")], "fan_speed": [Change("set", "fan_speed", "3")],
           "nan": [Change("scale", "A", "nan")], "NO-HALL": [Change("set", "supply_air_c@NO-HALL", "25")]}
    with ScenarioStore(design) as store:
        for word, changes in bad.items():
            with pytest.raises(TwinError, match=word):
                store.add("x", changes)
        assert store.scenarios() == []
    assert design.read_bytes() == before


def test_check_under_a_scenario_names_it_and_an_unknown_scenario_is_one_error(hall_db: Path, tmp_path: Path) -> None:
    design = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, design)
    busway = rows(design, "select name from power_nodes where kind = 'busway' order by id limit 1")[0][0]
    assert twin_cli("scenario", "add", design, "--name", "bw", "--fail", busway).returncode == 0
    r = twin_cli("check", design, "--scenario", "bw", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["scenario"]["name"] == "bw"
    lost = [f for f in out["findings"] if f["code"] == "power-lost"]
    assert len(lost) == 1 and lost[0]["subject"] == busway
    one_line_error(twin_cli("check", design, "--scenario", "nope"), "nope")


def test_a_rebuild_carries_the_scenarios(tmp_path: Path) -> None:
    design = tmp_path / "pod.twin.db"
    spec = REPO / "scenes" / "nvl72-pod.toml"
    assert twin_cli("build", spec, "-o", design, "-q").returncode == 0
    node = rows(design, "select name from power_nodes order by id desc limit 1")[0][0]
    with ScenarioStore(design) as store:
        store.add("kept", [Change("fail", node), Change("set", "supply_air_c", "25")], description="carried")
    r = twin_cli("build", spec, "-o", design)
    assert r.returncode == 0, r.stderr
    with ScenarioStore(design) as store:
        (kept,) = store.scenarios()
    assert kept.name == "kept" and kept.description == "carried"
    assert [c.text() for c in kept.changes] == [f"fail {node}", "set supply_air_c=25"]


def test_compare_under_a_scenario_gives_the_deltas_against_the_baseline(hall_db: Path, tmp_path: Path) -> None:
    design = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, design)
    busway = rows(design, "select name from power_nodes where kind = 'busway' order by id limit 1")[0][0]
    assert twin_cli("scenario", "add", design, "--name", "bw", "--fail", busway).returncode == 0
    r = twin_cli("compare", design, "--scenario", "bw", "--json")
    assert r.returncode == 0, r.stderr
    delta = json.loads(r.stdout)
    assert delta["scenario"] == "bw"
    assert any(f["code"] == "power-lost" and f["subject"] == busway for f in delta["added"])
    below = {r[0] for r in rows(design, f"""with recursive b(id) as (select id from power_nodes where name = '{busway}'
                 union select n.id from power_nodes n join b on n.parent_id = b.id) select name from power_nodes
                 where id in (select id from b)""")}
    util = delta["figures"]["power node utilisation"]
    # losing a busway only takes load away: everything under it to zero, what is above it carries less
    assert util and all(row["scenario"] < row["baseline"] for row in util)
    assert all(row["scenario"] == 0.0 for row in util if row["subject"] in below)
    assert any(row["subject"] in below for row in util)
    one_line_error(twin_cli("compare", design, "--scenario", "nope"), "nope")
