"""Putting a freshly written design in place of an old one without losing a note or corrupting the file.

Why in place: reviewers' notes are written into the design file by other processes (`twin
notes add`, the viewer's long-lived review store) at any moment. Renaming a new file over
the design leaves those writers connected to the unlinked old file (their next note is
acknowledged and lost), and removing the old `-wal`/`-shm` under a live connection lets
it replay the old log into the new file ("database disk image is malformed"). So a
rebuild of an existing design copies the new tables into the real file inside one SQLite
write transaction: SQLite's own locks serialise it against every writer (twin's or any
other program's), the notes are carried inside the same transaction (a note committed
before it is carried, one committed after it lands in the rebuilt design), and a process
killed half-way leaves the old design, notes and all (the log's uncommitted pages are
never used). The file is switched to WAL first so readers keep reading the old design
while the copy runs. A design that does not exist yet appears by one hard link.

The new tables are first written to a hidden temporary file beside the target (fast: no
journal). Its name carries the writer's process id and the writer holds a lock on it, so
a later run can tell a temporary left by a killed process and remove it.
"""

from __future__ import annotations

import errno
import os
import secrets
import sqlite3
import stat
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from twin.errors import TwinError
from twin.store.connect import GuardedConnection, connect_writable, overran, readonly_uri, triggers
from twin.store.imported_carry import restore_imported, stash_imported
from twin.store.reviews import restore_reviews, stash_reviews

try:
    import fcntl
except ImportError:                       # not on Windows: the process id alone says whose a temporary is
    fcntl = None  # type: ignore[assignment]

#: How long a rebuild waits for another writer or reader to let go of the design, seconds.
REBUILD_WAIT_S = 30.0
#: Seconds one statement reading the old design's notes may run (milliseconds when the file is honest).
STASH_BUDGET_S = 60.0
#: Seconds one statement copying the new tables in may run (campus ports: a few seconds).
COPY_BUDGET_S = 900.0
#: A temporary from before names carried their owner's process id is stale when untouched this long.
LEGACY_STALE_S = 3600.0


# ---------------------------------------------------------------------- the temporary file
def temporary_name(target: Path) -> Path:
    """A fresh hidden name beside `target` that records this process as its owner."""
    return target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@contextmanager
def temporary_design(target: Path) -> Iterator[Path]:
    """An empty temporary file beside `target`, locked by this process and removed on every exit.

    Stale temporaries of `target` (their owner died: kill -9, power cut) are removed first.
    """
    remove_stale_temporaries(target)
    path = temporary_name(target)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise TwinError(target, f"cannot write beside it: {exc.strerror or exc}", where="-o") from None
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)
        for suffix in ("", "-journal", "-wal", "-shm"):
            try:
                os.unlink(f"{path}{suffix}")
            except FileNotFoundError:
                pass


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Remove the temporaries of `target` whose owner process is gone; returns what was removed."""
    removed: list[Path] = []
    prefix = f".{target.name}."
    try:
        names = os.listdir(target.parent)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        path = target.parent / name
        owner, _, token = name[len(prefix):-len(".tmp")].partition(".")
        if owner.isdigit() and token:
            if int(owner) == os.getpid() or _process_alive(int(owner)):
                continue
        elif not _untouched_for(path, LEGACY_STALE_S):
            continue
        if _unlink_if_unlocked(path):
            removed.append(path)
    return removed


def _process_alive(pid: int) -> bool:
    """Whether process `pid` is running (a zombie, killed and not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _untouched_for(path: Path, seconds: float) -> bool:
    try:
        return time.time() - os.lstat(path).st_mtime > seconds
    except OSError:
        return False


def _unlink_if_unlocked(path: Path) -> bool:
    """Remove a regular file nobody holds the temporary's lock on (never follows a symlink)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False                       # its owner still holds it
        os.unlink(path)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- putting it in place
def install_design(new: Path, target: Path) -> tuple[int, list[str]]:
    """Make the complete design `new` the design at `target`, carrying its notes, reviews and viewpoints.

    Returns how many review rows were carried and warnings (notes whose part is gone, triggers
    dropped). `new` is left for its owner to remove.
    """
    try:
        os.link(new, target)                     # nothing there yet: the design appears whole, in one step
        return 0, []
    except FileExistsError:
        pass
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK) or target.exists():
            raise TwinError(target, f"cannot create it: {storage_reason(exc)}", where="-o") from None
        os.replace(new, target)                  # a file system without hard links, and still no design there
        return 0, []
    return _rebuild_in_place(new, target)


def _rebuild_in_place(new: Path, target: Path) -> tuple[int, list[str]]:
    """Replace every table of `target` by those of `new` inside one write transaction (module docstring)."""
    conn: GuardedConnection | None = None
    try:
        conn = connect_writable(target, REBUILD_WAIT_S, budget_s=STASH_BUDGET_S)
        conn.execute("PRAGMA foreign_keys = OFF")      # the new tables were checked when written
        conn.execute("PRAGMA journal_mode = WAL")      # readers go on reading the old design meanwhile
        conn.execute("ATTACH DATABASE ? AS fresh", (readonly_uri(new),))
        conn.execute("BEGIN IMMEDIATE")
        try:
            stash_reviews(conn)
            stash_imported(conn)                         # imported telemetry is user data too
            dropped = triggers(conn)
            conn.deadline.budget_s = COPY_BUDGET_S       # dropping and copying take time in proportion to size
            _drop_everything(conn)
            _copy_tables(conn)
            conn.deadline.budget_s = STASH_BUDGET_S
            carried, warnings = restore_reviews(conn, target)
            warnings += restore_imported(conn, target)[2]
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise TwinError(target, f"could not rebuild it: {_sqlite_reason(conn, exc)}; the design and its notes "
                                "are as they were") from None
    finally:
        if conn is not None:
            _settle(conn)
            conn.close()
    if dropped:
        warnings.append(f"{target}: the old design carried triggers ({', '.join(dropped)}); the rebuilt design "
                        "has none (a design file holds data, not code)")
    return carried, warnings


def _drop_everything(conn: sqlite3.Connection) -> None:
    """Drop every trigger, view and table of `main` (statistics are emptied: SQLite owns those tables)."""
    for kind in ("trigger", "view", "table"):
        dropped: set[str] = set()
        while True:                         # one at a time: dropping a virtual table drops its shadow tables
            rows = conn.execute("SELECT name, sql FROM main.sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite^_%' "
                                "ESCAPE '^' ORDER BY (sql LIKE 'CREATE VIRTUAL%') DESC, rowid", (kind,)).fetchall()
            if not rows:
                break
            name = rows[0][0]
            if name in dropped:
                raise sqlite3.OperationalError(f"the old design's {kind} {name!r} cannot be dropped")
            conn.execute(f"DROP {kind.upper()} IF EXISTS main.{_quoted(name)}")
            dropped.add(name)
    for table in ("sqlite_stat1", "sqlite_stat4", "sqlite_sequence"):
        if conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = ?", (table,)).fetchone():
            conn.execute(f"DELETE FROM main.{table}")


def _copy_tables(conn: sqlite3.Connection) -> None:
    """Create `fresh`'s tables and indexes in `main` and copy the rows (page by page where SQLite can)."""
    schema = conn.execute("SELECT type, name, sql FROM fresh.sqlite_master WHERE sql IS NOT NULL "
                          "AND name NOT LIKE 'sqlite^_%' ESCAPE '^' ORDER BY type = 'index', rowid").fetchall()
    for _kind, _name, sql in schema:
        conn.execute(sql)
    for kind, name, _sql in schema:
        if kind == "table":
            conn.execute(f"INSERT INTO main.{_quoted(name)} SELECT * FROM fresh.{_quoted(name)}")
    if conn.execute("SELECT 1 FROM fresh.sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        if not conn.execute("SELECT 1 FROM main.sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            conn.execute("ANALYZE main.sqlite_master")          # creates the (empty) statistics table
        conn.execute("INSERT INTO main.sqlite_stat1 SELECT * FROM fresh.sqlite_stat1")


def _settle(conn: sqlite3.Connection) -> None:
    """Best effort once the rebuild is over: give back the space of a design that shrank, empty the
    log the copy filled and, when nobody else has the file open, make it a plain file again."""
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("DETACH DATABASE fresh")
        free, pages = (conn.execute(f"PRAGMA {p}").fetchone()[0] for p in ("freelist_count", "page_count"))
        if free > pages // 2:
            conn.deadline.budget_s = COPY_BUDGET_S          # type: ignore[attr-defined]
            conn.execute("VACUUM")
    except sqlite3.Error:
        pass                                               # another connection is reading: the space stays
    for pragma in ("PRAGMA wal_checkpoint(TRUNCATE)", "PRAGMA journal_mode = DELETE"):
        try:
            conn.execute(pragma).fetchall()
        except sqlite3.Error:
            pass                                           # another connection is reading: it stays WAL


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_reason(conn: sqlite3.Connection | None, exc: sqlite3.Error) -> str:
    text = str(exc).lower()
    if (stopped := overran(conn, exc)) is not None:
        return stopped
    if "full" in text:
        return "disk full"
    if "locked" in text or "busy" in text:
        return f"another program kept it locked for over {REBUILD_WAIT_S:g} s"
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return "the file (or its folder) is read-only"
    return str(exc)


def storage_reason(exc: BaseException) -> str:
    """Why writing a design failed, in a few words (disk full, file too large, read-only, …)."""
    if isinstance(exc, OSError):
        return {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded", errno.EFBIG: "file size limit reached",
                errno.EROFS: "read-only file system", errno.EACCES: "permission denied"}.get(
            exc.errno or 0, exc.strerror or str(exc))
    text = str(exc)
    return "disk full" if "full" in text.lower() else text


@contextmanager
def writing_design(target: Path) -> Iterator[None]:
    """Turn a storage failure while writing the design for `target` into one TwinError naming it.

    Used around the write of the temporary and its installation: the old design is untouched
    by either failure, and `temporary_design` removes the temporary as the error leaves.
    """
    try:
        yield
    except (OSError, sqlite3.OperationalError) as exc:
        raise TwinError(target, f"could not write the new design: {storage_reason(exc)}; the old design is "
                                "unchanged and the temporary file was removed") from None
