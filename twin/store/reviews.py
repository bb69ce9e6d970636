"""Review notes, reviews and saved viewpoints survive a rebuild of the design they belong to.

`twin build` writes a fresh file from its spec; reviewers' work in the old file must not be
lost. Notes are re-pinned to the part of the same name; a note whose part is gone keeps
its 3D position (taken from where the part stood) and is reported.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from twin.errors import TwinError
from twin.store.reader import open_database

REVIEW_TABLES = ("reviews", "notes", "viewpoints")


def check_replaceable(path: Path) -> None:
    """Refuse to overwrite a file that exists but is not a twin design."""
    if path.exists():
        try:
            open_database(path).conn.close()
        except TwinError as exc:
            raise TwinError(path, f"exists and is not a twin design that can be rebuilt ({exc.message}); "
                                  "not overwriting it", where="-o") from None


def carry_reviews(old: Path, new: Path) -> tuple[int, list[str]]:
    """Copy reviews, notes and viewpoints from `old` into the freshly built `new`.

    Returns how many rows were carried and a warning per note whose part no longer exists.
    """
    if not old.exists():
        return 0, []
    settle_wal(old)
    conn = sqlite3.connect(new)
    try:
        conn.execute("ATTACH DATABASE ? AS old", (str(old),))
        present = {r[0] for r in conn.execute("SELECT name FROM old.sqlite_master WHERE type = 'table'")}
        if not all(t in present for t in REVIEW_TABLES):
            return 0, []
        warnings: list[str] = []
        with conn:
            carried = conn.execute("INSERT INTO reviews SELECT * FROM old.reviews").rowcount
            carried += conn.execute("INSERT INTO viewpoints SELECT * FROM old.viewpoints").rowcount
            orphans = conn.execute("""
                SELECT n.id, op.name FROM old.notes n JOIN old.parts op ON op.id = n.part_id
                WHERE NOT EXISTS (SELECT 1 FROM main.parts p WHERE p.name = op.name)""").fetchall()
            carried += conn.execute("""
                INSERT INTO notes (id, review_id, part_id, x, y, z, author, text, status, created, updated)
                SELECT n.id, n.review_id,
                       (SELECT p.id FROM main.parts p WHERE p.name = op.name),
                       COALESCE(n.x, op.x), COALESCE(n.y, op.y), COALESCE(n.z, op.z),
                       n.author, n.text, n.status, n.created, n.updated
                FROM old.notes n LEFT JOIN old.parts op ON op.id = n.part_id""").rowcount
        for note_id, part_name in orphans:
            warnings.append(f"{new}: note {note_id} was pinned to part {part_name}, which the rebuilt design "
                            "no longer has; kept at the part's old position")
        return carried, warnings
    finally:
        conn.close()


def settle_wal(path: Path) -> None:
    """Fold a design file's write-ahead log into the file itself and empty the log.

    Notes are written in WAL mode: the newest ones may still sit in `FILE-wal`. Before the file
    is read for carrying or replaced by a rebuild, checkpoint it so the main file holds every
    committed note and the log is empty.
    """
    conn = sqlite3.connect(path, timeout=10.0)
    try:
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.DatabaseError:
        pass                        # read-only or not ours: the ATTACH that follows reads the log as is
    finally:
        conn.close()


def replace_design(new: Path, target: Path) -> None:
    """Move the freshly built `new` over `target`, dropping `target`'s old WAL sidecar files.

    A log left beside the target belongs to the old file; if it stayed, SQLite would replay
    its pages into the new one. `carry_reviews` has already folded it into the old file.
    """
    os.replace(new, target)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
