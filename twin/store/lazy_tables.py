"""Tables a loaded design reads from its file only when asked: every port, cable names and routes.

Split from the reader, which loads what every design needs at once (parts, cables as
numbers); these are read on demand by the panels, the cabling check and the exports.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.store.connect import connect_readonly


class LazyTables:
    """Tables a design loads only when asked: every port, and cable names and routes.

    Why lazy: hall-2000 has ~960,000 ports and ~300,000 cable names; reading them costs
    seconds that opening the design, drawing it or recolouring it never needs.
    """

    def __init__(self, path: Path):
        self.path = path

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            conn = connect_readonly(self.path)
        except sqlite3.Error as exc:
            raise TwinError(self.path, f"cannot read the design ({exc})") from None
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def ports(self) -> dict[str, np.ndarray]:
        """Every port: id, part id, name, kind."""
        rows = self._query("select id, part_id, name, kind from ports order by id")
        if not rows:
            return {"id": np.zeros(0, np.int64), "part_id": np.zeros(0, np.int64),
                    "name": np.zeros(0, object), "kind": np.zeros(0, object)}
        ids, part_ids, names, kinds = zip(*rows)
        return {"id": np.array(ids, np.int64), "part_id": np.array([p if p is not None else -1 for p in part_ids], np.int64),
                "name": np.array([n or "" for n in names], dtype=object), "kind": np.array([k or "" for k in kinds], dtype=object)}

    def unconnected_ports(self, names: list[str], prefixes: list[str]) -> dict[str, np.ndarray]:
        """Ports called one of `names` (or a prefix followed by digits) that no cable plugs into.

        Asked of SQLite rather than by loading ~1 million ports: the answer is usually empty.
        """
        glob = [f"{p}[0-9]*" for p in prefixes]
        terms = [f"p.name in ({','.join('?' * len(names))})"] if names else []
        terms += ["p.name glob ?"] * len(glob)
        if not terms:
            rows = []
        else:
            rows = self._query(f"""select p.id, p.part_id, p.name, p.kind from ports p
                                   where ({' or '.join(terms)})
                                   and not exists (select 1 from cables c where c.a_port_id = p.id)
                                   and not exists (select 1 from cables c where c.b_port_id = p.id)
                                   order by p.id""", tuple(names) + tuple(glob))
        rows = [r for r in rows if r[2] in names or any(r[2].startswith(p) and r[2][len(p):].isdigit()
                                                         for p in prefixes)]
        cols = list(zip(*rows)) if rows else [(), (), (), ()]
        return {"id": np.array(cols[0], np.int64), "part_id": np.array([v if v is not None else -1 for v in cols[1]], np.int64),
                "name": np.array(cols[2], dtype=object), "kind": np.array([v or "" for v in cols[3]], dtype=object)}

    def cable_text(self, ids: list[int] | None = None) -> dict[str, np.ndarray]:
        """Per cable (in id order; only `ids` when given): name, stored route text, both ports' names."""
        where = f"where c.id in ({','.join(str(int(i)) for i in ids)})" if ids is not None else ""
        rows = self._query(f"""select c.name, c.route, a.name, b.name from cables c
                               left join ports a on a.id = c.a_port_id left join ports b on b.id = c.b_port_id
                               {where} order by c.id""")
        cols = list(zip(*rows)) if rows else [(), (), (), ()]
        keys = ("name", "route", "a_port_name", "b_port_name")
        return {k: np.array([v if v is not None else "" for v in col], dtype=object) for k, col in zip(keys, cols)}
