"""Imported telemetry survives a rebuild of the design it was imported into.

Sensors and readings brought in by `twin telemetry import` (rows of `sensors` whose `source`
is set, their `readings`, and the `telemetry_imports` log) are user data, like review notes:
`twin build` regenerates the design from its spec, and must not drop them. The rebuild
(twin.store.rebuild) calls `stash_imported` and `restore_imported` inside its one write
transaction, next to the review notes. Each sensor is re-bound by name: to the part of the
same name, the rack of the same name, the cooling loop of the same name. A sensor whose part,
rack or loop is gone keeps its readings and is carried unbound there, with a warning naming it.
Sensor ids are renumbered after the generated sensors; readings follow their sensor.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from twin.store.telemetry_write import IMPORTS_DDL, SENSOR_COLUMNS, ensure_columns

_COLUMNS = ("name", "kind", "unit", *SENSOR_COLUMNS)
#: warnings listed one by one before the rest are counted
SHOWN = 10


def stash_imported(conn: sqlite3.Connection) -> None:
    """Copy the imported sensors (with their targets' names), their readings and the import log into TEMP tables."""
    tables = {r[0] for r in conn.execute("SELECT name FROM main.sqlite_master WHERE type = 'table'")}
    cols = {r[1] for r in conn.execute("PRAGMA main.table_info(sensors)")} if "sensors" in tables else set()
    picked = ", ".join(f"s.{c} AS {c}" for c in _COLUMNS)
    if {"sensors", "readings"} <= tables and "source" in cols and set(_COLUMNS) <= cols:
        joins, names = [], []
        for table, column, alias in (("parts", "part_id", "part_name"), ("racks", "rack_id", "rack_name"),
                                     ("cooling_loops", "cooling_loop_id", "loop_name")):
            if table in tables:
                joins.append(f"LEFT JOIN main.{table} t_{table} ON t_{table}.id = s.{column}")
                names.append(f"t_{table}.name AS {alias}")
            else:
                names.append(f"NULL AS {alias}")
        conn.execute(f"CREATE TEMP TABLE carry_isensors AS SELECT s.id AS old_id, {picked}, {', '.join(names)} "
                     f"FROM main.sensors s {' '.join(joins)} WHERE s.source IS NOT NULL ORDER BY s.id")
        conn.execute("CREATE TEMP TABLE carry_ireadings AS SELECT r.sensor_id AS old_id, r.ts AS ts, r.value AS value "
                     "FROM main.readings r WHERE r.sensor_id IN (SELECT old_id FROM temp.carry_isensors)")
    else:
        conn.execute(f"CREATE TEMP TABLE carry_isensors (old_id, {', '.join(_COLUMNS)}, part_name, rack_name, loop_name)")
        conn.execute("CREATE TEMP TABLE carry_ireadings (old_id, ts, value)")
    if "telemetry_imports" in tables:
        conn.execute("CREATE TEMP TABLE carry_iimports AS SELECT * FROM main.telemetry_imports")
    else:
        conn.execute(IMPORTS_DDL.replace("CREATE TABLE IF NOT EXISTS telemetry_imports",
                                         "CREATE TEMP TABLE carry_iimports"))


def restore_imported(conn: sqlite3.Connection, path: Path) -> tuple[int, int, list[str]]:
    """Insert the stashed telemetry into the rebuilt design: (sensors, readings carried, warnings)."""
    ensure_columns(conn)
    base = int(conn.execute("SELECT COALESCE(max(id), 0) FROM main.sensors").fetchone()[0])
    conn.execute(f"""CREATE TEMP TABLE carry_imap AS
        SELECT c.old_id AS old_id, {base} + row_number() OVER (ORDER BY c.old_id) AS new_id,
               (SELECT min(p.id) FROM main.parts p WHERE p.name = c.part_name) AS part_id,
               (SELECT min(r.id) FROM main.racks r WHERE r.name = c.rack_name) AS rack_id,
               (SELECT min(l.id) FROM main.cooling_loops l WHERE l.name = c.loop_name) AS loop_id
        FROM temp.carry_isensors c""")
    lost = conn.execute("""SELECT c.name, c.source, c.source_uri, c.part_name, c.rack_name, c.loop_name,
                                  m.part_id, m.rack_id, m.loop_id
                           FROM temp.carry_isensors c JOIN temp.carry_imap m ON m.old_id = c.old_id
                           WHERE (c.part_name IS NOT NULL AND m.part_id IS NULL)
                              OR (c.rack_name IS NOT NULL AND m.rack_id IS NULL)
                              OR (c.loop_name IS NOT NULL AND m.loop_id IS NULL) ORDER BY c.old_id""").fetchall()
    names = ", ".join(_COLUMNS)
    sensors = conn.execute(f"""INSERT INTO main.sensors (id, part_id, rack_id, cooling_loop_id, {names})
        SELECT m.new_id, m.part_id, m.rack_id, m.loop_id, {', '.join('c.' + c for c in _COLUMNS)}
        FROM temp.carry_isensors c JOIN temp.carry_imap m ON m.old_id = c.old_id ORDER BY m.new_id""").rowcount
    readings = conn.execute("""INSERT INTO main.readings (sensor_id, ts, value)
        SELECT m.new_id, r.ts, r.value FROM temp.carry_ireadings r JOIN temp.carry_imap m ON m.old_id = r.old_id
        ORDER BY m.new_id, r.ts""").rowcount
    conn.execute("INSERT INTO main.telemetry_imports SELECT * FROM temp.carry_iimports")
    for table in ("carry_isensors", "carry_ireadings", "carry_iimports", "carry_imap"):
        conn.execute(f"DROP TABLE temp.{table}")
    warnings = []
    for name, source, uri, part, rack, loop, part_id, rack_id, loop_id in lost[:SHOWN]:
        gone = [f"{what} {value}" for what, value, new in (("part", part, part_id), ("rack", rack, rack_id),
                                                             ("loop", loop, loop_id)) if value is not None and new is None]
        warnings.append(f"{path}: imported sensor {name} ({source} {uri}) measured {' and '.join(gone)}, which the "
                        "rebuilt design no longer has; kept with its readings, unbound there")
    if len(lost) > SHOWN:
        warnings.append(f"{path}: {len(lost) - SHOWN:,} more imported sensors lost their part, rack or loop the same "
                        "way; kept with their readings, unbound there")
    return sensors, readings, warnings
