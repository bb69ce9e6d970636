"""The main window: viewport in the middle, dockable panels, menus, toolbar, status bar.

The window only wires widgets to the scene and the data layer: the scene does the drawing,
picking and colouring; one `ReviewSession` per open design answers every panel's analysis
questions and holds the view state (`twin.viewstate`) that panels edit and the scene applies;
the SQL the panels need lives in `twin.store.queries`.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Callable

import numpy as np
import vtkmodules
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QInputDialog, QLabel, QMainWindow, QMessageBox,
                               QProgressBar, QPushButton, QWidget)

from twin import __version__
from twin.app.cables_panel import CablesPanel
from twin.app.findings_panel import FindingsPanel
from twin.app.power_panel import PowerPanel
from twin.app.hierarchy import HierarchyPanel
from twin.app.history_panel import HistoryPanel
from twin.app.loader import DesignLoader
from twin.app.opening import DesignOpening
from twin.app.overlay_panel import OverlayPanel
from twin.app.properties import PropertiesPanel
from twin.app.review import ReviewTools
from twin.app.selection import SelectionActions
from twin.store.queries import DesignQueries
from twin.app.viewport import Viewport
from twin.app.visibility_panel import VisibilityPanel
from twin.analysis.findings import Finding
from twin.errors import TwinError
from twin.export.image import FieldView, parse_size, render_view, write_png
from twin.model import Design
from twin.scene import Scene
from twin.scene.camera import part_pose
from twin.scene.field import field_range, load_field
from twin.scene.options import EXPORT_SIZE
from twin.scene.views import fixed_views
from twin.session import ReviewSession

#: Sizes offered by "Export image…" (any WIDTHxHEIGHT can be typed).
EXPORT_SIZES = ("1920x1080", "3840x2160", "2560x1440", "1280x720")

ErrorReporter = Callable[[str, str], None]      # (title, message)


class MainWindow(DesignOpening, SelectionActions, QMainWindow):
    def __init__(self, settings: QSettings | None = None, report_error: ErrorReporter | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.settings = settings or QSettings("twin", "viewer")
        self.report_error: ErrorReporter = report_error or self._error_box
        self.error_box: QMessageBox | None = None
        self.design: Design | None = None
        self.scene: Scene | None = None
        self.queries: DesignQueries | None = None
        self.session: ReviewSession | None = None      # one per open design: analyses, moment, view state
        self._from_tree = False                        # the selection being made came from the tree
        self._pending: tuple[str, Design] | None = None
        self.field_data = None                         # the CFD field shown (vtkDataSet) or None
        self.setWindowTitle("twin")
        self.resize(1500, 950)

        self.viewport = Viewport(self)
        self.setCentralWidget(self.viewport)
        self.hierarchy = HierarchyPanel()
        self.properties = PropertiesPanel()
        self.overlays = OverlayPanel()
        self.visibility = VisibilityPanel()
        self.findings = FindingsPanel()
        self.power = PowerPanel()
        self.cables = CablesPanel()
        self.hierarchy_dock = self._dock("Hierarchy", self.hierarchy, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.properties_dock = self._dock("Properties", self.properties, Qt.DockWidgetArea.RightDockWidgetArea)
        self.overlay_dock = self._dock("Overlay", self.overlays, Qt.DockWidgetArea.RightDockWidgetArea)
        self.visibility_dock = self._dock("Visibility", self.visibility, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.findings_dock = self._dock("Findings", self.findings, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.power_dock = self._dock("Power", self.power, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.overlay_dock, self.power_dock)
        self.overlay_dock.raise_()
        self.cables_dock = self._dock("Cables", self.cables, Qt.DockWidgetArea.BottomDockWidgetArea)
        # the cable table (297,440 rows on hall-2000) is read when its tab is first brought up
        self.cables_dock.visibilityChanged.connect(lambda shown: shown and self.cables.load())
        self.tabifyDockWidget(self.findings_dock, self.cables_dock)
        self.history = HistoryPanel()                   # the selection's sensors over time, a tab beside Findings
        self.history_dock = self._dock("History", self.history, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.findings_dock, self.history_dock)
        self.findings_dock.raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.hierarchy_dock, self.visibility_dock)
        self.hierarchy_dock.raise_()
        self.resizeDocks([self.hierarchy_dock, self.properties_dock], [330, 400], Qt.Orientation.Horizontal)
        self.resizeDocks([self.properties_dock, self.overlay_dock], [520, 330], Qt.Orientation.Vertical)
        self.review = ReviewTools(self)                 # Notes and Compare docks, note pins, "Add note…"
        self.resizeDocks([self.findings_dock], [240], Qt.Orientation.Vertical)

        self.loader = DesignLoader(self)
        self._build_status_bar()
        self._build_actions()
        self._connect()
        self._set_enabled(False)

    # ------------------------------------------------------------------ layout
    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock{title}")
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress = QProgressBar()
        self.progress.setObjectName("loadProgress")
        self.progress.setMaximumWidth(220)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("cancelLoad")
        self.counts_label = QLabel("no design open")
        self.selection_label = QLabel("")
        self.frame_label = QLabel("")
        for w in (self.progress, self.cancel_button):
            bar.addPermanentWidget(w)
            w.setVisible(False)
        for w in (self.selection_label, self.counts_label, self.frame_label):
            bar.addPermanentWidget(w)

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("&Open…", self.open_dialog, QKeySequence.StandardKey.Open, "open a design file")
        self.export_action = self._action("&Export image…", self.export_dialog, "Ctrl+E", "save the view as PNG")
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.fly_action = self._action("Fit selected", self.fly_to_selection, "F", "fly to the selection (F)")
        self.hide_action = self._action("Hide selection", self.hide_selection, "H", "hide the selection (H)")
        self.isolate_action = self._action("Isolate selection", self.isolate_selection, "I",
                                           "show only the selection (I)")
        self.clear_action = self._action("Clear one step", self.escape, "Esc",
                                         "clear the selection, then the search, then the isolation (Esc)")
        self.show_all_action = self._action("Show all", self.show_all, "Shift+H",
                                            "show every part again: no isolation, nothing hidden, no search "
                                            "(Shift+H)")
        self.home_action = self._action("Home", self.viewport.home, "Home", "the whole design from the iso corner "
                                        "(Home)")
        self.trackball_action = self._action("Free trackball rotation", self._on_trackball, None,
                                             "rotate freely instead of keeping the floor down")
        self.trackball_action.setCheckable(True)
        self.reduced_action = self._action("Reduced resolution while moving", self._on_reduced, None,
                                           "draw half-resolution frames while the camera moves (faster on "
                                           "software GL); full resolution when it stops")
        self.reduced_action.setCheckable(True)
        self.reduced_action.setChecked(self.viewport.reduced_while_moving)
        self.search_action = self._action("Find…", self.hierarchy.focus_search, "Ctrl+F", "search parts (Ctrl+F)")
        self.view_actions = {v.name: self._action(v.label, lambda n=v.name: self.viewport.set_view(n), None,
                                                  f"{v.label} view")
                             for v in fixed_views()}
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self.open_action)
        self.recent_menu = menu.addMenu("Recent files")
        menu.addAction(self.export_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self._update_recent_menu()
        edit = self.menuBar().addMenu("&Selection")
        for a in (self.search_action, self.fly_action, self.hide_action, self.isolate_action, self.clear_action,
                  self.show_all_action):
            edit.addAction(a)
        view = self.menuBar().addMenu("&View")
        view.addAction(self.home_action)
        for a in self.view_actions.values():
            view.addAction(a)
        view.addAction(self.trackball_action)
        view.addAction(self.reduced_action)
        view.addSeparator()
        self.warnings_action = self._action("Load &warnings…", self.show_warnings, None,
                                            "what could not be read as written (meshes, references)")
        self.warnings_action.setEnabled(False)
        view.addAction(self.warnings_action)
        view.addSeparator()
        for dock in (self.hierarchy_dock, self.visibility_dock, self.properties_dock, self.overlay_dock,
                     self.findings_dock, self.history_dock, *self.review.docks()):
            view.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About twin", self.about))
        tools = self.addToolBar("Camera")
        tools.setObjectName("cameraToolbar")
        tools.addAction(self.home_action)
        for a in self.view_actions.values():
            tools.addAction(a)
        tools.addAction(self.fly_action)
        tools.addAction(self.show_all_action)

    def _connect(self) -> None:
        self.loader.stage.connect(self._on_stage)
        self.loader.progress.connect(self._on_load_progress)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.cancelled.connect(self._on_cancelled)
        self.cancel_button.clicked.connect(self.cancel_load)
        self.viewport.picked.connect(self._on_picked)
        self.viewport.frameRendered.connect(lambda ms: self.frame_label.setText(f"frame {ms:.1f} ms"))
        self.hierarchy.selectionRequested.connect(lambda parts: self.select_parts(parts, from_tree=True))
        self.hierarchy.flyRequested.connect(self.fly_to_selection)
        self.hierarchy.filterChanged.connect(self._on_search_filter)
        self.overlays.field.loadRequested.connect(self.load_field)
        self.overlays.field.settingsChanged.connect(self._show_field)
        self.overlays.field.clearRequested.connect(self.clear_field)
        self.findings.findingActivated.connect(self.go_to_finding)
        self.overlays.slider.valueChanged.connect(lambda _v: self.history.set_moment(self.overlays.slider_time()))
        self.history.momentPicked.connect(lambda ts: self.overlays.slider.setValue(self.overlays.times.index(ts)))
        self.power.traceRequested.connect(self.show_trace)
        self.cables.traceRequested.connect(self.trace_cable)
        self.cables.flyRequested.connect(self.fly_to_cable)
        self.viewport.cablePicked.connect(self._on_cable_picked)
        self.properties.cableActivated.connect(self._on_cable_named)
        self.visibility.filtersChanged.connect(self._on_kind_filters)
        self.visibility.xrayChanged.connect(self._on_xray)
        self.visibility.sectionChanged.connect(self._on_section)

    def _set_enabled(self, on: bool) -> None:
        for a in [self.export_action, self.fly_action, self.hide_action, self.isolate_action, self.clear_action,
                  self.show_all_action, self.home_action, *self.view_actions.values()]:
            a.setEnabled(on)
        self.overlays.field.set_enabled(on)

    def _install(self, design: Design, scene: Scene, queries: DesignQueries, session: ReviewSession) -> None:
        if self.queries is not None:
            self.queries.close()
        if self.session is not None:
            self.session.view.changed.disconnect(self._on_view_changed)
        self.design, self.scene, self.queries, self.session = design, scene, queries, session
        scene.lod.update()                             # the scene was built for this window: only if the view moved
        self.viewport.set_scene(scene)                 # renders once
        self.hierarchy.set_design(design, queries)
        self.properties.clear()
        self.overlays.set_session(session)             # sets the session's moment to the slider's
        self.field_data = None                         # a field belongs to the design it was loaded for
        self.overlays.field.set_field(None)
        self.findings.set_session(session)
        self.history.set_session(session)
        self._refresh_power()
        self.cables.set_session(session)
        self.review.set_design(design, scene)
        session.view.changed.connect(self._on_view_changed)   # after the scene: panels see it redrawn
        kinds = sorted(set(design.part_types.kind[np.unique(design.parts.type)].tolist()))
        self.visibility.set_content(kinds, [str(g) for g in design.generations.name.tolist()], scene.geometry.bounds)
        name = design.meta.get("design_name") or Path(design.source).name
        self.setWindowTitle(f"twin — {name}")
        self.counts_label.setText(f"{len(design.racks):,} racks · {len(design.parts):,} parts · "
                                  f"{len(design.cables):,} cables")
        self.selection_label.setText("")
        self._set_enabled(True)

    # ------------------------------------------------------------------ errors, recent files, about
    def _error_box(self, title: str, message: str) -> None:
        """Non-blocking critical message (window-modal), kept in `error_box`."""
        box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box = box
        box.open()

    def show_warnings(self) -> None:
        """List what the open design could not use as written (placeholders, dangling rows)."""
        warnings = self.scene.warnings if self.scene is not None else []
        box = QMessageBox(QMessageBox.Icon.Warning, "Load warnings",
                          f"{len(warnings)} things in this design could not be used as written; "
                          "the rest of the scene loaded.", parent=self)
        box.setDetailedText("\n".join(warnings))
        box.setModal(False)
        self.warnings_box = box
        box.open()

    def about(self) -> None:
        QMessageBox.about(self, "About twin",
                          f"<b>twin {__version__}</b><br>Digital-twin viewer for AI data-center racks and halls."
                          f"<br><br>Qt {qVersion()} (PySide6 {pyside_version})<br>VTK {vtkmodules.__version__}"
                          f"<br>Python {platform.python_version()}")

    def _on_trackball(self) -> None:
        self.viewport.turntable = not self.trackball_action.isChecked()

    def _on_reduced(self) -> None:
        self.viewport.set_reduced_while_moving(self.reduced_action.isChecked())

    # ------------------------------------------------------------------ power
    def _refresh_power(self) -> None:
        """The Power panel shows the session's power result at the current moment."""
        if self.session is None or self.session.available().get("power"):
            self.power.set_design(self.design if self.session is not None else None)
            return
        try:
            result = self.session.result("power")
        except TwinError as exc:                  # e.g. readings the check cannot use: the rest still opens
            self.power.set_design(self.design)
            self.statusBar().showMessage(f"Power check: {exc}", 10000)
            return
        self.power.set_design(self.design, result.detail)

    def show_trace(self, trace) -> None:
        """Light up a power trace (from the Power panel) in 3D, the rest dimmed, and select the
        traced node's own part so Properties shows it."""
        if self.scene is None:
            return
        result = self.power.result
        lead = int(result.nodes.part_shown[trace.upstream[0]]) if result is not None and len(trace.upstream) else -1
        with self.view.hold():
            self.view.highlight(parts=trace.parts, cables=trace.cables)
            self.select_parts([lead] if lead >= 0 else [])

    # ------------------------------------------------------------------ findings
    def go_to_finding(self, finding: Finding) -> None:
        """Select and fly to what a finding is about: its part, else its rack's frame, else its location."""
        scene = self.scene
        if scene is None:
            return
        part = finding.part if 0 <= finding.part < scene.geometry.n_parts else -1
        if part < 0 and 0 <= finding.rack < len(scene.geometry.frame_of_rack):
            part = int(scene.geometry.frame_of_rack[finding.rack])
        if part >= 0:
            self.select_parts([part])
            self.fly_to_selection()
        elif finding.location is not None:
            self.select_parts([])
            self.viewport.fly_to(part_pose(np.array(finding.location), np.ones(3), 0.0, scene.camera.aspect()))
        if finding.loop >= 0:                              # a loop's finding plots the loop's sensors
            self.history.show_loop(finding.loop)
        self.statusBar().showMessage(finding.to_text().strip(), 8000)

    # ------------------------------------------------------------------ cables
    def trace_cable(self, cable: int) -> None:
        """Highlight a cable's route end to end and select both its ends."""
        if self.scene is None or cable < 0:
            return
        c = self.design.cables
        ends = [int(p) for p in (c.a_part[cable], c.b_part[cable]) if p >= 0]
        with self.view.hold():
            self.view.highlight(None, [cable])           # route drawn bold, both ends shown, the rest dimmed
            self.view.select(ends)
        name = str(self.design.cable_text().name[cable])
        self.statusBar().showMessage(f"traced cable {name}", 8000)

    def fly_to_cable(self, cable: int) -> None:
        if self.scene is not None and cable >= 0:
            part = int(self.design.cables.a_part[cable])
            if part >= 0:
                self.viewport.fly_to(self.scene.camera.fly_to_pose(part))

    def _on_cable_picked(self, cable: int) -> None:
        self.trace_cable(cable)
        self.cables.select_cable(cable)

    def _on_cable_named(self, name: str) -> None:
        if self.design is None:
            return
        hits = np.flatnonzero(self.design.cable_text().name == name)
        if len(hits):
            self._on_cable_picked(int(hits[0]))

    # ------------------------------------------------------------------ CFD field
    def load_field(self, path: str | Path) -> bool:
        """Read a CFD field file and draw it; on failure report it (naming the file), scene unchanged."""
        if self.scene is None:
            return False
        path = Path(path)
        try:
            data = load_field(path)
            value_range = field_range(data)
        except Exception as exc:                       # TwinError names the file; anything else gets it added
            message = str(exc) if str(path) in str(exc) else f"{path}: {type(exc).__name__}: {exc}"
            self.statusBar().showMessage(f"Could not load {path.name}")
            self.report_error("Cannot load field", f"Could not load the field {path}\n\n{message}")
            return False
        self.field_data = data
        self.overlays.field.set_field(path, data.GetBounds(), value_range)
        self._show_field()
        self.statusBar().showMessage(f"Loaded field {path.name}", 8000)
        return True

    def _show_field(self) -> None:
        if self.scene is None or self.field_data is None:
            return
        group = self.overlays.field
        try:
            self.scene.show_field(self.field_data, group.axis_name(), group.position_value(), group.iso_level())
        except Exception as exc:
            self.report_error("Cannot show field", f"Could not draw the field {group.path}\n\n{exc}")
            return
        self.viewport.refresh()

    def clear_field(self) -> None:
        self.field_data = None
        self.overlays.field.set_field(None)
        if self.scene is not None:
            self.scene.clear_field()
            self.viewport.refresh()

    # ------------------------------------------------------------------ export
    def export_dialog(self) -> None:
        if self.scene is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export image", "view.png", "PNG images (*.png)")
        if not path:
            return
        text, ok = QInputDialog.getItem(self, "Export image", "Size in pixels (WIDTHxHEIGHT):", list(EXPORT_SIZES),
                                        0, True)
        if not ok:
            return
        try:
            size = parse_size(text)
        except ValueError as exc:
            self.report_error("Cannot export image", str(exc))
            return
        self.export_image(path, size)

    def export_image(self, path: str | Path, size: tuple[int, int] = EXPORT_SIZE) -> Path:
        """Write what the window shows (camera, overlay, visibility, selection, section, highlight,
        field) as a PNG of `size`, through the same export path as `twin export image`."""
        field = None
        if self.field_data is not None:
            group = self.overlays.field
            field = FieldView(self.field_data, group.axis_name(), group.position_value(), group.iso_level())
        self.statusBar().showMessage(f"Rendering {size[0]}×{size[1]}…")
        image, scene = render_view(self.design, size, self.scene.camera.camera_pose(), self.scene.overlay,
                                   self.view.snapshot(), field)
        scene.detach()
        out = write_png(image, path)
        self.statusBar().showMessage(f"Wrote {out}", 8000)
        return out

    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event) -> None:
        self.loader.cancel()
        self.loader.wait(5000)
        if self.queries is not None:
            self.queries.close()
            self.queries = None
        self.viewport.Finalize()
        super().closeEvent(event)
