"""Write a whole design into a new file: the bulk path of `twin build` and the importers.

Tables arrive as columns (numpy arrays or lists); -1 in a nullable column means NULL.
Why it is shaped like this (campus: 2.75 million ports, 864,000 cables):
- the file is a new temporary, put in place only when complete, so it is written without a
  rollback journal or fsyncs (a failed build deletes it);
- rows go in as multi-row `insert … values (…), (…), …` statements over chunks of the
  columns: per row, Python's `executemany` costs more than SQLite's own insert, and one
  statement per ~100 rows spends that cost once per statement instead;
- indexes are built after the rows are in (one sort each), and foreign keys are checked
  once at the end rather than row by row.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from twin.errors import TwinError
from twin.store.schema import create_indexes, create_schema

#: Columns whose -1 means NULL.
NULLABLE = {"rack_id", "u_position", "parent_id", "power_w", "power_node_id", "cooling_loop_id", "part_id",
            "generation_id"}
#: Insert order: referenced tables first.
ORDER = ("meta", "generations", "suppliers", "part_types", "halls", "cooling_loops", "power_nodes", "racks",
         "parts", "ports", "cable_trays", "cables", "sensors", "readings")
CHUNK_ROWS = 50_000          # rows turned into Python values at a time (bounds the memory of a write)
ROWS_PER_STATEMENT = 100     # rows in one insert statement (fewer where the variable limit is lower)
CACHE_KIB = 64 * 1024        # SQLite page cache while writing (index sorts run in it)


def write_tables(path: Path, tables: dict[str, dict[str, Any]], source: str | Path | None = None,
                 timings: dict[str, float] | None = None) -> dict[str, int]:
    """Create schema v1 in the new (empty or absent) file at `path` and insert every table; returns row counts.

    An existing file is emptied in place rather than replaced: its owner may hold a lock on it
    (twin.store.rebuild.temporary_design).

    A reference to a row that does not exist is a TwinError naming `source` (the spec the
    tables came from), the table, the row id and the column. `timings`, when given, receives
    the seconds spent "writing" (the rows) and "indexing" (indexes, key check, statistics).
    """
    start = time.perf_counter()
    path = Path(path)
    if path.exists() and path.stat().st_size:
        os.truncate(path, 0)
    conn = sqlite3.connect(path)
    try:
        counts, written = _write(sqlite_utils.Database(conn), tables, source)
    finally:
        conn.close()
    if timings is not None:
        timings["writing"] = written - start
        timings["indexing"] = time.perf_counter() - written
    return counts


def _write(db: sqlite_utils.Database, tables: dict[str, dict[str, Any]],
           source: str | Path | None) -> tuple[dict[str, int], float]:
    """The body of `write_tables`: row counts and the clock when the rows were in (before the indexes)."""
    create_schema(db, indexes=False)
    conn: sqlite3.Connection = db.conn
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA foreign_keys = OFF")
    counts: dict[str, int] = {}
    with conn:
        for name in ORDER:
            cols = tables.get(name)
            if not cols:
                continue
            if name == "meta":
                conn.executemany("insert or replace into meta (key, value) values (?, ?)", zip(cols["key"], cols["value"]))
                continue
            counts[name] = insert_columns(conn, name, cols)
    written = time.perf_counter()
    create_indexes(db)
    problem = conn.execute("PRAGMA foreign_key_check").fetchone()
    if problem:
        message, where = _dangling_reference(conn, *problem)
        raise TwinError(source, message, where=where)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("ANALYZE")
    return counts, written


def insert_columns(conn: sqlite3.Connection, table: str, cols: dict[str, Any]) -> int:
    """Insert the rows of `cols` (column name -> values, all the same length) into `table`; returns the count."""
    names = list(cols)
    width = len(names)
    n = len(cols[names[0]])
    per_statement = max(1, min(ROWS_PER_STATEMENT, _variable_limit(conn) // width))
    row = f"({', '.join('?' * width)})"
    head = f"insert into {table} ({', '.join(names)}) values "
    many, one = head + ", ".join([row] * per_statement), head + row
    step = per_statement * width
    for lo in range(0, n, CHUNK_ROWS):
        hi = min(n, lo + CHUNK_ROWS)
        block = np.empty((hi - lo, width), dtype=object)
        for j, key in enumerate(names):
            block[:, j] = _column_values(key, cols[key][lo:hi])
        flat = block.ravel().tolist()
        whole = (hi - lo) // per_statement * step
        conn.executemany(many, (flat[i:i + step] for i in range(0, whole, step)))
        conn.executemany(one, (flat[i:i + width] for i in range(whole, len(flat), width)))
    return n


def _variable_limit(conn: sqlite3.Connection) -> int:
    """How many ? one statement may hold in this SQLite (999 before 3.32, 32766 since)."""
    return conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def _dangling_reference(conn: sqlite3.Connection, table: str, rowid: int, parent: str, fk_id: int) -> tuple[str, str]:
    """A foreign_key_check row as a message and the `table[row id].column` it is about."""
    columns = {row[0]: (row[3], row[4] or "id") for row in conn.execute(f"PRAGMA foreign_key_list({table})")}
    column, target = columns.get(fk_id, ("?", "id"))
    value = conn.execute(f"select {column} from {table} where rowid = ?", (rowid,)).fetchone() if column != "?" else None
    shown = value[0] if value else "?"
    return (f"refers to {parent} {target} {shown}, which does not exist",
            f"{table} row {rowid}, column {column}")


def _column_values(name: str, values: Any) -> list[Any]:
    """A column as plain Python values for sqlite3, with -1 → NULL where the column allows it."""
    if isinstance(values, np.ndarray):
        if name in NULLABLE and values.dtype.kind in "if":
            obj = values.astype(object)
            obj[values < 0] = None
            return obj.tolist()
        return values.tolist()
    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    return [None if (name in NULLABLE and isinstance(v, (int, float)) and v < 0) else v for v in plain]
