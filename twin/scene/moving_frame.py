"""What a frame drawn while the camera moves leaves out besides geometry: resolution, labels and
the gradient background (the stand-in geometry itself is `twin.scene.layers`).

Reduced resolution, as ParaView's "image reduction factor":

Software GL (llvmpipe) pays for every pixel it shades, so a moving close-up whose boxes fill the
window costs about as much per frame as the pixels it covers. While the camera moves, the
renderer draws into a viewport 1/N the size, reads that small image back and draws it
stretched over the full viewport; the still frame after the move is drawn at full resolution
again. VTK's `vtkSynchronizedRenderers` does exactly this for ParaView (there for parallel
compositing); here it runs in one process with a dummy controller, and is attached to the
renderer only while the camera moves, so still frames and exports never go through it.
"""

from __future__ import annotations

from typing import Callable

from vtkmodules.vtkParallelCore import vtkDummyController
from vtkmodules.vtkRenderingCore import vtkRenderer
from vtkmodules.vtkRenderingParallel import vtkSynchronizedRenderers

from twin.scene.options import RenderOptions


class ReducedFrames:
    """Turns reduced-resolution drawing of one renderer on and off."""

    def __init__(self, renderer: vtkRenderer):
        self.renderer = renderer
        self.factor = 1
        self._sync: vtkSynchronizedRenderers | None = None

    def set_factor(self, factor: int) -> None:
        """Draw at 1/`factor` resolution from the next frame on (1: full resolution, detached)."""
        factor = max(int(factor), 1)
        if factor == self.factor:
            return
        if factor == 1:
            self._sync.SetRenderer(None)            # removes its start/end render observers
        else:
            if self._sync is None:
                self._sync = vtkSynchronizedRenderers()
                self._sync.SetParallelController(vtkDummyController())
                self._sync.WriteBackImagesOn()      # paste the scaled-up image into the window
            self._sync.SetImageReductionFactor(factor)
            self._sync.SetRenderer(self.renderer)
        self.factor = factor


class MovingFrame:
    """Switches a renderer's moving-frame extras on and off: reduced resolution, name labels
    (hidden while moving, the same ones shown again when it stops: they are placed for the
    camera's stop, not for every frame) and a plain background in place of the gradient."""

    def __init__(self, renderer: vtkRenderer, label_actors: Callable[[], list],
                 background: tuple[tuple[float, float, float], tuple[float, float, float]]):
        self.renderer = renderer
        self.reduced = ReducedFrames(renderer)
        self._label_actors = label_actors
        self._background = background                 # (bottom, top) of the still frame's gradient
        self._hidden_labels: list = []

    def set(self, moving: bool, options: RenderOptions) -> None:
        if not options.moving_labels:
            if moving:
                self._hidden_labels = [a for a in self._label_actors() if a.GetVisibility()]
            for label in self._hidden_labels:
                label.SetVisibility(not moving)
            if not moving:
                self._hidden_labels = []
        self.reduced.set_factor(options.moving_reduction if moving else 1)
        if options.moving_merged:               # a plain background: the gradient is a full-window pass
            bottom, top = self._background
            self.renderer.SetGradientBackground(not moving)
            self.renderer.SetBackground(*(tuple((a + b) / 2 for a, b in zip(bottom, top)) if moving else bottom))
