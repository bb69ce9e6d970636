"""Overlay colours: colour maps as numpy lookup tables, and the colour of every part under an overlay.

One home for how a value becomes a colour, so the viewer, its legends and every export (image,
GLB, USD, the parts table) paint a part alike: the same map and range, a categorical
overlay's own colours, and estimated values paler than sensor readings. Numpy only (no VTK,
no Qt), so exports and the scene both stand on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from twin.analysis.overlays import Overlay

# ColorBrewer RdYlBu reversed: cool blue → pale yellow → hot red; ordered in lightness on
# each side so hot parts read as red and cool ones as blue.
THERMAL = [(49, 54, 149), (69, 117, 180), (116, 173, 209), (171, 217, 233), (254, 224, 144),
           (253, 174, 97), (244, 109, 67), (215, 48, 39), (165, 0, 38)]
VIRIDIS = [(68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
           (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)]
# Distinct categorical colours (Okabe–Ito, readable by colour-blind reviewers).
CATEGORICAL = [(0, 114, 178), (230, 159, 0), (0, 158, 115), (204, 121, 167), (86, 180, 233),
               (213, 94, 0), (240, 228, 66), (120, 120, 120)]
# Banded utilization as DCIM tools draw it: green below the warning threshold, amber up to
# 100 %, red above. Each band starts at a fraction of the range (the power overlay picks the
# range so the edges fall on its thresholds); values map by band, not by interpolation.
UTILIZATION_BANDS = ((0.0, (26, 150, 65)), (2 / 3, (245, 166, 35)), (5 / 6, (215, 25, 28)))
NO_VALUE = (170, 172, 176)
HIGHLIGHT = (0, 229, 255)

_MAPS = {"thermal": THERMAL, "viridis": VIRIDIS}
_BANDED = {"utilization": UTILIZATION_BANDS}


def _band_colours(bands: Sequence[tuple[float, tuple[int, int, int]]], t: np.ndarray) -> np.ndarray:
    """Colours of positions `t` (fractions of the range): a band runs up to and including the
    next band's start, so exactly 100 % is still amber and anything above it red."""
    starts = np.array([b[0] for b in bands])
    colours = np.array([b[1] for b in bands], np.uint8)
    return colours[np.clip(np.searchsorted(starts, t, side="left") - 1, 0, len(bands) - 1)]


def is_banded(name: str) -> bool:
    """True for maps drawn in discrete bands (their legends label the band edges)."""
    return name in _BANDED


def band_starts(name: str) -> tuple[float, ...]:
    """Where each band of a banded map starts, as fractions of the range (legend ticks go there)."""
    return tuple(b[0] for b in _BANDED[name])


def lookup_table(name: str, n: int = 256) -> np.ndarray:
    """(n, 3) uint8 table for a continuous map, or the categorical palette."""
    if name == "categorical":
        return np.array(CATEGORICAL, np.uint8)
    if name in _BANDED:
        return _band_colours(_BANDED[name], np.linspace(0, 1, n, endpoint=False) + 0.5 / n)
    stops = np.array(_MAPS[name], float)
    x = np.linspace(0, 1, len(stops))
    t = np.linspace(0, 1, n)
    return np.stack([np.interp(t, x, stops[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


def map_values(values: np.ndarray, name: str, vmin: float, vmax: float,
               palette: Sequence[tuple[int, int, int]] = ()) -> np.ndarray:
    """(n, 3) uint8 colours for values; NaN gets the neutral NO_VALUE grey. `palette`: a
    categorical overlay's own colours, one per category (default: the categorical palette)."""
    values = np.asarray(values, float)
    out = np.empty((len(values), 3), np.uint8)
    ok = np.isfinite(values)
    out[~ok] = NO_VALUE
    if name in _BANDED:
        span = vmax - vmin if vmax > vmin else 1.0
        out[ok] = _band_colours(_BANDED[name], (values[ok] - vmin) / span)
        return out
    table = np.asarray(palette, np.uint8).reshape(-1, 3) if name == "categorical" and len(palette) else lookup_table(name)
    if name == "categorical":
        idx = np.clip(values[ok].astype(int), 0, None) % len(table)
    else:
        span = vmax - vmin if vmax > vmin else 1.0
        idx = np.clip(((values[ok] - vmin) / span * (len(table) - 1)).round(), 0, len(table) - 1).astype(int)
    out[ok] = table[idx]
    return out


#: An estimated value keeps this share of its colour and takes the rest from white: estimates
#: read paler than sensor readings, so reviewers see which is which.
ESTIMATED_KEEP_PERCENT = 55


def paler(rgb: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 colours as an estimated value shows them (ESTIMATED_KEEP_PERCENT of the colour, rest white)."""
    keep = ESTIMATED_KEEP_PERCENT
    return (np.asarray(rgb, np.uint8).astype(np.uint16) * keep // 100 + 255 * (100 - keep) // 100).astype(np.uint8)


def value_colours(overlay: Overlay, values: np.ndarray) -> np.ndarray:
    """(n, 3) uint8 colours of `values` under `overlay`: its colour map and range, and for a
    categorical overlay its own category colours where it has them."""
    return map_values(values, overlay.colormap, overlay.vmin, overlay.vmax, overlay.category_rgb)


def estimated(overlay: Overlay, values: np.ndarray, measured: np.ndarray | None = None) -> np.ndarray:
    """Mask of `values` that are estimates: known (finite) and not measured. `measured` defaults
    to the overlay's own per-part flags; an overlay without flags has no estimates."""
    flags = overlay.measured if measured is None else measured
    if flags is None:
        return np.zeros(len(values), bool)
    return (np.asarray(flags, float) < 0.5) & np.isfinite(np.asarray(values, float))


def part_colours(overlay: Overlay) -> np.ndarray:
    """(n_parts, 3) uint8 colour of every part under `overlay`, as the viewer paints it."""
    values = np.asarray(overlay.values, float)
    rgb = value_colours(overlay, values)
    pale = estimated(overlay, values)
    rgb[pale] = paler(rgb[pale])
    return rgb
