"""Reading a scene's legend back, for the export and app tests: the text of every title and
label, where each is drawn in the window, and whether the design reaches into the legend strip.
"""

from __future__ import annotations

import numpy as np


def panel_rgb() -> np.ndarray:
    from twin.scene.legend_area import BACKGROUND

    return np.round(np.array(BACKGROUND) * 255).astype(int)


def text_boxes(scene) -> list[tuple[str, tuple[float, float, float, float]]]:
    """(text, (x0, y0, x1, y1)) of every legend title and label, in window pixels with y down
    from the top (as images are), measured by VTK from the drawn text actors."""
    area = scene.legend_area
    renderer = area.renderer
    height = scene.render_window.GetSize()[1]
    out = []
    for actor in area.text_actors():
        bbox = [0.0] * 4
        actor.GetBoundingBox(renderer, bbox)           # relative to the actor's anchor
        ax, ay = actor.GetPositionCoordinate().GetComputedDisplayValue(renderer)
        x0, x1, y0, y1 = ax + bbox[0], ax + bbox[1], ay + bbox[2], ay + bbox[3]
        out.append((actor.GetInput(), (x0, height - y1, x1, height - y0)))
    return out


def legend_texts(scene) -> list[str]:
    """Every title and label of the legend strip, top first, a wrapped title joined again."""
    return [" ".join(t.split()) for t, _ in text_boxes(scene)]


def expected_texts(overlay) -> list[str] | None:
    """What a categorical overlay's legend must say in full (None for a colour ramp)."""
    return [overlay.label, *overlay.categories] if overlay.categorical else None


def check_legend(scene, image: np.ndarray, overlay) -> None:
    """Assert the legend of `overlay` is read back whole, inside the window and the strip, drawn
    where it says, with the design framed beside it and nothing of the 3D view in the strip."""
    h, w, _ = image.shape
    strip = scene.camera.legend_box()
    assert strip is not None, f"{overlay.name}: no legend strip"
    sx0, sy0, sx1, sy1 = strip
    assert 0 < sx0 < sx1 == w and sy0 == 0 and sy1 == h, strip
    texts = legend_texts(scene)
    wanted = expected_texts(overlay)
    if wanted is not None:
        assert texts == wanted, (overlay.name, texts)
    else:
        assert texts[0] == (overlay.unit or overlay.label), (overlay.name, texts)
        ticks = [float(t) for t in texts[1:]]
        assert ticks == sorted(ticks) and len(ticks) >= 3, texts
        assert abs(ticks[0] - overlay.vmin) < 0.5 and abs(ticks[-1] - overlay.vmax) < 0.5, (ticks, overlay.vmin)
    assert not any("deg" in t for t in texts), texts       # units as °C, never degC
    for text, (x0, y0, x1, y1) in text_boxes(scene):
        assert 0 <= x0 and x1 <= w and 0 <= y0 and y1 <= h, (overlay.name, text, (x0, y0, x1, y1), (w, h))
        assert sx0 <= x0 and x1 <= sx1, (overlay.name, text, (x0, x1), strip)
        # the text is really drawn there: dark glyph pixels inside its box
        box = image[int(y0):int(np.ceil(y1)), int(x0):int(np.ceil(x1))].astype(int)
        assert box.size and box.sum(axis=2).min() < 3 * 110, (overlay.name, text)
    # the strip's margins, top to bottom, are the bare panel: no part of the 3D view reaches in
    pad = scene.legend_area.style.font_px
    margins = np.concatenate([image[:, sx0 + 2:sx0 + pad - 1], image[:, w - pad + 2:]], axis=1).astype(int)
    assert np.abs(margins - panel_rgb()).max() <= 2, overlay.name
    # the design is framed beside the strip, not under it
    x_right = design_right_edge(scene)
    assert x_right <= sx0, (overlay.name, x_right, sx0)


def design_right_edge(scene) -> float:
    """The rightmost pixel column of the design's bounding box projected by the current camera."""
    lo, hi = scene.geometry.content_bounds()
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    return float(scene.camera.project(corners)[:, 0].max())
