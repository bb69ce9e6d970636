"""Review notes, reviews and saved viewpoints survive a rebuild of the design they belong to.

`twin build` writes a fresh design from its spec; reviewers' work in the old file must not
be lost. The rebuild (twin.store.rebuild) calls `stash_reviews` and `restore_reviews` inside
the one transaction that replaces the file's tables, so a note committed by anyone before
that transaction is carried, and one committed after it lands in the rebuilt design.
Notes are re-pinned to the part of the same name; a note whose part is gone keeps its 3D
position (taken from where the part stood) and is reported.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from twin.errors import TwinError
from twin.store.reader import open_database

REVIEW_TABLES = ("reviews", "notes", "viewpoints", "scenarios", "scenario_changes")
_VIEWPOINT_COLUMNS = "id, name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle, state"
#: Scenarios (twin.store.scenarios) are carried whole: they name elements, and a name the rebuilt
#: design no longer has is reported when the scenario is applied, not dropped here.
_SCENARIO_COLUMNS = {"scenarios": "id, name, description, author, created",
                     "scenario_changes": "id, scenario_id, kind, target, value"}


def check_replaceable(path: Path) -> None:
    """Refuse to overwrite a file that exists but is not a twin design."""
    if path.exists():
        try:
            open_database(path).conn.close()
        except TwinError as exc:
            raise TwinError(path, f"exists and is not a twin design that can be rebuilt ({exc.message}); "
                                  "not overwriting it", where="-o") from None


def stash_reviews(conn: sqlite3.Connection) -> None:
    """Copy the review rows of the `main` design into TEMP tables, each note with its part's name and position.

    Run inside the rebuild's write transaction, before the old tables are dropped. A table
    the old file does not have stashes as empty.
    """
    present = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    conn.execute("CREATE TEMP TABLE carry_reviews AS SELECT id, name, status, created FROM main.reviews"
                 if "reviews" in present else
                 "CREATE TEMP TABLE carry_reviews (id, name, status, created)")
    # a viewpoints table from before view states were kept has no `state`: carried as NULL
    has_state = "viewpoints" in present and "state" in {
        r[1] for r in conn.execute("PRAGMA main.table_info(viewpoints)")}
    kept = _VIEWPOINT_COLUMNS if has_state else _VIEWPOINT_COLUMNS.replace(", state", ", NULL AS state")
    conn.execute(f"CREATE TEMP TABLE carry_viewpoints AS SELECT {kept} FROM main.viewpoints"
                 if "viewpoints" in present else
                 f"CREATE TEMP TABLE carry_viewpoints ({_VIEWPOINT_COLUMNS})")
    for table, cols in _SCENARIO_COLUMNS.items():
        conn.execute(f"CREATE TEMP TABLE carry_{table} AS SELECT {cols} FROM main.{table}" if table in present else
                     f"CREATE TEMP TABLE carry_{table} ({cols})")
    columns = "id, review_id, part_name, x, y, z, part_x, part_y, part_z, author, text, status, created, updated"
    if "notes" in present:
        conn.execute("""CREATE TEMP TABLE carry_notes AS
            SELECT n.id AS id, n.review_id AS review_id, op.name AS part_name, n.x AS x, n.y AS y, n.z AS z,
                   op.x AS part_x, op.y AS part_y, op.z AS part_z, n.author AS author, n.text AS text,
                   n.status AS status, n.created AS created, n.updated AS updated
            FROM main.notes n LEFT JOIN main.parts op ON op.id = n.part_id""")
    else:
        conn.execute(f"CREATE TEMP TABLE carry_notes ({columns})")


def restore_reviews(conn: sqlite3.Connection, path: Path) -> tuple[int, list[str]]:
    """Insert the stashed rows into the rebuilt `main` design; how many, and a warning per orphaned note."""
    carried = conn.execute("INSERT INTO main.reviews (id, name, status, created) "
                           "SELECT id, name, status, created FROM temp.carry_reviews").rowcount
    carried += conn.execute(f"INSERT INTO main.viewpoints ({_VIEWPOINT_COLUMNS}) "
                            f"SELECT {_VIEWPOINT_COLUMNS} FROM temp.carry_viewpoints").rowcount
    carried += _restore_scenarios(conn)
    conn.execute("""CREATE TEMP TABLE carry_pins AS
        SELECT c.id AS note_id, (SELECT min(p.id) FROM main.parts p WHERE p.name = c.part_name) AS part_id
        FROM temp.carry_notes c""")
    orphans = conn.execute("""SELECT c.id, c.part_name FROM temp.carry_notes c JOIN temp.carry_pins k ON k.note_id = c.id
                              WHERE c.part_name IS NOT NULL AND k.part_id IS NULL ORDER BY c.id""").fetchall()
    carried += conn.execute("""
        INSERT INTO main.notes (id, review_id, part_id, x, y, z, author, text, status, created, updated)
        SELECT c.id, c.review_id, k.part_id,
               CASE WHEN k.part_id IS NULL THEN COALESCE(c.x, c.part_x) ELSE c.x END,
               CASE WHEN k.part_id IS NULL THEN COALESCE(c.y, c.part_y) ELSE c.y END,
               CASE WHEN k.part_id IS NULL THEN COALESCE(c.z, c.part_z) ELSE c.z END,
               c.author, c.text, c.status, c.created, c.updated
        FROM temp.carry_notes c JOIN temp.carry_pins k ON k.note_id = c.id ORDER BY c.id""").rowcount
    for table in ("carry_reviews", "carry_viewpoints", "carry_notes", "carry_pins", "carry_scenarios",
                  "carry_scenario_changes"):
        conn.execute(f"DROP TABLE temp.{table}")
    warnings = [f"{path}: note {note_id} was pinned to part {part_name}, which the rebuilt design no longer has; "
                "kept at the part's old position" for note_id, part_name in orphans]
    return carried, warnings


def _restore_scenarios(conn: sqlite3.Connection) -> int:
    """Put the stashed scenarios into the rebuilt design (its tables made only when there are some)."""
    if not conn.execute("SELECT 1 FROM temp.carry_scenarios LIMIT 1").fetchone():
        return 0
    from twin.store.scenarios import SCENARIO_DDL

    for ddl in SCENARIO_DDL:
        conn.execute(ddl.replace("IF NOT EXISTS ", "IF NOT EXISTS main.", 1))
    carried = 0
    for table, cols in _SCENARIO_COLUMNS.items():
        carried += conn.execute(f"INSERT INTO main.{table} ({cols}) SELECT {cols} FROM temp.carry_{table}").rowcount
    return carried
