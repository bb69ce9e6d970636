"""Supply chain: where each part comes from, against the design's home country."""

from __future__ import annotations

import numpy as np

from twin.analysis.overlays import Overlay
from twin.analysis.registry import AnalysisResult, OverlayDef, register_overlay
from twin.model import Design


def supply_overlay(design: Design, result: AnalysisResult | None = None) -> Overlay:
    """Where each part comes from: domestic or imported (the design's home country)."""
    supplier = design.part_types.supplier[design.parts.type]
    domestic = np.where(supplier >= 0, design.suppliers.domestic[np.maximum(supplier, 0)], -1)
    values = np.where(domestic < 0, np.nan, 1.0 - domestic)
    home = design.meta.get("home_country", "home")
    return Overlay("supply", f"Origin vs {home}", "", values, 0, 1, "categorical",
                   (f"domestic ({home})", "imported"))


def _available(design: Design) -> str | None:
    return None if len(design.suppliers) else "no suppliers in the catalog"


register_overlay(OverlayDef("supply", "Supply chain", supply_overlay, available=_available,
                            description="domestic or imported, by each part's supplier"))
