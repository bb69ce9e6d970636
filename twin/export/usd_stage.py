"""Authoring a design's USD stage through Sdf specs (usd-core): prototypes, the part hierarchy,
the hall shell (floor, walls) and the cable trays. `twin.export.usd` decides the layers and
writes them; this module only fills them.

Why Sdf: a spec authored here is what usd-core's USDA parser would have built from text, without
the text (on the campus, parsing it was 47 % of a ten-minute export). Each hall is authored inside
one `Sdf.ChangeBlock`, so no notice fires per prim. Every part is an `instanceable` Xform that
references its type's class prim under `/Prototypes` (a 2,000-rack hall keeps ~20 meshes, not
80,000); floors, walls and trays likewise reference `/HallShapes`, one mesh per distinct size.
"""

from __future__ import annotations

import numpy as np
from pxr import Gf, Sdf, Vt

from twin.analysis.overlays import Overlay
from twin.export.parts_table import overlay_part_rgb
from twin.export.usd import PART_TEXTS, TYPE_FACTS, clean_text, prim_name, unique_names
from twin.geometry import Mesh, part_mesh
from twin.model import Design

T = Sdf.ValueTypeNames
XFORM_ORDER = Vt.TokenArray(["xformOp:translate", "xformOp:rotateZ"])
#: Class prim holding the meshes of the hall shell and the trays (apart from the part types).
SHAPES = "HallShapes"


def attr(prim: Sdf.PrimSpec, name: str, type_name, value, uniform: bool = False) -> Sdf.AttributeSpec:
    """One attribute spec with its default value (varying unless `uniform`, never custom)."""
    spec = Sdf.AttributeSpec(prim, name, type_name, Sdf.VariabilityUniform if uniform else Sdf.VariabilityVarying)
    spec.default = value
    return spec


def _vec3f(values: np.ndarray) -> Vt.Vec3fArray:
    return Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(np.asarray(values, np.float32).reshape(-1, 3)))


def _ints(values: np.ndarray) -> Vt.IntArray:
    return Vt.IntArray.FromNumpy(np.ascontiguousarray(np.asarray(values, np.int32).reshape(-1)))


def mesh_prim(parent: Sdf.PrimSpec, name: str, mesh: Mesh, colours: np.ndarray | None) -> Sdf.PrimSpec:
    """A Mesh spec: extent, triangles, points, no subdivision, per-face `colours` (0…1) if given."""
    spec = Sdf.PrimSpec(parent, name, Sdf.SpecifierDef, "Mesh")
    if len(mesh.vertices):
        lo, hi = mesh.bounds
        attr(spec, "extent", T.Float3Array, _vec3f(np.array([lo, hi])))
    attr(spec, "faceVertexCounts", T.IntArray, _ints(np.full(len(mesh.faces), 3)))
    attr(spec, "faceVertexIndices", T.IntArray, _ints(mesh.faces))
    attr(spec, "points", T.Point3fArray, _vec3f(mesh.vertices))
    attr(spec, "subdivisionScheme", T.Token, "none", uniform=True)
    if colours is not None:
        attr(spec, "primvars:displayColor", T.Color3fArray, _vec3f(colours)).SetInfo("interpolation", "uniform")
    return spec


def prototype(parent: Sdf.PrimSpec, name: str, mesh: Mesh, colours: np.ndarray | None,
              facts: dict[str, str]) -> Sdf.PrimSpec:
    """A class Xform with one Mesh child ('geom'). Its facts, the transform order and a zero yaw
    sit on its root: every prim referencing it composes them and authors only its own place."""
    spec = Sdf.PrimSpec(parent, name, Sdf.SpecifierDef, "Xform")
    for key, value in facts.items():
        attr(spec, f"twin:{key}", T.String, clean_text(value))
    attr(spec, "xformOp:rotateZ", T.Float, 0.0)
    attr(spec, "xformOp:translate", T.Double3, Gf.Vec3d(0, 0, 0))
    attr(spec, "xformOpOrder", T.TokenArray, XFORM_ORDER, uniform=True)
    mesh_prim(spec, "geom", mesh, colours)
    return spec


def placed(parent: Sdf.PrimSpec, name: str, target: Sdf.Path, xyz, yaw: float) -> Sdf.PrimSpec:
    """An instanceable Xform referencing the class prim `target`, at `xyz`, turned `yaw` degrees."""
    spec = Sdf.PrimSpec(parent, name, Sdf.SpecifierDef, "Xform")
    spec.instanceable = True
    spec.referenceList.prependedItems.append(Sdf.Reference(primPath=target))
    attr(spec, "xformOp:translate", T.Double3, Gf.Vec3d(*xyz))
    if yaw:
        attr(spec, "xformOp:rotateZ", T.Float, yaw)
    return spec


def xform(parent, name: str) -> Sdf.PrimSpec:
    """A plain `def Xform` (the layer's pseudo-root or a prim spec as parent); reused if authored."""
    if isinstance(parent, Sdf.Layer):
        found = parent.GetPrimAtPath(Sdf.Path.absoluteRootPath.AppendChild(name))
        return found if found else Sdf.PrimSpec(parent, name, Sdf.SpecifierDef, "Xform")
    found = parent.nameChildren.get(name)
    return found if found is not None else Sdf.PrimSpec(parent, name, Sdf.SpecifierDef, "Xform")


class PartTypes:
    """The part types' prototypes under `/Prototypes`: one per type used, natural face colours when
    no overlay colours the parts (the inherited part colour then shows instead)."""

    def __init__(self, layer: Sdf.Layer, design: Design, meshes: list[Mesh], table: dict, coloured: bool):
        d = design
        self.names = unique_names([prim_name(str(n)) for n in d.part_types.name.tolist()])
        cls = Sdf.PrimSpec(layer, "Prototypes", Sdf.SpecifierClass)
        used, first = np.unique(d.parts.type, return_index=True) if len(d.parts) else (np.zeros(0, int),) * 2
        with Sdf.ChangeBlock():
            for t, i in zip(used.tolist(), first.tolist()):
                mesh = meshes[t]
                colours = mesh.face_colors / 255.0 if coloured and mesh.face_colors is not None else None
                prototype(cls, self.names[t], mesh, colours, {k: str(table[k][i]) for k in TYPE_FACTS})
        self.paths = [Sdf.Path(f"/Prototypes/{n}") for n in self.names]


class HallShapes:
    """Meshes of the hall shell and trays under `/HallShapes`, one per distinct kind, size and
    colour (every row tray of a hall is one mesh), in natural colours: context, never overlaid."""

    def __init__(self, layer: Sdf.Layer):
        self.cls = Sdf.PrimSpec(layer, SHAPES, Sdf.SpecifierClass)
        self._paths: dict[tuple, Sdf.Path] = {}

    def path(self, kind: str, size, rgb) -> Sdf.Path:
        key = (kind, tuple(round(float(v), 4) for v in size), rgb)
        if key not in self._paths:
            mesh = part_mesh(kind, size)
            colours = np.tile(np.asarray(rgb, float) / 255.0, (len(mesh.faces), 1)) if rgb is not None else \
                (mesh.face_colors / 255.0 if mesh.face_colors is not None else None)
            name = f"{prim_name(kind)}_{sum(k[0] == kind for k in self._paths) + 1}"
            prototype(self.cls, name, mesh, colours, {"context": kind})
            self._paths[key] = self.cls.path.AppendChild(name)
        return self._paths[key]


def part_tree(design: Design, table: dict) -> dict:
    """{hall prim: {row prim: {rack prim: {None: [part rows]}}, 'facility': {None: [...]}}}, in
    the parts' order (parts outside racks under their hall's `facility`)."""
    d = design
    hall = [prim_name(h) for h in table["hall"].tolist()]
    rack_names = [prim_name(r) for r in d.racks.name.tolist()]
    row_names = ["row_" + prim_name(r).lstrip("_") for r in d.racks.row.tolist()]
    tree: dict = {}
    for i, r in enumerate(d.parts.rack.tolist()):
        key = (hall[i], row_names[r], rack_names[r]) if r >= 0 else (hall[i], "facility")
        tree.setdefault(key, []).append(i)
    body: dict = {}
    for key, members in tree.items():
        node = body
        for level in key:
            node = node.setdefault(level, {})
        node[None] = members
    return body


class PartPrims:
    """Writes the part prims of a hall subtree: each an instance of its type with its place, name,
    rack, power and, under an overlay, its colour and value."""

    def __init__(self, design: Design, table: dict, types: PartTypes, overlay: Overlay | None):
        d = design
        self.names = [prim_name(v) for v in table["name"].tolist()]
        self.pos = d.parts.position.astype(float).tolist()
        self.yaw = d.parts.yaw_deg.astype(float).tolist()
        self.texts = {k: [clean_text(v) for v in table[k].tolist()] for k in PART_TEXTS}
        self.power = table["power_w"].astype(float).tolist()
        self.type_paths = [types.paths[t] for t in d.parts.type.tolist()]
        self.values = self.colours = None
        self.value_attr = ""
        rgb = overlay_part_rgb(overlay, len(d.parts))
        if overlay is not None and rgb is not None:
            self.values = np.asarray(overlay.values, float).tolist()
            self.colours = (rgb / 255.0).round(4).tolist()
            self.value_attr = f"twin:{prim_name(overlay.name)}"

    def emit(self, parent: Sdf.PrimSpec, node: dict) -> None:
        """The levels below `parent` (rows, racks), each level's own parts after its sub-levels."""
        for level, child in node.items():
            if level is None:
                continue
            spec = xform(parent, level)
            self.emit(spec, child)
            taken: set[str] = set()
            for i in child.get(None, []):
                name, k = self.names[i], 2
                while name in taken or name in child:
                    name, k = f"{self.names[i]}_{k}", k + 1
                taken.add(name)
                self.part(spec, name, i)

    def part(self, parent: Sdf.PrimSpec, name: str, i: int) -> None:
        spec = placed(parent, name, self.type_paths[i], self.pos[i], self.yaw[i])
        for key, values in self.texts.items():
            attr(spec, f"twin:{key}", T.String, values[i])
        attr(spec, "twin:power_w", T.Double, self.power[i])
        if self.colours is not None and self.values is not None:
            attr(spec, "primvars:displayColor", T.Color3fArray,
                 Vt.Vec3fArray([Gf.Vec3f(*self.colours[i])])).SetInfo("interpolation", "constant")
            if self.values[i] == self.values[i]:
                attr(spec, self.value_attr, T.Double, self.values[i])


def shell(parent: Sdf.PrimSpec, shapes: HallShapes, pieces: list[tuple]) -> None:
    """A hall's floor and walls (twin.scene.hall.shell_pieces) under `parent`/shell."""
    spec = xform(parent, "shell")
    for name, kind, size, centre, rgb in pieces:
        placed(spec, name, shapes.path(kind, size, rgb), centre, 0.0)


def trays(parent: Sdf.PrimSpec, shapes: HallShapes, design: Design, pieces: list[tuple]) -> None:
    """Cable trays or campus ducts (twin.scene.hall.tray_pieces) under `parent`/trays, each with
    its name, capacity and fill."""
    if not pieces:
        return
    t = design.cable_trays
    labels = [str(t.name[i]) if "name" in t else f"tray {i + 1}" for i, *_ in pieces]
    facts = {c: np.asarray(getattr(t, c), float) for c in ("capacity", "fill") if c in t}
    spec = xform(parent, "trays")
    for name, label, (i, size, centre, yaw) in zip(unique_names([prim_name(v) for v in labels]), labels, pieces):
        tray = placed(spec, name, shapes.path("cable_tray", size, None), centre, yaw)
        attr(tray, "twin:tray", T.String, clean_text(label))
        for column, values in facts.items():
            attr(tray, f"twin:{column}", T.Double, float(values[i]))
