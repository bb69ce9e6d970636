"""Review notes, reviews and saved viewpoints survive a rebuild of the design they belong to.

`twin build` writes a fresh file from its spec; reviewers' work in the old file must not be
lost. Notes are re-pinned to the part of the same name; a note whose part is gone keeps
its 3D position (taken from where the part stood) and is reported.
"""

from __future__ import annotations

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
