"""Tests for twin.store: schema v1 as built, docs/schema.md against it, load round trip, reader errors."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinError
from twin.store import SCHEMA_VERSION, load_design
from twin.store.schema import REQUIRED_TABLES, TABLES

REPO = Path(__file__).resolve().parents[1]
SQL_TYPES = {int: "INTEGER", str: "TEXT", float: "FLOAT"}
DOC_TYPES = {int: "integer", str: "text", float: "real"}


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def _copy(src: Path, tmp_path: Path, name: str = "copy.twin.db") -> Path:
    dst = tmp_path / name
    shutil.copyfile(src, dst)
    return dst


def _edit(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    with conn:
        for sql in statements:
            conn.execute(sql)
    conn.close()


# ----------------------------------------------------------------------------- schema as built

@pytest.mark.parametrize("table", list(TABLES))
def test_table_has_schema_columns_in_order(pod_db: Path, table: str) -> None:
    columns, _, _, _ = TABLES[table]
    with _connect(pod_db) as conn:
        info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    assert info, f"table {table} missing"
    assert [row[1] for row in info] == list(columns)
    declared = {row[1]: row[2].upper() for row in info}
    for name, kind in columns.items():
        assert declared[name] in {SQL_TYPES[kind], "REAL" if kind is float else SQL_TYPES[kind]}, (table, name)


def test_primary_keys(pod_db: Path) -> None:
    with _connect(pod_db) as conn:
        for table, (_, pk, _, _) in TABLES.items():
            info = conn.execute(f"PRAGMA table_info({table})").fetchall()
            keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5] > 0]
            assert keys == ([pk] if isinstance(pk, str) else list(pk)), table


def test_foreign_keys_declared(pod_db: Path) -> None:
    with _connect(pod_db) as conn:
        for table, (_, _, fks, _) in TABLES.items():
            found = {(row[3], row[2], row[4]) for row in conn.execute(f"PRAGMA foreign_key_list({table})")}
            assert found == set(fks), table
        parts_fk = {(row[3], row[2], row[4]) for row in conn.execute("PRAGMA foreign_key_list(parts)")}
    assert ("rack_id", "racks", "id") in parts_fk
    assert ("power_node_id", "power_nodes", "id") in parts_fk


def test_indexes_exist(pod_db: Path) -> None:
    with _connect(pod_db) as conn:
        for table, (_, _, _, indexes) in TABLES.items():
            present = set()
            for row in conn.execute(f"PRAGMA index_list({table})"):
                cols = tuple(r[2] for r in conn.execute(f"PRAGMA index_info({row[1]})"))
                present.add(cols)
            for cols in indexes:
                assert tuple(cols) in present, (table, cols)
        assert ("sensor_id", "ts") in {tuple(r[2] for r in conn.execute(f"PRAGMA index_info({row[1]})"))
                                        for row in conn.execute("PRAGMA index_list(readings)")}


def test_meta_schema_version(pod_db: Path) -> None:
    with _connect(pod_db) as conn:
        meta = dict(conn.execute("select key, value from meta").fetchall())
    assert meta["schema_version"] == "1" == str(SCHEMA_VERSION)
    for key in ("units", "axes", "created_by", "source", "design_name", "seed", "home_country"):
        assert meta[key], key
    assert meta["source"] == "nvl72-pod.toml"


def test_review_tables_created_empty(pod_db: Path) -> None:
    with _connect(pod_db) as conn:
        for table in ("reviews", "notes", "viewpoints", "telemetry_imports"):
            assert conn.execute(f"select count(*) from {table}").fetchone()[0] == 0
    assert set(REQUIRED_TABLES) == set(TABLES) - {"reviews", "notes", "viewpoints", "telemetry_imports"}


@pytest.mark.parametrize("fixture", ["pod_db", "hall_db", "hall2000_db"])
def test_foreign_key_check_clean(request: pytest.FixtureRequest, fixture: str) -> None:
    path = request.getfixturevalue(fixture)
    with _connect(path) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_schema_doc_covers_every_column() -> None:
    """docs/schema.md has a section per table listing each column with its SQL type."""
    text = (REPO / "docs" / "schema.md").read_text(encoding="utf-8")
    sections = re.split(r"^### `(\w+)`\s*$", text, flags=re.M)
    documented: dict[str, dict[str, str]] = {}
    for name, body in zip(sections[1::2], sections[2::2]):
        body = body.split("\n## ")[0]
        cols: dict[str, str] = {}
        for line in body.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or len(cells) < 2:
                continue
            for col in re.findall(r"`(\w+)`", cells[0]):
                cols[col] = cells[1]
        documented[name] = cols
    assert set(documented) >= set(TABLES), set(TABLES) - set(documented)
    for table, (columns, _, _, _) in TABLES.items():
        for col, kind in columns.items():
            assert col in documented[table], f"docs/schema.md: {table}.{col} not documented"
            assert documented[table][col] == DOC_TYPES[kind], f"docs/schema.md: {table}.{col} type"


# ----------------------------------------------------------------------------- round trip

MODEL_TABLES = ("generations", "suppliers", "part_types", "halls", "cooling_loops", "power_nodes", "racks",
                "parts", "cables", "cable_trays", "sensors")


@pytest.fixture(scope="module")
def hall(hall_db: Path):
    return load_design(hall_db)


def test_round_trip_counts(hall_db: Path, hall) -> None:
    assert hall.warnings == []
    assert hall.schema_version == 1
    with _connect(hall_db) as conn:
        for table in MODEL_TABLES:
            count = conn.execute(f"select count(*) from {table}").fetchone()[0]
            assert count == len(getattr(hall, table)), table
            assert count > 0, table


def test_round_trip_parts(hall_db: Path, hall) -> None:
    with _connect(hall_db) as conn:
        rows = conn.execute("select id, name, x, y, z, yaw_deg, rack_id, u_position, part_type_id "
                            "from parts where id % 37 = 1 order by id").fetchall()
    assert len(rows) > 50
    p = hall.parts
    for pid, name, x, y, z, yaw, rack_id, u, type_id in rows:
        i = int(hall.parts.index_of(pid))
        assert i >= 0
        assert p.name[i] == name
        assert np.allclose(p.position[i], [x, y, z])
        assert p.yaw_deg[i] == pytest.approx(yaw)
        assert hall.part_types.id[p.type[i]] == type_id
        if rack_id is None:
            assert p.rack[i] == -1
        else:
            assert hall.racks.id[p.rack[i]] == rack_id
        assert p.u[i] == (u if u is not None else 0)


def test_round_trip_part_types_and_racks(hall_db: Path, hall) -> None:
    with _connect(hall_db) as conn:
        types = conn.execute("select id, name, kind, width_m, depth_m, height_m, power_nominal_w "
                             "from part_types order by id").fetchall()
        racks = conn.execute("select id, name, x, y, power_budget_w from racks order by id").fetchall()
    for tid, name, kind, w, d, h, nominal in types:
        i = int(hall.part_types.index_of(tid))
        assert (hall.part_types.name[i], hall.part_types.kind[i]) == (name, kind)
        assert np.allclose(hall.part_types.size[i], [w, d, h])
        assert hall.part_types.power_nominal_w[i] == pytest.approx(nominal)
    for rid, name, x, y, budget in racks:
        i = hall.rack_index(name)
        assert hall.racks.id[i] == rid
        assert np.allclose(hall.racks.position[i], [x, y])
        assert hall.racks.power_budget_w[i] == budget


def test_round_trip_cables(hall_db: Path, hall) -> None:
    with _connect(hall_db) as conn:
        rows = conn.execute("""select c.id, c.kind, c.length_m, a.part_id, b.part_id, a.dx, b.dz
                               from cables c join ports a on a.id = c.a_port_id join ports b on b.id = c.b_port_id
                               where c.id % 101 = 3 order by c.id""").fetchall()
    kinds = hall.cable_kind()
    for cid, kind, length, a_part, b_part, a_dx, b_dz in rows:
        i = int(hall.cables.index_of(cid))
        assert kinds[i] == kind
        assert hall.cables.length_m[i] == pytest.approx(length)
        assert hall.parts.id[hall.cables.a_part[i]] == a_part
        assert hall.parts.id[hall.cables.b_part[i]] == b_part
        assert hall.cables.a_offset[i, 0] == pytest.approx(a_dx)
        assert hall.cables.b_offset[i, 2] == pytest.approx(b_dz)


def test_round_trip_power_links(hall_db: Path, hall) -> None:
    with _connect(hall_db) as conn:
        feeds = dict(conn.execute("select id, power_node_id from parts where power_node_id is not null"))
        node_parts = dict(conn.execute("select id, part_id from power_nodes where part_id is not null"))
    fed = hall.parts.power_node >= 0
    assert fed.sum() == len(feeds)
    for pid, node in zip(hall.parts.id[fed], hall.power_nodes.id[hall.parts.power_node[fed]]):
        assert feeds[int(pid)] == node
    has_part = hall.power_nodes.part >= 0
    assert has_part.sum() == len(node_parts)
    for nid, part in zip(hall.power_nodes.id[has_part], hall.parts.id[hall.power_nodes.part[has_part]]):
        assert node_parts[int(nid)] == part


# ----------------------------------------------------------------------------- reader errors

def _load_error(path: Path) -> str:
    with pytest.raises(TwinError) as info:
        load_design(path)
    message = str(info.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def test_random_bytes_is_not_sqlite(tmp_path: Path) -> None:
    bad = tmp_path / "noise.twin.db"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    assert "not an SQLite database" in _load_error(bad)


def test_text_file_is_not_sqlite(tmp_path: Path) -> None:
    bad = tmp_path / "notes.twin.db"
    bad.write_text("[design]\nname = 'oops, a spec, not a design'\n")
    assert "SQLite" in _load_error(bad)


def test_empty_file_is_not_sqlite(tmp_path: Path) -> None:
    bad = tmp_path / "empty.twin.db"
    bad.write_bytes(b"")
    assert "SQLite" in _load_error(bad)


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "folder.twin.db"
    folder.mkdir()
    assert "folder" in _load_error(folder)


def test_missing_file(tmp_path: Path) -> None:
    assert "no such file" in _load_error(tmp_path / "absent.twin.db")


def test_sqlite_but_not_a_design(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table t (a integer)")
    conn.commit()
    conn.close()
    assert "meta" in _load_error(other)


DESIGN_EDITS = [
    # (what is wrong with the file, SQL that breaks a good copy, fragments the error must name)
    ("newer schema", "update meta set value = '99' where key = 'schema_version'", ["schema", "99"]),
    ("schema version not a number", "update meta set value = 'one' where key = 'schema_version'",
     ["schema_version"]),
    ("no schema version", "delete from meta where key = 'schema_version'", ["schema_version"]),
    ("missing table", "drop table cables", ["missing", "cables"]),
]


@pytest.mark.parametrize("sql,fragments", [case[1:] for case in DESIGN_EDITS], ids=[c[0] for c in DESIGN_EDITS])
def test_unreadable_designs_name_the_file_and_the_reason(pod_db: Path, tmp_path: Path, sql: str,
                                                         fragments: list[str]) -> None:
    path = _copy(pod_db, tmp_path)
    _edit(path, sql)
    message = _load_error(path)
    for fragment in fragments:
        assert fragment in message, message


def test_review_tables_are_optional(pod_db: Path, tmp_path: Path) -> None:
    path = _copy(pod_db, tmp_path)
    _edit(path, "drop table notes", "drop table viewpoints", "drop table reviews")
    design = load_design(path)
    assert len(design.parts) > 0 and design.warnings == []


def test_dangling_rack_reference_is_a_warning(pod_db: Path, tmp_path: Path) -> None:
    path = _copy(pod_db, tmp_path)
    with _connect(pod_db) as conn:
        pid, = conn.execute("select id from parts where u_position = 5 order by id limit 1").fetchone()
        total = conn.execute("select count(*) from parts").fetchone()[0]
    _edit(path, f"update parts set rack_id = 999999 where id = {pid}")
    design = load_design(path)
    assert len(design.parts) == total
    i = int(design.parts.index_of(pid))
    assert design.parts.rack[i] == -1
    hits = [w for w in design.warnings if "table parts" in w and f"row id {pid}" in w and "rack_id" in w]
    assert len(hits) == 1, design.warnings
    assert str(path) in hits[0]


def test_dangling_cable_port_is_a_warning(pod_db: Path, tmp_path: Path) -> None:
    path = _copy(pod_db, tmp_path)
    _edit(path, "update cables set b_port_id = 888888 where id = 7")
    design = load_design(path)
    assert design.cables.b_part[int(design.cables.index_of(7))] == -1
    assert any("table cables" in w and "row id 7" in w for w in design.warnings), design.warnings


def test_clean_copy_loads_without_warnings(pod_db: Path, tmp_path: Path) -> None:
    """The control for the tests above: an unedited copy loads clean."""
    path = _copy(pod_db, tmp_path)
    design = load_design(path)
    assert design.warnings == []
    assert os.path.getsize(path) == os.path.getsize(pod_db)
