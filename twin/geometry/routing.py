"""Where a cable runs, drawn simply: straight within a rack, over the racks between racks."""

from __future__ import annotations

import numpy as np

OVER_RACK_M = 0.35        # cable tray height above the taller rack's top


def overhead_routes(a: np.ndarray, b: np.ndarray, rack_a: np.ndarray, rack_b: np.ndarray,
                    rack_top: np.ndarray) -> np.ndarray:
    """(k, 4, 3) polylines from ends `a` to `b`: up to a common height, across, and down.

    Cables inside one rack rise to the higher end; cables between racks (or to free parts)
    rise over the taller rack's top by OVER_RACK_M, where the overhead trays run.
    """
    top_a = np.where(rack_a >= 0, rack_top[np.maximum(rack_a, 0)], a[:, 2])
    top_b = np.where(rack_b >= 0, rack_top[np.maximum(rack_b, 0)], b[:, 2])
    overhead = np.maximum(top_a, top_b) + OVER_RACK_M
    z = np.where((rack_a == rack_b) & (rack_a >= 0), np.maximum(a[:, 2], b[:, 2]), overhead)
    return np.stack([a, np.column_stack([a[:, :2], z]), np.column_stack([b[:, :2], z]), b], axis=1)
