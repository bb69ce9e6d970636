"""Picking by arithmetic: which part box does a ray hit first (no render pass needed)."""

from __future__ import annotations

import numpy as np


def ray_box_hits(origin: np.ndarray, direction: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Entry distance along the ray into each box (slab test); +inf where the ray misses."""
    d = np.where(np.abs(direction) < 1e-12, 1e-12, direction)
    inv = 1.0 / d
    t1 = (lo - origin) * inv
    t2 = (hi - origin) * inv
    t_near = np.minimum(t1, t2).max(axis=1)
    t_far = np.maximum(t1, t2).min(axis=1)
    hit = (t_far >= np.maximum(t_near, 0.0))
    return np.where(hit, np.maximum(t_near, 0.0), np.inf)
