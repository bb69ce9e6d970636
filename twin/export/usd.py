"""`twin export usd`: the design as an OpenUSD stage (usd-core), for Omniverse and friends.

- Z up and metres, stated in the stage metadata (`upAxis = "Z"`, `metersPerUnit = 1`).
- `/World/<hall>/<row>/<rack>/<part>` (parts outside racks under `/World/<hall>/facility`);
  each hall's floor and walls under `/World/<hall>/shell`, its cable trays under
  `/World/<hall>/trays` (ducts between halls under `/World/site/trays`).
- Each part type's mesh is written once, as a class prim under `/Prototypes`; every part is
  an `instanceable` Xform that references it, so a 2,000-rack hall stores ~20 meshes, not
  80,000. Floors, walls and trays reference `/HallShapes` likewise, one mesh per size. An
  overlay colours parts by a constant `primvars:displayColor` on the part prim (the
  prototypes then carry no colour of their own, so the inherited one shows).
- Metadata as `twin:` attributes: name, rack, power_w (and the overlay's value) on each part
  prim; kind, type, vendor and supplier on its prototype, which every part prim composes.
- `layers=True` (`--layers`): one file per hall beside the output (`site.Hall_A.usd`), and the
  output a root layer holding the prototypes and sublayering them, so a hall can be reloaded
  or handed on alone.

The specs are authored through Sdf (twin.export.usd_stage), in one `Sdf.ChangeBlock` per hall,
and saved by usd-core (binary crate for .usd and .usdc, text for .usda); every file lands
atomically. usd-core is an optional extra (`pip install twin[usd]`); without it the export says
how to get it.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Callable

import numpy as np

from twin import __version__
from twin.analysis.overlays import Overlay
from twin.errors import TwinError
from twin.files import atomic_output, is_stream
from twin.model import Design

Progress = Callable[[str], None]
SUFFIXES = (".usd", ".usda", ".usdc")
#: Facts of a part type, authored once on its prototype and composed onto every part prim.
TYPE_FACTS = ("kind", "type", "vendor", "supplier")
#: Text facts of each part, authored on the part prim.
PART_TEXTS = ("name", "rack")
#: Stages of an export, in order (the CLI's progress bar).
STAGES = ("meshes", "prototypes", "parts", "shell", "write")


def _pxr():
    try:
        from pxr import Gf, Sdf, Usd, UsdGeom, Vt  # noqa: F401
    except ImportError:
        raise TwinError(None, "USD export needs usd-core: pip install 'twin[usd]' (or pip install usd-core)",
                        where="usd") from None
    from pxr import Gf, Sdf, Usd, UsdGeom, Vt
    return Gf, Sdf, Usd, UsdGeom, Vt


def prim_name(text: str) -> str:
    """A valid USD prim name from any part, rack or row name (letters, digits, _; no leading digit)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", str(text)) or "_"
    return "_" + name if name[0].isdigit() else name


def unique_names(names: list[str]) -> list[str]:
    """Prim names made unique among siblings by suffixes _2, _3… (two parts may sanitise alike)."""
    seen: dict[str, int] = {}
    out = []
    for n in names:
        count = seen.get(n, 0) + 1
        seen[n] = count
        out.append(n if count == 1 else f"{n}_{count}")
    return out


_unique = unique_names          # the name the text writer (benchmarks/usd_text_baseline.py) uses


def clean_text(text: object) -> str:
    """A string attribute's value: control characters as spaces (a name is one line of text)."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", str(text))


def hall_layer_path(output: Path, hall: str) -> Path:
    """Where `--layers` writes a hall's layer: beside the root, `<root stem>.<hall prim><suffix>`."""
    return output.with_name(f"{output.stem}.{hall}{output.suffix}")


def export_usd(design: Design, output: str | Path, overlay: Overlay | None = None,
               progress: Progress | None = None, layers: bool = False) -> Path:
    """Write `design` as a USD stage at `output` (.usd/.usdc binary, .usda text), atomically.
    With `layers`, each hall goes to a file of its own beside `output` (see `hall_layer_path`)
    and `output` sublayers them; returns the root's path."""
    _Gf, Sdf, _Usd, UsdGeom, _Vt = _pxr()
    from twin.export import usd_stage as author
    from twin.export.parts_table import parts_table
    from twin.scene.hall import shell_pieces, tray_pieces
    from twin.scene.meshes import type_meshes
    from twin.scene.site import tray_halls

    output = Path(output)
    if output.suffix.lower() not in SUFFIXES:
        raise TwinError(output, f"a USD file name ends in {', '.join(SUFFIXES)}", where="-o")
    if layers and is_stream(output):
        raise TwinError(output, "--layers writes one file per hall beside the output: give a file name, "
                                "not a stream", where="-o")
    say = progress or (lambda _msg: None)
    d = design
    say("meshes")
    meshes, _warnings = type_meshes(d)
    table = parts_table(d)
    say("prototypes")
    root = Sdf.Layer.CreateAnonymous(output.suffix)
    _stage_metadata(root, d, overlay, UsdGeom)
    types = author.PartTypes(root, d, meshes, table, coloured=overlay is None)
    shapes = author.HallShapes(root)
    say("parts")
    hall_layers: dict[str, object] = {}

    def layer_of(hall: str):
        if not layers:
            return root
        if hall not in hall_layers:
            hall_layers[hall] = Sdf.Layer.CreateAnonymous(output.suffix)
            _stage_metadata(hall_layers[hall], d, overlay, UsdGeom)
        return hall_layers[hall]

    prims = author.PartPrims(d, table, types, overlay)
    for hall, node in author.part_tree(d, table).items():
        with Sdf.ChangeBlock():
            prims.emit(author.xform(layer_of(hall), "World"), {hall: node})
    say("shell")
    hall_names = [prim_name(n) for n in d.halls.name.tolist()] if len(d.halls) else []
    boxes = [d.hall_box(h) for h in range(len(hall_names))]
    where = tray_halls(d, np.array([b[0] for b in boxes]).reshape(-1, 3), np.array([b[1] for b in boxes]).reshape(-1, 3))
    pieces = tray_pieces(d)
    origin = d.hall_origin()
    for h, hall in enumerate(hall_names):
        with Sdf.ChangeBlock():
            hall_prim = author.xform(author.xform(layer_of(hall), "World"), hall)
            author.shell(hall_prim, shapes, shell_pieces(tuple(float(v) for v in d.halls.size[h]), tuple(origin[h])))
            author.trays(hall_prim, shapes, d, [p for p in pieces if where[p[0]] == h])
    between = [p for p in pieces if where[p[0]] < 0 or not hall_names]
    if between:
        site = "site"
        while site in hall_names:
            site += "_"
        with Sdf.ChangeBlock():
            author.trays(author.xform(author.xform(root, "World"), site), shapes, d, between)
    say("write")
    files = {hall_layer_path(output, hall): layer for hall, layer in hall_layers.items()}
    for path in files:
        root.subLayerPaths.append(f"./{path.name}")
    _save([(output, root)] + list(files.items()))
    return output


def _stage_metadata(layer, design: Design, overlay: Overlay | None, UsdGeom) -> None:
    """Z up, metres, /World as the default prim and what made the stage (on every layer)."""
    design_name = str(design.meta.get("design_name", design.source.name))
    layer.customLayerData = {"twin:generator": clean_text("twin " + __version__),
                             "twin:design": clean_text(design_name),
                             "twin:overlay": clean_text(overlay.name if overlay else "none")}
    layer.defaultPrim = "World"
    layer.pseudoRoot.SetInfo(UsdGeom.Tokens.upAxis, UsdGeom.Tokens.z)
    layer.pseudoRoot.SetInfo(UsdGeom.Tokens.metersPerUnit, 1.0)


def _save(files: list[tuple[Path, object]]) -> None:
    """Write every layer through its own temp file; each is put in place only once all were
    written (the root, first in `files`, last of all), so a failure leaves every target as it was."""
    with contextlib.ExitStack() as stack:
        for path, layer in files:
            tmp = stack.enter_context(atomic_output(path))
            try:
                written = layer.Export(str(tmp))
            except Exception as exc:      # pxr.Tf.ErrorException: disk full, file too large, permission
                raise TwinError(path, f"could not write the stage: {_write_reason(str(exc))}") from None
            if not written:
                raise TwinError(path, "usd-core could not write the stage")


def _write_reason(message: str) -> str:
    """The OS's reason in a usd-core write error ('No space left on device'), not its C++ trail."""
    found = re.search(r"writing file: ([^'\n]+)", message)
    if found:
        return found.group(1).strip()
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return (lines[0] if lines else "usd-core failed")[:200]
