"""Edited and hostile design files, and what the terminal shows of them.

Each test copies a real built design, edits it with plain SQL as someone with a database
browser would, and expects one line naming the file and the table, row and column, a
render that stays bounded, or output that cannot drive the terminal.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from twin.errors import TwinError
from twin.model.limits import LIMITS
from twin.store import load_design
from twin.store.queries import DesignQueries

REPO = Path(__file__).resolve().parents[1]


def twin(*args, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


@pytest.fixture
def pod(pod_db, tmp_path) -> Path:
    db = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, db)
    return db


def edit(db: Path, sql: str, *args) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, args)


def one_line_error(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("twin: error: ") and "Traceback" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize("table,column", [("parts", "x"), ("halls", "width_m"), ("racks", "yaw_deg"),
                                          ("part_types", "power_nominal_w"), ("cables", "length_m"),
                                          ("power_nodes", "capacity_w")])
def test_text_in_a_numeric_column_names_table_row_and_column(pod, table, column):
    row_id = 1 if table in ("halls", "part_types") else 3
    edit(pod, f"UPDATE {table} SET {column} = 'lots' WHERE id = ?", row_id)
    with pytest.raises(TwinError) as info:
        load_design(pod)
    message = str(info.value)
    assert message.startswith(str(pod)) and f"table {table}, row id {row_id}" in message
    assert f"column {column} holds 'lots', not a number" in message


def test_text_in_a_numeric_column_from_the_cli(pod):
    edit(pod, "UPDATE parts SET z = 'high' WHERE id = 7")
    line = one_line_error(twin("info", pod))
    assert str(pod) in line and "table parts, row id 7" in line and "column z" in line


@pytest.mark.parametrize("value", [1e7, -3.0, None, 0.0])
def test_hall_size_out_of_bounds_is_one_clear_error(pod, value):
    edit(pod, "UPDATE halls SET width_m = ? WHERE id = 1", value)          # None: NULL, read as NaN
    with pytest.raises(TwinError) as info:
        load_design(pod)
    assert "table halls, row id 1" in str(info.value) and "width_m" in str(info.value)


def test_export_of_a_1e7_m_hall_fails_fast_instead_of_hanging(pod, tmp_path):
    """The issue's 120 s / 6.6 GB export: now one line in about the time Python takes to start."""
    edit(pod, "UPDATE halls SET width_m = 1e7, depth_m = 1e7 WHERE id = 1")
    start = time.perf_counter()
    line = one_line_error(twin("export", "image", pod, "-o", tmp_path / "x.png", "--size", "320x240"))
    assert time.perf_counter() - start < 60
    assert "table halls, row id 1" in line and "5,000 m" in line


def test_largest_allowed_hall_renders_with_a_capped_floor_grid(pod, tmp_path):
    from twin.scene.hall import MAX_GRID_LINES, tile_grid

    actor = tile_grid(5000.0, 5000.0)
    lines = actor.GetMapper().GetInput().GetNumberOfCells()
    assert lines <= 2 * (MAX_GRID_LINES + 1)
    edit(pod, "UPDATE halls SET width_m = 4999, depth_m = 4999 WHERE id = 1")
    out = tmp_path / "big-hall.png"
    start = time.perf_counter()
    done = twin("export", "image", pod, "-o", out, "--size", "320x240", "--view", "top")
    assert done.returncode == 0, done.stderr[-500:]
    assert time.perf_counter() - start < 90 and out.stat().st_size > 500


def test_far_away_positions_are_moved_with_a_warning(pod):
    edit(pod, "UPDATE parts SET x = 1e300 WHERE id = 5")
    edit(pod, "UPDATE racks SET y = 1e12 WHERE id = 2")
    design = load_design(pod)
    assert np.abs(design.parts.position).max() < LIMITS["coordinate_m"].value
    assert any("table parts, row id 5" in w for w in design.warnings)
    assert any("table racks, row id 2" in w for w in design.warnings)


def test_too_many_rows_are_refused_before_reading(pod):
    limit = int(LIMITS["part_types"].value)
    with sqlite3.connect(pod) as conn:
        conn.executemany("INSERT INTO part_types (id, name, kind, supplier_id) VALUES (?, ?, 'x', 1)",
                         ((10_000 + i, f"t{i}") for i in range(limit)))
    with pytest.raises(TwinError) as info:
        load_design(pod)
    assert "table part_types" in str(info.value) and "100,000 part types" in str(info.value)


def test_fifo_as_design_file_does_not_hang(tmp_path):
    fifo = tmp_path / "design.twin.db"
    os.mkfifo(fifo)
    line = one_line_error(twin("info", fifo, timeout=30))
    assert str(fifo) in line and "not a regular file" in line


def test_control_characters_in_names_are_escaped_on_the_terminal(pod):
    evil = "\x1b[2J\x1b[HAll clear\x07\rrack OK"
    edit(pod, "UPDATE meta SET value = ? WHERE key = 'design_name'", evil)
    edit(pod, "UPDATE halls SET name = ? WHERE id = 1", evil)
    done = twin("info", pod)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "\r" not in done.stdout
    assert "\\x1b[2J\\x1b[HAll clear\\x07\\x0drack OK" in done.stdout
    as_json = twin("info", pod, "--json")
    assert "\x1b" not in as_json.stdout and "\\u001b[2J" in as_json.stdout
    # in an error message too (a file name is as much user text as a design name)
    bad = pod.parent / "\x1b[31mred.twin.db"
    bad.write_text("not sqlite")
    line = one_line_error(twin("info", bad))
    assert "\x1b" not in line and "\\x1b[31mred.twin.db" in line


def test_broken_pipe_exits_quietly(hall_db):
    """`twin check | head`: the reader leaves early; no traceback, no 'Exception ignored'."""
    proc = subprocess.Popen([sys.executable, "-m", "twin", "check", str(hall_db)], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                      # the reader is gone before the first line is written
    _, err = proc.communicate(timeout=120)
    assert err.decode() == ""
    assert proc.returncode == 141
    shell = subprocess.run(f"'{sys.executable}' -m twin check '{hall_db}' | head -n 1", shell=True, cwd=REPO,
                           capture_output=True, text=True, timeout=120)
    assert shell.stderr == "" and len(shell.stdout.splitlines()) == 1


def test_a_search_of_25k_percent_signs_is_a_clear_message(pod):
    queries = DesignQueries(pod)
    try:
        with pytest.raises(TwinError) as info:
            queries.search_part_ids("%" * 25_000)
        assert "25,000 characters" in str(info.value) and "200 characters" in str(info.value)
        assert len(queries.search_part_ids("%" * 200)) == 0      # at the limit it runs (no name holds a %)
        assert len(queries.search_part_ids("A01")) > 0
    finally:
        queries.close()


def test_sql_in_edited_names_stays_data(pod):
    edit(pod, "UPDATE parts SET name = ? WHERE id = 1", "x'); DROP TABLE parts; --")
    design = load_design(pod)
    assert design.parts.name[0] == "x'); DROP TABLE parts; --"
    queries = DesignQueries(pod)
    try:
        assert list(queries.search_part_ids("DROP TABLE")) == [1]
    finally:
        queries.close()
