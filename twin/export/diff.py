"""The 3D diff view of two designs: baseline and new side by side, coloured by what changed.

Left: the baseline with removed and changed parts coloured; right: the new design with added
and changed parts coloured; unchanged parts grey on both. Both halves use the same camera view
name and the same legend, drawn by the one render path (`ImageRenderer`), one frame per half.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.analysis.partdiff import diff_overlay, diff_parts
from twin.export.image import ImageRenderer, write_png
from twin.model import Design
from twin.session import ReviewSession
from twin.store import load_design


def render_diff(old: Design, new: Design, view: str = "iso", size: tuple[int, int] = (1920, 720)) -> np.ndarray:
    """An (h, w, 3) image: the baseline (left) and the new design (right), coloured by the diff."""
    diff = diff_parts(old, new)
    half = (max(size[0] // 2, 16), size[1])
    images = []
    for design, side in ((old, "old"), (new, "new")):
        renderer = ImageRenderer(ReviewSession(design), half)
        images.append(renderer.render(view, diff_overlay(design, diff, side)))
        renderer.scene.detach()
    gap = np.full((size[1], 4, 3), 255, np.uint8)
    return np.hstack([images[0], gap, images[1]])


def export_diff_image(old_path: str | Path, new_path: str | Path, output: str | Path, view: str = "iso",
                      size: tuple[int, int] = (1920, 720)) -> Path:
    """Load two design files and write their diff view to `output` (PNG)."""
    return write_png(render_diff(load_design(old_path), load_design(new_path), view, size), output)
