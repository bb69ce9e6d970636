"""The hall around the racks: floor with its tile grid, walls, cable trays, row labels.

Context for reviewers, not parts: nothing here is pickable or coloured by overlays.
"""

from __future__ import annotations

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor, vtkBillboardTextActor3D, vtkPolyDataMapper, vtkTextActor

from twin.geometry import box_mesh, part_mesh
from twin.geometry.instancing import Batch, instance
from twin.model import Design
from twin.model.design import drawable_trays
from twin.model.limits import limit
from twin.scene import vtk_arrays
from twin.text import display_text

TILE_M = 0.6                  # raised-floor tile
WALL_M = 0.2
CURB_M = 0.25                 # the near walls are drawn as curbs so iso views see in
TRAY_RGB = (150, 155, 160)    # a tray drawn as one box while the camera moves
MAX_ROW_LABELS = int(limit("row_labels"))   # beyond that labels are clutter; the hierarchy names rows
MAX_GRID_LINES = int(limit("grid_lines_per_axis"))


def _one(mesh, centre, yaw: float = 0.0, rgb=None) -> Batch:
    return instance(mesh, np.zeros(1, np.int64), np.array([centre], float), np.array([yaw]),
                    rgb=None if rgb is None else np.array([rgb]))


def shell_pieces(size: tuple[float, float, float], origin: tuple[float, float] = (0.0, 0.0)) -> list[tuple]:
    """The hall's floor and walls as (name, mesh kind, size, bottom-centre, rgb): full height at
    the back (north, east), curbs at the front so iso views see in. One list for the scene and
    the exports (the USD stage's hall shell), so they cannot draw two different rooms."""
    w, depth, h = size
    ox, oy = origin
    return [("floor", "floor_tile", (w, depth, 0.02), (ox + w / 2, oy + depth / 2, -0.02), (214, 217, 221)),
            ("wall_north", "wall", (w + 2 * WALL_M, WALL_M, h), (ox + w / 2, oy + depth + WALL_M / 2, 0), (226, 228, 231)),
            ("wall_east", "wall", (WALL_M, depth, h), (ox + w + WALL_M / 2, oy + depth / 2, 0), (220, 222, 226)),
            ("wall_south", "wall", (w + 2 * WALL_M, WALL_M, CURB_M), (ox + w / 2, oy - WALL_M / 2, 0), (200, 203, 208)),
            ("wall_west", "wall", (WALL_M, depth, CURB_M), (ox - WALL_M / 2, oy + depth / 2, 0), (200, 203, 208))]


def hall_batch(design: Design, size: tuple[float, float, float], origin: tuple[float, float] = (0.0, 0.0),
               trays: bool = True, simple: bool = False) -> Batch:
    """Floor, walls (`shell_pieces`) and, with `trays`, every cable tray run.

    `origin` is the hall's south-west corner on the site (halls of a campus stand apart). With
    `simple`, trays are plain boxes (what a moving camera draws: a tray's rungs are most of the
    hall's triangles).
    """
    batches = [_one(part_mesh(kind, piece_size), centre, rgb=rgb)
               for _name, kind, piece_size, centre, rgb in shell_pieces(size, origin)]
    if trays:
        batches.append(tray_batch(design, simple))
    return Batch.concat(batches)


def tray_pieces(design: Design, rows: np.ndarray | None = None) -> list[tuple[int, tuple, np.ndarray, float]]:
    """(row, size, bottom-centre, yaw in degrees) of every drawable cable tray and campus duct (or
    those at `rows`), along its centre line: what the scene and the exports place a tray mesh by."""
    trays = design.cable_trays
    drawable = drawable_trays(trays)            # the loader warned about the others
    pieces = []
    for i in range(len(trays)) if rows is None else rows.tolist():
        if not drawable[i]:
            continue
        a, b = trays.start[i], trays.end[i]
        length = float(np.linalg.norm((b - a)[:2]))
        if length > 0:
            tray_size = (length, float(trays.width_m[i]), float(trays.height_m[i]))
            pieces.append((int(i), tray_size, (a + b) / 2, float(np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0])))))
    return pieces


def tray_batch(design: Design, simple: bool = False, rows: np.ndarray | None = None) -> Batch:
    """Every cable tray and campus duct (or those at `rows`) along its centre line (plain boxes with `simple`)."""
    return Batch.concat([_one(box_mesh(size, TRAY_RGB) if simple else part_mesh("cable_tray", size), centre, yaw)
                         for _i, size, centre, yaw in tray_pieces(design, rows)])


def grid_step(width: float, depth: float) -> float:
    """Tile pitch, or a whole multiple of it so neither axis gets more lines than a screen can show."""
    longest = max(float(width), float(depth), TILE_M)
    return TILE_M * max(1, int(np.ceil(longest / TILE_M / MAX_GRID_LINES)))


def tile_grid(width: float, depth: float, origin: tuple[float, float] = (0.0, 0.0)) -> vtkActor:
    """The raised-floor tile grid as faint lines (every k-th tile line in very large halls)."""
    step = grid_step(width, depth)
    xs = np.arange(0, width + 1e-6, step)
    ys = np.arange(0, depth + 1e-6, step)
    starts = np.concatenate([np.column_stack([xs, np.zeros_like(xs)]), np.column_stack([np.zeros_like(ys), ys])])
    ends = np.concatenate([np.column_stack([xs, np.full_like(xs, depth)]), np.column_stack([np.full_like(ys, width), ys])])
    pts = np.stack([starts, ends], axis=1).reshape(-1, 2)
    pts = np.column_stack([pts + np.asarray(origin, float), np.full(len(pts), 0.001)])
    mapper = vtkPolyDataMapper()
    mapper.SetInputData(vtk_arrays.polylines(pts, 2, np.full((len(starts), 3), 200, np.uint8)))
    actor = vtkActor()
    actor.SetMapper(mapper)
    actor.PickableOff()
    actor.GetProperty().LightingOff()      # opaque: a translucent grid would cost a blending pass
    return actor


def hall_labels(design: Design) -> list[vtkTextActor]:
    """The hall's name above the middle of its back wall, one per hall of a site (none for one hall).

    2D text anchored at a world point: its texture is drawn once, where a 3D billboard redrew
    it every frame (four hall names cost a campus overview 40 ms of CPU on software GL)."""
    if len(design.halls) < 2:
        return []
    labels = []
    for h, name in enumerate(design.halls.name.tolist()):
        lo, hi = design.hall_box(h)
        label = vtkTextActor()
        label.SetInput(display_text(name))
        label.GetPositionCoordinate().SetCoordinateSystemToWorld()
        label.GetPositionCoordinate().SetValue((lo[0] + hi[0]) / 2, hi[1], hi[2] + 2.0)
        prop = label.GetTextProperty()
        prop.SetFontSize(22)
        prop.SetColor(0.05, 0.1, 0.25)
        prop.SetBold(True)
        prop.SetJustificationToCentered()
        prop.SetVerticalJustificationToBottom()
        label.PickableOff()
        labels.append(label)
    return labels


def row_labels(design: Design, rack_centre: np.ndarray, z: float) -> list[vtkBillboardTextActor3D]:
    """'Row A' beside the first rack of each row (none for halls with many rows)."""
    rows: dict[str, list[int]] = {}
    for r, row in enumerate(design.racks.row.tolist()):
        rows.setdefault(row, []).append(r)
    if not rows or len(rows) > MAX_ROW_LABELS * max(len(design.halls), 1):
        return []
    labels = []
    for row, racks in rows.items():
        racks_arr = np.array(racks)
        start = racks_arr[np.argmin(design.racks.position[racks_arr, 0])]
        label = vtkBillboardTextActor3D()
        label.SetInput(display_text(f"Row {row}"))
        label.SetPosition(rack_centre[start][0] - 0.9, rack_centre[start][1], z)
        label.GetTextProperty().SetFontSize(16)
        label.GetTextProperty().SetColor(0.1, 0.15, 0.3)
        label.GetTextProperty().SetBold(True)
        label.PickableOff()
        labels.append(label)
    return labels
