"""Read a design file into the model (`twin.model.Design`).

Every check that can fail names the file and the table or row: a file that is not SQLite,
a design written by a newer twin, missing tables. Dangling references inside an otherwise
readable design do not stop the load: they become warnings and the rest of the scene loads.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from pathlib import Path
from typing import Callable

import numpy as np
import sqlite_utils

from twin.errors import TwinError
from twin.model.design import Columns, Design, drawable_trays
from twin.model.limits import LIMITS, limit, over
from twin.store.cable_reader import CableReading, whole
from twin.store.connect import connect_readonly, overran
from twin.store.lazy_tables import LazyTables
from twin.store.schema import REQUIRED_TABLES, SCHEMA_VERSION

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"


def open_database(path: str | Path) -> sqlite_utils.Database:
    """Open an existing design file after checking it is a twin design this version reads."""
    path = Path(path)
    if not path.exists():
        raise TwinError(path, "no such file")
    if path.is_dir():
        raise TwinError(path, "is a folder, not a design file")
    head = _read_head(path)
    if head != SQLITE_MAGIC:
        raise TwinError(path, "not a twin design: the file is not an SQLite database")
    conn = None
    try:
        conn = connect_readonly(path)
        db = sqlite_utils.Database(conn)
        tables = set(db.table_names())
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise TwinError(path, f"unreadable SQLite database ({overran(conn, exc) or exc})") from None
    if "meta" not in tables:
        raise TwinError(path, "not a twin design: it has no 'meta' table")
    row = db.execute("select value from meta where key = 'schema_version'").fetchone()
    if row is None:
        raise TwinError(path, "no schema_version row", where="table meta")
    try:
        version = int(row[0])
    except (TypeError, ValueError):
        raise TwinError(path, f"schema_version is {row[0]!r}, not a number", where="table meta") from None
    if version > SCHEMA_VERSION:
        raise TwinError(path, f"written by a newer twin (schema v{version}); this twin reads up to v{SCHEMA_VERSION}",
                        where="table meta")
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        raise TwinError(path, f"missing tables: {', '.join(missing)}")
    return db


def _read_head(path: Path) -> bytes:
    """The first bytes of a design file, which must be a regular file (never wait on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise TwinError(path, f"cannot open the file ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise TwinError(path, "is not a regular file (a pipe, device or socket); give a .twin.db design file")
        return fh.read(len(SQLITE_MAGIC))


#: Tables whose rows are held in memory, and the limit each is checked against before reading.
ROW_LIMITS = {"racks": "racks", "parts": "parts", "cables": "cables", "part_types": "part_types",
              "sensors": "sensors", "ports": "ports"}


def load_design(path: str | Path, progress: Callable[[str, float], None] | None = None, *,
                defer_cables: bool = False) -> Design:
    """Load the whole design into column tables (no readings: those are read on demand).

    `progress(stage, fraction)` hears what is being read and how far along (0..1, weighted by
    the rows of each table) so a window can show more than a busy bar. `defer_cables`: leave
    the cable rows in the file until a cable column is first used (`twin.model.deferred`): the
    viewer draws its first frame without them and reads them in the background; a damaged
    cables table then raises its `TwinError` at that read."""
    path = Path(path)
    db = open_database(path)
    try:
        return _Loader(db, path, progress, defer_cables).load()
    except sqlite3.DatabaseError as exc:
        raise TwinError(path, f"cannot read the design ({overran(db.conn, exc) or exc})") from None
    finally:
        db.conn.close()


class _Loader(CableReading):
    def __init__(self, db: sqlite_utils.Database, path: Path, progress: Callable[[str, float], None] | None = None,
                 defer_cables: bool = False):
        self.db = db
        self.defer_cables = defer_cables
        self.path = path
        self.warnings: list[str] = []
        self._progress = progress
        self._weights: dict[str, float] = {}
        self._done = 0.0

    def progress_off(self) -> None:
        """No more progress reports (a deferred read runs after the load has reported "read")."""
        self._progress = None

    def warn(self, message: str) -> None:
        """Something in the file that could not be used as written: kept with the design and logged.

        The record is marked `design_warning`: the CLI prints a design's warnings itself, once per
        command (twin.cli_warnings), so its log handler leaves these out."""
        self.warnings.append(message)
        log.warning(message, extra={"design_warning": True})

    def stage(self, name: str, table: str) -> None:
        """Report the stage about to start; the fraction is what the earlier stages' rows weigh."""
        if self._progress is None:
            return
        if not self._weights:
            tables = ("part_types", "racks", "parts", "power_nodes", "cables", "sensors")
            rows = {t: float(self.db.execute(f"select count(*) from {t}").fetchone()[0]) if t in self.db.table_names()
                    else 0.0 for t in tables}
            if self.defer_cables:           # read after the load: no share of its bar
                rows["cables"] = 0.0
            total = sum(rows.values()) or 1.0
            self._weights = {t: n / total for t, n in rows.items()}
        self._progress(name, min(self._done, 1.0))
        self._done += self._weights.get(table, 0.0)

    def numbers(self, table: str, columns: list[str]) -> dict[str, np.ndarray]:
        """Numeric columns ordered by id; NULL becomes NaN; text where a number belongs is a TwinError."""
        sql = f"select {', '.join(columns)} from {table} order by {'rowid' if table == 'readings' else 'id'}"
        rows = self.db.execute(sql).fetchall()
        try:
            block = np.array(rows, dtype=np.float64).reshape(len(rows), len(columns))
        except (ValueError, TypeError):
            raise self.not_a_number(table, columns) from None
        if columns[0] == "id":
            self.check_ids(table, block[:, 0])
        return {name: block[:, i] for i, name in enumerate(columns)}

    def check_ids(self, table: str, ids: np.ndarray) -> None:
        """Every row has an id and no two share one (a table rebuilt without its primary key may break both).

        Rows are found by id everywhere (`Columns.index_of`): a repeated id would count one
        rack or part twice, and every reference to it would reach only one of them."""
        missing = np.isnan(ids)
        if missing.any():
            raise TwinError(self.path, f"{int(missing.sum())} rows have no id (NULL); every row needs a unique id",
                            where=f"table {table}")
        values, counts = np.unique(ids, return_counts=True)
        if (counts > 1).any():
            first = np.flatnonzero(counts > 1)
            raise TwinError(self.path, f"id {int(values[first[0]])} is used by {int(counts[first[0]])} rows "
                            f"({len(first)} ids repeated); ids must be unique (was the table rebuilt without its "
                            "primary key?)", where=f"table {table}")

    def not_a_number(self, table: str, columns: list[str], db: sqlite_utils.Database | None = None) -> TwinError:
        """The error for the first cell of `columns` that holds text or bytes instead of a number."""
        key = "rowid" if table == "readings" else "id"
        for column in columns:
            hit = (db or self.db).execute(f"select {key}, {column} from {table} where typeof({column}) in ('text', 'blob') "
                                  f"order by {key} limit 1").fetchone()
            if hit is not None:
                shown = repr(hit[1] if isinstance(hit[1], str) else bytes(hit[1]))[:60]
                return TwinError(self.path, f"column {column} holds {shown}, not a number",
                                 where=f"table {table}, row {key} {hit[0]!r}")
        return TwinError(self.path, f"a column of {', '.join(columns)} does not hold numbers", where=f"table {table}")

    def check_sizes(self) -> None:
        """Refuse a design bigger than twin's limits before reading its rows into memory."""
        for table, key in ROW_LIMITS.items():
            count = self.db.execute(f"select count(*) from {table}").fetchone()[0]
            problem = over(key, count)
            if problem:
                raise TwinError(self.path, f"{count:,} rows: {problem}", where=f"table {table}")

    def check_halls(self, ids: np.ndarray, size: np.ndarray) -> None:
        """Every hall has a finite, positive size within the hall limits (it sets the floor grid and camera)."""
        caps = np.array([limit("hall_size_m"), limit("hall_size_m"), limit("hall_height_m")])
        bad = ~np.isfinite(size) | (size <= 0) | (size > caps)
        if bad.any():
            row, col = (int(v) for v in np.argwhere(bad)[0])
            column = ("width_m", "depth_m", "height_m")[col]
            cap = LIMITS["hall_height_m" if col == 2 else "hall_size_m"].text()
            raise TwinError(self.path, f"{column} is {size[row, col]:g}: a hall side must be a positive number "
                            f"of at most {cap}", where=f"table halls, row id {int(ids[row])}")

    def texts(self, table: str, columns: list[str]) -> dict[str, np.ndarray]:
        rows = self.db.execute(f"select {', '.join(columns)} from {table} order by id").fetchall()
        return {name: np.array([r[i] if r[i] is not None else "" for r in rows], dtype=object)
                for i, name in enumerate(columns)}

    def ref(self, ids: np.ndarray, target: Columns, table: str, column: str, row_ids: np.ndarray) -> np.ndarray:
        """Turn foreign-key ids into row indices of `target`; NULL → -1, dangling → -1 + warning."""
        present = ~np.isnan(ids)
        index = np.full(len(ids), -1, dtype=np.int64)
        index[present] = target.index_of(whole(ids[present], fill=-1))      # an id beyond int64 points nowhere
        dangling = present & (index < 0)
        if dangling.any():
            first = int(row_ids[np.flatnonzero(dangling)[0]])
            self.warn(f"{self.path}: table {table}, row id {first}: {column} points to no row "
                                 f"({int(dangling.sum())} rows like this; treated as empty)")
        return index

    def load(self) -> Design:
        self.check_sizes()
        meta = {k: v for k, v in self.db.execute("select key, value from meta").fetchall()}
        self.stage("reading the catalogue", "part_types")
        generations = Columns(**self.ints("generations", ["id"]), **self.texts("generations", ["name", "label"]))
        suppliers = Columns(**self.ints("suppliers", ["id", "domestic"]),
                            **self.texts("suppliers", ["key", "name", "country"]))
        part_types = self.load_part_types(generations, suppliers)
        h = self.numbers("halls", ["id", "width_m", "depth_m", "height_m", "supply_air_c", "recirculation_c",
                                   "origin_x_m", "origin_y_m"])
        self.check_halls(h["id"], np.column_stack([h["width_m"], h["depth_m"], h["height_m"]]))
        origin = np.nan_to_num(np.column_stack([h["origin_x_m"], h["origin_y_m"]]))     # NULL: at the site origin
        self.place_finite(origin, h["id"], "halls")
        halls = Columns(id=h["id"].astype(np.int64), size=np.column_stack([h["width_m"], h["depth_m"], h["height_m"]]),
                        origin=origin,
                        supply_air_c=h["supply_air_c"], recirculation_c=h["recirculation_c"], **self.texts("halls", ["name", "ashrae_class"]))
        c = self.numbers("cooling_loops", ["id", "hall_id", "supply_c", "design_dt_k", "capacity_w", "flow_lpm"])
        loop_ids = c["id"].astype(np.int64)
        cooling_loops = Columns(id=loop_ids, hall=self.ref(c["hall_id"], halls, "cooling_loops", "hall_id", loop_ids),
                                supply_c=c["supply_c"], design_dt_k=c["design_dt_k"], capacity_w=c["capacity_w"],
                                flow_lpm=c["flow_lpm"], **self.texts("cooling_loops", ["name", "medium"]))
        self.stage("reading racks", "racks")
        racks = self.load_racks(halls, part_types, generations, cooling_loops)
        self.stage("reading parts", "parts")
        parts = self.load_parts(part_types, racks, cooling_loops)
        self.check_parts_present(len(parts.id))
        self.stage("reading the power chain", "power_nodes")
        power_nodes = self.load_power_nodes(parts)
        self.resolve_part_power(parts, power_nodes)
        self.stage("reading cables", "cables")
        cables = self.load_cables(parts)
        self.stage("reading trays and sensors", "sensors")
        t = self.numbers("cable_trays", ["id", "x0", "y0", "z0", "x1", "y1", "z1", "width_m", "height_m", "capacity"])
        cable_trays = Columns(id=t["id"].astype(np.int64), start=np.column_stack([t["x0"], t["y0"], t["z0"]]),
                              end=np.column_stack([t["x1"], t["y1"], t["z1"]]), width_m=t["width_m"],
                              height_m=t["height_m"], capacity=t["capacity"], **self.texts("cable_trays", ["name"]))
        cable_trays._columns["fill"] = self.tray_fill(cable_trays)
        self.warn_shapeless_trays(cable_trays)
        s = self.numbers("sensors", ["id", "part_id", "rack_id", "cooling_loop_id"])
        sensor_ids = s["id"].astype(np.int64)
        sensors = Columns(id=sensor_ids, part=self.ref(s["part_id"], parts, "sensors", "part_id", sensor_ids),
                          rack=self.ref(s["rack_id"], racks, "sensors", "rack_id", sensor_ids),
                          cooling_loop=self.ref(s["cooling_loop_id"], cooling_loops, "sensors", "cooling_loop_id", sensor_ids),
                          **self.texts("sensors", ["name", "kind", "unit"]), **self.imported_sensor_columns())
        if self._progress is not None:
            self._progress("read", 1.0)
        return Design(source=self.path, meta=meta, generations=generations, suppliers=suppliers,
                      part_types=part_types, halls=halls, racks=racks, parts=parts, cables=cables,
                      cable_trays=cable_trays, power_nodes=power_nodes, cooling_loops=cooling_loops,
                      sensors=sensors, cable_kinds=self.cable_kinds, port_kinds=self.port_kinds,
                      warnings=self.warnings, lazy=LazyTables(self.path))

    def imported_sensor_columns(self) -> dict[str, np.ndarray]:
        """The columns imported telemetry fills (`source`, `source_uri`: where a sensor's readings
        come from; `range_min`/`range_max`: the range it declares), where the file has them:
        the analyses name sensors by source and judge readings against their own range."""
        out: dict[str, np.ndarray] = {}
        texts = [c for c in ("source", "source_uri") if self.has_column("sensors", c)]
        if texts:
            out.update(self.texts("sensors", texts))
        numbers = [c for c in ("range_min", "range_max") if self.has_column("sensors", c)]
        if numbers:
            values = self.numbers("sensors", ["id", *numbers])
            out.update({c: values[c] for c in numbers})
        return out

    def check_parts_present(self, n_parts: int) -> None:
        """Refuse racks or cables with no parts at all: each rack stands as a frame part and each cable
        joins two, so every gather into the parts would be into nothing.

        (An empty design, no racks, parts or cables, still loads: analyses then say they cannot run.)"""
        if n_parts:
            return
        for table, what in (("racks", "racks, each standing as a frame part"), ("cables", "cables between parts")):
            rows = self.db.execute(f"select count(*) from {table}").fetchone()[0]
            if rows:
                raise TwinError(self.path, f"no rows, yet table {table} holds {rows:,} {what}", where="table parts")

    def has_column(self, table: str, column: str) -> bool:
        """True when `table` has `column` (files written before a column was added lack it)."""
        if not hasattr(self, "_columns"):
            self._columns: dict[str, set[str]] = {}
        if table not in self._columns:
            self._columns[table] = {row[1] for row in self.db.execute(f"pragma table_info({table})").fetchall()}
        return column in self._columns[table]

    def ints(self, table: str, columns: list[str]) -> dict[str, np.ndarray]:
        return {k: self.whole(v, table, k) for k, v in self.numbers(table, columns).items()}

    def whole(self, values: np.ndarray, table: str, column: str, fill: int = 0) -> np.ndarray:
        """A column as int64: NULL → `fill`; a value no int64 holds (1e308, 9.3e18) → `fill` with a warning."""
        out_of_range = np.isfinite(values) & (np.abs(np.nan_to_num(values)) >= 2.0 ** 62) | np.isinf(values)
        if out_of_range.any():
            self.warnings.append(f"{self.path}: table {table}: {column} is {values[out_of_range][0]:g}, beyond a "
                                 f"whole number ({int(out_of_range.sum())} rows like this; read as {fill})")
        return whole(values, fill)

    def load_part_types(self, generations: Columns, suppliers: Columns) -> Columns:
        n = self.numbers("part_types", [
            "id", "generation_id", "supplier_id", "u_height", "width_m", "depth_m", "height_m", "u_pitch_m",
            "mass_kg", "power_nominal_w", "power_max_w", "power_capacity_w", "cooling_capacity_w", "airflow_cfm",
            "coolant_lpm", "liquid_fraction", "lead_time_days", "unit_cost_usd"])
        ids = n.pop("id").astype(np.int64)
        # efficiency came after schema v1's first files: NaN (no loss modelled) where absent or NULL
        efficiency = self.numbers("part_types", ["efficiency"])["efficiency"] if self.has_column("part_types", "efficiency") \
            else np.full(len(ids), np.nan)
        gen = self.ref(n.pop("generation_id"), generations, "part_types", "generation_id", ids)
        sup = self.ref(n.pop("supplier_id"), suppliers, "part_types", "supplier_id", ids)
        size = np.column_stack([n.pop("width_m"), n.pop("depth_m"), n.pop("height_m")])
        bad = ~np.isfinite(size).all(axis=1) | (size <= 0).any(axis=1) | (size > limit("part_size_m")).any(axis=1)
        if bad.any():
            self.warn(f"{self.path}: table part_types, row id {int(ids[np.flatnonzero(bad)[0]])}: "
                                 f"size missing, not positive or over {LIMITS['part_size_m'].text()}; "
                                 "drawn as a 0.1 m box")
            size[bad] = 0.1
        n_u_height = n["u_height"]
        numbers = {k: np.nan_to_num(v, nan=0.0) for k, v in n.items()}
        numbers["u_height"] = self.whole(n_u_height, "part_types", "u_height")
        return Columns(id=ids, generation=gen, supplier=sup, size=size, **numbers, efficiency=efficiency,
                       **self.texts("part_types", ["name", "kind", "vendor", "model", "cooling_mode", "mesh_path",
                                                    "mesh_units", "country_of_origin"]))

    def load_racks(self, halls: Columns, part_types: Columns, generations: Columns, loops: Columns) -> Columns:
        n = self.numbers("racks", ["id", "hall_id", "slot", "x", "y", "yaw_deg", "part_type_id", "generation_id",
                                   "power_budget_w", "cooling_loop_id"])
        ids = n["id"].astype(np.int64)
        position = np.column_stack([n["x"], n["y"]])
        self.place_finite(position, ids, "racks")
        return Columns(id=ids, hall=self.ref(n["hall_id"], halls, "racks", "hall_id", ids),
                       slot=self.whole(n["slot"], "racks", "slot"), position=position,
                       yaw_deg=np.nan_to_num(n["yaw_deg"]),
                       type=self.ref(n["part_type_id"], part_types, "racks", "part_type_id", ids),
                       generation=self.ref(n["generation_id"], generations, "racks", "generation_id", ids),
                       power_budget_w=np.nan_to_num(n["power_budget_w"]),
                       cooling_loop=self.ref(n["cooling_loop_id"], loops, "racks", "cooling_loop_id", ids),
                       **self.texts("racks", ["name", "row"]))

    def warn_shapeless_trays(self, trays: Columns) -> None:
        """A warning naming the first tray without a shape (twin.model.design.drawable_trays): not drawn."""
        bad = np.flatnonzero(~drawable_trays(trays))
        if len(bad):
            i = int(bad[0])
            more = f" ({len(bad)} trays like this)" if len(bad) > 1 else ""
            self.warnings.append(f"{self.path}: table cable_trays, row id {int(trays.id[i])} ({trays.name[i]}): "
                                 f"an end is not a number or over {LIMITS['coordinate_m'].text()}, or its width or "
                                 f"height is not positive{more}; not drawn")

    def place_finite(self, position: np.ndarray, ids: np.ndarray, table: str) -> None:
        """Positions that are not numbers or lie absurdly far away move to the origin, with a warning."""
        bad = ~np.isfinite(position).all(axis=1) | (np.abs(np.nan_to_num(position)) > limit("coordinate_m")).any(axis=1)
        if bad.any():
            self.warn(f"{self.path}: table {table}, row id {int(ids[np.flatnonzero(bad)[0]])}: "
                                 f"position is not a number or over {LIMITS['coordinate_m'].text()} "
                                 f"({int(bad.sum())} rows like this; placed at the origin)")
            position[bad] = 0.0

    def load_parts(self, part_types: Columns, racks: Columns, loops: Columns) -> Columns:
        n = self.numbers("parts", ["id", "part_type_id", "rack_id", "u_position", "x", "y", "z", "yaw_deg",
                                   "parent_id", "power_w", "power_node_id", "cooling_loop_id"])
        ids = n["id"].astype(np.int64)
        position = np.column_stack([n["x"], n["y"], n["z"]])
        self.place_finite(position, ids, "parts")
        type_index = self.ref(n["part_type_id"], part_types, "parts", "part_type_id", ids)
        if (type_index < 0).any():
            raise TwinError(self.path, "part type missing", where=f"table parts, row id {int(ids[type_index < 0][0])}")
        parts = Columns(id=ids, type=type_index, rack=self.ref(n["rack_id"], racks, "parts", "rack_id", ids),
                        u=self.whole(n["u_position"], "parts", "u_position"), position=position,
                        yaw_deg=np.nan_to_num(n["yaw_deg"]), parent_id=self.whole(n["parent_id"], "parts", "parent_id", -1),
                        power_w=np.nan_to_num(n["power_w"], nan=-1.0), power_node_id=n["power_node_id"],
                        cooling_loop=self.ref(n["cooling_loop_id"], loops, "parts", "cooling_loop_id", ids),
                        **self.texts("parts", ["name"]))
        return parts

    def load_power_nodes(self, parts: Columns) -> Columns:
        n = self.numbers("power_nodes", ["id", "parent_id", "part_id", "capacity_w", "voltage_v"])
        ids = n["id"].astype(np.int64)
        nodes = Columns(id=ids, part=self.ref(n["part_id"], parts, "power_nodes", "part_id", ids),
                        capacity_w=np.nan_to_num(n["capacity_w"]), voltage_v=np.nan_to_num(n["voltage_v"]),
                        parent_id=n["parent_id"], **self.texts("power_nodes", ["name", "kind", "redundancy_group"]))
        parent = self.ref(n["parent_id"], nodes, "power_nodes", "parent_id", ids)
        side = self.texts("power_nodes", ["redundancy_side"])["redundancy_side"] \
            if self.has_column("power_nodes", "redundancy_side") else np.full(len(ids), "", dtype=object)
        # parent_id (NaN for NULL) stays beside `parent` so checks can name a dangling id
        return Columns(**{k: getattr(nodes, k) for k in nodes}, parent=parent, redundancy_side=side)

    def resolve_part_power(self, parts: Columns, nodes: Columns) -> None:
        """parts.power_node and parts.parent become row indices once both tables exist."""
        feed = self.ref(parts.power_node_id, nodes, "parts", "power_node_id", parts.id)
        parent_ids = parts.parent_id.astype(np.float64)
        parent_ids[parent_ids < 0] = np.nan
        parent = self.ref(parent_ids, parts, "parts", "parent_id", parts.id)
        cols = parts._columns
        del cols["parent_id"]      # power_node_id (NaN for NULL) stays so checks can name a dangling id
        cols["power_node"] = feed
        cols["parent"] = parent
