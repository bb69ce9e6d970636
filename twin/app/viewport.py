"""The 3D viewport: a QVTKRenderWindowInteractor that hosts a `twin.scene.Scene`.

It turns Qt input into scene calls and nothing more: a click without drag picks
(`Scene.pick`), the end of a camera move refreshes the level of detail (debounced), and
fly-to animates between two `CameraPose`s with a timer.
"""

from __future__ import annotations

import time

import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (the OpenGL factory: without it the Qt window can't render)
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkRenderingCore import vtkRenderer

from twin.scene import Scene
from twin.scene.camera import CameraPose
from twin.scene.options import INTERACTIVE

CLICK_SLOP_PX = 4
LOD_DEBOUNCE_MS = 150
FLY_FRAMES = 12
FLY_INTERVAL_MS = 16


class Viewport(QVTKRenderWindowInteractor):
    picked = Signal(int)                 # part index, or -1 for empty space
    cablePicked = Signal(int)            # cable row, when a drawn cable is under the click
    clicked = Signal(float, float)       # pixel position of a click (before `picked`)
    contextRequested = Signal(int, object)   # right-click without drag: part index (-1 none), global QPoint
    frameRendered = Signal(float)        # milliseconds of the last frame

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scene: Scene | None = None
        self.last_frame_ms = 0.0
        self._press_pos = None
        self._t0 = 0.0
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        window = self.GetRenderWindow()
        # the interactive preset: no multisampling (~3x a frame on software GL); exports render
        # their own antialiased frame through twin.export.image
        window.SetMultiSamples(INTERACTIVE.multisamples)
        self._placeholder = vtkRenderer()
        self._placeholder.GradientBackgroundOn()
        self._placeholder.SetBackground(0.97, 0.97, 0.98)
        self._placeholder.SetBackground2(0.80, 0.84, 0.89)
        window.AddRenderer(self._placeholder)
        iren = window.GetInteractor()
        iren.SetInteractorStyle(vtkInteractorStyleTrackballCamera())
        iren.AddObserver("EndInteractionEvent", lambda *_: self.schedule_lod())
        window.AddObserver("StartEvent", self._frame_start)
        window.AddObserver("EndEvent", self._frame_end)
        self._lod_timer = QTimer(self, singleShot=True, interval=LOD_DEBOUNCE_MS)
        self._lod_timer.timeout.connect(self._refresh_lod)
        self._fly_timer = QTimer(self, interval=FLY_INTERVAL_MS)
        self._fly_timer.timeout.connect(self._fly_step)
        self._fly: tuple[CameraPose, CameraPose, int] | None = None

    # ------------------------------------------------------------------ scene
    def set_scene(self, scene: Scene | None) -> None:
        """Show `scene` (already built on this window's render window), dropping the old one."""
        window = self.GetRenderWindow()
        self._fly_timer.stop()
        if self.scene is not None and self.scene is not scene:
            self.scene.detach()
        if scene is None:
            if not window.HasRenderer(self._placeholder):
                window.AddRenderer(self._placeholder)
        else:
            if window.HasRenderer(self._placeholder):
                window.RemoveRenderer(self._placeholder)
        self.scene = scene
        self.refresh()

    def Finalize(self) -> None:  # noqa: N802  (VTK's name)
        """Stop the animation and level-of-detail timers before the render window goes away."""
        self._fly_timer.stop()
        self._lod_timer.stop()
        self._fly = None
        super().Finalize()

    def refresh(self) -> None:
        """Render now (the scene resets its clipping range)."""
        if self.scene is not None:
            self.scene.render()
        else:
            self.GetRenderWindow().Render()

    def _frame_start(self, *_):
        self._t0 = time.perf_counter()

    def _frame_end(self, *_):
        self.last_frame_ms = (time.perf_counter() - self._t0) * 1000.0
        self.frameRendered.emit(self.last_frame_ms)

    # ------------------------------------------------------------------ level of detail
    def schedule_lod(self) -> None:
        if self.scene is not None:
            self._lod_timer.start()

    def _refresh_lod(self) -> None:
        if self.scene is not None and self.scene.update_lod():
            self.refresh()

    # ------------------------------------------------------------------ camera
    def set_view(self, name: str) -> None:
        if self.scene is None:
            return
        self._fly_timer.stop()
        self.scene.set_view(name)
        self.scene.update_lod()
        self.refresh()

    def fly_to(self, pose: CameraPose) -> None:
        """Animate the camera to `pose` over a few frames, then refresh the detail."""
        if self.scene is None:
            return
        self._fly = (self.scene.camera_pose(), pose, 0)
        self._fly_timer.start()

    @property
    def flying(self) -> bool:
        return self._fly_timer.isActive()

    def _fly_step(self) -> None:
        if self.scene is None or self._fly is None:
            self._fly_timer.stop()
            return
        start, end, step = self._fly
        step += 1
        self.scene.set_camera_pose(start.lerp(end, min(step / FLY_FRAMES, 1.0)))
        self._fly = (start, end, step)
        if step >= FLY_FRAMES:
            self._fly_timer.stop()
            self._fly = None
            self.scene.update_lod()
        self.refresh()

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, ev) -> None:
        if ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._press_pos = ev.position()
        self._fly_timer.stop()
        super().mousePressEvent(ev)

    def mouseReleaseEvent(self, ev) -> None:
        super().mouseReleaseEvent(ev)
        if ev.button() == Qt.MouseButton.LeftButton and self._press_pos is not None:
            delta = ev.position() - self._press_pos
            self._press_pos = None
            if abs(delta.x()) + abs(delta.y()) < CLICK_SLOP_PX and self.scene is not None:
                ratio = self.devicePixelRatioF()
                x, y = ev.position().x() * ratio, ev.position().y() * ratio
                self.clicked.emit(x, y)
                cable = self.scene.pick_cable(x, y)
                if cable >= 0:
                    self.cablePicked.emit(cable)
                else:
                    self.picked.emit(self.scene.pick(x, y))
        elif ev.button() == Qt.MouseButton.RightButton and self._press_pos is not None:
            delta = ev.position() - self._press_pos
            self._press_pos = None
            if abs(delta.x()) + abs(delta.y()) < CLICK_SLOP_PX and self.scene is not None:
                ratio = self.devicePixelRatioF()
                part = self.scene.pick(ev.position().x() * ratio, ev.position().y() * ratio)
                self.contextRequested.emit(part, ev.globalPosition().toPoint())
        self.schedule_lod()

    def wheelEvent(self, ev) -> None:
        self._fly_timer.stop()
        super().wheelEvent(ev)
        self.schedule_lod()

    # VTK's own key bindings ('e'/'q' quit, 'w' wireframe, '3' stereo…) are not the app's:
    # let key presses go to the window's shortcuts instead.
    def keyPressEvent(self, ev) -> None:
        QWidget.keyPressEvent(self, ev)

    def keyReleaseEvent(self, ev) -> None:
        QWidget.keyReleaseEvent(self, ev)
