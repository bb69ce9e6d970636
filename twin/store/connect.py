"""Connections to design files: every statement bounded in time, read-only opening that works on read-only media.

Why: a design file comes from anywhere, and SQLite runs what a file declares (a view's
query, a generated column's expression) when twin reads from it. A statement that runs
longer than its budget is stopped by a progress handler, so a hostile file gives a clear
error naming it instead of hanging a command (perhaps one holding the write lock). The
budget is per statement: `execute` arms it, fetching the rows counts against it.

Reading on read-only media: a design in WAL mode needs its `-shm` index beside it. When
the folder cannot be written and there is no `-shm`, a file without pending log pages is
opened `immutable` (nothing can change it anyway); one whose `-wal` holds pages is read
from a private copy of the file and its log, so the newest notes are not dropped.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

#: Seconds one statement that reads a design may run (the largest honest read, campus cables, takes a few).
READ_BUDGET_S = 120.0
#: Seconds one statement of a review write may run (milliseconds when the file is honest).
WRITE_BUDGET_S = 30.0
#: How many SQLite virtual-machine steps pass between two looks at the clock.
PROGRESS_STEPS = 1000


class _Deadline:
    """When the statement now running must stop; `fired` says the handler stopped one."""

    __slots__ = ("budget_s", "until", "fired")

    def __init__(self, budget_s: float):
        self.budget_s = budget_s
        self.until = float("inf")
        self.fired = False

    def arm(self) -> None:
        self.until = time.monotonic() + self.budget_s
        self.fired = False

    def expired(self) -> int:
        if time.monotonic() > self.until:
            self.fired = True
            return 1
        return 0


class GuardedCursor(sqlite3.Cursor):
    """A cursor whose statements run against their connection's deadline."""

    def _arm(self) -> None:
        connection = self.connection
        assert isinstance(connection, GuardedConnection)
        connection.deadline.arm()

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        self._arm()
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> Self:
        self._arm()
        return super().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        self._arm()
        return super().executescript(sql_script)


class GuardedConnection(sqlite3.Connection):
    """An SQLite connection whose every statement must finish within `deadline.budget_s` seconds."""

    deadline: _Deadline
    path: Path

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self.deadline.arm()
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Any], /) -> sqlite3.Cursor:
        self.deadline.arm()
        return super().executemany(sql, seq_of_parameters)

    def executescript(self, sql_script: str, /) -> sqlite3.Cursor:
        self.deadline.arm()
        return super().executescript(sql_script)

    def cursor(self, factory: Any = None) -> Any:
        return super().cursor(factory or GuardedCursor)


def guard(conn: GuardedConnection, path: Path, budget_s: float) -> GuardedConnection:
    """Install the statement deadline on a connection made with `factory=GuardedConnection`."""
    conn.path = path
    conn.deadline = _Deadline(budget_s)
    conn.set_progress_handler(conn.deadline.expired, PROGRESS_STEPS)
    return conn


def connect_readonly(path: str | Path, budget_s: float | None = None) -> GuardedConnection:
    """A read-only, bounded connection to an existing design file (works on read-only folders too)."""
    path = Path(path)
    conn = sqlite3.connect(readonly_uri(path), uri=True, factory=GuardedConnection)
    return guard(conn, path, READ_BUDGET_S if budget_s is None else budget_s)


def connect_writable(path: str | Path, timeout_s: float, budget_s: float | None = None) -> GuardedConnection:
    """A read-write, bounded connection to an existing design file (never creates one)."""
    path = Path(path)
    conn = sqlite3.connect(f"{_file_uri(path)}?mode=rw", uri=True, timeout=timeout_s, isolation_level=None,
                           factory=GuardedConnection)
    guard(conn, path, WRITE_BUDGET_S if budget_s is None else budget_s)
    conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
    return conn


def overran(conn: sqlite3.Connection | None, exc: BaseException) -> str | None:
    """The reason to show when `exc` is the progress handler stopping a statement of `conn`, else None."""
    deadline = getattr(conn, "deadline", None)
    if deadline is None or not deadline.fired or "interrupt" not in str(exc).lower():
        return None
    return (f"a statement ran for over {deadline.budget_s:g} s and was stopped; a design file holds data, "
            "so look for views, triggers or generated columns that do work")


def triggers(conn: sqlite3.Connection) -> list[str]:
    """Names of the triggers the file carries ('name on table'), in schema order."""
    return [f"{name} on {table}" for name, table in
            conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY rowid")]


# ---------------------------------------------------------------------- read-only media
def _file_uri(path: Path) -> str:
    """`file:` URI of a path, with '?', '#' and '%' in names escaped."""
    return "file:" + quote(os.path.abspath(path))


def readonly_uri(path: Path) -> str:
    """The URI that opens `path` for reading, whatever its folder allows (see the module docstring)."""
    if _folder_writable(path) or not _is_wal(path) or Path(f"{path}-shm").exists():
        return f"{_file_uri(path)}?mode=ro"
    wal = Path(f"{path}-wal")
    if not wal.exists() or wal.stat().st_size == 0:
        return f"{_file_uri(path)}?immutable=1"
    return f"{_file_uri(_private_copy(path))}?mode=ro"


def _folder_writable(path: Path) -> bool:
    """Whether files can be created beside `path` (a read-only mount says no even to root)."""
    folder = os.path.dirname(os.path.abspath(path))
    if hasattr(os, "statvfs"):
        try:
            if os.statvfs(folder).f_flag & os.ST_RDONLY:
                return False
        except OSError:
            return False
    return os.access(folder, os.W_OK)


def _is_wal(path: Path) -> bool:
    """Whether the file's header says WAL mode (bytes 18 and 19 are 2)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
    except OSError:
        return False
    return len(head) == 20 and head[18] == 2 and head[19] == 2


_copies: dict[tuple[Any, ...], Path] = {}


def _private_copy(path: Path) -> Path:
    """A copy of `path` and its `-wal` in a folder of this process (removed at exit), made once per version."""
    wal = Path(f"{path}-wal")
    key = (os.path.abspath(path), *(_signature(p) for p in (path, wal)))
    if key not in _copies:
        folder = Path(tempfile.mkdtemp(prefix="twin-readonly-"))
        atexit.register(shutil.rmtree, folder, True)
        copy = folder / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, f"{copy}-wal")
        _copies[key] = copy
    return _copies[key]


def _signature(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_ino, st.st_size, st.st_mtime_ns
