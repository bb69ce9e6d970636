"""A saved viewpoint as an image: its whole view state restored on the one render path.

Why here: `twin viewpoints image` and anything else that pictures a viewpoint draw exactly
what the viewer shows after restoring it (twin.viewpoint.restore on a view state that an
`ImageRenderer` draws), from the viewpoint's own camera.
"""

from __future__ import annotations

import numpy as np

from twin.export.image import ImageRenderer
from twin.session import ReviewSession
from twin.store.notes import Viewpoint
from twin.viewpoint import restore
from twin.viewstate import CameraPose, ViewState


def render_viewpoint(session: ReviewSession, view: Viewpoint, size: tuple[int, int] = (1280, 720),
                     quality: str = "high") -> tuple[np.ndarray, list[str]]:
    """An (h, w, 3) image of `view` in `session`'s design, and what could not be restored (one line each)."""
    renderer = ImageRenderer(session, size, quality=quality, state=ViewState(session.design))
    pose = CameraPose(view.position, view.focal_point, view.view_up, view.view_angle)
    restored = restore(renderer.scene.state, view.state or {}, session, camera=pose)
    return renderer.render(pose), restored.warnings
