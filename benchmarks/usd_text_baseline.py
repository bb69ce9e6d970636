"""The USD writer before the Sdf one (twin.export.usd): the whole stage as USDA text, parsed by
usd-core and saved by it. Kept as the baseline of the USD benchmark row and of the test that
checks the Sdf writer's stage equals it prim by prim; nothing in twin calls it.

Why it was replaced: on the campus (219,000 parts) usd-core spent 47 % of a ten-minute export
parsing this text and 40 % in the crate writer; authoring the same specs through Sdf skips the
text and its parse.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from twin import __version__
from twin.analysis.overlays import Overlay
from twin.errors import TwinError
from twin.export.parts_table import overlay_part_rgb, parts_table
from twin.export.usd import PART_TEXTS, SUFFIXES, TYPE_FACTS, Progress, _pxr, _unique, _write_reason, prim_name
from twin.files import atomic_output
from twin.geometry import Mesh
from twin.model import Design


def usd_string(text: str) -> str:
    """A USDA string literal: quotes and backslashes escaped, control characters as spaces."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", str(text))
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _floats(values: np.ndarray) -> str:
    return ", ".join("(" + ", ".join(f"{v:.6g}" for v in row) + ")" for row in np.asarray(values).tolist())


def _prototype(name: str, mesh: Mesh, coloured: bool, facts: dict[str, str]) -> str:
    """A class Xform with one Mesh child ('geom'): points, triangles, per-face colours.

    The part type's facts (kind, type, vendor, supplier), the transform order and a zero
    yaw sit on the prototype's root: every part prim that references it composes them, so
    each part authors only what is its own (name, rack, power, position, yaw if any).
    """
    lines = [f'    def Xform "{name}"', "    {"]
    lines += [f"        string twin:{key} = {usd_string(value)}" for key, value in facts.items()]
    lines += ["        float xformOp:rotateZ = 0", "        double3 xformOp:translate = (0, 0, 0)",
              '        uniform token[] xformOpOrder = ["xformOp:translate", "xformOp:rotateZ"]',
              '        def Mesh "geom"', "        {"]
    if len(mesh.vertices):
        lo, hi = mesh.bounds
        lines.append(f"            float3[] extent = [{_floats(np.array([lo, hi]))}]")
    lines += [f"            int[] faceVertexCounts = [{', '.join(['3'] * len(mesh.faces))}]",
              f"            int[] faceVertexIndices = [{', '.join(map(str, mesh.faces.reshape(-1).tolist()))}]",
              f"            point3f[] points = [{_floats(mesh.vertices)}]",
              '            uniform token subdivisionScheme = "none"']
    if coloured and mesh.face_colors is not None:
        lines.append(f"            color3f[] primvars:displayColor = [{_floats(mesh.face_colors / 255.0)}] "
                     '(\n                interpolation = "uniform"\n            )')
    lines += ["        }", "    }"]
    return "\n".join(lines)


def usda_text(design: Design, meshes: list[Mesh], overlay: Overlay | None = None,
              progress: Progress | None = None) -> str:
    """The whole stage as USDA text (prototypes, hierarchy, one instanceable prim per part).

    Why text: authoring 80,000 prims through the Sdf/Usd Python API costs ~1.5 ms each (two
    minutes for hall-2000); usd-core parses the same text in C++ in seconds, and the file
    is then written (and checked) by usd-core itself.
    """
    say = progress or (lambda _msg: None)
    d = design
    n = len(d.parts)
    table = parts_table(d)
    rgb = overlay_part_rgb(overlay, n)
    say("prototypes")
    used = np.unique(d.parts.type) if n else np.zeros(0, np.int64)
    type_names = _unique([prim_name(str(d.part_types.name[t])) for t in range(len(d.part_types))])
    design_name = str(d.meta.get("design_name", d.source.name))
    out = ["#usda 1.0", "(",
           "    customLayerData = {",
           f"        string \"twin:generator\" = {usd_string('twin ' + __version__)}",
           f"        string \"twin:design\" = {usd_string(design_name)}",
           f"        string \"twin:overlay\" = {usd_string(overlay.name if overlay else 'none')}",
           "    }",
           '    defaultPrim = "World"', "    metersPerUnit = 1", '    upAxis = "Z"', ")", "",
           'class "Prototypes"', "{"]
    first = {int(t): int(i) for i, t in reversed(list(enumerate(d.parts.type.tolist())))}
    out += [_prototype(type_names[t], meshes[t], rgb is None,
                       {k: str(table[k][first[t]]) for k in TYPE_FACTS}) for t in used.tolist()]
    out += ["}", ""]
    say("parts")
    # parent path of every part: <hall>/<row>/<rack> or <hall>/facility
    hall = [prim_name(h) for h in table["hall"].tolist()]
    rack_names = [prim_name(r) for r in d.racks.name.tolist()]
    row_names = ["row_" + prim_name(r).lstrip("_") for r in d.racks.row.tolist()]
    rack_of = d.parts.rack.tolist()
    names = [prim_name(v) for v in table["name"].tolist()]
    pos = d.parts.position.astype(float).tolist()
    yaw = d.parts.yaw_deg.astype(float).tolist()
    texts = {k: [usd_string(v) for v in table[k].tolist()] for k in PART_TEXTS}
    power = table["power_w"].astype(float).tolist()
    types = d.parts.type.tolist()
    values = colours = None
    value_attr = ""
    if overlay is not None:
        values = np.asarray(overlay.values, float).tolist()
        colours = (rgb / 255.0).round(4).tolist()
        value_attr = f"twin:{prim_name(overlay.name)}"
    tree: dict = {}
    for i in range(n):          # serialisation: each part is one prim in the text
        r = rack_of[i]
        key = (hall[i], row_names[r], rack_names[r]) if r >= 0 else (hall[i], "facility")
        tree.setdefault(key, []).append(i)
    body: dict = {}
    for key, members in tree.items():
        node = body
        for level in key:
            node = node.setdefault(level, {})
        node[None] = members
    out.append('def Xform "World"')
    out.append("{")
    _emit(out, body, 1, names, pos, yaw, texts, power, types, type_names, values, colours, value_attr)
    out.append("}")
    return "\n".join(out) + "\n"


def _emit(out: list[str], node: dict, depth: int, names, pos, yaw, texts, power, types, type_names, values,
          colours, value_attr) -> None:
    pad = "    " * depth
    for level, child in node.items():
        if level is None:
            continue
        out.append(f'{pad}def Xform "{level}"')
        out.append(f"{pad}{{")
        _emit(out, child, depth + 1, names, pos, yaw, texts, power, types, type_names, values, colours, value_attr)
        taken: set[str] = set()
        inner = pad + "    "
        for i in child.get(None, []):
            name = names[i]
            k = 2
            while name in taken or name in child:
                name, k = f"{names[i]}_{k}", k + 1
            taken.add(name)
            x, y, z = pos[i]
            lines = [f'{inner}def Xform "{name}" (',
                     f"{inner}    instanceable = true",
                     f"{inner}    prepend references = </Prototypes/{type_names[types[i]]}>",
                     f"{inner})", f"{inner}{{",
                     f"{inner}    double3 xformOp:translate = ({x:.6f}, {y:.6f}, {z:.6f})"]
            if yaw[i]:
                lines.append(f"{inner}    float xformOp:rotateZ = {yaw[i]:.6g}")
            lines += [f"{inner}    string twin:{key} = {vals[i]}" for key, vals in texts.items()]
            lines.append(f"{inner}    double twin:power_w = {power[i]:.6g}")
            if values is not None:
                c = colours[i]
                lines.append(f"{inner}    color3f[] primvars:displayColor = [({c[0]}, {c[1]}, {c[2]})] "
                             f'(interpolation = "constant")')
                if values[i] == values[i]:
                    lines.append(f"{inner}    double {value_attr} = {values[i]:.6g}")
            lines.append(f"{inner}}}")
            out.append("\n".join(lines))
        out.append(f"{pad}}}")


def export_usd_text(design: Design, output: str | Path, overlay: Overlay | None = None,
                    progress: Progress | None = None) -> Path:
    """Write `design` as the text writer did: USDA text, parsed by usd-core, saved by it."""
    _Gf, Sdf, _Usd, _UsdGeom, _Vt = _pxr()
    from twin.scene.meshes import type_meshes

    output = Path(output)
    if output.suffix.lower() not in SUFFIXES:
        raise TwinError(output, f"a USD file name ends in {', '.join(SUFFIXES)}", where="-o")
    say = progress or (lambda _msg: None)
    say("meshes")
    meshes, _warnings = type_meshes(design)
    text = usda_text(design, meshes, overlay, progress)
    say("parse")
    layer = Sdf.Layer.CreateAnonymous(".usda")
    try:
        ok = layer.ImportFromString(text)
    except Exception as exc:        # pxr.Tf.ErrorException: the parser's message
        raise TwinError(output, f"usd-core rejected the stage twin wrote (a bug): {str(exc).strip()[:300]}") from None
    if not ok:
        raise TwinError(output, "usd-core rejected the stage twin wrote (a bug)")
    say("write")
    with atomic_output(output) as tmp:
        try:
            written = layer.Export(str(tmp))
        except Exception as exc:      # pxr.Tf.ErrorException: disk full, file too large, permission
            raise TwinError(output, f"could not write the stage: {_write_reason(str(exc))}") from None
        if not written:
            raise TwinError(output, "usd-core could not write the stage")
    return output


