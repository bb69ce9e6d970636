"""Reading a design's cables and what is derived from them (`CableReading`, a part of the loader).

Why its own module: the cable join is the largest read of a design (hall-2000: 297,440 rows,
the campus 851,188), read either with the rest or after the first frame on its own connection
(`defer_cables`), and tray fill is counted from the cables' stored routes. The loader
(`twin.store.reader._Loader`) supplies the file, the warnings and the row checks.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Callable

import numpy as np
import sqlite_utils

from twin.errors import TwinError
from twin.model.deferred import DeferredColumns
from twin.model.design import Columns
from twin.model.routes import STATUS_CODES, parse_route_texts
from twin.store.connect import overran

CABLE_SLICE = 20_000        # cable rows read per slice


def whole(values: np.ndarray, fill: int = 0) -> np.ndarray:
    """Floats as int64 without numpy's cast warnings: NaN, ±inf and values beyond ±2**62 become `fill`."""
    values = np.asarray(values, np.float64)
    ok = np.isfinite(values) & (np.abs(np.nan_to_num(values)) < 2.0 ** 62)
    return np.where(ok, values, fill).astype(np.int64)


class CableReading:
    """The loader's cable part: the join, its deferred read, distinct indexed values, tray fill."""

    # what the loader (`twin.store.reader._Loader`) gives it: the file, its settings, its checks
    path: Any
    db: sqlite_utils.Database
    defer_cables: bool
    cable_count: int
    cable_kinds: list[str]
    port_kinds: list[str]
    progress_off: Callable[[], None]
    warn: Callable[[str], None]
    check_ids: Callable[[str, np.ndarray], None]
    not_a_number: Callable[..., TwinError]
    ref: Callable[[np.ndarray, Columns, str, str, np.ndarray], np.ndarray]

    def read_deferred(self, sql: str, args: list[Any], names: list[str], parts: Columns) -> dict[str, np.ndarray]:
        """The cable columns of a design loaded with `defer_cables`, read now on a connection of their own.

        The file is checked again as when it was opened, and its cable count against the one seen
        then: a file replaced meanwhile is an error, not cables joined to another design's parts."""
        from twin.store.reader import open_database

        path = self.path
        db = open_database(path)
        self.progress_off()
        try:
            count = db.execute("select count(*) from cables").fetchone()[0]
            expected = self.cable_count
            if count != expected:
                raise TwinError(path, f"{count:,} cables now, {expected:,} when it was opened: the file changed "
                                "meanwhile; open it again", where="table cables")
            return self.cable_columns(db, sql, args, names, parts)
        except sqlite3.DatabaseError as exc:
            raise TwinError(path, f"cannot read the cables ({overran(db.conn, exc) or exc})", where="table cables") from None
        finally:
            db.conn.close()

    def distinct_indexed(self, table: str, column: str) -> list[Any]:
        """The distinct values of an indexed column in `group by` order (NULL first).

        One index seek per distinct value instead of a walk over every row: the campus has
        2.75 million ports of a few dozen kinds. A file without such an index is grouped instead.
        """
        leading = [self.db.execute(f"pragma index_info('{row[1]}')").fetchone() for row in
                   self.db.execute(f"pragma index_list('{table}')").fetchall()]
        if not any(info is not None and info[2] == column for info in leading):
            return [r[0] for r in self.db.execute(f"select {column} from {table} group by {column} order by {column}")]
        values = [r[0] for r in self.db.execute(f"""
            with recursive k(v) as (select min({column}) from {table}
                                    union all select (select min({column}) from {table} where {column} > v)
                                    from k where v is not null)
            select v from k where v is not null""")]
        if self.db.execute(f"select exists(select 1 from {table} where {column} is null)").fetchone()[0]:
            values.insert(0, None)
        return values

    def load_cables(self, parts: Columns) -> Columns:
        """Cables with both ends resolved to (part, local offset, port id, port kind) in one join.

        Ports themselves (about three per cable end, most of them unused) stay in the file
        until asked for (`Design.ports()`); names and routes of cables likewise
        (`Design.cable_text()`): the scene and the checks need only numbers. With `defer_cables`
        the join itself waits until a cable column is first used (`DeferredColumns`): the kinds
        are read now (a few index seeks), the rows in another read, on its own connection.
        """
        sql, args, names = self.cable_query()
        if not self.defer_cables:
            return Columns(**self.cable_columns(self.db, sql, args, names, parts))
        self.cable_count = int(self.db.execute("select count(*) from cables").fetchone()[0])
        return DeferredColumns(lambda: self.read_deferred(sql, args, names, parts), self.cable_count)

    def cable_query(self) -> tuple[str, list[Any], list[str]]:
        """The cable join, its arguments, and the numeric columns a text cell would break; sets
        `cable_kinds` and `port_kinds` (the codes the join turns kinds into)."""
        kinds = [r[0] for r in self.db.execute("select distinct kind from cables order by kind")]
        case = " ".join(f"when ? then {i}" for i in range(len(kinds)))
        kind_sql = f"case c.kind {case} else -1 end" if kinds else "-1"
        port_kinds = [k or "" for k in self.distinct_indexed("ports", "kind")]
        pcase = " ".join(f"when ? then {i}" for i in range(len(port_kinds)))
        a_kind = f"case a.kind {pcase} else -1 end" if port_kinds else "-1"
        b_kind = f"case b.kind {pcase} else -1 end" if port_kinds else "-1"
        cable_columns = {r[1] for r in self.db.execute("pragma table_info(cables)")}
        routed = "c.routed_length_m" if "routed_length_m" in cable_columns else "null"
        status_case = " ".join(f"when '{code}' then {i}" for i, code in enumerate(STATUS_CODES))
        status = f"case c.route_status {status_case} else -1 end" if "route_status" in cable_columns else "-1"
        self.cable_kinds = [k or "" for k in kinds]
        self.port_kinds = port_kinds
        sql = f"""
            select c.id, {kind_sql}, c.rate_gbps, c.length_m,
                   a.part_id, a.dx, a.dy, a.dz, b.part_id, b.dx, b.dy, b.dz, a.id, b.id,
                   {routed}, {a_kind}, {b_kind}, c.a_port_id, c.b_port_id, {status}
            from cables c left join ports a on a.id = c.a_port_id left join ports b on b.id = c.b_port_id
            order by c.id"""
        names = ["id", "rate_gbps", "length_m", "a_port_id", "b_port_id"]
        return sql, kinds + port_kinds + port_kinds, names + (["routed_length_m"] if "routed_length_m" in cable_columns else [])

    def cable_columns(self, db: sqlite_utils.Database, sql: str, args: list[Any], names: list[str],
                      parts: Columns) -> dict[str, np.ndarray]:
        """Run the cable join on `db` and turn its rows into the cable columns (with their warnings)."""
        expected = int(db.execute("select count(*) from cables").fetchone()[0])
        cursor = db.execute(sql, args)
        # in slices, so a viewer loading in a worker thread gets the GIL back between them, into
        # one block sized from the count (no second copy of 850,000 × 20 numbers at the peak)
        block, done = np.empty((expected, 20)), 0
        while rows := cursor.fetchmany(CABLE_SLICE):
            try:
                part = np.array(rows, dtype=np.float64).reshape(len(rows), 20)
            except (ValueError, TypeError):
                raise self.not_a_number("cables", names, db) from None
            if done + len(part) > len(block):           # rows appeared since the count: grow
                block = np.concatenate([block[:done], np.empty((len(part) + done, 20))])
            block[done:done + len(part)] = part
            done += len(part)
        block = block[:done]
        self.check_ids("cables", block[:, 0])
        ids = block[:, 0].astype(np.int64)
        for column, port_id in (("a_port_id", block[:, 12]), ("b_port_id", block[:, 13])):
            dangling = np.isnan(port_id)
            if dangling.any():
                self.warn(f"{self.path}: table cables, row id {int(ids[np.flatnonzero(dangling)[0]])}: "
                                     f"{column} points to no port ({int(dangling.sum())} rows like this; "
                                     "that end is left unconnected)")
        a_part = self.ref(block[:, 4], parts, "cables", "a_port_id (its part)", ids)
        b_part = self.ref(block[:, 8], parts, "cables", "b_port_id (its part)", ids)
        return dict(id=ids, kind=block[:, 1].astype(np.int32), rate_gbps=np.nan_to_num(block[:, 2]),
                    length_m=np.nan_to_num(block[:, 3]), a_part=a_part, b_part=b_part,
                    a_offset=np.nan_to_num(block[:, 5:8]), b_offset=np.nan_to_num(block[:, 9:12]),
                    routed_m=block[:, 14].copy(), a_port_kind=np.nan_to_num(block[:, 15], nan=-1).astype(np.int32),
                    b_port_kind=np.nan_to_num(block[:, 16], nan=-1).astype(np.int32),
                    a_port_id=whole(block[:, 17], fill=-1), b_port_id=whole(block[:, 18], fill=-1),
                    a_port_found=~np.isnan(block[:, 12]), b_port_found=~np.isnan(block[:, 13]),
                    route_status=block[:, 19].astype(np.int8))

    def tray_fill(self, trays: Columns) -> np.ndarray:
        """Cables routed through each tray, from the stored routes (counted per distinct route)."""
        fill = np.zeros(len(trays), np.int64)
        rows = self.db.execute("select coalesce(route, ''), count(*) from cables group by 1").fetchall()
        if not rows or not len(trays):
            return fill
        code, paths, problems = parse_route_texts(np.array([r[0] for r in rows], dtype=object), trays.id)
        for problem in problems:
            self.warn(f"{self.path}: table cables: {problem}")
        for c, (_, count) in zip(code.tolist(), rows):
            if c >= 0:
                for t in set(paths[c]):
                    fill[t] += count
        return fill
