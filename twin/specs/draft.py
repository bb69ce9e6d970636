"""The design being generated: one typed record that the generation stages fill in turn.

`build_design` runs placement, cabling, power, cooling, faults and telemetry one after
another; each stage reads what the earlier ones left in a `DesignDraft` and adds its own
columns or finished tables. Parts, ports and cables are numpy columns (index = row), so a
2,000-rack hall is a few dozen arrays rather than hundreds of thousands of objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from twin.errors import TwinError
from twin.model.transform import local_to_world
from twin.specs.layout import RackPlan, RowPlan

Table = dict[str, Any]           # column name -> list or numpy array, as the store's writer takes it


@dataclass
class Catalog:
    """The spec's part types, suppliers and generations with the ids they get in the file."""

    types: dict[str, dict[str, Any]]
    names: list[str]
    type_id: dict[str, int]
    supplier_id: dict[str, int]
    generation_id: dict[str, int]
    _attrs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "Catalog":
        names = list(spec["part_types"])
        return cls(types=spec["part_types"], names=names, type_id={n: i + 1 for i, n in enumerate(names)},
                   supplier_id={k: i + 1 for i, k in enumerate(spec["suppliers"])},
                   generation_id={g["name"]: i + 1 for i, g in enumerate(spec["generations"])})

    def attr(self, key: str) -> np.ndarray:
        """One catalog attribute for every part type, indexed by type id (slot 0 unused). Read only."""
        if key not in self._attrs:
            values = [self.types[n][key] for n in self.names]
            self._attrs[key] = np.array([values[0]] + values)
        return self._attrs[key]

    def of(self, type_id: int) -> dict[str, Any]:
        """The catalog entry of a type id."""
        return self.types[self.names[int(type_id) - 1]]


@dataclass
class PartColumns:
    """Every part placed so far. `rack` and `parent` are row indices (-1 for none)."""

    rack: np.ndarray
    type: np.ndarray            # type id
    u: np.ndarray               # first U (0 when not in a U slot)
    offset: np.ndarray          # (n, 3) rack-local position
    role: np.ndarray            # object: frame, U07, busbar, manifold-supply, busway-tap, facility…
    is_frame: np.ndarray
    position: np.ndarray        # (n, 3) world position of the bottom centre
    yaw: np.ndarray             # degrees
    name: np.ndarray            # object
    parent: np.ndarray
    hall: np.ndarray            # hall index (into spec["halls"]) of every part

    def __len__(self) -> int:
        return len(self.type)

    def extend(self, more: "PartColumns") -> np.ndarray:
        """Append `more` in place; returns the new parts' row indices."""
        start = len(self)
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(more, f.name)]))
        return np.arange(start, len(self))


@dataclass
class RackLayout:
    """The racks in placement order, where they stand, and which parts each holds."""

    plans: list[RackPlan]
    xy: np.ndarray              # (n, 2) centre of the footprint
    yaw: np.ndarray             # degrees
    depth: np.ndarray           # frame depth (m)
    height: np.ndarray          # frame height (m)
    index: dict[str, int] = field(default_factory=dict)
    members: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.plans)

    def index_members(self, part_rack: np.ndarray) -> None:
        """Rack name -> row, and the part indices of each rack (one stable sort, no loop over parts)."""
        self.index = {r.name: i for i, r in enumerate(self.plans)}
        order = np.argsort(part_rack, kind="stable")
        bounds = np.searchsorted(part_rack[order], np.arange(len(self.plans) + 1))
        self.members = [order[bounds[i]:bounds[i + 1]] for i in range(len(self.plans))]


@dataclass
class FacilityGear:
    """Part indices of the equipment outside racks, by what it is."""

    cdu_parts: np.ndarray
    cdu_row: list[tuple[str, int]]          # (row name, CDU number in the row) of each CDU
    crah_parts: np.ndarray
    switchboard_parts: np.ndarray
    ups_parts: np.ndarray
    ups_board: np.ndarray                   # switchboard number of each UPS (counted across the site)
    board_hall: np.ndarray                  # hall index of each switchboard
    ups_slot: np.ndarray                    # module number of each UPS in its hall (board × per board + place)


@dataclass
class CableColumns:
    """Every cable: port indices of both ends, kind, rate (Gb/s), bought length and tray route."""

    a: np.ndarray
    b: np.ndarray
    kind: np.ndarray
    rate: np.ndarray
    length: np.ndarray
    route: np.ndarray

    @staticmethod
    def concat(blocks: list["CableColumns"]) -> "CableColumns":
        return CableColumns(*(np.concatenate([getattr(b, f.name) for b in blocks]) for f in fields(CableColumns)))


class PortTable:
    """Ports of every part, built as blocks: catalog ports tiled per type, then ports made per connection."""

    def __init__(self, catalog: Catalog, parts: PartColumns, source: Any):
        self.catalog, self.parts, self.source = catalog, parts, source
        self.blocks: list[dict[str, np.ndarray]] = []
        # Port `j` of the k catalog ports of the r-th part of a type is port start + r * k + j:
        # one rank per part and one (start, k, j) per (type id, port name), not an array per port name.
        self.rank = np.full(len(parts), -1)
        self.slots: dict[tuple[int, str], tuple[int, int, int]] = {}
        self.count = 0
        self._columns: dict[str, Any] = {}
        for name in catalog.names:
            tid = catalog.type_id[name]
            owners = np.flatnonzero(parts.type == tid)
            templ = expand_ports(catalog.types[name]["ports"])
            if not len(owners) or not templ:
                continue
            k = len(templ)
            offs = np.tile(np.array([t[2] for t in templ], float), (len(owners), 1))
            self.blocks.append({"part": np.repeat(owners, k),
                                "name": np.tile(np.array([t[0] for t in templ], dtype=object), len(owners)),
                                "kind": np.tile(np.array([t[1] for t in templ], dtype=object), len(owners)),
                                "offset": offs})
            self.rank[owners] = np.arange(len(owners))
            for j, (pname, _, _) in enumerate(templ):
                self.slots[(tid, pname)] = (self.count, k, j)
            self.count += k * len(owners)

    def catalog_port(self, type_id: int, port_name: str, parts: np.ndarray) -> np.ndarray | None:
        """Global index of catalog port `port_name` on each of `parts` (-1 for a part of another type);
        None when type `type_id` has no such port."""
        slot = self.slots.get((int(type_id), port_name))
        if slot is None:
            return None
        start, k, j = slot
        mine = self.parts.type[parts] == type_id
        return np.where(mine, start + self.rank[parts] * k + j, -1)

    def index(self, parts: np.ndarray, port_name: str) -> np.ndarray:
        """Global port index of `port_name` on each of `parts`."""
        types = self.parts.type[parts]
        out = np.full(len(parts), -1)
        for tid in np.unique(types):
            sel = types == tid
            found = self.catalog_port(int(tid), port_name, parts[sel])
            if found is None:
                type_name = self.catalog.names[tid - 1]
                raise TwinError(self.source, f"has no port '{port_name}', which the generator connects",
                                where=f"part_types.{type_name}.ports")
            out[sel] = found
        return out

    def numbered(self, parts: np.ndarray, base_name: str, k: np.ndarray) -> np.ndarray:
        """Port `base_name{k+1}` on each part (k per part)."""
        out = np.full(len(parts), -1)
        for kk in np.unique(k):
            sel = k == kk
            out[sel] = self.index(parts[sel], f"{base_name}{kk + 1}")
        return out

    def count_named(self, part: int, base_name: str) -> int:
        """How many ports `base_name1`, `base_name2`… part `part` has."""
        return sum(1 for n, _, _ in expand_ports(self.catalog.of(self.parts.type[part])["ports"])
                   if n.rstrip("0123456789") == base_name)

    def add(self, part: np.ndarray, names: np.ndarray, kind: str, offset: np.ndarray) -> np.ndarray:
        """Append ports made for a connection (manifold quick-disconnects); returns their indices."""
        m = len(part)
        self.blocks.append({"part": part, "name": names, "kind": np.full(m, kind, dtype=object), "offset": offset})
        idx = np.arange(self.count, self.count + m)
        self.count += m
        return idx

    def column(self, key: str) -> np.ndarray:
        """One column over all ports made so far (concatenated once per new block)."""
        cache = self._columns
        if cache.get("blocks") != len(self.blocks):
            cache.clear()
            cache["blocks"] = len(self.blocks)
        if key not in cache:
            cache[key] = np.concatenate([b[key] for b in self.blocks])
        return cache[key]

    def world(self, index: np.ndarray) -> np.ndarray:
        """(n, 3) world positions of ports."""
        part = self.column("part")[index]
        return local_to_world(self.parts.position[part], self.parts.yaw[part], self.column("offset")[index])


def expand_ports(ports: list[dict]) -> list[tuple[str, str, tuple[float, float, float]]]:
    """A catalog entry's port groups as single ports: (name, kind, local offset)."""
    out = []
    for port in ports:
        for i in range(port["count"]):
            name = f"{port['name']}{i + 1}" if port["count"] > 1 else port["name"]
            ox, oy, oz = port["offset"]
            out.append((name, port["kind"], (ox + i * port["pitch"], oy, oz)))
    return out


@dataclass
class DesignDraft:
    """Everything a build has made so far. Stages fill the fields below `tables` in pipeline order.

    `tables` holds finished tables exactly as the store's writer takes them; the typed
    fields are the working columns that later stages and the final assembly read.
    """

    spec: dict[str, Any]
    catalog: Catalog
    rows: list[RowPlan]
    rng: np.random.Generator
    tables: dict[str, Table] = field(default_factory=dict)
    racks: RackLayout = field(init=False)            # placement
    parts: PartColumns = field(init=False)           # placement
    gear: FacilityGear = field(init=False)           # placement
    ports: PortTable = field(init=False)             # cabling
    cables: CableColumns = field(init=False)         # cabling (faults edit it)
    part_feed: np.ndarray = field(init=False)        # power: power node id feeding each part (-1 none)
    part_loop: np.ndarray = field(init=False)        # cooling: cooling loop id of each part (-1 none)
    part_power: np.ndarray = field(init=False)       # faults: power override per part (-1 = catalog nominal)
    power_plan: Any = None                           # sizing: busway runs and switchboards (None: rule off)

    @property
    def source(self) -> Any:
        """The spec file, for errors."""
        return self.spec["source"]
