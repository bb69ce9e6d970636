"""The connections a review store keeps to its design file, and the rules every review write follows.

Why apart from the notes themselves (twin.store.notes): these rules are about the file, not
about notes.
- Every write is one short `BEGIN IMMEDIATE` transaction in WAL mode with a busy timeout:
  writers queue instead of failing, readers never block writers, and a killed process leaves
  the file as it was after its last commit.
- The file may be replaced while a store stays open (a copy moved over it, a restore from
  backup). A store notices (device and inode of the name differ from those it opened) and
  reconnects before it reads or writes, and a write checks again once it holds the write
  lock, so the next note lands in the file that is on disk under that name, never in an
  unlinked one.
- A design file is data, not code: twin refuses to write to one that carries triggers (a
  trigger would run twin's insert as its own program) and names them; every statement is
  bounded in time (twin.store.connect).
- Reads go through a read-only connection, so listing notes never changes the file and
  works on read-only media.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any, Callable, TypeVar

from twin.errors import TwinError
from twin.store.connect import GuardedConnection, connect_readonly, connect_writable, overran, triggers

T = TypeVar("T")
#: SQLite's extended code for "the file was moved or unlinked under this connection".
SQLITE_READONLY_DBMOVED = 1032
#: How many times a write reconnects to a file replaced under it before giving up.
RECONNECTS = 5


class ReviewFile:
    """A read connection and a write connection to one design file, reopened when the file is replaced."""

    def __init__(self, path: Path, busy_timeout_s: float, ddl: tuple[str, ...]):
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._ddl = ddl
        self._reader: GuardedConnection | None = None
        self._writer: GuardedConnection | None = None
        self._identity: tuple[int, int] | None = None

    def close(self) -> None:
        """Close both connections; if this store wrote and nobody else has the file open, put it back
        into rollback-journal mode, so it reads on read-only media without a `-shm`."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._writer is not None:
            try:
                self._writer.execute("PRAGMA busy_timeout = 0")
                self._writer.execute("PRAGMA journal_mode = DELETE")
            except sqlite3.Error:
                pass                          # another reader or writer still has it open: stays WAL
            self._writer.close()
            self._writer = None
        self._identity = None

    # ------------------------------------------------------------------ reading
    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows of one read; a locked, unreadable or hostile file becomes a TwinError saying so."""
        self._follow_replacement()
        try:
            if self._reader is None:
                self._reader = connect_readonly(self.path)
                self._reader.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
                self._remember_identity()
            return self._reader.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc, "read the notes", self._reader) from None

    # ------------------------------------------------------------------ writing
    def write(self, doing: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(conn)` in one immediate transaction on the file now on disk (all or nothing)."""
        for _ in range(RECONNECTS):
            self._follow_replacement()
            conn = self._connect_writer(doing)
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if self._replaced():                 # moved between the check above and the lock
                        conn.execute("ROLLBACK")
                        self._reopen()
                        continue
                    self._refuse_triggers(conn)
                    for ddl in self._ddl:
                        conn.execute(ddl)
                    result = work(conn)
                    conn.execute("COMMIT")
                    return result
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorcode", None) == SQLITE_READONLY_DBMOVED:
                    self._reopen()
                    continue
                raise self.error(exc, doing, conn) from None
        raise TwinError(self.path, f"cannot {doing}: the file kept being replaced while writing; nothing was changed",
                        where="notes")

    def _connect_writer(self, doing: str) -> GuardedConnection:
        """The write connection, in WAL mode (set on the first write: reading never changes the file)."""
        if self._writer is not None:
            return self._writer
        conn = None
        try:
            conn = connect_writable(self.path, self.busy_timeout_s)
            conn.execute("PRAGMA foreign_keys = ON")
            self._refuse_triggers(conn)                  # before the journal mode changes a byte of the file
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a commit survives a killed process
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self.error(exc, f"open it to {doing}", conn) from None
            raise
        self._writer = conn
        self._remember_identity()
        return conn

    def _refuse_triggers(self, conn: sqlite3.Connection) -> None:
        found = triggers(conn)
        if found:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise TwinError(self.path, f"carries triggers ({', '.join(found)}) that would run as part of twin's "
                            "writes; a design file holds data, not code, so twin does not write to it (drop the "
                            "triggers, or rebuild the design); nothing was changed", where="notes")

    # ------------------------------------------------------------------ the file under the name
    def _stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def _remember_identity(self) -> None:
        if self._identity is None:
            self._identity = self._stat()

    def _replaced(self) -> bool:
        return self._identity is not None and self._stat() != self._identity

    def _follow_replacement(self) -> None:
        if self._replaced():
            self._reopen()

    def _reopen(self) -> None:
        for conn in (self._reader, self._writer):
            if conn is not None:
                conn.close()
        self._reader = self._writer = None
        self._identity = None
        if self._stat() is None:
            raise TwinError(self.path, "the design file is gone (moved or deleted while it was open)", where="notes")

    def error(self, exc: sqlite3.Error, doing: str, conn: sqlite3.Connection | None = None) -> TwinError:
        """The TwinError for an SQLite failure while doing `doing` (it says nothing was changed)."""
        text = str(exc).lower()
        if (stopped := overran(conn, exc)) is not None:
            why = stopped
        elif "readonly" in text or "read-only" in text or "unable to open" in text:
            why = "the file (or its folder) is read-only"
        elif "locked" in text or "busy" in text:
            why = f"another program kept it locked for over {self.busy_timeout_s:g} s"
        elif "full" in text:
            why = "disk full"
        else:
            why = str(exc)
        return TwinError(self.path, f"cannot {doing}: {why}; nothing was changed", where="notes")
