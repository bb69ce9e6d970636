"""Read-only SQL the panels need, run against the open design file (no Qt here).

Every query takes user text only through `?` parameters. The hierarchy search and the
properties panel read the file directly: the in-memory model holds what the scene draws,
the database holds everything else (ports, serials, suppliers, readings).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.model.limits import LIMITS, limit
from twin.model.physics import UNIT_DISPLAY
from twin.store.search import SearchSyntaxError, search_sql
from twin.store.connect import connect_readonly
from twin.store.telemetry import canonical_ts, latest_readings, latest_time

#: (section title, [(field, value), ...])
Section = tuple[str, list[tuple[str, str]]]

MAX_LISTED = 200    # rows per list section (ports, cables) before "… N more"


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value != value:  # NaN
            return "—"
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)




def display_unit(unit: str | None) -> str:
    """A stored unit as the viewer shows it ("degC" → "°C"); unknown units unchanged."""
    return UNIT_DISPLAY.get(unit or "", unit or "")


class DesignQueries:
    """A read-only connection to one design file."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.conn = connect_readonly(self.path)
        self.conn.row_factory = sqlite3.Row

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ search
    def search_part_ids(self, text: str) -> np.ndarray:
        """Ids of parts matching a search (twin.store.search: `name:`, `kind:`, `vendor:`,
        `serial:`, `rack:`, `model:`, `supplier:` fields, whole names, free text).

        A query that cannot be read (an unknown field) or is longer than the search limit is a
        TwinError (SQLite refuses LIKE patterns over 50,000 bytes, and no name is that long):
        the panel shows the message, not a traceback.
        """
        text = text.strip()
        if len(text) > limit("search_chars"):
            raise TwinError(self.path, f"the search is {len(text):,} characters long, over the limit of "
                            f"{LIMITS['search_chars'].text()}", where="search")
        try:
            query = search_sql(text)
        except SearchSyntaxError as exc:
            raise TwinError(self.path, str(exc), where="search") from None
        if query is None:
            return np.zeros(0, np.int64)
        sql, args = query
        try:
            rows = self.conn.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise TwinError(self.path, f"the search failed ({exc})", where="search") from None
        return np.fromiter((r[0] for r in rows), np.int64, len(rows))

    # ------------------------------------------------------------------ properties
    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self.conn.execute(sql, args).fetchone()

    def part_properties(self, part_id: int, at: str | None = None) -> list[Section]:
        """Everything the file says about one part, in sections for the properties panel."""
        p = self.one("SELECT * FROM parts WHERE id = ?", part_id)
        if p is None:
            return [("Part", [("id", str(part_id)), ("error", "not in the design file")])]
        t = self.one("SELECT * FROM part_types WHERE id = ?", p["part_type_id"])
        sections: list[Section] = [("Part", [("name", p["name"]), ("kind", t["kind"] if t else "—"),
                                             ("serial", _fmt(p["serial"])), ("id", str(p["id"])),
                                             ("power (override)", _fmt(p["power_w"]) + " W"
                                              if p["power_w"] is not None else "catalog nominal")])]
        sections.append(self._placement(p))
        if t is not None:
            sections.append(("Catalog", [(k, _fmt(t[k])) for k in t.keys() if k not in ("id", "supplier_id",
                                                                                            "generation_id")]
                             + [("generation", _fmt(self._scalar("SELECT name FROM generations WHERE id = ?",
                                                                 t["generation_id"])))]))
            sections.append(self._supplier(t))
        sections.append(self._ports(part_id))
        sections.append(self._cables(part_id))
        sections.append(self._power(p))
        sections.append(self._cooling(p))
        sections.append(self._sensors(p, at))
        return sections

    def _scalar(self, sql: str, *args: Any) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return row[0] if row else None

    def _placement(self, p: sqlite3.Row) -> Section:
        rows: list[tuple[str, str]] = []
        if p["rack_id"] is not None:
            r = self.one("SELECT r.name, r.row, r.slot, h.name AS hall FROM racks r LEFT JOIN halls h "
                         "ON h.id = r.hall_id WHERE r.id = ?", p["rack_id"])
            if r is not None:
                rows += [("rack", r["name"]), ("row", _fmt(r["row"])), ("slot", _fmt(r["slot"])),
                         ("hall", _fmt(r["hall"]))]
        else:
            rows.append(("rack", "— (free-standing)"))
        rows.append(("U position", _fmt(p["u_position"])))
        if p["parent_id"] is not None:
            rows.append(("mounted in", _fmt(self._scalar("SELECT name FROM parts WHERE id = ?", p["parent_id"]))))
        rows.append(("position (m)", ", ".join(f"{p[k]:.3f}" for k in ("x", "y", "z"))))
        rows.append(("yaw (°)", _fmt(p["yaw_deg"])))
        return "Placement", rows

    def _supplier(self, t: sqlite3.Row) -> Section:
        s = self.one("SELECT * FROM suppliers WHERE id = ?", t["supplier_id"]) if t["supplier_id"] is not None else None
        rows = [("supplier", s["name"] if s else "—"), ("supplier country", s["country"] if s else "—"),
                ("domestic", ("yes" if s["domestic"] else "no") if s else "—"),
                ("country of origin", _fmt(t["country_of_origin"])),
                ("lead time (days)", _fmt(t["lead_time_days"])), ("unit cost (USD)", _fmt(t["unit_cost_usd"]))]
        return "Supplier", rows

    def _ports(self, part_id: int) -> Section:
        rows = self.conn.execute("SELECT name, kind FROM ports WHERE part_id = ? ORDER BY id LIMIT ?",
                                 (part_id, MAX_LISTED + 1)).fetchall()
        total = self._scalar("SELECT count(*) FROM ports WHERE part_id = ?", part_id)
        out = [(r["name"] or "—", r["kind"]) for r in rows[:MAX_LISTED]]
        if total > MAX_LISTED:
            out.append(("…", f"{total - MAX_LISTED} more"))
        return f"Ports ({total})", out

    def _cables(self, part_id: int) -> Section:
        sql = """
            SELECT c.name, c.kind, c.rate_gbps, c.length_m, mine.name AS port, o.name AS other, op.name AS other_port
            FROM ports mine JOIN cables c ON c.{a} = mine.id
            JOIN ports op ON op.id = c.{b} JOIN parts o ON o.id = op.part_id
            WHERE mine.part_id = ?"""
        rows = []
        for a, b in (("a_port_id", "b_port_id"), ("b_port_id", "a_port_id")):
            rows += self.conn.execute(sql.format(a=a, b=b), (part_id,)).fetchall()
        out = []
        for r in rows[:MAX_LISTED]:
            rate = f" {r['rate_gbps']:.0f}G" if r["rate_gbps"] else ""
            out.append((f"{r['port'] or '?'} → {r['other']}:{r['other_port'] or '?'}",
                        f"{r['name']} · {r['kind']}{rate}, {_fmt(r['length_m'])} m"))
        if len(rows) > MAX_LISTED:
            out.append(("…", f"{len(rows) - MAX_LISTED} more"))
        return f"Cables ({len(rows)})", out

    def _power(self, p: sqlite3.Row) -> Section:
        if p["power_node_id"] is None:
            return "Power", [("fed by", "— (takes no power from the tree)")]
        chain = self.conn.execute("""
            WITH RECURSIVE up(id, depth) AS (SELECT ?, 0 UNION ALL
                SELECT n.parent_id, up.depth + 1 FROM power_nodes n JOIN up ON n.id = up.id
                WHERE n.parent_id IS NOT NULL AND up.depth < 32)
            SELECT n.name, n.kind, n.capacity_w, n.voltage_v, n.redundancy_group
            FROM up JOIN power_nodes n ON n.id = up.id ORDER BY up.depth""", (p["power_node_id"],)).fetchall()
        rows = []
        for i, n in enumerate(chain):
            label = "fed by" if i == 0 else "  ↑ " + ("root" if i == len(chain) - 1 else "from")
            cap = f"{n['capacity_w'] / 1000:,.1f} kW" if n["capacity_w"] else "—"
            group = f", {n['redundancy_group']}" if n["redundancy_group"] else ""
            rows.append((label, f"{n['name']} ({n['kind']}, {cap}, {_fmt(n['voltage_v'])} V{group})"))
        return "Power", rows

    def _cooling(self, p: sqlite3.Row) -> Section:
        loop_id = p["cooling_loop_id"]
        if loop_id is None and p["rack_id"] is not None:
            loop_id = self._scalar("SELECT cooling_loop_id FROM racks WHERE id = ?", p["rack_id"])
        if loop_id is None:
            return "Cooling", [("loop", "—")]
        c = self.one("SELECT * FROM cooling_loops WHERE id = ?", loop_id)
        if c is None:
            return "Cooling", [("loop", f"id {loop_id} (missing)")]
        return "Cooling", [("loop", c["name"]), ("medium", _fmt(c["medium"])), ("supply (°C)", _fmt(c["supply_c"])),
                           ("design ΔT (K)", _fmt(c["design_dt_k"])),
                           ("capacity (kW)", _fmt((c["capacity_w"] or 0) / 1000)), ("flow (L/min)", _fmt(c["flow_lpm"]))]

    def _sensors(self, p: sqlite3.Row, at: str | None) -> Section:
        sensors = self.conn.execute(
            "SELECT id, name, kind, unit FROM sensors WHERE part_id = ? OR (rack_id IS NOT NULL AND rack_id = ?) "
            "ORDER BY id LIMIT ?", (p["id"], p["rack_id"], MAX_LISTED)).fetchall()
        moment = canonical_ts(self.path, at) if at else latest_time(self.conn)
        latest = {} if moment is None else \
            {r[0]: (r[1], r[2]) for r in latest_readings(self.conn, moment, [s["id"] for s in sensors])}
        rows = []
        for s in sensors:
            ts, reading = latest.get(s["id"], (None, None))
            value = f"{_fmt(reading)} {display_unit(s['unit'])}  @ {ts}" if ts is not None else "no reading"
            rows.append((f"{s['name']} ({s['kind']})", value))
        return f"Sensors ({len(rows)})", rows or [("sensors", "none")]
