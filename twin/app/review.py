"""The review tools of the main window: the Notes and Compare docks, note pins in the 3D view,
"Add note…" on right-click and saved viewpoints.

Kept out of `window.py` so the window only creates this and tells it when a design opens;
everything review-specific is wired here.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

from twin.app.compare_panel import ComparePanel
from twin.app.notes_panel import NotesPanel
from twin.errors import TwinError
from twin.model import Design
from twin.scene import Scene
from twin.scene.camera import CameraPose, part_pose
from twin.scene.note_markers import NoteMarkers, note_positions
from twin.store.notes import Note, ReviewStore, Viewpoint
from twin.viewpoint import restore, state_of


class ReviewTools:
    """Owns the review docks and the note pins of the window's current scene."""

    def __init__(self, window: QMainWindow):
        self.window = window
        self.design: Design | None = None
        self.scene: Scene | None = None
        self.markers: NoteMarkers | None = None
        self.context_menu: QMenu | None = None
        self.notes = NotesPanel(report_error=window.report_error)
        self.compare = ComparePanel(report_error=window.report_error)
        self.notes_dock = self._dock("Notes", self.notes)
        self.compare_dock = self._dock("Compare", self.compare)
        window.tabifyDockWidget(window.findings_dock, self.notes_dock)
        window.tabifyDockWidget(self.notes_dock, self.compare_dock)
        window.findings_dock.raise_()
        self.notes.camera = self._camera
        self.notes.view_state = self._view_state
        self.notes.selected_part = self._selected_part_name
        self.notes.notesChanged.connect(self._draw_notes)
        self.notes.noteActivated.connect(self.go_to_note)
        self.notes.viewpointActivated.connect(self.go_to_viewpoint)
        self.notes.list.currentItemChanged.connect(lambda *_: self._draw_notes(self.notes.notes))
        self.compare.diffOverlay.connect(self._show_diff)
        window.viewport.clicked.connect(self._on_click)
        window.viewport.contextRequested.connect(self.show_context_menu)

    def _dock(self, title: str, widget) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock{title}")
        dock.setWidget(widget)
        self.window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        return dock

    def docks(self) -> list[QDockWidget]:
        return [self.notes_dock, self.compare_dock]

    # ------------------------------------------------------------------ design
    def set_design(self, design: Design, scene: Scene) -> None:
        """A new design is shown: its notes file, pins on its scene, its generation compare."""
        if self.markers is not None and self.scene is not None:
            self.markers.remove()
        self.design, self.scene = design, scene
        self.markers = NoteMarkers(scene)
        try:
            store = ReviewStore(design.source)
        except TwinError as exc:
            self.window.report_error("Cannot read notes", str(exc))
            store = None
        self.notes.set_store(store)
        self.compare.set_design(design)

    # ------------------------------------------------------------------ pins
    def _draw_notes(self, notes: list[Note]) -> None:
        if self.markers is None or self.design is None:
            return
        positions = note_positions(self.design, [n.part for n in notes], [n.point for n in notes])
        current = self.notes.current_note()
        self.markers.set_notes([n.id for n in notes], positions, [n.status == "resolved" for n in notes],
                               selected=current.id if current else None)
        self.window.viewport.refresh()

    def _on_click(self, x: float, y: float) -> None:
        if self.markers is None or self.scene is None:
            return
        note_id = self.markers.pick(self.scene.camera.project, x, y)
        if note_id is not None:
            self.notes_dock.raise_()
            self.notes.status_filter.setCurrentText("all")
            self.notes.select_note(note_id)

    def go_to_note(self, note: Note | None) -> None:
        if note is None or self.scene is None or self.markers is None or note.id not in self.markers.ids:
            return
        where = self.markers.positions[self.markers.ids.index(note.id)]
        self.window.viewport.fly_to(part_pose(where, (1.2, 1.2, 1.2), 0.0, self.scene.camera.aspect()))

    # ------------------------------------------------------------------ viewpoints
    def _camera(self) -> tuple:
        pose = self.scene.camera.camera_pose()
        return pose.position, pose.focal_point, pose.view_up, pose.view_angle

    def _view_state(self) -> dict | None:
        """What the view shows besides the camera (saved with it: twin.viewpoint)."""
        if self.design is None or self.window.view is None:
            return None
        state = state_of(self.window.view, self.design)
        state.pop("camera")                          # the viewpoint's own columns hold it
        return state

    def go_to_viewpoint(self, view: Viewpoint) -> None:
        """Show the viewpoint whole: its view state and camera in one update (a camera-only one flies there)."""
        if self.scene is None:
            return
        pose = CameraPose(view.position, view.focal_point, view.view_up, view.view_angle)
        if view.state is None or self.window.session is None:
            self.window.viewport.fly_to(pose)
            return
        # the camera leaves the named view it stood at: a legend strip coming with the restored
        # overlay must not re-frame that view over the restored camera
        self.scene.camera.framed.forget()
        restored = restore(self.window.view, view.state, self.window.session, camera=pose)
        if restored.warnings:
            self.window.statusBar().showMessage(f"viewpoint {view.name}: " + "; ".join(restored.warnings), 8000)

    # ------------------------------------------------------------------ context menu
    def _selected_part_name(self) -> str | None:
        sel = self.window.selection
        return str(self.design.parts.name[sel[0]]) if sel and self.design is not None else None

    def show_context_menu(self, part: int, global_pos) -> QMenu | None:
        """Right-click on a part: select it and offer "Add note…" (returns the menu, shown non-blocking)."""
        if self.design is None or part < 0:
            return None
        self.window.select_parts([part])
        name = str(self.design.parts.name[part])
        menu = QMenu(self.window)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        add = menu.addAction(f"Add note… ({name})")
        add.triggered.connect(lambda: self.notes.add_dialog(name))
        menu.addAction("Fit selected").triggered.connect(self.window.selecting.fly_to_selection)
        menu.addAction("Trace (T)").triggered.connect(self.window.tracing.trace_selection)
        if hasattr(self.window, "scenarios"):
            self.window.scenarios.add_context_actions(menu, part)
        self.context_menu = menu
        menu.popup(global_pos)
        return menu

    # ------------------------------------------------------------------ compare
    def _show_diff(self, overlay) -> None:
        """Show the diff colouring (an Overlay), or take it away (None) if it is what is shown."""
        if self.scene is None:
            return
        state = self.window.view
        if overlay is None and state.overlay_name != "diff":
            return
        state.set_overlay(overlay)     # the diff replaces whatever overlay was on (the Overlay panel follows)
