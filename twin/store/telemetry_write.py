"""Adding imported sensors and readings to a design file: one transaction per source, all or nothing.

Why here: imported telemetry is user data in the design file, like review notes, so it is
written the same careful way (twin.store.connect's bounded connection, `BEGIN IMMEDIATE`, a
10 s busy timeout, no writes into a file carrying triggers) and it survives a rebuild
(twin.store.imported_carry). A source's sensors are identified by (`sensors.source`,
`sensors.source_uri`): importing the same source again updates each sensor's binding and adds
readings to it; a reading at a (sensor, ts) already stored takes the new value.

Files written before these columns existed get them added (`ALTER TABLE … ADD COLUMN`, inside
the same transaction).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from twin.errors import TwinError
from twin.store.connect import connect_writable, overran, triggers

BUSY_TIMEOUT_S = 10.0
#: columns imported sensors fill (NULL on generated sensors); docs/schema.md
SENSOR_COLUMNS = {"source": "TEXT", "source_uri": "TEXT", "reading_type": "TEXT", "physical_context": "TEXT",
                  "range_min": "FLOAT", "range_max": "FLOAT", "health": "TEXT"}
IMPORTS_DDL = ("CREATE TABLE IF NOT EXISTS telemetry_imports (id INTEGER PRIMARY KEY, source TEXT, kind TEXT, "
               "imported_at TEXT, sensors INTEGER, readings INTEGER, bound INTEGER, unbound INTEGER)")


@dataclass
class SensorRow:
    """One imported sensor and its readings, bound or not (ids None)."""

    source_uri: str
    name: str
    kind: str
    unit: str
    part_id: int | None
    rack_id: int | None
    loop_id: int | None
    readings: list[tuple[str, float]] = field(default_factory=list)
    reading_type: str = ""
    physical_context: str = ""
    range_min: float | None = None
    range_max: float | None = None
    health: str = ""


def ensure_columns(conn: sqlite3.Connection) -> None:
    """Add the imported-telemetry columns and table where the file lacks them (inside the caller's transaction)."""
    have = {r[1] for r in conn.execute("PRAGMA main.table_info(sensors)")}
    for column, sql_type in SENSOR_COLUMNS.items():
        if column not in have:
            conn.execute(f"ALTER TABLE main.sensors ADD COLUMN {column} {sql_type}")
    conn.execute(IMPORTS_DDL)
    conn.execute("CREATE INDEX IF NOT EXISTS idx_sensors_source_uri ON sensors (source, source_uri)")


def add_telemetry(path: Path, source: str, kind: str, rows: list[SensorRow], imported_at: str,
                  bound: int, unbound: int) -> tuple[int, int]:
    """Write one source's sensors and readings in one transaction; (sensors added, readings added or changed).

    TwinError naming the file when it cannot be written; the file is then as it was."""
    conn = None
    try:
        conn = connect_writable(path, BUSY_TIMEOUT_S)
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"sensors", "readings"} <= present:
            raise TwinError(path, "not a twin design with sensors and readings tables")
        carried = triggers(conn)
        if carried:
            raise TwinError(path, f"carries triggers ({', '.join(carried)}); twin writes no telemetry into a file "
                                  "that runs code on insert (rebuild it with twin build)")
        conn.execute("BEGIN IMMEDIATE")
        try:
            ensure_columns(conn)
            added_sensors, added_readings = _write(conn, source, rows)
            conn.execute("INSERT INTO telemetry_imports (source, kind, imported_at, sensors, readings, bound, unbound) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (source, kind, imported_at, len(rows), added_readings, bound, unbound))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return added_sensors, added_readings
    except sqlite3.Error as exc:
        reason = overran(conn, exc) or str(exc)
        if "locked" in reason or "busy" in reason:
            reason = f"another program kept it locked for over {BUSY_TIMEOUT_S:g} s"
        raise TwinError(path, f"could not add the telemetry of {source}: {reason}; the design is as it was") from None
    finally:
        if conn is not None:
            conn.close()


def _write(conn: sqlite3.Connection, source: str, rows: list[SensorRow]) -> tuple[int, int]:
    existing = {str(uri): int(sid) for sid, uri in
                conn.execute("SELECT id, source_uri FROM sensors WHERE source = ?", (source,))}
    next_id = int(conn.execute("SELECT COALESCE(max(id), 0) FROM sensors").fetchone()[0]) + 1
    added = 0
    before = conn.total_changes
    for row in rows:
        values = (row.name, row.kind, row.unit, row.part_id, row.rack_id, row.loop_id, row.reading_type,
                  row.physical_context, row.range_min, row.range_max, row.health)
        sid = existing.get(row.source_uri)
        if sid is None:
            sid, next_id = next_id, next_id + 1
            conn.execute("INSERT INTO sensors (id, name, kind, unit, part_id, rack_id, cooling_loop_id, reading_type, "
                         "physical_context, range_min, range_max, health, source, source_uri) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (sid, *values, source, row.source_uri))
            existing[row.source_uri] = sid
            added += 1
        else:
            conn.execute("UPDATE sensors SET name = ?, kind = ?, unit = ?, part_id = ?, rack_id = ?, cooling_loop_id = ?, "
                         "reading_type = ?, physical_context = ?, range_min = ?, range_max = ?, health = ? WHERE id = ?",
                         (*values, sid))
    sensor_changes = conn.total_changes - before
    before = conn.total_changes
    conn.executemany("INSERT INTO readings (sensor_id, ts, value) VALUES (?, ?, ?) "
                     "ON CONFLICT (sensor_id, ts) DO UPDATE SET value = excluded.value WHERE value IS NOT excluded.value",
                     [(existing[row.source_uri], ts, value) for row in rows for ts, value in row.readings])
    del sensor_changes
    return added, conn.total_changes - before
