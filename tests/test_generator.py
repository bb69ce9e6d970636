"""The generation pipeline: same spec, same rows in every table; data errors name the row, not a traceback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

import twin
from twin.errors import TwinError
from twin.specs import build_design, load_spec
from twin.specs.generator import generate
from twin.store.writer import write_tables

REPO = Path(__file__).resolve().parents[1]
POD_SPEC = REPO / "scenes" / "nvl72-pod.toml"


def _all_rows(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        names = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' "
                                            "and name not like 'sqlite_%' order by name")]
        return {name: conn.execute(f"select * from {name} order by rowid").fetchall() for name in names}


def test_pod_builds_the_same_rows_in_every_table(pod_db: Path, tmp_path: Path) -> None:
    again = build_design(POD_SPEC, tmp_path / "again.twin.db").path
    first, second = _all_rows(pod_db), _all_rows(again)
    assert first.keys() == second.keys()
    filled = [name for name, rows in first.items() if rows]
    assert {"parts", "ports", "cables", "power_nodes", "cooling_loops", "sensors", "readings", "meta"} <= set(filled)
    for name in first:
        assert first[name] == second[name], name


def test_generate_is_pure(tmp_path: Path) -> None:
    """Generating twice from one loaded spec gives equal tables (no state kept between builds)."""
    spec = load_spec(POD_SPEC)
    a, b = generate(spec), generate(spec)
    assert a.keys() == b.keys()
    for table in a:
        for column in a[table]:
            left, right = np.asarray(a[table][column], dtype=object), np.asarray(b[table][column], dtype=object)
            assert left.shape == right.shape and (left == right).all(), f"{table}.{column}"


def test_meta_records_the_package_version(pod_db: Path) -> None:
    with sqlite3.connect(pod_db) as conn:
        created_by = conn.execute("select value from meta where key = 'created_by'").fetchone()[0]
    assert created_by == f"twin {twin.__version__}"


def test_dangling_reference_names_table_row_and_column(tmp_path: Path) -> None:
    tables = generate(load_spec(POD_SPEC))
    rack_id = np.array(tables["parts"]["rack_id"])
    victim = int(np.flatnonzero(rack_id > 0)[7])
    rack_id[victim] = 9999
    tables["parts"]["rack_id"] = rack_id
    with pytest.raises(TwinError) as err:
        write_tables(tmp_path / "bad.twin.db", tables, source=POD_SPEC)
    message = str(err.value)
    assert str(POD_SPEC) in message
    assert f"parts row {victim + 1}, column rack_id" in message and "racks id 9999" in message, message


def test_part_type_without_a_port_the_build_connects(tmp_path: Path) -> None:
    """A catalog override that drops the management port is reported against that part type."""
    spec = tmp_path / "no-bmc.toml"
    spec.write_text(POD_SPEC.read_text() + '''
[part_types.gb200-compute-tray]
kind = "compute_tray"
u_height = 1
size = [0.537, 0.900, 0.044]
power_nominal_w = 5400
cooling_mode = "hybrid"
liquid_fraction = 0.85
supplier = "foxconn-mx"
ports = [
  { name = "osfp", kind = "osfp-800g", offset = [-0.180, -0.450, 0.023], count = 4, pitch = 0.040 },
  { name = "cs",   kind = "coolant",   offset = [ 0.200, 0.450, 0.023] },
  { name = "cr",   kind = "coolant",   offset = [ 0.240, 0.450, 0.023] },
]
''')
    with pytest.raises(TwinError) as err:
        build_design(spec, tmp_path / "out.twin.db")
    message = str(err.value)
    assert "no-bmc.toml" in message and "part_types.gb200-compute-tray" in message and "'bmc'" in message, message
    assert not (tmp_path / "out.twin.db").exists()
