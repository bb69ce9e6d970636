"""Reduced-resolution frames while the camera moves, as ParaView's "image reduction factor".

Software GL (llvmpipe) pays for every pixel it shades, so a moving close-up whose boxes fill the
window costs about as much per frame as the pixels it covers. While the camera moves, the
renderer draws into a viewport 1/N the size, reads that small image back and draws it
stretched over the full viewport; the still frame after the move is drawn at full resolution
again. VTK's `vtkSynchronizedRenderers` does exactly this for ParaView (there for parallel
compositing); here it runs in one process with a dummy controller, and is attached to the
renderer only while the camera moves, so still frames and exports never go through it.
"""

from __future__ import annotations

from vtkmodules.vtkParallelCore import vtkDummyController
from vtkmodules.vtkRenderingCore import vtkRenderer
from vtkmodules.vtkRenderingParallel import vtkSynchronizedRenderers


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
