"""A trace's path in 3D: bold tubes between the chain's elements (utility, switchboard, UPS,
PDU, busway, tap, rack; a CDU and its racks; a cable's route), over the dimmed rest.

Why: lit boxes alone do not say how they connect; the path does. One actor, replaced when
the view state's trace changes (`ViewState.trace_path`, segments of two world points).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from vtkmodules.vtkRenderingCore import vtkActor

from twin.scene.decorations import polyline_actor

PATH_RGB = (230, 40, 160)        # magenta: no overlay colour scale uses it
PATH_WIDTH_PX = 7.0


class TracePath:
    """The one actor drawing the current trace's path (None when there is no trace)."""

    def __init__(self, add_actor: Callable[[vtkActor], None], remove_actor: Callable[[vtkActor], None]):
        self._add, self._remove = add_actor, remove_actor
        self.actor: vtkActor | None = None
        self.segments = np.zeros((0, 2, 3))

    def show(self, segments: np.ndarray) -> None:
        """Draw `segments` ((n, 2, 3) world points) as tubes; nothing for none."""
        segments = np.asarray(segments, float).reshape(-1, 2, 3)
        if self.actor is not None:
            self._remove(self.actor)
            self.actor = None
        self.segments = segments
        if not len(segments):
            return
        rgb = np.tile(np.array(PATH_RGB, np.uint8), (len(segments), 1))
        self.actor = polyline_actor(segments.reshape(-1, 3), np.full(len(segments), 2, np.int64), rgb,
                                    width=PATH_WIDTH_PX, tubes=True)
        self._add(self.actor)
