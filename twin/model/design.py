"""A loaded design: every table as named numpy columns, references as row indices.

Why columns: a 2,000-rack hall has ~80,000 parts and ~300,000 cables; analysis and scene
work on whole columns (one gather recolours the hall), so no Python object exists per part
or cable. References between tables are stored as row indices into the target table
(-1 where the database holds NULL), resolved once at load time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Hashable, Iterator, TypeVar, cast

import numpy as np

from twin.model import physics
from twin.model.limits import limit
from twin.model.transform import local_to_world

T = TypeVar("T")


def drawable_trays(trays: "Columns") -> np.ndarray:
    """Which cable trays have a shape: both ends finite and within the coordinate limit, width
    and height positive and within the part size limit. The loader warns about the others
    (naming each) and the scene and exports leave them out, so one bad row costs one tray."""
    if not len(trays):
        return np.zeros(0, bool)
    ends = np.concatenate([np.asarray(trays.start, float), np.asarray(trays.end, float)], axis=1)
    sizes = np.column_stack([np.asarray(trays.width_m, float), np.asarray(trays.height_m, float)])
    with np.errstate(invalid="ignore"):
        ends_ok = np.isfinite(ends).all(axis=1) & (np.abs(np.nan_to_num(ends)) <= limit("coordinate_m")).all(axis=1)
        sizes_ok = np.isfinite(sizes).all(axis=1) & (sizes > 0).all(axis=1) & (sizes <= limit("part_size_m")).all(axis=1)
    return ends_ok & sizes_ok


class Columns:
    """A table as equal-length named columns (numpy arrays; 2-D for vectors such as xyz)."""

    def __init__(self, **columns: np.ndarray):
        lengths = {name: len(col) for name, col in columns.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"columns of unequal length: {lengths}")
        self._columns = dict(columns)
        self._length = next(iter(lengths.values()), 0)

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["_columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __len__(self) -> int:
        return self._length

    def __contains__(self, name: str) -> bool:
        return name in self._columns

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def index_of(self, ids: np.ndarray | int) -> np.ndarray:
        """Row indices of database ids (-1 for ids not in the table)."""
        key = np.asarray(ids, dtype=np.int64)
        if self._length == 0:
            return np.full(key.shape, -1, dtype=np.int64)
        order = self._id_order()
        sorted_ids = self._columns["id"][order]
        pos = np.minimum(np.searchsorted(sorted_ids, key), self._length - 1)
        return np.where(sorted_ids[pos] == key, order[pos], -1)

    def _id_order(self) -> np.ndarray:
        if "_order" not in self.__dict__:
            self.__dict__["_order"] = np.argsort(self._columns["id"], kind="stable")
        return self.__dict__["_order"]


@dataclass
class Design:
    """The whole design file in memory. See docs/schema.md for what each column means."""

    source: Path
    meta: dict[str, str]
    generations: Columns
    suppliers: Columns
    part_types: Columns
    halls: Columns
    racks: Columns
    parts: Columns
    cables: Columns
    cable_trays: Columns
    power_nodes: Columns
    cooling_loops: Columns
    sensors: Columns
    cable_kinds: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    port_kinds: list[str] = field(default_factory=list)
    lazy: Any = None          # the store's loader of tables read only on demand (ports, cable names)
    _cache: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    def ports(self) -> Columns:
        """Every port (id, part row, name, kind), read from the file on first use."""
        if "ports" not in self._cache:
            raw = self.lazy.ports() if self.lazy is not None else {
                "id": np.zeros(0, np.int64), "part_id": np.zeros(0, np.int64),
                "name": np.zeros(0, object), "kind": np.zeros(0, object)}
            part = self.parts.index_of(raw["part_id"])
            self._cache["ports"] = Columns(id=raw["id"], part=part, name=raw["name"], kind=raw["kind"])
        return self._cache["ports"]

    def unconnected_ports(self, names: tuple[str, ...], prefixes: tuple[str, ...]) -> Columns:
        """Ports named one of `names` (or a prefix + digits) that no cable plugs into: id, part row, name, kind."""
        key = ("unconnected", names, prefixes)
        if key not in self._cache:
            if self.lazy is not None:
                raw = self.lazy.unconnected_ports(list(names), list(prefixes))
            else:
                raw = {"id": np.zeros(0, np.int64), "part_id": np.zeros(0, np.int64),
                       "name": np.zeros(0, object), "kind": np.zeros(0, object)}
            self._cache[key] = Columns(id=raw["id"], part=self.parts.index_of(raw["part_id"]), name=raw["name"],
                                       kind=raw["kind"])
        return self._cache[key]

    def cable_text(self) -> Columns:
        """Per cable: `name`, stored `route` text, `a_port_name`, `b_port_name` (read on first use)."""
        if "cable_text" not in self._cache:
            n = len(self.cables)
            if self.lazy is not None:
                raw = self.lazy.cable_text()
            else:
                names = np.array([f"cable {i}" for i in (self.cables.id if "id" in self.cables else range(n))], dtype=object)
                raw = {"name": names, "route": np.full(n, "", object), "a_port_name": np.full(n, "", object),
                       "b_port_name": np.full(n, "", object)}
            self._cache["cable_text"] = Columns(**raw)
        return self._cache["cable_text"]

    def cable_labels(self, rows: np.ndarray) -> Columns:
        """`cable_text()` for a few cable rows only (cheap: findings name just the cables they flag)."""
        rows = np.asarray(rows, np.int64)
        if "cable_text" in self._cache or self.lazy is None or len(rows) > 20_000:
            full = self.cable_text()
            return Columns(**{k: getattr(full, k)[rows] for k in full})
        order = np.argsort(self.cables.id[rows])
        raw = self.lazy.cable_text(self.cables.id[rows].tolist())
        out = {k: np.empty(len(rows), dtype=object) for k in raw}
        for k, v in raw.items():
            if len(v) == len(rows):
                out[k][order] = v
            else:
                out[k][:] = ""
        return Columns(**out)

    @property
    def schema_version(self) -> int:
        return int(self.meta.get("schema_version", 0))

    def part_kind(self) -> np.ndarray:
        """Kind name of every part (a gather through the catalog)."""
        return self.part_types.kind[self.parts.type]

    def part_size(self) -> np.ndarray:
        """(n, 3) catalog size of every part: width, depth, height in metres."""
        return self.part_types.size[self.parts.type]

    def part_power_w(self) -> np.ndarray:
        """Power each part draws: its own override where set, else the catalog nominal."""
        nominal = self.part_types.power_nominal_w[self.parts.type]
        return np.where(self.parts.power_w >= 0, self.parts.power_w, nominal)

    def cable_ends(self) -> tuple[np.ndarray, np.ndarray]:
        """World positions (n, 3) of both ends of every cable (its ports on their parts)."""
        return (self.local_to_world(self.cables.a_part, self.cables.a_offset),
                self.local_to_world(self.cables.b_part, self.cables.b_offset))

    def local_to_world(self, part: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Points given in parts' local frames (yaw about Z, then translate) in world metres."""
        return local_to_world(self.parts.position[part], self.parts.yaw_deg[part], offset)

    def cable_kind(self) -> np.ndarray:
        """Kind name of every cable."""
        return np.asarray(self.cable_kinds, dtype=object)[self.cables.kind]

    def rack_index(self, name: str) -> int:
        """Row index of the rack called `name`; KeyError if there is none."""
        hits = np.flatnonzero(self.racks.name == name)
        if not len(hits):
            raise KeyError(name)
        return int(hits[0])

    def rack_power_w(self) -> np.ndarray:
        """IT power per rack: the sum of what its parts draw."""
        inside = self.parts.rack >= 0
        return np.bincount(self.parts.rack[inside], weights=self.part_power_w()[inside],
                           minlength=len(self.racks))

    # ------------------------------------------------------------------ halls of a site
    def hall_origin(self) -> np.ndarray:
        """(halls, 2) where each hall's south-west corner stands on the site (0, 0 for one hall)."""
        if "origin" in self.halls:
            return np.nan_to_num(np.asarray(self.halls.origin, float).reshape(-1, 2))
        return np.zeros((len(self.halls), 2))

    def hall_box(self, hall: int) -> tuple[np.ndarray, np.ndarray]:
        """Lowest and highest corner (x, y, z) of hall `hall`'s room in site coordinates."""
        origin = self.hall_origin()[hall]
        size = np.asarray(self.halls.size[hall], float)
        return np.r_[origin, 0.0], np.r_[origin + size[:2], size[2]]

    def hall_named(self, name: str) -> int:
        """Row index of the hall called `name`; KeyError if there is none."""
        hits = np.flatnonzero(np.asarray(self.halls.name, object) == name)
        if not len(hits):
            raise KeyError(name)
        return int(hits[0])

    # ------------------------------------------------------------------ one rule each
    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()` once per design and `key`: what other layers derive from a design (tray
        network, cable routes, polylines) is kept with it, since a loaded design does not change."""
        if key not in self._cache:
            self._cache[key] = compute()
        return cast(T, self._cache[key])

    def frame_mask(self) -> np.ndarray:
        """True for every rack frame: a part of kind 'rack' mounted in a rack."""
        return np.asarray((self.part_kind() == "rack") & (self.parts.rack >= 0), bool)

    def rack_frames(self) -> np.ndarray:
        """Row of each rack's frame part, -1 where it has none (see `frame_of_rack`: the first
        frame in the file where a rack carries several). Every layer asks here."""
        return self.derived("rack_frames", lambda: frame_of_rack(self.parts.rack, self.frame_mask(),
                                                                 len(self.racks)))

    def part_hall(self) -> np.ndarray:
        """Hall row of every part, -1 where none can be told. In order:

        1. the hall of its rack, or, for a part outside racks mounted in another part, of the
           nearest ancestor that is in a rack (up to MAX_PARENT_DEPTH levels);
        2. the hall whose floor it stands on (facility gear: CDUs, CRAHs, switchboards), the
           first such hall where floors overlap;
        3. the hall of the cooling loop it is on (gear outside every hall's floor).

        Analyses, the scene and the exports all ask here. Cached: designs do not change."""
        return self.derived("part_hall", self._part_hall)

    def _part_hall(self) -> np.ndarray:
        n = len(self.parts)
        rack = np.asarray(self.parts.rack, np.int64).copy()
        if "parent" in self.parts:
            parent = np.asarray(self.parts.parent, np.int64)
            up = parent.copy()
            for _ in range(MAX_PARENT_DEPTH):
                need = np.flatnonzero((rack < 0) & (up >= 0))
                if not len(need):
                    break
                rack[need] = self.parts.rack[up[need]]
                up[need] = parent[up[need]]
        out = np.full(n, -1, np.int64)
        in_rack = rack >= 0
        out[in_rack] = np.asarray(self.racks.hall, np.int64)[rack[in_rack]]
        xy = self.parts.position[:, :2]
        origin = self.hall_origin()
        for h in range(len(self.halls)):
            size = np.asarray(self.halls.size[h, :2], float)
            inside = (out < 0) & np.all((xy >= origin[h] - 1e-6) & (xy <= origin[h] + size + 1e-6), axis=1)
            out[inside] = h
        if "cooling_loop" in self.parts and "hall" in self.cooling_loops:
            loop = np.asarray(self.parts.cooling_loop, np.int64)
            on_loop = np.flatnonzero((out < 0) & (loop >= 0))
            out[on_loop] = np.asarray(self.cooling_loops.hall, np.int64)[loop[on_loop]]
        return out

    def hall_supply_air_c(self) -> np.ndarray:
        """Supply air of every hall, °C: the file's figure, else `physics.DEFAULT_SUPPLY_AIR_C`."""
        return _with_default(self.halls, "supply_air_c", physics.DEFAULT_SUPPLY_AIR_C)

    def hall_recirculation_c(self) -> np.ndarray:
        """Hot-aisle air mixing into each hall's cold aisle, K: the file's figure, else
        `physics.DEFAULT_RECIRCULATION_C`."""
        return _with_default(self.halls, "recirculation_c", physics.DEFAULT_RECIRCULATION_C)


#: Parent links followed at most this deep to find the rack of a part mounted in a part.
MAX_PARENT_DEPTH = 32


def frame_of_rack(part_rack: np.ndarray, is_frame: np.ndarray, n_racks: int) -> np.ndarray:
    """Row of each rack's frame part among `is_frame` parts, -1 where a rack has none.

    Where a rack carries several frames the first one (lowest row: the file's order, which is
    id order) stands for the rack. The generator calls this on its draft, `Design.rack_frames`
    on a loaded design, so both agree which part is the frame.
    """
    out = np.full(n_racks, -1, np.int64)
    rows = np.flatnonzero(np.asarray(is_frame, bool) & (np.asarray(part_rack) >= 0))
    racks, first = np.unique(np.asarray(part_rack, np.int64)[rows], return_index=True)
    out[racks] = rows[first]
    return out


def _with_default(table: Columns, name: str, default: float) -> np.ndarray:
    if name not in table:
        return np.full(len(table), default)
    return np.nan_to_num(np.asarray(getattr(table, name), np.float64), nan=default)
