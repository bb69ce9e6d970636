"""Power: each rack's load against its budget."""

from __future__ import annotations

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import AnalysisResult, OverlayDef, register_overlay
from twin.model import Design


def power_overlay(design: Design, result: AnalysisResult | None = None) -> Overlay:
    """Each rack's IT load as a share of its power budget, on every part in the rack."""
    budget = design.racks.power_budget_w
    util = np.where(budget > 0, design.rack_power_w() / np.where(budget > 0, budget, 1) * 100.0, np.nan)
    rack = design.parts.rack
    values = np.where(rack >= 0, util[np.maximum(rack, 0)], np.nan)
    return Overlay("power", "Rack load / budget", "%", values, 0.0, 120.0, "thermal")


def _available(design: Design) -> str | None:
    return None if len(design.racks) and (design.racks.power_budget_w > 0).any() else "no rack has a power budget"


register_overlay(OverlayDef("power", "Power", power_overlay, available=_available,
                            description="rack load as a share of its budget"))
