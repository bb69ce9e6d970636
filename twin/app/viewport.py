"""The 3D viewport: a QVTKRenderWindowInteractor that hosts a `twin.scene.Scene`.

It turns Qt input into scene calls and nothing more: a click without drag picks
(`scene.picking.pick`), the end of a camera move refreshes the level of detail (debounced), and
fly-to animates between two `CameraPose`s with a timer.

Navigation follows CAD viewers and ParaView: a left drag orbits as a Z-up turntable (the
floor stays down; a free trackball is an option), the wheel zooms toward the point under the
cursor and refuses a step that would put the camera inside a rack, and an orientation axes
marker sits in the lower-left corner.
"""

from __future__ import annotations

import time

import numpy as np

import vtkmodules.vtkRenderingOpenGL2  # noqa: F401  (the OpenGL factory: without it the Qt window can't render)
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkInteractionWidgets import vtkOrientationMarkerWidget
from vtkmodules.vtkRenderingAnnotation import vtkAxesActor
from vtkmodules.vtkRenderingCore import vtkRenderer

from twin.scene import Scene
from twin.scene.camera import CameraPose, turntable, upright, zoom_about
from twin.scene.labels import AXES_CORNER
from twin.scene.options import INTERACTIVE

CLICK_SLOP_PX = 4
LOD_DEBOUNCE_MS = 150
FLY_FRAMES = 12
FLY_INTERVAL_MS = 16
ORBIT_DEG_PER_PX = 0.35          # a 300 px drag turns the hall by about 100 degrees
WHEEL_ZOOM_PER_STEP = 1.2        # one notch (120 eighths of a degree) brings things 1.2x closer
ORBIT_CLEARANCE_M = 0.15        # an orbit or zoom keeps the camera this far from any part
MOVING_REDUCTION = INTERACTIVE.moving_reduction   # moving frames at 1/N resolution unless turned off


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
        iren.AddObserver("StartInteractionEvent", lambda *_: self.start_moving())
        iren.AddObserver("EndInteractionEvent", lambda *_: self.schedule_lod())
        window.AddObserver("StartEvent", self._frame_start)
        window.AddObserver("EndEvent", self._frame_end)
        self._lod_timer = QTimer(self, singleShot=True, interval=LOD_DEBOUNCE_MS)
        self._lod_timer.timeout.connect(self._refresh_lod)
        self._fly_timer = QTimer(self, interval=FLY_INTERVAL_MS)
        self._fly_timer.timeout.connect(self._fly_step)
        self._fly: tuple[CameraPose, CameraPose, int] | None = None
        self.turntable = True            # False: VTK's free trackball rotation
        self.reduced_while_moving = True     # moving frames at 1/MOVING_REDUCTION resolution (View menu)
        self._orbit_from = None
        self.axes = self._orientation_axes(iren)

    def _orientation_axes(self, iren) -> vtkOrientationMarkerWidget:
        axes = vtkAxesActor()
        axes.SetShaftTypeToCylinder()
        axes.SetTotalLength(1.0, 1.0, 1.0)
        for caption in (axes.GetXAxisCaptionActor2D(), axes.GetYAxisCaptionActor2D(),
                        axes.GetZAxisCaptionActor2D()):
            caption.GetCaptionTextProperty().SetColor(0.15, 0.17, 0.22)
            caption.GetCaptionTextProperty().ShadowOff()
        widget = vtkOrientationMarkerWidget()
        widget.SetOrientationMarker(axes)
        widget.SetInteractor(iren)
        widget.SetViewport(0.0, 0.0, *AXES_CORNER)            # the corner row labels keep clear of
        return widget

    def _attach_axes(self, renderer: vtkRenderer | None) -> None:
        """Follow `renderer`'s camera with the orientation axes (off while no design is open)."""
        if self.axes.GetEnabled():
            self.axes.SetEnabled(0)
        if renderer is not None:
            self.axes.SetCurrentRenderer(renderer)
            self.axes.SetEnabled(1)
            self.axes.InteractiveOff()

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
        if scene is not None:
            scene.lod.set_moving_options(moving_reduction=MOVING_REDUCTION if self.reduced_while_moving else 1)
        self._attach_axes(scene.renderer if scene is not None else None)
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
    def set_reduced_while_moving(self, on: bool) -> None:
        """Draw moving frames at reduced resolution, scaled up (ParaView's image reduction),
        or at full resolution; the frame after the camera stops is always full resolution."""
        self.reduced_while_moving = bool(on)
        if self.scene is not None:
            self.scene.lod.set_moving_options(moving_reduction=MOVING_REDUCTION if on else 1)

    def start_moving(self) -> None:
        """The camera starts moving: draw stand-in boxes until it stops (interactive LOD)."""
        if self.scene is not None:
            self._lod_timer.stop()
            self.scene.lod.set_moving(True)

    def schedule_lod(self) -> None:
        """The camera stopped (or paused): full detail and a fresh level of detail shortly."""
        if self.scene is not None:
            self._lod_timer.start()

    def _refresh_lod(self) -> None:
        if self.scene is None:
            return
        was_moving = self.scene.lod.moving
        camera = self.scene.camera
        camera.set_camera_pose(camera.camera_pose())     # where VTK's trackball left it: into the view state
        self.scene.lod.set_moving(False)
        if self.scene.lod.update() or was_moving:
            self.refresh()

    # ------------------------------------------------------------------ camera
    def set_view(self, name: str) -> None:
        if self.scene is None:
            return
        self._fly_timer.stop()
        self.scene.lod.set_moving(False)
        self.scene.camera.set_view(name)
        self.scene.lod.update()
        self.refresh()

    def home(self) -> None:
        """Back to the whole design seen from the iso corner (the Home key)."""
        self.set_view("iso")

    def fly_to(self, pose: CameraPose) -> None:
        """Animate the camera to `pose` over a few frames, then refresh the detail."""
        if self.scene is None:
            return
        self._fly = (self.scene.camera.camera_pose(), pose, 0)
        self.start_moving()
        self._fly_timer.start()

    def land(self, render: bool = True) -> None:
        """End a flight at once, at the pose it was flying to (with `render` False, the camera
        is put there and the next frame draws it: a batch of fly-tos draws only the last)."""
        if self._fly is not None and self.scene is not None:
            start, end, _ = self._fly
            if not render:
                self._fly_timer.stop()
                self._fly = None
                self.scene.lod.set_moving(False)
                self.scene.camera.set_camera_pose(end)
                return
            self._fly = (start, end, FLY_FRAMES - 1)
            self._fly_step()

    @property
    def flying(self) -> bool:
        return self._fly_timer.isActive()

    def _fly_step(self) -> None:
        if self.scene is None or self._fly is None:
            self._fly_timer.stop()
            return
        start, end, step = self._fly
        step += 1
        self.scene.camera.set_camera_pose(start.lerp(end, min(step / FLY_FRAMES, 1.0)))
        self._fly = (start, end, step)
        if step >= FLY_FRAMES:
            self._fly_timer.stop()
            self._fly = None
            self.scene.lod.set_moving(False)
            self.scene.lod.update()
        self.refresh()

    # ------------------------------------------------------------------ input
    def mousePressEvent(self, ev) -> None:
        if ev.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._press_pos = ev.position()
        self._fly_timer.stop()
        if (self.turntable and self.scene is not None and ev.button() == Qt.MouseButton.LeftButton
                and ev.modifiers() == Qt.KeyboardModifier.NoModifier):
            self._orbit_from = (ev.position(), upright(self.scene.camera.camera_pose()))
            self.start_moving()
            return                                     # VTK never sees the press: no trackball
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev) -> None:
        if self._orbit_from is not None and self.scene is not None:
            start, pose = self._orbit_from
            delta = ev.position() - start
            turned = self.clear_of_parts(turntable(pose, delta.x() * ORBIT_DEG_PER_PX, delta.y() * ORBIT_DEG_PER_PX))
            if turned is not None:
                self.scene.camera.set_camera_pose(turned)
                self.refresh()
            return
        super().mouseMoveEvent(ev)

    def mouseReleaseEvent(self, ev) -> None:
        if self._orbit_from is not None and ev.button() == Qt.MouseButton.LeftButton:
            self._orbit_from = None
            self.scene.lod.set_moving(False)             # full detail the moment the button is let go
            self.refresh()
        else:
            super().mouseReleaseEvent(ev)
        if ev.button() == Qt.MouseButton.LeftButton and self._press_pos is not None:
            delta = ev.position() - self._press_pos
            self._press_pos = None
            if abs(delta.x()) + abs(delta.y()) < CLICK_SLOP_PX and self.scene is not None:
                ratio = self.devicePixelRatioF()
                x, y = ev.position().x() * ratio, ev.position().y() * ratio
                self.clicked.emit(x, y)
                cable = self.scene.picking.pick_cable(x, y)
                if cable >= 0:
                    self.cablePicked.emit(cable)
                else:
                    part = self.scene.picking.pick(x, y)
                    self.picked.emit(part)
                    row = self.scene.picking.pick_row(x, y) if part < 0 else None
                    if row is not None:                  # a far hall's row block: fly into that hall
                        self.fly_to(self.scene.camera.view_pose(f"hall:{row[0]}"))
        elif ev.button() == Qt.MouseButton.RightButton and self._press_pos is not None:
            delta = ev.position() - self._press_pos
            self._press_pos = None
            if abs(delta.x()) + abs(delta.y()) < CLICK_SLOP_PX and self.scene is not None:
                ratio = self.devicePixelRatioF()
                part = self.scene.picking.pick(ev.position().x() * ratio, ev.position().y() * ratio)
                self.contextRequested.emit(part, ev.globalPosition().toPoint())
        self.schedule_lod()

    def wheelEvent(self, ev) -> None:
        self._fly_timer.stop()
        steps = ev.angleDelta().y() / 120.0
        if self.scene is None or steps == 0:
            return
        ratio = self.devicePixelRatioF()
        self.start_moving()                          # a run of wheel steps draws light frames...
        self.zoom_at(ev.position().x() * ratio, ev.position().y() * ratio, WHEEL_ZOOM_PER_STEP ** steps)
        self.schedule_lod()                          # ...and full detail once it pauses

    def zoom_at(self, x: float, y: float, factor: float) -> bool:
        """Zoom by `factor` toward the point under pixel (x, y); False (and no move) where
        zooming in would put the camera inside a rack or another solid part. Zooming out is
        always possible: a step that would back into a part rises over it instead."""
        anchor = self.scene.picking.point_under(x, y)
        pose = zoom_about(self.scene.camera.camera_pose(), anchor, factor)
        if self.scene.picking.inside_solid(pose.position):
            if factor >= 1:
                return False
            pose = self._risen(pose)
            if pose is None:
                return False
        self.scene.camera.set_camera_pose(pose)
        self.refresh()
        return True

    def _risen(self, pose: CameraPose) -> CameraPose | None:
        """`pose` turned up about its focal point, in steps, until the camera is clear of every part."""
        for lift in range(10, 100, 10):
            risen = turntable(upright(pose), 0.0, float(lift))
            if not self.scene.picking.inside_solid(risen.position, margin=ORBIT_CLEARANCE_M):
                return risen
        return None

    def clear_of_parts(self, pose: CameraPose) -> CameraPose | None:
        """An orbit's `pose`, pulled in toward its focal point where it would swing into a
        part (the camera slides along the part, as CAD viewers do); None where nothing is clear."""
        picking = self.scene.picking
        if not picking.inside_solid(pose.position, margin=ORBIT_CLEARANCE_M):
            return pose
        focal, eye = np.asarray(pose.focal_point, float), np.asarray(pose.position, float)
        for keep in np.linspace(0.9, 0.1, 9):
            position = focal + (eye - focal) * keep
            if not picking.inside_solid(position, margin=ORBIT_CLEARANCE_M):
                return CameraPose(tuple(float(v) for v in position), pose.focal_point, pose.view_up, pose.view_angle)
        return None

    # VTK's own key bindings ('e'/'q' quit, 'w' wireframe, '3' stereo…) are not the app's:
    # let key presses go to the window's shortcuts instead.
    def keyPressEvent(self, ev) -> None:
        QWidget.keyPressEvent(self, ev)

    def keyReleaseEvent(self, ev) -> None:
        QWidget.keyReleaseEvent(self, ev)
