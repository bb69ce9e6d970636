"""Render options, declared once: what an interactive frame and an exported still each draw.

Why: the viewport, the headless export, the app's "Export image…" and the benchmarks all
render the same scene; what differs between them (antialiasing, how much full-mesh detail
a frame may afford, translucent doors) is a handful of settings. Declaring them here, with
one preset per use, keeps those choices from being scattered over the scene, the export and
the window (as f3d declares every option once).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from vtkmodules.vtkRenderingCore import vtkRenderWindow
from vtkmodules.vtkRenderingOpenGL2 import vtkEGLRenderWindow  # the OpenGL backend; offscreen EGL

from twin.scene.site import HALL_RACK_MIN_PIXELS

#: Racks shorter than this on screen stay boxes: their trays would be a few pixels each.
DETAIL_MIN_PIXELS = 200
#: Racks shorter than this on an exported still stay boxes: half a pixel per rack unit of a 48U
#: rack. Below it a rack's ~30,000 triangles shade a dozen pixels of speckle; a 2,000-rack hall
#: seen whole spent 5 of its 6 s of scene and frame on meshes its image could not show.
EXPORT_MIN_PIXELS = 24


@dataclass(frozen=True)
class RenderOptions:
    """How a scene draws.

    multisamples:      MSAA samples; smooth edges, but ~3× the frame cost on software GL.
    detail_budget:     triangles of full rack meshes a frame may draw (the rest are boxes).
    detail_min_pixels: a rack gets full meshes only when at least this tall on screen.
    doors:             translucent rack doors (a blending pass: a third of a close-up frame).
    labels:            row labels ("Row A") floating above the racks.
    interactive_lod:   while the camera moves, boxes stand in for full rack and facility meshes.
    hall_min_pixels:   a hall is drawn rack by rack only where its racks are at least this wide on
                       screen; farther, one block per row (twin.scene.site).
    screen_labels:     row and rack names placed and decimated in screen space at each camera stop
                       (twin.scene.labels); off: the fixed row labels of exported stills.
    moving_reduction:  while the camera moves, draw at 1/N of the window's resolution and scale the
                       frame up (ParaView's image reduction factor); 1: full resolution. Software GL
                       pays per pixel, so 2 makes a close-up frame about twice as cheap.
    moving_merged:     while the camera moves, every rack, free part and facility part is a box in one
                       actor (and the hall in one more): per-actor costs dominate an overview frame.
                       Off: the still frame's per-floor-cell box actors stay, stand-ins only replace
                       detailed racks and facility gear (the moving level before this option).
    moving_labels:     keep row and rack labels while the camera moves (off: they return when it stops).
    moving_detail_budget: triangles of full rack meshes kept while the camera moves: the detailed racks
                       nearest what it looks at (selected ones first), so a close-up orbit keeps its
                       rack's trays in view; 0: every rack is a box while moving.
    """

    multisamples: int = 0
    detail_budget: int = 100_000
    detail_min_pixels: float = DETAIL_MIN_PIXELS
    doors: bool = False
    labels: bool = True
    interactive_lod: bool = True
    screen_labels: bool = False
    hall_min_pixels: float = HALL_RACK_MIN_PIXELS
    moving_reduction: int = 2
    moving_merged: bool = True
    moving_labels: bool = False
    moving_detail_budget: int = 30_000

    def but(self, **changes) -> "RenderOptions":
        """A copy with some options changed (unknown names raise TypeError)."""
        return replace(self, **changes)


#: Interactive frames on software GL: no multisampling, a modest detail budget, no doors.
INTERACTIVE = RenderOptions(screen_labels=True)
#: Exported stills are one frame: antialiased, doors, every rack in full detail that stands at least
#: `EXPORT_MIN_PIXELS` tall on screen (the image can show its trays), labels placed in screen space.
EXPORT = RenderOptions(multisamples=8, detail_budget=6_000_000, detail_min_pixels=EXPORT_MIN_PIXELS, doors=True,
                       screen_labels=True)
#: Batches of stills from one scene (`twin export image --each-rack`, the report): racks under 120 px
#: tall stay boxes, no multisampling and no door pass; on software GL those cost about 3.5× and 1×
#: a plain frame of a hall-2000 close-up, and a batch draws hundreds of frames.
BATCH = RenderOptions(multisamples=0, detail_budget=400_000, detail_min_pixels=120, doors=False)
#: Default size of an exported image, in pixels.
EXPORT_SIZE = (1920, 1080)


def offscreen_window(size: tuple[int, int], multisamples: int = 0) -> vtkRenderWindow:
    """An offscreen render window: EGL (Mesa or a GPU) when there is no X display."""
    window = vtkEGLRenderWindow() if not os.environ.get("DISPLAY") else vtkRenderWindow()
    window.SetOffScreenRendering(1)
    window.SetMultiSamples(multisamples)
    window.SetSize(*size)
    return window
