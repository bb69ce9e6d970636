"""A design file is data, not code: its triggers never run on twin's writes, no statement it makes
heavy runs unbounded, repeated ids are refused, and a WAL design on a read-only folder reads.

Real SQLite files changed the way a hostile or careless user would; the CLI runs as a
subprocess; read-only folders are real read-only bind mounts (root, in a private mount
namespace) or, where that is impossible, folders without write permission.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from twin.errors import TwinError
from twin.specs import build_design
from twin.store.notes import ReviewStore

REPO = Path(__file__).resolve().parents[1]
POD = REPO / "scenes" / "nvl72-pod.toml"


def _twin(*args: str, timeout: float = 120, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, sys.executable, "-m", "twin", *args], capture_output=True, text=True, cwd=REPO,
                          timeout=timeout)


@pytest.fixture
def design(pod_db, tmp_path) -> Path:
    path = tmp_path / "pod.twin.db"
    shutil.copy(pod_db, path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


# ---------------------------------------------------------------------- triggers
def test_notes_add_refuses_a_design_whose_trigger_would_rewrite_it(design):
    _sql(design, """CREATE TRIGGER rewrite_everything AFTER INSERT ON notes BEGIN
                        UPDATE meta SET value = 'pwned' WHERE key = 'design_name';
                        UPDATE parts SET x = x + 50;
                        DELETE FROM readings;
                        UPDATE notes SET text = 'rewritten' WHERE id = new.id;
                    END""")
    before = _digest(design)
    result = _twin("notes", "add", str(design), "--part", "A01", "--text", "hello")
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert str(design) in lines[0] and "rewrite_everything" in lines[0] and "trigger" in lines[0]
    assert _digest(design) == before                 # not a byte changed, not even the journal mode


def test_a_trigger_that_never_ends_does_not_hang_notes_add(design):
    _sql(design, """CREATE TRIGGER forever AFTER INSERT ON notes BEGIN
                        SELECT count(*) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r)
                                              SELECT i FROM r);
                    END""")
    start = time.monotonic()
    try:
        result = _twin("notes", "add", str(design), "--part", "A01", "--text", "hello", timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("twin notes add still running after 30 s: the trigger ran")
    assert time.monotonic() - start < 30
    assert result.returncode == 1 and "forever" in result.stderr and str(design) in result.stderr


# ---------------------------------------------------------------------- statements bounded in time
#: Megabytes of string work per row each time the column is read (the row's own seed keeps SQLite
#: from computing it once per statement): 300 rows take 10-20 s unbounded.
HEAVY = "substr(replace(replace(hex(zeroblob(1000000 + length(seed))), '0', 'ab'), 'a', 'cd'), 1, 1)"


def _heavy_notes(path: Path, rows: int = 300) -> None:
    """Give the notes table an `author` that is a generated column doing heavy work whenever it is read."""
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE notes")
    conn.execute("""CREATE TABLE notes (id INTEGER PRIMARY KEY, review_id INTEGER, part_id INTEGER, x FLOAT,
                    y FLOAT, z FLOAT, seed TEXT, text TEXT, status TEXT, created TEXT, updated TEXT)""")
    conn.executemany("INSERT INTO notes (id, text, seed, status) VALUES (?, ?, 'x', 'open')",
                     [(i, f"note {i}") for i in range(1, rows + 1)])
    conn.execute(f"ALTER TABLE notes ADD COLUMN author TEXT GENERATED ALWAYS AS ({HEAVY} || seed) VIRTUAL")
    conn.commit()
    conn.close()


def _content(path: Path) -> tuple:
    """What a rebuild would change, read without touching the heavy column."""
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("SELECT count(*), sum(x), sum(y) FROM parts").fetchone(),
                conn.execute("SELECT group_concat(key || '=' || value) FROM meta").fetchone(),
                conn.execute("SELECT count(*), sum(id), group_concat(text) FROM notes").fetchone())
    finally:
        conn.close()


def test_reading_notes_from_a_file_that_makes_reads_heavy_stops_with_a_clear_error(design, monkeypatch):
    import twin.store.connect as connect

    _heavy_notes(design)
    monkeypatch.setattr(connect, "READ_BUDGET_S", 1.0)
    start = time.monotonic()
    with pytest.raises(TwinError, match="ran for over 1 s") as err:
        with ReviewStore(design) as store:
            store.notes()
    assert time.monotonic() - start < 8
    assert str(design) in str(err.value)


def test_a_rebuild_holding_the_write_lock_stops_a_heavy_statement_and_keeps_the_design(tmp_path, monkeypatch):
    import twin.store.rebuild as rebuild

    out = tmp_path / "pod.twin.db"
    build_design(POD, out)
    _heavy_notes(out)
    before = _content(out)
    monkeypatch.setattr(rebuild, "STASH_BUDGET_S", 1.0)
    start = time.monotonic()
    with pytest.raises(TwinError, match="ran for over 1 s") as err:
        build_design(POD, out)
    assert time.monotonic() - start < 10
    assert str(out) in str(err.value) and "as they were" in str(err.value)
    assert _content(out) == before
    writer = sqlite3.connect(out, timeout=0)          # and the write lock was let go
    writer.execute("BEGIN IMMEDIATE")
    writer.rollback()
    writer.close()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# ---------------------------------------------------------------------- repeated ids
@pytest.mark.parametrize("table", ["racks", "parts"])
def test_a_table_with_repeated_ids_is_refused_naming_it(design, table):
    _sql(design, "PRAGMA foreign_keys = OFF", f"CREATE TABLE copy AS SELECT * FROM {table}",
         f"INSERT INTO copy SELECT * FROM {table}", f"DROP TABLE {table}", f"ALTER TABLE copy RENAME TO {table}")
    conn = sqlite3.connect(design)
    first = conn.execute(f"SELECT id FROM {table} GROUP BY id HAVING count(*) > 1 ORDER BY id LIMIT 1").fetchone()[0]
    conn.close()
    result = _twin("info", str(design))
    assert result.returncode == 1, result.stdout
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert str(design) in line and f"table {table}" in line and f"id {first} " in line


# ---------------------------------------------------------------------- read-only folders
def _read_only_prefix(folder: Path) -> tuple[tuple[str, ...], bool]:
    """A command prefix that runs a command with `folder` read-only, and whether chmod must be undone."""
    if os.geteuid() == 0:
        script = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"'
        probe = subprocess.run(["unshare", "-m", "sh", "-c", script, str(folder), "true"], capture_output=True)
        if probe.returncode == 0:
            return ("unshare", "-m", "sh", "-c", script, str(folder)), False
        if not shutil.which("setpriv"):
            pytest.fail("root without mount namespaces or setpriv: cannot make a folder read-only for the test")
        os.chmod(folder, 0o555)
        return ("setpriv", "--bounding-set", "-dac_override", "--inh-caps", "-dac_override"), True
    os.chmod(folder, 0o555)
    return (), True


def _wal_design(pod_db: Path, folder: Path, log_pages: bool) -> Path:
    """A design in WAL mode: with a note only in its -wal (and no -shm), or with no log at all."""
    folder.mkdir()
    path = folder / "pod.twin.db"
    shutil.copy(pod_db, path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("INSERT INTO notes (text, status, x, y, z) VALUES ('in the log', 'open', 1, 2, 3)")
    conn.commit()
    if log_pages:                                      # copy the file and its log as a crash would leave them
        copy = folder.parent / "copy"
        copy.mkdir()
        shutil.copy(path, copy / path.name)
        shutil.copy(f"{path}-wal", copy / f"{path.name}-wal")
    conn.close()                                       # the last connection folds the log in
    if log_pages:
        shutil.rmtree(folder)
        (folder.parent / "copy").rename(folder)
    return path


@pytest.mark.parametrize("log_pages", [False, True], ids=["no-log", "note-only-in-the-log"])
def test_a_wal_design_on_a_read_only_folder_reads(pod_db, tmp_path, log_pages):
    path = _wal_design(pod_db, tmp_path / "media", log_pages)
    assert Path(f"{path}-wal").exists() == log_pages and not Path(f"{path}-shm").exists()
    with open(path, "rb") as fh:
        assert fh.read(20)[18:20] == b"\x02\x02"       # the header says WAL
    before = {p.name: _digest(p) for p in path.parent.iterdir()}
    prefix, undo = _read_only_prefix(path.parent)
    out = tmp_path / "cables.csv"
    try:
        info = _twin("info", str(path), prefix=prefix)
        check = _twin("check", str(path), "--json", prefix=prefix)
        notes = _twin("notes", "list", str(path), "--json", prefix=prefix)
        export = _twin("export", "cables", str(path), "-o", str(out), prefix=prefix)
        refused = _twin("notes", "add", str(path), "--at", "1,2,3", "--text", "x", prefix=prefix)
    finally:
        if undo:
            os.chmod(path.parent, 0o755)
    for result in (info, check, notes, export):
        assert result.returncode == 0, result.stderr
    assert "9 racks" in info.stdout or "racks: 9" in info.stdout or " 9 " in info.stdout, info.stdout
    assert json.loads(check.stdout) is not None
    assert [n["text"] for n in json.loads(notes.stdout)["notes"]] == ["in the log"]
    conn = sqlite3.connect(pod_db)
    cables = conn.execute("SELECT count(*) FROM cables").fetchone()[0]
    conn.close()
    assert len(out.read_text().splitlines()) == cables + 1
    assert refused.returncode == 1 and "read-only" in refused.stderr and "Traceback" not in refused.stderr
    assert {p.name: _digest(p) for p in path.parent.iterdir()} == before
