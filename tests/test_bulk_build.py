"""The bulk build path: the writer's multi-row inserts and the pruned choice of tray piece per port.

Both are speed work for the campus (2.75 M ports, 864 k cables) that must not change a single
value: the writer's rows are read back and compared, and the tray choice is compared with
the exhaustive choice over every piece of the network.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
import sqlite_utils

from twin.errors import TwinError
from twin.geometry.routing import _piece_fit, tray_entries
from twin.geometry.trays import build_tray_network
from twin.specs import build_design
from twin.store.schema import TABLES, create_schema
from twin.store.writer import insert_columns, write_tables

POD_SPEC = Path(__file__).resolve().parents[1] / "scenes" / "nvl72-pod.toml"


def _choice_over_every_piece(points: np.ndarray, network) -> np.ndarray:
    """The tray piece each point drops from, weighing every piece (the definition)."""
    key = np.round(points / 0.25)
    _, first, cell = np.unique(key, axis=0, return_index=True, return_inverse=True)
    _, score, _ = _piece_fit(points[first][:, None, :], network, np.arange(len(network.piece_tray))[None])
    return np.argmin(score, axis=1)[cell.reshape(-1)]


def test_pruned_tray_choice_equals_the_choice_over_every_piece() -> None:
    rng = np.random.default_rng(7)
    # a grid of row trays at two heights, cross trays joining them, varied widths, and one low tray
    # that most ports sit above (never chosen unless nothing else is above)
    starts, ends = [], []
    for y in np.arange(0.0, 60.0, 3.0):
        z = 2.9 if int(y / 3) % 2 else 3.2
        starts.append((0.0, y, z))
        ends.append((80.0, y, z))
    for x in (0.0, 40.0, 80.0):
        starts.append((x, 0.0, 3.2))
        ends.append((x, 57.0, 3.2))
    starts.append((10.0, 10.0, 0.5))
    ends.append((30.0, 30.0, 0.5))
    width = rng.choice([0.3, 0.6, 0.9], size=len(starts))
    network = build_tray_network(np.array(starts), np.array(ends), width)
    points = np.column_stack([rng.uniform(-5, 85, 20_000), rng.uniform(-5, 62, 20_000), rng.uniform(0.0, 3.5, 20_000)])
    # ports under a junction (row tray y = 6 m meets the cross tray x = 40 m, both at 3.2 m) are as near to
    # the pieces on every side of it: a tie, which the lowest piece row must win as before
    points[:500, :2] = (40.0, 6.0)
    _, score, _ = _piece_fit(points[:1, None, :], network, np.arange(len(network.piece_tray))[None])
    assert (score[0] == score[0].min()).sum() >= 2
    best, entry = tray_entries(points, network)
    assert np.array_equal(best, _choice_over_every_piece(points, network))
    assert np.isfinite(entry).all()


def test_bulk_insert_reads_back_every_value_and_null(tmp_path) -> None:
    db = sqlite_utils.Database(tmp_path / "t.db")
    db["t"].create({"id": int, "part_id": int, "name": str, "x": float}, pk="id")
    conn: sqlite3.Connection = db.conn
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 30)     # 7 rows per statement, remainders too
    n = 1_234
    part = np.arange(n) % 5 - 1                                 # -1 is NULL in a nullable column
    names = [f"n{i}" for i in range(n)]
    x = np.linspace(0.1, 7.3, n)
    with conn:
        assert insert_columns(conn, "t", {"id": np.arange(1, n + 1), "part_id": part, "name": names, "x": x}) == n
    rows = conn.execute("select id, part_id, name, x from t order by id").fetchall()
    assert [r[0] for r in rows] == list(range(1, n + 1))
    assert [r[1] for r in rows] == [None if p < 0 else int(p) for p in part]
    assert [r[2] for r in rows] == names
    assert [r[3] for r in rows] == x.tolist()


def test_written_design_has_every_index_of_the_schema(tmp_path) -> None:
    summary = build_design(POD_SPEC, tmp_path / "pod.twin.db")
    assert set(summary.timings) == {"generation", "routing", "writing", "indexing"}
    assert all(v > 0 for v in summary.timings.values())
    fresh = sqlite_utils.Database(tmp_path / "schema.db")
    create_schema(fresh)
    built = sqlite_utils.Database(summary.path)
    for name in TABLES:
        assert sorted(i.columns for i in built[name].indexes) == sorted(i.columns for i in fresh[name].indexes), name


def test_a_dangling_reference_still_names_the_row(tmp_path) -> None:
    tables = {"meta": {"key": ["design_name"], "value": ["x"]},
              "halls": {"id": [1], "name": ["H"], "width_m": [10.0], "depth_m": [10.0], "height_m": [3.0]},
              "cooling_loops": {"id": [1], "name": ["L"], "hall_id": [7]}}
    with pytest.raises(TwinError, match="cooling_loops row 1, column hall_id"):
        write_tables(tmp_path / "bad.twin.db", tables, source="spec.toml")
