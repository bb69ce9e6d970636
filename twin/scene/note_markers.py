"""Review notes drawn as pins in the 3D scene, one glyph actor for all of them, pickable on screen.

A note on a rack frame or free-standing gear floats above its top; a note on a part inside a
rack (a tray, a shelf) stands just in front of that part's face, where a reviewer looks at it;
a note on a point sits on the point. Open notes are orange, resolved ones grey-green.
Picking is screen-space arithmetic (the nearest pin within a few pixels), no render pass.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from vtkmodules.util.numpy_support import numpy_to_vtk
from vtkmodules.vtkCommonCore import vtkPoints
from vtkmodules.vtkCommonDataModel import vtkPolyData
from vtkmodules.vtkFiltersSources import vtkSphereSource
from vtkmodules.vtkRenderingCore import vtkActor, vtkGlyph3DMapper

from twin.model import Design
from twin.model.transform import front_direction

OPEN_RGB = (240, 110, 20)
RESOLVED_RGB = (110, 160, 120)
SELECTED_RGB = (0, 229, 255)
PIN_RADIUS_M = 0.14
PICK_RADIUS_PX = 14.0
#: How far above a rack (or free-standing gear) its pins float: clear of the overhead cable trays.
RISE_M = 0.9


def note_positions(design: Design, part_names: Sequence[str], points: Sequence) -> np.ndarray:
    """(n, 3) world positions of note pins: the note's point, else a spot on its part (see module doc)."""
    out = np.zeros((len(part_names), 3))
    names = design.parts.name.astype(str)
    order = np.argsort(names, kind="stable")
    wanted = np.asarray([str(p) for p in part_names], dtype=str) if len(part_names) else np.zeros(0, str)
    pos = np.clip(np.searchsorted(names[order], wanted), 0, max(len(order) - 1, 0))
    found = np.zeros(len(wanted), bool)
    if len(order):
        found = names[order][pos] == wanted
    part = np.where(found, order[pos] if len(order) else -1, -1)
    kinds = design.part_kind()
    for i, p in enumerate(part.tolist()):       # a few notes, not a hot path over parts
        if points[i] is not None:
            out[i] = points[i]
            continue
        if p < 0:
            continue
        size = design.part_types.size[design.parts.type[p]]
        base = design.parts.position[p]
        inner = design.parts.rack[p] >= 0 and kinds[p] != "rack" and design.parts.u[p] > 0
        if inner:
            front = front_direction(design.parts.yaw_deg[p])
            out[i] = base + front * (size[1] / 2 + 0.12) + [0, 0, size[2] / 2]
        else:
            out[i] = base + [0, 0, size[2] + RISE_M]
    return out


class NoteMarkers:
    """The pins of a list of notes in a scene (added as one of its actors, so a section clips
    them like everything else). `set_notes` replaces them all."""

    def __init__(self, scene):
        self.scene = scene
        self.positions = np.zeros((0, 3))
        self.ids: list[int] = []
        sphere = vtkSphereSource()
        sphere.SetRadius(PIN_RADIUS_M)
        sphere.SetThetaResolution(14)
        sphere.SetPhiResolution(10)
        self._poly = vtkPolyData()
        self.mapper = vtkGlyph3DMapper()
        self.mapper.SetSourceConnection(sphere.GetOutputPort())
        self.mapper.SetInputData(self._poly)
        self.mapper.SetScalarModeToUsePointData()
        self.mapper.SetColorModeToDirectScalars()
        self.mapper.ScalingOff()
        self.actor = vtkActor()
        self.actor.SetMapper(self.mapper)
        self.actor.GetProperty().SetAmbient(0.35)
        self.actor.PickableOff()
        self.actor.SetVisibility(False)
        scene.add_actor(self.actor)

    def set_notes(self, ids: Sequence[int], positions: np.ndarray, resolved: Sequence[bool],
                  selected: int | None = None) -> None:
        """Show one pin per note (`ids`, world `positions`, `resolved` flags); `selected` is highlighted."""
        self.ids = [int(i) for i in ids]
        self.positions = np.asarray(positions, float).reshape(-1, 3)
        rgb = np.where(np.asarray(resolved, bool)[:, None], RESOLVED_RGB, OPEN_RGB).astype(np.uint8) \
            if len(self.ids) else np.zeros((0, 3), np.uint8)
        if selected is not None and selected in self.ids:
            rgb[self.ids.index(selected)] = SELECTED_RGB
        points = vtkPoints()
        points.SetData(numpy_to_vtk(np.ascontiguousarray(self.positions), deep=True))
        self._poly.SetPoints(points)
        colours = numpy_to_vtk(np.ascontiguousarray(rgb), deep=True)
        colours.SetName("note_rgb")
        self._poly.GetPointData().SetScalars(colours)
        self._poly.Modified()
        self.actor.SetVisibility(bool(self.ids))

    def pick(self, project, x: float, y: float) -> int | None:
        """The id of the note whose pin is nearest to pixel (x, y), within PICK_RADIUS_PX; else None.

        `project` maps world points to pixels (the scene's `project`)."""
        if not self.ids:
            return None
        screen = project(self.positions)
        dist = np.hypot(screen[:, 0] - x, screen[:, 1] - y)
        best = int(np.argmin(dist))
        return self.ids[best] if dist[best] <= PICK_RADIUS_PX else None

    def remove(self) -> None:
        self.scene.remove_actor(self.actor)
