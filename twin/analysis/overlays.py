"""Overlays: per-part (and per-cable) values the scene colours by, with legend metadata.

Numpy only. The scene turns an `Overlay` into colours and a legend. Which overlays exist is
the registry's business (`twin.analysis.registry`): each analysis module registers the
overlays it offers, and a `twin.session.ReviewSession` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Overlay:
    """What to colour and how: `values` per part (NaN = not applicable, drawn neutral)."""

    name: str
    label: str
    unit: str
    values: np.ndarray
    vmin: float
    vmax: float
    colormap: str = "thermal"                 # thermal | viridis | utilization (banded) | categorical
    categories: tuple[str, ...] = ()          # names of integer codes when categorical
    category_rgb: tuple[tuple[int, int, int], ...] = ()   # own colours per category (default: the palette)
    cable_values: np.ndarray | None = None    # per cable, same colour map; None hides cables
    cable_on_top: np.ndarray | None = None    # per cable: drawn again, thicker, over the others (findings)
    rack_reduce: str = "max"                  # how a rack drawn as one box summarises its parts: max | min | mean | frame
    measured: np.ndarray | None = None        # per part: True where the value is a sensor reading
    pipes: np.ndarray | None = None           # (k, 4, 3) polylines drawn as pipes (cooling loops)
    pipe_values: np.ndarray | None = None     # (k,) value per pipe, same colour map
    notes: list[str] = field(default_factory=list)

    @property
    def categorical(self) -> bool:
        return self.colormap == "categorical"
