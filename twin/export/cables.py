"""The cable schedule: one CSV row per cable, for the people who buy, label and pull cables.

Written with the csv module (quoting what needs it), UTF-8 with a byte-order mark so that
spreadsheet programs read the arrows and accents right, to a temporary file renamed into
place at the end, so a failed export never leaves half a schedule behind.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.files import write_bytes_atomic
from twin.export.tables import csv_lines
from twin.model.routes import STATUS_CODES, parse_route_texts
from twin.model import Design

COLUMNS = ("cable", "kind", "rate_gbps", "from_device", "from_port", "to_device", "to_port",
           "catalog_length_m", "routed_length_m", "route", "trays")


def schedule_rows(design: Design) -> list[list[str]]:
    """The schedule as rows of text (header first), one per cable in id order."""
    c = design.cables
    text = design.cable_text()
    trays = design.cable_trays
    code, paths, _ = parse_route_texts(text.route, trays.id if len(trays) else np.zeros(0, np.int64))
    path_names = [" > ".join(str(trays.name[t]) for t in p) for p in paths] + [""]
    names = np.asarray(design.parts.name, dtype=object)
    def device(part: np.ndarray) -> np.ndarray:
        return np.where(part >= 0, names[np.maximum(part, 0)], "")
    routed = np.asarray(c.routed_m, float) if "routed_m" in c else np.full(len(c), np.nan)
    status = np.asarray(list(STATUS_CODES) + [""], dtype=object)[
        np.where(c.route_status >= 0, c.route_status, len(STATUS_CODES))] if "route_status" in c else np.full(len(c), "")
    columns = [text.name, design.cable_kind(), [f"{r:g}" for r in c.rate_gbps.tolist()],
               device(c.a_part), text.a_port_name, device(c.b_part), text.b_port_name,
               [f"{v:g}" for v in c.length_m.tolist()],
               ["" if not np.isfinite(v) else f"{v:.3f}" for v in routed.tolist()],
               status, np.asarray(path_names, dtype=object)[np.where(code >= 0, code, len(paths))]]
    return [list(COLUMNS)] + [list(map(str, row)) for row in zip(*columns)]


def write_schedule(design: Design, path: str | Path) -> Path:
    """Write the cable schedule of `design` to `path` (CSV); returns the path."""
    text = csv_lines(schedule_rows(design))
    return write_bytes_atomic(path, text.encode("utf-8-sig"))
