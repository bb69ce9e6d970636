"""Which part, rack or cooling loop each observed sensor measures.

Tried in this order (the first that binds decides):

1. **serial**: the owning equipment's Redfish `SerialNumber` (or a Prometheus `UUID` /
   `Hostname` label, a CSV `serial` column) equals a part's `parts.serial` (case and
   surrounding spaces ignored; a serial two parts share binds neither);
2. **location**: `Location.Placement` names a rack of the design (`Rack` = `racks.name`,
   `Row`, when given, must be that rack's row) and `RackOffset` (EIA-310 U, the lowest slot)
   a slot a part fills; without `RackOffset` the sensor measures the rack itself;
3. **the map**: a TOML file of `[[bind]]` entries (docs/telemetry.md), each matching a Redfish
   URI (the sensor's, or its equipment's; the longest match wins), Prometheus labels (all
   given must match) and metric, or a CSV sensor name, and naming one `part`, `rack` or
   `loop`, optionally the `quantity` (the sensor kind the analyses read: `power`,
   `inlet_temp`, `outlet_temp`, `supply_temp`, `return_temp`, `flow`…).

A map entry's `quantity` applies to every sensor the entry matches, whichever rule bound it (the
most specific entry with a quantity; the target comes from the most specific entry with one).
A sensor bound to a part measures that part's rack too; one bound to a CDU measures the
loop the CDU drives. What binds nothing is still imported, unbound, with the reason.
"""

from __future__ import annotations

import sqlite3
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twin.errors import TwinError
from twin.importers.telemetry.model import Observed
from twin.store.connect import overran
from twin.store.reader import open_database

MAP_KEYS = {"uri", "labels", "metric", "sensor", "part", "rack", "loop", "quantity"}


@dataclass
class Target:
    """What one sensor measures (ids; None: not that), and how it was found."""

    part_id: int | None
    rack_id: int | None
    loop_id: int | None
    label: str                  # `part A01-U05`, `rack A01`, `loop A-loop1`
    name: str                   # the part, rack or loop name
    how: str                    # `by serial 1X2Y`, `by placement rack A01 U5`, `by map entry 2`


@dataclass
class MapEntry:
    index: int
    uri: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    metric: str = ""
    sensor: str = ""
    target: Target | None = None
    quantity: str = ""


class DesignIndex:
    """The parts, racks and loops of a design, read once, for binding."""

    def __init__(self, design_path: Path):
        db = open_database(design_path)          # refuses what is not a twin design, naming the file
        conn = db.conn
        try:
            self.parts = conn.execute(
                "SELECT p.id, p.name, p.serial, p.rack_id, p.u_position, COALESCE(t.u_height, 0), t.kind, "
                "p.cooling_loop_id FROM parts p LEFT JOIN part_types t ON t.id = p.part_type_id ORDER BY p.id").fetchall()
            self.racks = conn.execute("SELECT id, name, row FROM racks ORDER BY id").fetchall()
            self.loops = conn.execute("SELECT id, name FROM cooling_loops ORDER BY id").fetchall()
            self.power_sensors = conn.execute("SELECT rack_id, part_id, name, source, source_uri FROM sensors "
                                              "WHERE kind = 'power' AND rack_id IS NOT NULL").fetchall() \
                if "source_uri" in {r[1] for r in conn.execute("PRAGMA table_info(sensors)")} else \
                [(*r, None, None) for r in conn.execute("SELECT rack_id, part_id, name FROM sensors "
                                                        "WHERE kind = 'power' AND rack_id IS NOT NULL")]
        except sqlite3.Error as exc:
            raise TwinError(design_path, f"cannot read its parts, racks and loops ({overran(conn, exc) or exc})") from None
        finally:
            conn.close()
        self.by_serial: dict[str, list[tuple[Any, ...]]] = {}
        for row in self.parts:
            if row[2] and str(row[2]).strip():
                self.by_serial.setdefault(str(row[2]).strip().lower(), []).append(row)
        self.part_by_name = {str(r[1]): r for r in reversed(self.parts)}
        self.rack_by_name = {str(r[1]).lower(): r for r in reversed(self.racks)}
        self.loop_by_name = {str(r[1]): r for r in reversed(self.loops)}
        self.frames = {r[3]: r for r in reversed(self.parts) if r[6] == "rack" and r[3] is not None}
        self.rack_names = {r[0]: str(r[1]) for r in self.racks}

    def part_target(self, row: tuple[Any, ...], how: str) -> Target:
        loop = row[7] if row[6] == "cdu" else None
        return Target(int(row[0]), row[3], loop, f"part {row[1]}", str(row[1]), how)

    def rack_target(self, row: tuple[Any, ...], how: str) -> Target:
        frame = self.frames.get(row[0])
        return Target(int(frame[0]) if frame else None, int(row[0]), None, f"rack {row[1]}", str(row[1]), how)

    def loop_target(self, row: tuple[Any, ...], how: str) -> Target:
        return Target(None, None, int(row[0]), f"loop {row[1]}", str(row[1]), how)


def read_map(path: Path | None, index: DesignIndex) -> list[MapEntry]:
    """The `[[bind]]` entries of a bindings map; TwinError naming the file and entry for anything wrong."""
    if path is None:
        return []
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TwinError(path, f"cannot read the bindings map ({exc.strerror or exc})", where="--map") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TwinError(path, f"not TOML ({str(exc).splitlines()[0]})", where="--map") from None
    unknown = set(data) - {"bind"}
    if unknown:
        raise TwinError(path, f"unknown key {sorted(unknown)[0]!r}: the map holds [[bind]] entries", where="--map")
    entries = data.get("bind", [])
    if not isinstance(entries, list):
        raise TwinError(path, "`bind` must be an array of tables ([[bind]])")
    out: list[MapEntry] = []
    for i, raw in enumerate(entries):
        where = f"bind[{i}]"
        if not isinstance(raw, dict):
            raise TwinError(path, "not a table", where=where)
        extra = set(raw) - MAP_KEYS
        if extra:
            raise TwinError(path, f"unknown key {sorted(extra)[0]!r} (known: {', '.join(sorted(MAP_KEYS))})", where=where)
        for key in ("uri", "metric", "sensor", "part", "rack", "loop", "quantity"):
            if key in raw and not isinstance(raw[key], str):
                raise TwinError(path, f"`{key}` must be a string", where=where)
        labels = raw.get("labels", {})
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise TwinError(path, "`labels` must be a table of strings", where=where)
        entry = MapEntry(i, uri=raw.get("uri", "").rstrip("/"), labels=dict(labels), metric=raw.get("metric", ""),
                         sensor=raw.get("sensor", ""), quantity=raw.get("quantity", ""))
        if not (entry.uri or entry.labels or entry.metric or entry.sensor):
            raise TwinError(path, "give `uri`, `labels`, `metric` or `sensor` to say what it matches", where=where)
        named = [k for k in ("part", "rack", "loop") if k in raw]
        if len(named) > 1:
            raise TwinError(path, f"names both {named[0]} and {named[1]}: one target per entry", where=where)
        how = f"by map entry bind[{i}]"
        if named == ["part"]:
            row = index.part_by_name.get(raw["part"])
            if row is None:
                raise TwinError(path, f"part {raw['part']!r} is not in the design", where=where)
            entry.target = index.part_target(row, how)
        elif named == ["rack"]:
            row = index.rack_by_name.get(raw["rack"].lower())
            if row is None:
                raise TwinError(path, f"rack {raw['rack']!r} is not in the design", where=where)
            entry.target = index.rack_target(row, how)
        elif named == ["loop"]:
            row = index.loop_by_name.get(raw["loop"])
            if row is None:
                raise TwinError(path, f"cooling loop {raw['loop']!r} is not in the design", where=where)
            entry.target = index.loop_target(row, how)
        elif not entry.quantity:
            raise TwinError(path, "names no part, rack or loop and no quantity: it would do nothing", where=where)
        out.append(entry)
    return out


def _map_match(obs: Observed, entries: list[MapEntry]) -> MapEntry | None:
    """The most specific entry that matches `obs` (a sensor name, then labels, then the longest URI)."""
    best: tuple[int, MapEntry] | None = None
    for e in entries:
        score = 0
        if e.uri:
            hit = [u for u in (obs.uri, obs.owner_uri) if u and (u == e.uri or u.startswith(e.uri + "/")
                                                                 or u.startswith(e.uri + "#"))]
            if not hit:
                continue
            score += len(e.uri) + (1 if obs.uri.startswith(e.uri) else 0)
        if e.labels:
            if any(obs.labels.get(k) != v for k, v in e.labels.items()):
                continue
            score += 10 * len(e.labels)
        if e.metric:
            if obs.labels.get("__name__") != e.metric:
                continue
            score += 5
        if e.sensor:
            if obs.uri != e.sensor and obs.name != e.sensor:
                continue
            score += 1000
        if best is None or score > best[0]:
            best = (score, e)
    return best[1] if best else None


def bind(obs: Observed, index: DesignIndex, entries: list[MapEntry]) -> tuple[Target | None, str, str]:
    """(target or None, the kind to store, why unbound: '' when bound)."""
    entry = _map_match(obs, [e for e in entries if e.target is not None])
    named = _map_match(obs, [e for e in entries if e.quantity])     # target and quantity may come from two entries
    kind = named.quantity if named is not None else obs.kind
    reasons: list[str] = []
    if obs.explicit:
        target, why = _explicit(obs.explicit, index)
        if target is not None:
            return target, kind, ""
        reasons.append(why)
    missing = []
    for serial in obs.serial_keys or ((obs.serial,) if obs.serial else ()):
        rows = index.by_serial.get(serial.strip().lower(), [])
        if len(rows) == 1:
            return index.part_target(rows[0], f"by serial {serial}"), kind, ""
        if rows:
            reasons.append(f"serial {serial} is on {len(rows)} parts")
        else:
            missing.append(serial)
    if missing:
        reasons.insert(0, f"serial {' or '.join(missing)} is no part's")
    if not obs.serial_keys and not obs.serial:
        reasons.append("no serial number")
    place = obs.placement
    if place is not None and place.rack:
        target, why = _placed(place, index)
        if target is not None:
            return target, kind, ""
        reasons.append(why)
    elif place is not None:
        reasons.append(f"placement names row {place.row!r} but no rack")
    else:
        reasons.append("no placement")
    if entry is not None and entry.target is not None:
        return entry.target, kind, ""
    reasons.append("no map entry")
    return None, kind, "; ".join(reasons)


def _placed(place: Any, index: DesignIndex) -> tuple[Target | None, str]:
    rack = index.rack_by_name.get(place.rack.strip().lower())
    if rack is None:
        return None, f"placement rack {place.rack!r} is not a rack of the design"
    if place.row and rack[2] is not None and str(rack[2]).strip().lower() != place.row.strip().lower():
        return None, f"placement says rack {place.rack!r} in row {place.row!r}, but the design's is in row {rack[2]!r}"
    if place.offset is None:
        return index.rack_target(rack, f"by placement rack {rack[1]}"), ""
    if place.offset_units and place.offset_units not in ("EIA_310", "OpenU"):
        return None, f"RackOffsetUnits {place.offset_units!r} is not EIA_310"
    u = int(place.offset)
    for row in index.parts:
        if row[3] == rack[0] and row[4] is not None and row[4] <= u <= row[4] + max(int(row[5] or 1), 1) - 1:
            return index.part_target(row, f"by placement rack {rack[1]} U{u}"), ""
    return None, f"no part fills U{u} of rack {rack[1]}"


def _explicit(cols: dict[str, str], index: DesignIndex) -> tuple[Target | None, str]:
    """A CSV row's own `part`, `rack` or `loop` column."""
    if cols.get("part"):
        row = index.part_by_name.get(cols["part"])
        return (index.part_target(row, "by its part column"), "") if row else (None, f"part {cols['part']!r} is not in the design")
    if cols.get("rack"):
        row = index.rack_by_name.get(cols["rack"].lower())
        return (index.rack_target(row, "by its rack column"), "") if row else (None, f"rack {cols['rack']!r} is not in the design")
    if cols.get("loop"):
        row = index.loop_by_name.get(cols["loop"])
        return (index.loop_target(row, "by its loop column"), "") if row else (None, f"loop {cols['loop']!r} is not in the design")
    return None, "no part, rack or loop column"
