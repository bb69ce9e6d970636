"""The main window: viewport in the middle, dockable panels, menus, toolbar, status bar.

The window lays out the panels and wires them to the view state; it owns named parts with one
job each: `opening` (file → design → scene, `twin.app.opening`), `selecting` (selection and
visibility actions, and keeping the panels in step with the state: `twin.app.selection`),
`tracing` (power and cable traces, findings: `twin.app.tracing`), `fields` (the CFD field:
`twin.app.field_view`), `exporting` (Export image…: `twin.app.image_export`) and `review`
(notes and compare: `twin.app.review`). The scene draws, picks and colours; one `ReviewSession`
per open design answers every panel's analysis questions and holds the view state
(`twin.viewstate`) that panels edit and the scene follows; the SQL the panels need lives in
`twin.store.queries`.
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
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QProgressBar, QPushButton, QWidget

from twin import __version__
from twin.app.cables_panel import CablesPanel
from twin.app.findings_panel import FindingsPanel
from twin.app.power_panel import PowerPanel
from twin.app.hierarchy import HierarchyPanel
from twin.app.history_panel import HistoryPanel
from twin.app.layout import DockLayout
from twin.app.loader import DesignLoader
from twin.app.field_view import FieldActions
from twin.app.image_export import ImageExport
from twin.app.live_mode import LiveMode
from twin.app.log_dialog import show_load_warnings
from twin.app.opening import DesignOpener
from twin.app.overlay_panel import OverlayPanel
from twin.app.properties import PropertiesPanel
from twin.app.review import ReviewTools
from twin.app.scenario_panel import ScenarioTools
from twin.app.selection import SelectionActions
from twin.app.tracing import Tracing
from twin.store.queries import DesignQueries
from twin.app.viewport import Viewport
from twin.app.visibility_panel import VisibilityPanel
from twin.errors import TwinError
from twin.model import Design
from twin.scene import Scene
from twin.scene.views import fixed_views
from twin.session import ReviewSession
from twin.viewstate import ViewState

ErrorReporter = Callable[[str, str], None]      # (title, message)


class MainWindow(QMainWindow):
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
        self.opening = DesignOpener(self)
        self.selecting = SelectionActions(self)
        self.tracing = Tracing(self)
        self.fields = FieldActions(self)
        self.exporting = ImageExport(self)
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
        self.resizeDocks([self.properties_dock, self.overlay_dock], [520, 330], Qt.Orientation.Vertical)
        self.review = ReviewTools(self)                 # Notes and Compare docks, note pins, "Add note…"
        self.scenarios = ScenarioTools(self)            # Scenario dock, "What if this fails?"
        self.resizeDocks([self.findings_dock], [240], Qt.Orientation.Vertical)

        self.loader = DesignLoader(self)
        self._build_status_bar()
        self.live = LiveMode(self)                      # File → Connect telemetry…: polls in a worker thread
        self._build_actions()
        self._connect()
        self._set_enabled(False)
        self.dock_layout = DockLayout(self)             # readable docks, kept in proportion, saved between runs
        self.dock_layout.settle()
        self.dock_layout.defaults()
        self.dock_layout.restore()

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
        self.open_action = self._action("&Open…", self.opening.open_dialog, QKeySequence.StandardKey.Open, "open a design file")
        self.export_action = self._action("&Export image…", self.exporting.export_dialog, "Ctrl+E", "save the view as PNG")
        quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.fly_action = self._action("Fit selected", self.selecting.fly_to_selection, "F", "fly to the selection (F)")
        self.trace_action = self._action("Trace", self.tracing.trace_selection, "T",
                                         "trace the selection: power to the utility, a CDU's loop, a cable end to "
                                         "end (T; Esc clears)")
        self.hide_action = self._action("Hide selection", self.selecting.hide_selection, "H", "hide the selection (H)")
        self.isolate_action = self._action("Isolate selection", self.selecting.isolate_selection, "I",
                                           "show only the selection (I)")
        self.clear_action = self._action("Clear one step", self.selecting.escape, "Esc",
                                         "clear the selection, then the search, then the isolation (Esc)")
        self.show_all_action = self._action("Show all", self.selecting.show_all, "Shift+H",
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
        menu.addAction(self.live.connect_action)
        menu.addAction(self.live.disconnect_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self.opening.update_recent_menu()
        edit = self.menuBar().addMenu("&Selection")
        for a in (self.search_action, self.fly_action, self.trace_action, self.hide_action, self.isolate_action, self.clear_action,
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
        self.loader.stage.connect(self.opening.on_stage)
        self.loader.progress.connect(self.opening.on_load_progress)
        self.loader.loaded.connect(self.opening.on_loaded)
        self.loader.failed.connect(self.opening.on_failed)
        self.loader.cancelled.connect(self.opening.on_cancelled)
        self.cancel_button.clicked.connect(self.opening.cancel_load)
        self.viewport.picked.connect(self.selecting.on_picked)
        self.viewport.frameRendered.connect(lambda ms: self.frame_label.setText(f"frame {ms:.1f} ms"))
        self.hierarchy.selectionRequested.connect(lambda parts: self.selecting.select_parts(parts, from_tree=True))
        self.hierarchy.flyRequested.connect(self.selecting.fly_to_selection)
        self.hierarchy.filterChanged.connect(self.selecting.on_search_filter)
        self.overlays.field.loadRequested.connect(self.fields.load_field)
        self.overlays.field.settingsChanged.connect(self.fields.show_field)
        self.overlays.field.clearRequested.connect(self.fields.clear_field)
        self.findings.findingActivated.connect(self.tracing.go_to_finding)
        self.overlays.slider.valueChanged.connect(lambda _v: self.history.set_moment(self.overlays.slider_time()))
        self.history.momentPicked.connect(lambda ts: self.overlays.slider.setValue(self.overlays.times.index(ts)))
        self.power.traceRequested.connect(self.tracing.show_trace)
        self.cables.traceRequested.connect(self.tracing.trace_cable)
        self.cables.flyRequested.connect(self.tracing.fly_to_cable)
        self.viewport.cablePicked.connect(self.tracing.on_cable_picked)
        self.properties.cableActivated.connect(self.tracing.on_cable_named)

    def _set_enabled(self, on: bool) -> None:
        for a in [self.export_action, self.fly_action, self.trace_action, self.hide_action, self.isolate_action, self.clear_action,
                  self.show_all_action, self.home_action, *self.view_actions.values()]:
            a.setEnabled(on)
        self.overlays.field.set_enabled(on)

    def install(self, design: Design, scene: Scene, queries: DesignQueries, session: ReviewSession) -> None:
        if self.queries is not None:
            self.queries.close()
        if self.session is not None:
            self.session.view.changed.disconnect(self.selecting.on_view_changed)
        self.design, self.scene, self.queries, self.session = design, scene, queries, session
        scene.lod.update()                             # the scene was built for this window: only if the view moved
        self.viewport.set_scene(scene)                 # renders once
        self.hierarchy.set_design(design, queries)
        self.properties.clear()
        self.overlays.set_session(session)             # sets the session's moment to the slider's
        self.fields.field_data = None                  # a field belongs to the design it was loaded for
        self.overlays.field.set_field(None)
        self.findings.set_session(session)
        self.history.set_session(session)
        self.refresh_power()
        self.cables.set_session(session)
        self.review.set_design(design, scene)
        self.scenarios.set_session(session)
        session.view.changed.connect(self.selecting.on_view_changed)   # after the scene: panels see it redrawn
        kinds = sorted(set(design.part_types.kind[np.unique(design.parts.type)].tolist()))
        self.visibility.set_content(kinds, [str(g) for g in design.generations.name.tolist()], scene.geometry.bounds,
                                    session.view, scene.geometry.parts_matching)
        name = design.meta.get("design_name") or Path(design.source).name
        self.setWindowTitle(f"twin — {name}")
        self.counts_label.setText(f"{len(design.racks):,} racks · {len(design.parts):,} parts · "
                                  f"{len(design.cables):,} cables")
        self.selection_label.setText("")
        self._set_enabled(True)
        self.live.installed()                          # live mode: keeps polling a reopened design

    # ------------------------------------------------------------------ what the window shows
    @property
    def view(self) -> ViewState | None:
        """What is shown (visible, selected, overlay, moment…): the session's view state."""
        return self.session.view if self.session is not None else None

    @property
    def selection(self) -> list[int]:
        """The selected parts (the view state's; the first is the one Properties shows)."""
        return self.view.selection if self.view is not None else []

    def select_parts(self, parts: list[int]) -> None:
        """Select these parts, as a click in the 3D view does."""
        self.selecting.select_parts(parts)

    def open_file(self, path: str | Path) -> None:
        """Start loading a design file in the background (`opening`)."""
        self.opening.open_file(path)

    @property
    def loading(self) -> bool:
        return self.opening.loading

    # ------------------------------------------------------------------ errors, about
    def _error_box(self, title: str, message: str) -> None:
        """Non-blocking critical message (window-modal), kept in `error_box`."""
        box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.error_box = box
        box.open()

    def show_warnings(self) -> None:
        """View → Load warnings…: what twin logged at warning level (twin.app.log_dialog)."""
        self.warnings_box = show_load_warnings(self)

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
    def refresh_power(self) -> None:
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


    # ------------------------------------------------------------------ findings

    # ------------------------------------------------------------------ cables




    # ------------------------------------------------------------------ CFD field



    # ------------------------------------------------------------------ export


    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event) -> None:
        self.live.shutdown()
        self.dock_layout.save()
        self.loader.cancel()
        self.loader.wait(5000)
        if self.queries is not None:
            self.queries.close()
            self.queries = None
        self.viewport.Finalize()
        super().closeEvent(event)
