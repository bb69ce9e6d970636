"""Per-part facts every export writes (name, kind, vendor, supplier, power, rack, row, hall)
and the colour each part gets under an overlay, gathered once as whole columns.

Why one module: the GLB's node extras, the USD's `twin:` attributes, the CSV's rows and the
Python API's tables must say the same thing about a part. Everything is a numpy gather
through the catalog; nothing loops over parts.
"""

from __future__ import annotations

import numpy as np

from twin.analysis import colouring
from twin.analysis.overlays import Overlay
from twin.model import Design

#: Columns of the parts table, in export order.
PART_COLUMNS = ("name", "kind", "type", "vendor", "model", "supplier", "country_of_origin", "power_w",
                "hall", "row", "rack", "u", "x", "y", "z", "yaw_deg")

#: Part colour where an overlay has no value (the scene's neutral grey).
NO_VALUE_RGB = colouring.NO_VALUE


def _text(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=object)


def parts_table(design: Design) -> dict[str, np.ndarray]:
    """The parts as named columns (object arrays for text, float/int arrays for numbers)."""
    d = design
    n = len(d.parts)
    pt = d.part_types
    t = d.parts.type
    supplier_names = _text(d.suppliers.name) if len(d.suppliers) else np.zeros(0, object)
    sup = pt.supplier[t] if n else np.zeros(0, np.int64)
    supplier = np.where(sup >= 0, supplier_names[np.maximum(sup, 0)] if len(supplier_names) else "", "")
    rack = d.parts.rack
    has_rack = rack >= 0
    rack_names = _text(d.racks.name)
    rows = _text(d.racks.row)
    hall_names = _text(d.halls.name) if len(d.halls) else np.array(["hall"], object)
    safe_rack = np.maximum(rack, 0)
    hall_idx = d.part_hall() if len(d.halls) else np.zeros(n, np.int64)
    hall_idx = np.where(hall_idx >= 0, hall_idx, 0)          # a part in no hall is listed under the first
    empty = np.full(n, "", object)
    pos = d.parts.position
    return {
        "name": _text(d.parts.name),
        "kind": _text(pt.kind[t]),
        "type": _text(pt.name[t]),
        "vendor": _text(pt.vendor[t]),
        "model": _text(pt.model[t]),
        "supplier": _text(supplier) if n else empty,
        "country_of_origin": _text(pt.country_of_origin[t]),
        "power_w": d.part_power_w().astype(float),
        "hall": hall_names[np.minimum(hall_idx, len(hall_names) - 1)] if n else empty,
        "row": np.where(has_rack, rows[safe_rack] if len(d.racks) else "", "") if n else empty,
        "rack": np.where(has_rack, rack_names[safe_rack] if len(d.racks) else "", "") if n else empty,
        "u": d.parts.u.astype(np.int64),
        "x": pos[:, 0].astype(float), "y": pos[:, 1].astype(float), "z": pos[:, 2].astype(float),
        "yaw_deg": d.parts.yaw_deg.astype(float),
    }


def overlay_part_rgb(overlay: Overlay | None, n_parts: int) -> np.ndarray | None:
    """(n, 3) uint8 colour of each part under `overlay` as the scene paints it (None: natural):
    `twin.analysis.colouring.part_colours`, checked against the design's part count."""
    if overlay is None:
        return None
    rgb = colouring.part_colours(overlay)
    if len(rgb) != n_parts:
        raise ValueError(f"overlay {overlay.name} has {len(rgb)} values for {n_parts} parts")
    return rgb
