"""Review notes and saved viewpoints, written into the design file while others read or write it.

Why this module is careful: two viewers, or a viewer and the CLI, may add notes to one file
at the same time, a rebuild may replace its tables, and a reviewer's note must never be
lost. The rules every write follows (one short immediate transaction in WAL mode, a
reconnect when the file was replaced, no writes to a file carrying triggers) live in
twin.store.review_file. A file that is read-only or stays locked gives one `TwinError` that
says so; nothing is half-written.

Notes are pinned to a part (by name; a rack name pins to its frame) or to a 3D point, or
both (a point on a part). Text is stored exactly as given (quotes, SQL, HTML, emoji, a
megabyte): it only ever travels as a bound parameter.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
import sqlite3
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence, TypeVar

from twin.errors import TwinError
from twin.store.reader import open_database
from twin.store.review_file import ReviewFile

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Statuses a note can have.
NOTE_STATUSES = ("open", "resolved")
#: How long a writer waits for another one to finish before giving up, seconds.
BUSY_TIMEOUT_S = 10.0

_REVIEW_DDL = (
    "CREATE TABLE IF NOT EXISTS reviews (id INTEGER PRIMARY KEY, name TEXT, status TEXT, created TEXT)",
    "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, review_id INTEGER REFERENCES reviews(id), "
    "part_id INTEGER REFERENCES parts(id), x FLOAT, y FLOAT, z FLOAT, author TEXT, text TEXT, status TEXT, "
    "created TEXT, updated TEXT)",
    "CREATE INDEX IF NOT EXISTS idx_notes_part_id ON notes (part_id)",
    "CREATE TABLE IF NOT EXISTS viewpoints (id INTEGER PRIMARY KEY, name TEXT, px FLOAT, py FLOAT, pz FLOAT, "
    "fx FLOAT, fy FLOAT, fz FLOAT, ux FLOAT, uy FLOAT, uz FLOAT, view_angle FLOAT, state TEXT)",
)
#: The version of the view-state JSON a viewpoint's `state` column holds (twin.viewpoint writes it).
VIEW_STATE_VERSION = 1


@dataclass(frozen=True)
class Note:
    """One review note. `part` is the part's name ('' when pinned to a point only); `point`
    the 3D pin in world metres (None when pinned to the part as a whole)."""

    id: int
    part: str
    point: tuple[float, float, float] | None
    author: str
    text: str
    status: str
    created: str
    updated: str

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["point"] = list(self.point) if self.point is not None else None
        return d


@dataclass(frozen=True)
class Viewpoint:
    """A named view: the camera (position, focal point, view-up, view angle in degrees) and,
    for viewpoints saved since view states were kept, `state`: the rest of what was shown
    (overlay and its range, selection, visibility, trace, section, moment, basis, scenario)
    as the JSON object twin.viewpoint writes (None: a camera only)."""

    id: int
    name: str
    position: tuple[float, float, float]
    focal_point: tuple[float, float, float]
    view_up: tuple[float, float, float]
    view_angle: float
    state: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "position": list(self.position),
                "focal_point": list(self.focal_point), "view_up": list(self.view_up), "view_angle": self.view_angle,
                "state": self.state}


def now_utc() -> str:
    """The current UTC time as the file's timestamps are written (`2026-11-24T15:00:00Z`)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def login_name() -> str:
    """Who is writing: the login name, the default author of a note."""
    try:
        return getpass.getuser()
    except Exception:                     # no passwd entry (containers): fall back to the environment
        return os.environ.get("USER") or os.environ.get("USERNAME") or "unknown"


class ReviewStore:
    """Notes and viewpoints of one design file. Reads and writes each open a short transaction;
    the connection stays open until `close()` (or the end of a `with` block)."""

    def __init__(self, path: str | Path, busy_timeout_s: float = BUSY_TIMEOUT_S):
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        try:
            open_database(self.path).conn.close()     # a twin design this version reads, or TwinError
        except TwinError as exc:
            if "locked" in exc.message:
                raise TwinError(self.path, "cannot read it: another program keeps it locked; nothing was changed",
                                where="notes") from None
            raise
        self._file = ReviewFile(self.path, busy_timeout_s, _REVIEW_DDL)

    # ------------------------------------------------------------------ connection
    def __enter__(self) -> "ReviewStore":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections (the file goes back to a plain rollback-journal file if nobody else has it open)."""
        self._file.close()

    def _write(self, doing: str, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> list[sqlite3.Cursor]:
        """Run `statements` in one immediate transaction (all or nothing)."""
        return self._file.write(doing, lambda conn: [conn.execute(sql, params) for sql, params in statements])

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._file.query(sql, params)

    def read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read of the design file (read-only connection; TwinError when it cannot be read)."""
        return self._file.query(sql, params)

    def transaction(self, doing: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` as one guarded write (twin.store.review_file: all or nothing), for a
        batch such as a BCF import; `doing` completes "cannot …" in an error."""
        return self._file.write(doing, work)

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        names = {r[0] for r in self._query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"notes", "viewpoints"} <= names:       # a file from before review tables existed
            return []
        return self._query(sql, params)

    # ------------------------------------------------------------------ parts
    def part_id(self, name: str) -> int:
        """The id of the part called `name`, or of the frame of the rack called `name`;
        TwinError naming `name` when there is neither."""
        return self._part_id(self._query, name)

    def _part_id(self, query: Callable[[str, tuple[Any, ...]], list[tuple[Any, ...]]], name: str) -> int:
        rows = query("SELECT id FROM parts WHERE name = ? ORDER BY id LIMIT 1", (name,))
        if not rows:
            rows = query("""
                SELECT p.id FROM parts p JOIN racks r ON r.id = p.rack_id JOIN part_types t ON t.id = p.part_type_id
                WHERE r.name = ? AND t.kind = 'rack' ORDER BY p.id LIMIT 1""", (name,))
        if not rows:
            raise TwinError(self.path, f"no part (or rack) called {name!r} in this design", where="--part")
        return int(rows[0][0])

    # ------------------------------------------------------------------ notes
    def add_note(self, text: str, part: str | None = None, point: Sequence[float] | None = None,
                 author: str | None = None, status: str = "open") -> Note:
        """Add a note pinned to `part` (a part or rack name) and/or `point` (x, y, z in metres)."""
        if not isinstance(text, str) or not text.strip():
            raise TwinError(self.path, "a note needs some text", where="--text")
        if part is None and point is None:
            raise TwinError(self.path, "pin the note to a part (--part) or a point (--at X,Y,Z)", where="notes")
        _check_status(self.path, status)
        xyz = _point(self.path, point) if point is not None else (None, None, None)
        if part is not None:
            self.part_id(part)                 # a wrong name fails before the write lock is taken
        stamp = now_utc()

        def insert(conn: sqlite3.Connection) -> sqlite3.Cursor:
            # the part is looked up again under the write lock: a rebuild may have renumbered the parts
            part_id = self._part_id(lambda sql, params: conn.execute(sql, params).fetchall(), part) \
                if part is not None else None
            return conn.execute(
                "INSERT INTO notes (part_id, x, y, z, author, text, status, created, updated) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (part_id, *xyz, author or login_name(), text, status, stamp, stamp))

        cur = self._file.write("add the note", insert)
        if cur.lastrowid is None:
            raise TwinError(self.path, "the note was not stored (no row id came back)", where="notes")
        return self.note(cur.lastrowid)

    def note(self, note_id: int) -> Note:
        """The note with `note_id`; TwinError naming the id when there is none."""
        rows = self._read(_NOTE_SQL + " WHERE n.id = ?", (int(note_id),))
        if not rows:
            raise TwinError(self.path, f"no note with id {note_id}", where="notes")
        return _note(rows[0])

    def notes(self, status: str | None = None, part: str | None = None) -> list[Note]:
        """Every note, oldest first; only those of `status` and/or on the part called `part` if given."""
        if status is not None:
            _check_status(self.path, status)
        where, params = _equals_terms({"n.status": status, "p.name": part})
        sql = _NOTE_SQL + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY n.id"
        return [_note(r) for r in self._read(sql, tuple(params))]

    def edit_note(self, note_id: int, text: str | None = None, status: str | None = None,
                  author: str | None = None) -> Note:
        """Change a note's text, status and/or author; its `updated` time moves to now."""
        self.note(note_id)                                   # TwinError if it does not exist
        if text is not None and not text.strip():
            raise TwinError(self.path, "a note needs some text", where="--text")
        if status is not None:
            _check_status(self.path, status)
        sets, params = _equals_terms({"updated": now_utc(), "text": text, "status": status, "author": author})
        self._write("change the note", [(f"UPDATE notes SET {', '.join(sets)} WHERE id = ?", (*params, int(note_id)))])
        return self.note(note_id)

    def resolve_note(self, note_id: int) -> Note:
        return self.edit_note(note_id, status="resolved")

    def delete_note(self, note_id: int) -> None:
        self.note(note_id)
        self._write("delete the note", [("DELETE FROM notes WHERE id = ?", (int(note_id),))])

    # ------------------------------------------------------------------ viewpoints
    def save_viewpoint(self, name: str, position: Sequence[float], focal_point: Sequence[float],
                       view_up: Sequence[float] = (0.0, 0.0, 1.0), view_angle: float = 30.0,
                       state: dict[str, Any] | None = None) -> Viewpoint:
        """Save a named view (camera, and the view `state` if given); one of the same name is replaced."""
        if not name.strip():
            raise TwinError(self.path, "a viewpoint needs a name", where="viewpoints")
        row = self.viewpoint_row(name, position, focal_point, view_up, view_angle, state)

        def save(conn: sqlite3.Connection) -> None:
            add_state_column(conn)
            conn.execute("DELETE FROM viewpoints WHERE name = ?", (name,))
            conn.execute(f"INSERT INTO viewpoints ({_VIEW_COLUMNS}) VALUES ({', '.join('?' * 12)})", row)

        self._file.write("save the viewpoint", save)
        return next(v for v in self.viewpoints() if v.name == name)

    def viewpoint_row(self, name: str, position: Sequence[float], focal_point: Sequence[float],
                       view_up: Sequence[float], view_angle: float, state: dict[str, Any] | None) -> tuple[Any, ...]:
        """The values of a viewpoint row, checked (finite camera, a JSON object as state)."""
        try:
            angle = float(view_angle)
        except (TypeError, ValueError):
            angle = float("nan")
        if not 0 < angle < 180:                                  # NaN and infinities fail too
            raise TwinError(self.path, f"a view angle is between 0 and 180 degrees, not {view_angle!r}",
                            where="viewpoints")
        text = None
        if state is not None:
            if not isinstance(state, dict):
                raise TwinError(self.path, "a viewpoint's state is a JSON object", where="viewpoints")
            try:
                text = json.dumps({"version": VIEW_STATE_VERSION, **state}, allow_nan=False, sort_keys=True)
            except (TypeError, ValueError, RecursionError) as exc:
                raise TwinError(self.path, f"a viewpoint's state cannot be stored as JSON ({exc})",
                                where="viewpoints") from None
        return (name, *_point(self.path, position), *_point(self.path, focal_point), *_point(self.path, view_up),
                angle, text)

    def viewpoints(self) -> list[Viewpoint]:
        columns = {r[1] for r in self._read("PRAGMA table_info(viewpoints)")}
        state = "state" if "state" in columns else "NULL"       # a file from before view states were kept
        rows = self._read("SELECT id, name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle, "
                          f"{state} FROM viewpoints ORDER BY id")
        return [Viewpoint(int(r[0]), r[1] or "", _xyz(r[2:5]), _xyz(r[5:8]), _xyz(r[8:11]),
                          float(r[11]) if r[11] is not None else 30.0, _state(self.path, r[1], r[12])) for r in rows]

    def delete_viewpoint(self, name: str) -> None:
        (cur,) = self._write("delete the viewpoint", [("DELETE FROM viewpoints WHERE name = ?", (name,))])
        if cur.rowcount == 0:
            raise TwinError(self.path, f"no viewpoint called {name!r}", where="viewpoints")


_VIEW_COLUMNS = "name, px, py, pz, fx, fy, fz, ux, uy, uz, view_angle, state"


def add_state_column(conn: sqlite3.Connection) -> None:
    """Give a `viewpoints` table from before view states were kept its `state` column (additive:
    older twins read the file as before and ignore it)."""
    if "state" not in {r[1] for r in conn.execute("PRAGMA table_info(viewpoints)")}:
        conn.execute("ALTER TABLE viewpoints ADD COLUMN state TEXT")


def _state(path: Path, name: str, text: Any) -> dict[str, Any] | None:
    """The stored view state of viewpoint `name` (None: none, or not one this twin reads, logged)."""
    if text is None or text == "":
        return None
    try:
        state = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        log.warning("%s: viewpoint %r: its state is not JSON; only its camera is used", path, name)
        return None
    if not isinstance(state, dict) or not isinstance(state.get("version"), int):
        log.warning("%s: viewpoint %r: its state is not a versioned object; only its camera is used", path, name)
        return None
    if state["version"] > VIEW_STATE_VERSION:
        log.warning("%s: viewpoint %r: its state is of version %s, newer than this twin's %d; what this twin "
                    "knows of it is used", path, name, state["version"], VIEW_STATE_VERSION)
    return state


_NOTE_SQL = ("SELECT n.id, COALESCE(p.name, ''), n.x, n.y, n.z, n.author, n.text, n.status, n.created, n.updated "
             "FROM notes n LEFT JOIN parts p ON p.id = n.part_id")


def _note(row: tuple[Any, ...]) -> Note:
    point = None if row[2] is None else _xyz(row[2:5])
    return Note(int(row[0]), row[1], point, row[5] or "", row[6] or "", row[7] or "open", row[8] or "", row[9] or "")


def _xyz(values: Sequence[Any]) -> tuple[float, float, float]:
    x, y, z = (float(v) if v is not None else 0.0 for v in values)
    return x, y, z


def _point(path: Path, values: Sequence[float]) -> tuple[float, float, float]:
    try:
        xyz = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        raise TwinError(path, f"a point is three numbers x,y,z, not {values!r}", where="--at") from None
    if len(xyz) != 3 or not all(v == v and abs(v) != float("inf") for v in xyz):
        raise TwinError(path, f"a point is three finite numbers x,y,z, not {values!r}", where="--at")
    return xyz[0], xyz[1], xyz[2]


def _equals_terms(columns: dict[str, object]) -> tuple[list[str], list[object]]:
    """`column = ?` terms and their values for the columns given a value (None leaves one out)."""
    given = {column: value for column, value in columns.items() if value is not None}
    return [f"{column} = ?" for column in given], list(given.values())


def _check_status(path: Path, status: str) -> None:
    if status not in NOTE_STATUSES:
        raise TwinError(path, f"status must be {' or '.join(NOTE_STATUSES)}, not {status!r}", where="--status")


def iter_note_rows(notes: Sequence[Note]) -> Iterator[str]:
    """Notes as terminal text: a header line per note, then its text verbatim, indented."""
    for n in notes:
        pin = n.part or ""
        if n.point is not None:
            pin += ("@" if pin else "") + ",".join(f"{v:.2f}" for v in n.point)
        yield f"#{n.id}  [{n.status}]  {pin}  {n.author}  {n.created}" + (f" (edited {n.updated})" if n.updated != n.created else "")
        for line in n.text.splitlines() or [""]:
            yield f"    {line}"
