"""Cabling: cables drawn and coloured by kind."""

from __future__ import annotations

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import AnalysisResult, OverlayDef, register_overlay
from twin.model import Design


def cabling_overlay(design: Design, result: AnalysisResult | None = None) -> Overlay:
    """Cables drawn and coloured by kind (fiber, DAC, AEC, power, coolant…)."""
    names = tuple(design.cable_kinds)
    return Overlay("cabling", "Cable kind", "", np.full(len(design.parts), np.nan), 0, max(len(names) - 1, 1),
                   "categorical", names, cable_values=design.cables.kind.astype(float))


def _available(design: Design) -> str | None:
    return None if len(design.cables) else "this design has no cables"


register_overlay(OverlayDef("cabling", "Cabling", cabling_overlay, available=_available,
                            description="cables coloured by kind"))
