"""Write a whole design into a new file in one transaction: the bulk path of `twin build`.

Tables arrive as columns (numpy arrays or lists); -1 in a nullable column means NULL.
Foreign keys are checked once at the end rather than row by row, which is what makes
writing ~1.4 million rows take seconds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from twin.errors import TwinError
from twin.store.schema import create_schema

#: Columns whose -1 means NULL.
NULLABLE = {"rack_id", "u_position", "parent_id", "power_w", "power_node_id", "cooling_loop_id", "part_id",
            "generation_id"}
#: Insert order: referenced tables first.
ORDER = ("meta", "generations", "suppliers", "part_types", "halls", "cooling_loops", "power_nodes", "racks",
         "parts", "ports", "cable_trays", "cables", "sensors", "readings")


def write_tables(path: Path, tables: dict[str, dict[str, Any]], source: str | Path | None = None) -> dict[str, int]:
    """Create schema v1 in a new file at `path` and insert every table; returns row counts.

    A reference to a row that does not exist is a TwinError naming `source` (the spec the
    tables came from), the table, the row id and the column.
    """
    db = sqlite_utils.Database(path, recreate=True)
    create_schema(db)
    conn: sqlite3.Connection = db.conn
    conn.execute("PRAGMA journal_mode = MEMORY")
    conn.execute("PRAGMA synchronous = OFF")
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
            names = list(cols)
            values = [_column_values(key, cols[key]) for key in names]
            sql = f"insert into {name} ({', '.join(names)}) values ({', '.join('?' * len(names))})"
            conn.executemany(sql, zip(*values))
            counts[name] = len(values[0])
    problem = conn.execute("PRAGMA foreign_key_check").fetchone()
    if problem:
        message, where = _dangling_reference(conn, *problem)
        conn.close()
        raise TwinError(source, message, where=where)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("ANALYZE")
    conn.close()
    return counts


def _dangling_reference(conn: sqlite3.Connection, table: str, rowid: int, parent: str, fk_id: int) -> tuple[str, str]:
    """A foreign_key_check row as a message and the `table[row id].column` it is about."""
    columns = {row[0]: (row[3], row[4] or "id") for row in conn.execute(f"PRAGMA foreign_key_list({table})")}
    column, target = columns.get(fk_id, ("?", "id"))
    value = conn.execute(f"select {column} from {table} where rowid = ?", (rowid,)).fetchone() if column != "?" else None
    shown = value[0] if value else "?"
    return (f"refers to {parent} {target} {shown}, which does not exist",
            f"{table} row {rowid}, column {column}")


def _column_values(name: str, values: Any) -> list:
    """A column as plain Python values for sqlite3, with -1 → NULL where the column allows it."""
    if isinstance(values, np.ndarray):
        if name in NULLABLE and values.dtype.kind in "if":
            obj = values.astype(object)
            obj[values < 0] = None
            return obj.tolist()
        return values.tolist()
    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    return [None if (name in NULLABLE and isinstance(v, (int, float)) and v < 0) else v for v in plain]
