"""`twin export glb`: the design as one binary glTF 2.0 file for web viewers.

What a web viewer needs and what a reviewer expects to find in it:
- Y up and metres (glTF's own convention): twin's Z-up world (x, y, z) becomes (x, z, -y),
  a yaw about Z becomes a rotation about +Y.
- Each part type's mesh is stored once (one set of accessors) and placed by one node per
  part. An overlay's colours are baked in as materials: a glTF mesh per (part type, colour)
  points at the same accessors with another material, so colour costs a few bytes of JSON,
  not a copy of the triangles. Without an overlay, parts keep their per-face colours.
- Part metadata (name, kind, vendor, supplier, power, rack, row, and the overlay value) in
  each node's `extras`, nodes grouped hall → row → rack → part.
- Rack doors are a second, translucent primitive, as the viewer draws them.

Built from the model and the geometry meshes (numpy), never from VTK actors.

glTF's JSON has no infinity or NaN: a value that is not a finite number (a power of 1e308
overflows when rounded) is left out of the node's extras with a warning naming the part, so
the file is still written and still validates.
"""

from __future__ import annotations

import json
import logging
import math
import struct
from pathlib import Path
from typing import Callable

import numpy as np

from twin import __version__
from twin.analysis.overlays import Overlay
from twin.files import atomic_output
from twin.export.parts_table import NO_VALUE_RGB, overlay_part_rgb, parts_table
from twin.geometry import Mesh
from twin.model import Design

log = logging.getLogger(__name__)

ARRAY_BUFFER = 34962
FLOAT = 5126
DOOR_OPACITY = 0.22
#: glTF colours are linear; twin's palette is sRGB.
_SRGB_LINEAR = np.where(np.arange(256) / 255 <= 0.04045, np.arange(256) / 255 / 12.92,
                        ((np.arange(256) / 255 + 0.055) / 1.055) ** 2.4)

Progress = Callable[[str], None]


def to_y_up(points: np.ndarray) -> np.ndarray:
    """Z-up (x, y, z) to glTF's Y-up (x, z, -y); a proper rotation, so normals map the same way."""
    p = np.asarray(points, np.float64)
    return np.stack([p[..., 0], p[..., 2], -p[..., 1]], axis=-1)


def _flat(mesh: Mesh) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unindexed Y-up positions, per-face normals and per-face sRGB colours of a mesh (3 rows per face)."""
    tri = mesh.vertices[mesh.faces].astype(np.float64)                  # (m, 3, 3)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    length = np.linalg.norm(normal, axis=1, keepdims=True)
    normal = np.where(length > 1e-20, normal / np.maximum(length, 1e-20), [0.0, 0.0, 1.0])
    keep = length[:, 0] > 1e-20                                          # degenerate faces add nothing
    tri, normal = tri[keep], normal[keep]
    colors = mesh.face_colors[keep] if mesh.face_colors is not None else np.full((len(tri), 3), 150, np.uint8)
    positions = to_y_up(tri.reshape(-1, 3)).astype(np.float32)
    normals = to_y_up(np.repeat(normal, 3, axis=0)).astype(np.float32)
    return positions, normals, np.repeat(colors, 3, axis=0)


class _Buffer:
    """The binary chunk with its bufferViews and accessors, each 4-byte aligned."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.length = 0
        self.views: list[dict] = []
        self.accessors: list[dict] = []

    def vec3(self, array: np.ndarray, bounds: bool = False) -> int:
        data = np.ascontiguousarray(array, np.float32)
        raw = data.tobytes()
        self.views.append({"buffer": 0, "byteOffset": self.length, "byteLength": len(raw), "target": ARRAY_BUFFER})
        self.chunks.append(raw)
        self.length += len(raw)
        accessor = {"bufferView": len(self.views) - 1, "componentType": FLOAT, "count": len(data), "type": "VEC3"}
        if bounds:
            accessor["min"] = [float(v) for v in data.min(axis=0)]
            accessor["max"] = [float(v) for v in data.max(axis=0)]
        self.accessors.append(accessor)
        return len(self.accessors) - 1

    def blob(self) -> bytes:
        return b"".join(self.chunks)


def _linear(rgb: np.ndarray) -> np.ndarray:
    return _SRGB_LINEAR[np.asarray(rgb, np.uint8)]


class _Materials:
    """One material per distinct colour (plus the natural and door materials)."""

    def __init__(self) -> None:
        self.items: list[dict] = [
            {"name": "natural", "pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, 1], "metallicFactor": 0.0,
                                                         "roughnessFactor": 0.8}},
            {"name": "door", "alphaMode": "BLEND", "doubleSided": True,
             "pbrMetallicRoughness": {"baseColorFactor": [1, 1, 1, DOOR_OPACITY], "metallicFactor": 0.0,
                                      "roughnessFactor": 0.6}}]
        self._by_rgb: dict[tuple[int, int, int], int] = {}

    NATURAL, DOOR = 0, 1

    def colour(self, rgb: tuple[int, int, int]) -> int:
        if rgb not in self._by_rgb:
            lin = [round(float(v), 5) for v in _linear(np.array(rgb))]
            self.items.append({"name": "#%02x%02x%02x" % rgb,
                               "pbrMetallicRoughness": {"baseColorFactor": lin + [1.0], "metallicFactor": 0.0,
                                                        "roughnessFactor": 0.8}})
            self._by_rgb[rgb] = len(self.items) - 1
        return self._by_rgb[rgb]


def _type_geometry(buffer: _Buffer, mesh: Mesh, coloured: bool = True) -> dict[str, int] | None:
    """Accessors of one part type's mesh: positions, normals and (for natural colours) per-face
    colours. Under an overlay the material alone colours the part: VTK-based viewers (f3d,
    ParaView) let COLOR_0 replace the material colour instead of multiplying it, so an
    overlay carried by the material only reads the same in every viewer."""
    if mesh.triangle_count == 0:
        return None
    positions, normals, colors = _flat(mesh)
    if not len(positions):
        return None
    out = {"POSITION": buffer.vec3(positions, bounds=True), "NORMAL": buffer.vec3(normals)}
    if coloured:
        out["natural"] = buffer.vec3(_linear(colors))
    return out


def build_gltf(design: Design, meshes: list[Mesh], door_meshes: dict[int, Mesh], overlay: Overlay | None = None,
               hall: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> tuple[dict, bytes]:
    """The glTF JSON document and its binary buffer for `design`.

    `meshes[t]` is part type t's fitted mesh (doors removed for rack frames, given in
    `door_meshes`); `hall` is the floor/walls context as (points, faces, face_rgb) or None.
    """
    d = design
    n = len(d.parts)
    table = parts_table(d)
    part_rgb = overlay_part_rgb(overlay, n)
    buffer, materials = _Buffer(), _Materials()
    used_types = np.unique(d.parts.type) if n else np.zeros(0, np.int64)
    geometry = {int(t): _type_geometry(buffer, meshes[int(t)], overlay is None) for t in used_types}
    doors = {t: _type_geometry(buffer, m) for t, m in door_meshes.items() if t in geometry}

    # one glTF mesh per (part type, colour); all share the type's accessors
    if part_rgb is None:
        colour_key = np.zeros(n, np.int64)
        palette = np.zeros((1, 3), np.uint8)
    else:
        palette, colour_key = np.unique(part_rgb, axis=0, return_inverse=True)
        colour_key = colour_key.reshape(-1)
    pair = d.parts.type.astype(np.int64) * len(palette) + colour_key
    pairs, part_mesh_key = np.unique(pair, return_inverse=True)
    part_mesh_key = part_mesh_key.reshape(-1)
    gltf_meshes: list[dict] = []
    mesh_of_pair = np.full(len(pairs), -1, np.int64)
    for k, p in enumerate(pairs.tolist()):
        t, c = divmod(int(p), len(palette))
        geo = geometry.get(t)
        if geo is None:
            continue
        if part_rgb is None:
            prim = {"attributes": {"POSITION": geo["POSITION"], "NORMAL": geo["NORMAL"], "COLOR_0": geo["natural"]},
                    "material": materials.NATURAL}
        else:
            prim = {"attributes": {"POSITION": geo["POSITION"], "NORMAL": geo["NORMAL"]},
                    "material": materials.colour(tuple(int(v) for v in palette[c]))}
        prims = [prim]
        door = doors.get(t)
        if door is not None:
            prims.append({"attributes": {"POSITION": door["POSITION"], "NORMAL": door["NORMAL"],
                                         "COLOR_0": door["natural"]}, "material": materials.DOOR})
        mesh_of_pair[k] = len(gltf_meshes)
        gltf_meshes.append({"name": str(d.part_types.name[t]) + ("" if part_rgb is None else
                                                                  "#%02x%02x%02x" % tuple(palette[c])),
                            "primitives": prims})
    node_mesh = mesh_of_pair[part_mesh_key] if n else np.zeros(0, np.int64)

    nodes: list[dict] = [{"name": "World", "children": []}]
    nodes += _part_nodes(d, table, node_mesh, overlay)
    first_part = 1
    # groups: hall → row → rack (racks keep their parts' world transforms: groups carry none)
    groups: dict[tuple, int] = {}

    def group(key: tuple, name: str, parent: int, extras: dict | None = None) -> int:
        if key not in groups:
            node = {"name": name, "children": []}
            if extras:
                node["extras"] = extras
            nodes.append(node)
            groups[key] = len(nodes) - 1
            nodes[parent]["children"].append(groups[key])
        return groups[key]

    # parts sorted by rack once; the loops below run per rack and per hall, never per part
    rack_of = d.parts.rack.astype(np.int64)
    order = np.argsort(rack_of, kind="stable")
    bounds = np.searchsorted(rack_of[order], np.arange(-1, len(d.racks) + 1))
    hall_names = table["hall"]
    free = order[bounds[0]:bounds[1]]
    for hall_name in dict.fromkeys(hall_names[free].tolist()):
        h = group(("h", hall_name), str(hall_name), 0, {"kind": "hall"})
        f = group(("f", hall_name), "facility", h, {"kind": "facility"})
        nodes[f]["children"] += (first_part + free[hall_names[free] == hall_name]).tolist()
    for r in range(len(d.racks)):
        members = order[bounds[r + 1]:bounds[r + 2]]
        if not len(members):
            continue
        hall_name, row, rack = str(hall_names[members[0]]), str(d.racks.row[r]), str(d.racks.name[r])
        h = group(("h", hall_name), hall_name, 0, {"kind": "hall"})
        w = group(("r", hall_name, row), f"row {row}", h, {"kind": "row", "row": row})
        k = group(("k", r), rack, w, {"kind": "rack_group", "rack": rack})
        nodes[k]["children"] += (first_part + members).tolist()
    if hall is not None and len(hall[1]):
        nodes[0]["children"].append(_hall_node(nodes, gltf_meshes, buffer, materials, hall))
    for node in nodes:
        if "children" in node and not node["children"]:
            del node["children"]

    extras = {"generator": f"twin {__version__}", "design": str(d.meta.get("design_name", d.source.name)),
              "units": "metres", "up_axis": "Y", "source_axes": "Z up (converted: x, z, -y)",
              "overlay": overlay.name if overlay is not None else "none"}
    if overlay is not None:
        extras |= {"overlay_label": overlay.label, "overlay_unit": overlay.unit,
                   "overlay_range": [v if v is not None and math.isfinite(v) else None
                                     for v in finite_rounded([overlay.vmin, overlay.vmax], 6)],
                   "no_value_rgb": list(NO_VALUE_RGB)}
    doc = {"asset": {"version": "2.0", "generator": f"twin {__version__}"},
           "scene": 0, "scenes": [{"name": extras["design"], "nodes": [0], "extras": extras}],
           "nodes": nodes, "meshes": gltf_meshes, "materials": materials.items,
           "accessors": buffer.accessors, "bufferViews": buffer.views,
           "buffers": [{"byteLength": buffer.length}]}
    if not gltf_meshes:
        for key in ("meshes", "accessors", "bufferViews", "buffers"):
            del doc[key]
    return doc, buffer.blob()


def finite_rounded(values, digits: int) -> list[float | None]:
    """`values` rounded to `digits` as a JSON-able list; None where a value is not a finite
    number (or rounding it would overflow: numpy rounds by scaling)."""
    v = np.asarray(values, np.float64)
    finite = np.isfinite(v)
    small = finite & (np.abs(np.where(finite, v, 0.0)) < 1e15)
    out = np.where(small, np.round(np.where(small, v, 0.0), digits), v)
    listed = out.tolist()
    for i in np.flatnonzero(~finite).tolist():
        listed[i] = None
    return listed


def _warn_dropped(names: list, column: list, field: str) -> None:
    bad = [i for i, v in enumerate(column) if v is None]
    if bad:
        more = f" (and {len(bad) - 1} more parts)" if len(bad) > 1 else ""
        log.warning("part %r: %s is not a finite number; left out of the GLB's extras%s", str(names[bad[0]]),
                    field, more)


def _part_nodes(d: Design, table: dict[str, np.ndarray], node_mesh: np.ndarray, overlay: Overlay | None) -> list[dict]:
    """One node per part: Y-up translation, yaw as a rotation about +Y, metadata in extras."""
    n = len(d.parts)
    translation = to_y_up(d.parts.position).round(5).tolist()
    half = np.radians(d.parts.yaw_deg) / 2
    qy, qw = np.sin(half).round(7).tolist(), np.cos(half).round(7).tolist()
    has_yaw = (np.abs(d.parts.yaw_deg) > 1e-9).tolist()
    power = finite_rounded(table["power_w"], 3)
    names, kinds, vendors = table["name"].tolist(), table["kind"].tolist(), table["vendor"].tolist()
    suppliers, racks, rows, types = (table["supplier"].tolist(), table["rack"].tolist(), table["row"].tolist(),
                                     table["type"].tolist())
    mesh = node_mesh.tolist()
    _warn_dropped(names, power, "power_w")
    values = None
    if overlay is not None:
        values = finite_rounded(overlay.values, 4)      # no value (NaN) is simply absent, as before
        v = np.asarray(overlay.values, float)
        _warn_dropped(names, [None if np.isinf(x) else 0 for x in v.tolist()], overlay.name)
    nodes = []
    for i in range(n):          # serialisation: one dict per part is what a glTF node is
        extras = {"name": names[i], "kind": kinds[i], "type": types[i], "vendor": vendors[i],
                  "supplier": suppliers[i], "rack": racks[i], "row": rows[i]}
        if power[i] is not None:
            extras["power_w"] = power[i]
        if values is not None and values[i] is not None:
            extras[overlay.name] = values[i]
        node = {"name": names[i], "translation": translation[i], "extras": extras}
        if has_yaw[i]:
            node["rotation"] = [0.0, qy[i], 0.0, qw[i]]
        if mesh[i] >= 0:
            node["mesh"] = mesh[i]
        nodes.append(node)
    return nodes


def _hall_node(nodes: list[dict], meshes: list[dict], buffer: _Buffer, materials: _Materials,
               hall: tuple[np.ndarray, np.ndarray, np.ndarray]) -> int:
    """Floor, walls and cable trays as one context mesh (no metadata: not parts)."""
    points, faces, rgb = hall
    geo = _type_geometry(buffer, Mesh(points, faces, rgb))
    if geo is None:
        return 0
    meshes.append({"name": "hall", "primitives": [{"attributes": {"POSITION": geo["POSITION"],
                                                                  "NORMAL": geo["NORMAL"], "COLOR_0": geo["natural"]},
                                                   "material": materials.NATURAL}]})
    nodes.append({"name": "hall context", "mesh": len(meshes) - 1, "extras": {"kind": "hall_context"}})
    return len(nodes) - 1


def glb_bytes(doc: dict, blob: bytes) -> bytes:
    """Pack a glTF document and its buffer as a GLB container (JSON chunk, then BIN chunk)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 4)
    chunks = [struct.pack("<II", len(text), 0x4E4F534A), text]
    if blob:
        blob += b"\0" * (-len(blob) % 4)
        chunks += [struct.pack("<II", len(blob), 0x004E4942), blob]
    body = b"".join(chunks)
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


def read_glb(path: str | Path) -> tuple[dict, bytes]:
    """The JSON document and binary chunk of a GLB file (for tests and tools)."""
    data = Path(path).read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    if magic != b"glTF" or version != 2 or length != len(data):
        raise ValueError(f"{path}: not a glTF 2.0 binary file")
    json_len, _ = struct.unpack_from("<II", data, 12)
    doc = json.loads(data[20:20 + json_len])
    blob = b""
    if 20 + json_len < len(data):
        bin_len, _ = struct.unpack_from("<II", data, 20 + json_len)
        blob = data[28 + json_len:28 + json_len + bin_len]
    return doc, blob


def export_glb(design: Design, output: str | Path, overlay: Overlay | None = None, hall_context: bool = True,
               progress: Progress | None = None) -> Path:
    """Write `design` (coloured by `overlay`, if any) as a GLB file at `output`, atomically."""
    from twin.scene.meshes import split_doors, type_meshes

    say = progress or (lambda _msg: None)
    say("meshes")
    meshes, _warnings = type_meshes(design)
    frames = np.unique(design.parts.type[design.part_kind() == "rack"]) if len(design.parts) else []
    doors = {}
    for t in frames:
        meshes[int(t)], doors[int(t)] = split_doors(meshes[int(t)], float(design.part_types.size[int(t), 1]))
    hall = None
    if hall_context and len(design.halls):
        from twin.geometry.instancing import Batch
        from twin.scene.hall import hall_batch, tray_batch

        origin = design.hall_origin()
        batch = Batch.concat([hall_batch(design, tuple(float(v) for v in design.halls.size[h]), tuple(origin[h]),
                                         trays=False) for h in range(len(design.halls))] + [tray_batch(design)])
        hall = (batch.points, batch.faces, batch.face_rgb)
    say("nodes")
    doc, blob = build_gltf(design, meshes, doors, overlay, hall)
    say("write")
    data = glb_bytes(doc, blob)
    with atomic_output(output) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
    return Path(output)
