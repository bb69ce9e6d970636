"""The main window: viewport in the middle, dockable panels, menus, toolbar, status bar.

The window only wires widgets to the scene and the data layer: the scene does the drawing,
picking and colouring; `twin.store` / `twin.analysis` provide the data; the SQL the panels
need lives in `twin.app.queries`.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Callable

import numpy as np
import vtkmodules
from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, QTimer, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QFileDialog, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QPushButton, QWidget)

from twin import __version__
from twin.analysis.thermal import thermal_part_rows
from twin.app.findings_panel import FindingsPanel
from twin.app.hierarchy import HierarchyPanel
from twin.app.loader import DesignLoader
from twin.app.overlay_panel import OverlayPanel
from twin.app.properties import PropertiesPanel
from twin.app.review import ReviewTools
from twin.store.queries import DesignQueries
from twin.app.viewport import Viewport
from twin.app.visibility_panel import VisibilityPanel
from twin.analysis.findings import Finding
from twin.export.image import write_png
from twin.model import Design
from twin.scene import Scene
from twin.scene.camera import part_pose
from twin.scene.field import field_range, load_field

MAX_RECENT = 8
EXPORT_MULTISAMPLES = 8
FILE_FILTER = "twin designs (*.twin.db *.db);;All files (*)"

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
        self.selection: list[int] = []
        self._kind_mask: np.ndarray | None = None     # from the visibility checkboxes (None: all)
        self._search_mask: np.ndarray | None = None   # from the hierarchy search
        self._isolate_mask: np.ndarray | None = None  # from "isolate selection"
        self._hidden: np.ndarray | None = None        # from "hide selection"
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
        self.hierarchy_dock = self._dock("Hierarchy", self.hierarchy, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.properties_dock = self._dock("Properties", self.properties, Qt.DockWidgetArea.RightDockWidgetArea)
        self.overlay_dock = self._dock("Overlay", self.overlays, Qt.DockWidgetArea.RightDockWidgetArea)
        self.visibility_dock = self._dock("Visibility", self.visibility, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.findings_dock = self._dock("Findings", self.findings, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.hierarchy_dock, self.visibility_dock)
        self.hierarchy_dock.raise_()
        self.resizeDocks([self.hierarchy_dock, self.properties_dock], [330, 400], Qt.Orientation.Horizontal)
        self.resizeDocks([self.properties_dock, self.overlay_dock], [520, 330], Qt.Orientation.Vertical)
        self.review = ReviewTools(self)                 # Notes and Compare docks, note pins, "Add note…"
        self.resizeDocks([self.findings_dock], [190], Qt.Orientation.Vertical)

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
        self.clear_action = self._action("Clear selection, show all", self.clear_selection, "Esc",
                                         "clear the selection and show everything (Esc)")
        self.search_action = self._action("Find…", self.hierarchy.focus_search, "Ctrl+F", "search parts (Ctrl+F)")
        self.view_actions = {name: self._action(label, lambda n=name: self.viewport.set_view(n), None,
                                                f"{label} view")
                             for name, label in (("iso", "Iso"), ("top", "Top"), ("front", "Front"),
                                                 ("aisle", "Aisle"))}
        menu = self.menuBar().addMenu("&File")
        menu.addAction(self.open_action)
        self.recent_menu = menu.addMenu("Recent files")
        menu.addAction(self.export_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self._update_recent_menu()
        edit = self.menuBar().addMenu("&Selection")
        for a in (self.search_action, self.fly_action, self.hide_action, self.isolate_action, self.clear_action):
            edit.addAction(a)
        view = self.menuBar().addMenu("&View")
        for a in self.view_actions.values():
            view.addAction(a)
        view.addSeparator()
        self.warnings_action = self._action("Load &warnings…", self.show_warnings, None,
                                            "what could not be read as written (meshes, references)")
        self.warnings_action.setEnabled(False)
        view.addAction(self.warnings_action)
        view.addSeparator()
        for dock in (self.hierarchy_dock, self.visibility_dock, self.properties_dock, self.overlay_dock,
                     self.findings_dock, *self.review.docks()):
            view.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About twin", self.about))
        tools = self.addToolBar("Camera")
        tools.setObjectName("cameraToolbar")
        for a in self.view_actions.values():
            tools.addAction(a)
        tools.addAction(self.fly_action)

    def _connect(self) -> None:
        self.loader.stage.connect(self._on_stage)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.cancelled.connect(self._on_cancelled)
        self.cancel_button.clicked.connect(self.cancel_load)
        self.viewport.picked.connect(self._on_picked)
        self.viewport.frameRendered.connect(lambda ms: self.frame_label.setText(f"frame {ms:.1f} ms"))
        self.hierarchy.selectionRequested.connect(lambda parts: self.select_parts(parts, from_tree=True))
        self.hierarchy.flyRequested.connect(self.fly_to_selection)
        self.hierarchy.filterChanged.connect(self._on_search_filter)
        self.overlays.overlayChanged.connect(self._on_overlay)
        self.overlays.rangeChanged.connect(self._on_overlay_range)
        self.overlays.timeChanged.connect(self._on_time)
        self.overlays.field.loadRequested.connect(self.load_field)
        self.overlays.field.settingsChanged.connect(self._show_field)
        self.overlays.field.clearRequested.connect(self.clear_field)
        self.findings.findingActivated.connect(self.go_to_finding)
        self.visibility.filtersChanged.connect(self._on_kind_filters)
        self.visibility.xrayChanged.connect(self._on_xray)
        self.visibility.sectionChanged.connect(self._on_section)

    def _set_enabled(self, on: bool) -> None:
        for a in [self.export_action, self.fly_action, self.hide_action, self.isolate_action, self.clear_action,
                  *self.view_actions.values()]:
            a.setEnabled(on)
        self.overlays.field.set_enabled(on)

    # ------------------------------------------------------------------ opening
    def open_dialog(self) -> None:
        start = str(Path(self.recent_files()[0]).parent) if self.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self, "Open design", start, FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> None:
        """Start loading `path` in the background; the current design stays until it arrives."""
        self._pending = None
        self.loader.start(str(path))
        self.progress.setRange(0, 0)                     # busy: load_design reports no progress
        self.progress.setFormat("reading file")
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.statusBar().showMessage(f"Loading {Path(path).name}…")

    @property
    def loading(self) -> bool:
        return self.loader.busy or self._pending is not None

    def cancel_load(self) -> None:
        if self._pending is not None:
            path = self._pending[0]
            self._pending = None
            self._on_cancelled(path)
        self.loader.cancel()

    def _on_stage(self, stage: str) -> None:
        self.progress.setFormat(stage)

    def _on_cancelled(self, path: str) -> None:
        self._end_progress()
        self.statusBar().showMessage(f"Loading {Path(path).name} cancelled")

    def _end_progress(self) -> None:
        self.progress.setVisible(False)
        self.cancel_button.setVisible(False)

    def _on_failed(self, path: str, message: str) -> None:
        self._end_progress()
        self.statusBar().showMessage(f"Could not open {Path(path).name}")
        self.report_error("Cannot open design", f"Could not open {path}\n\n{message}")

    def _on_loaded(self, design: Design) -> None:
        path = str(design.source)
        self._pending = (path, design)
        self.progress.setRange(0, 2)
        self.progress.setValue(1)
        self.progress.setFormat("building scene")
        self.statusBar().showMessage(f"Building the scene of {Path(path).name}…")
        QTimer.singleShot(0, self._build_pending)       # let the bar repaint first

    def _build_pending(self) -> None:
        if self._pending is None:                       # cancelled meanwhile
            return
        path, design = self._pending
        self._pending = None
        try:
            scene = Scene(design, render_window=self.viewport.GetRenderWindow())
            queries = DesignQueries(path)
        except Exception as exc:                        # the old scene stays
            self._end_progress()
            self.statusBar().showMessage(f"Could not open {Path(path).name}")
            self.report_error("Cannot open design", f"Could not show {path}\n\n{type(exc).__name__}: {exc}")
            return
        self._install(design, scene, queries)
        self._end_progress()
        self.add_recent(path)
        self.warnings_action.setEnabled(bool(scene.warnings))
        note = f"; {len(scene.warnings)} warnings (View → Load warnings)" if scene.warnings else ""
        self.statusBar().showMessage(f"Opened {Path(path).name}{note}", 8000)

    def _install(self, design: Design, scene: Scene, queries: DesignQueries) -> None:
        if self.queries is not None:
            self.queries.close()
        self.design, self.scene, self.queries = design, scene, queries
        self.selection = []
        self._kind_mask = self._search_mask = self._isolate_mask = self._hidden = None
        scene.update_lod(force=True)
        self.viewport.set_scene(scene)                 # renders once
        self.hierarchy.set_design(design, queries)
        self.properties.clear()
        self.overlays.set_design(design)
        self.field_data = None                         # a field belongs to the design it was loaded for
        self.overlays.field.set_field(None)
        self.findings.set_design(design, self.overlays.slider_time())
        self.review.set_design(design, scene)
        kinds = sorted(set(design.part_types.kind[np.unique(design.parts.type)].tolist()))
        self.visibility.set_content(kinds, [str(g) for g in design.generations.name.tolist()], scene.bounds)
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

    def recent_files(self) -> list[str]:
        value = self.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.settings.setValue("recent_files", files[:MAX_RECENT])
        self._update_recent_menu()

    def _update_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.triggered.connect(lambda _c=False, f=f: self.open_file(f))
        self.recent_menu.setEnabled(bool(files))

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

    # ------------------------------------------------------------------ selection
    def _on_picked(self, part: int) -> None:
        self.select_parts([part] if part >= 0 else [])

    def select_parts(self, parts: list[int], from_tree: bool = False) -> None:
        if self.scene is None:
            return
        self.selection = [int(p) for p in parts]
        self.scene.select(self.selection)
        if not from_tree:
            self.hierarchy.select_part(self.selection[0] if self.selection else -1)
        self._show_properties()
        self.viewport.refresh()

    def _show_properties(self) -> None:
        d = self.design
        if d is None or not self.selection or self.queries is None:
            self.properties.clear()
            self.selection_label.setText("")
            return
        first = self.selection[0]
        extra = f"{len(self.selection)} parts selected, showing the first" if len(self.selection) > 1 else ""
        result = getattr(self.findings, "result", None)
        more = [("Thermal", thermal_part_rows(d, result, first))] if result is not None else []
        more += [("Supply (rack)", rows)] if (rows := self.review.supply_rows(first)) else []
        self.properties.show_part(self.queries, int(d.parts.id[first]), at=self.overlays.current_time(), extra=extra,
                                  more=more)
        name = str(d.parts.name[first])
        self.selection_label.setText(f"selected: {name}" + (f" +{len(self.selection) - 1}" if extra else ""))

    def fly_to_selection(self) -> None:
        if self.scene is not None and self.selection:
            self.viewport.fly_to(self.scene.fly_to_pose(self.selection[0]))

    def _selection_mask(self) -> np.ndarray:
        mask = np.zeros(self.scene.n_parts, bool)
        mask[self.selection] = True
        return mask

    def hide_selection(self) -> None:
        if self.scene is None or not self.selection:
            return
        hidden = self._hidden if self._hidden is not None else np.zeros(self.scene.n_parts, bool)
        self._hidden = hidden | self._selection_mask()
        self.select_parts([])
        self._apply_visibility()

    def isolate_selection(self) -> None:
        if self.scene is None or not self.selection:
            return
        self._isolate_mask = self._selection_mask()
        self._apply_visibility()

    def clear_selection(self) -> None:
        if self.scene is None:
            return
        self._hidden = self._isolate_mask = None
        if self.hierarchy.search.text():
            self.hierarchy.search.clear()
            self.hierarchy.run_search()                   # emits the cleared filter
        self._search_mask = None
        self.select_parts([])
        self._apply_visibility()

    # ------------------------------------------------------------------ visibility
    def _apply_visibility(self) -> None:
        scene = self.scene
        if scene is None:
            return
        base = np.ones(scene.n_parts, bool) if self._kind_mask is None else self._kind_mask.copy()
        if self._hidden is not None:
            base &= ~self._hidden
        focus = None
        for mask in (self._search_mask, self._isolate_mask):
            if mask is not None:
                focus = mask.copy() if focus is None else focus & mask
        if focus is None:
            scene.set_visible(base)
        else:
            scene.isolate(base & focus)
        self.viewport.refresh()

    def _on_search_filter(self, mask) -> None:
        self._search_mask = mask
        self._apply_visibility()

    def _on_kind_filters(self, kinds: list[str], generations: list[str]) -> None:
        if self.scene is None:
            return
        if self.visibility.all_shown():
            self._kind_mask = None
        else:
            kind_mask = self.scene.parts_matching(kinds=kinds) if kinds else np.zeros(self.scene.n_parts, bool)
            gen_mask = self.scene.parts_matching(generations=generations + [""])
            self._kind_mask = kind_mask & gen_mask
        self._apply_visibility()

    def _on_xray(self, on: bool) -> None:
        if self.scene is not None:
            self.scene.set_xray(on)
            self.viewport.refresh()

    def _on_section(self, axis, position: float) -> None:
        if self.scene is not None:
            self.scene.set_section(axis, position, "-")
            self.viewport.refresh()

    # ------------------------------------------------------------------ overlays
    def _on_overlay(self, overlay) -> None:
        if self.scene is not None:
            self.scene.set_overlay(overlay)
            self.viewport.refresh()
        self._show_properties()

    def _on_overlay_range(self, vmin: float, vmax: float) -> None:
        if self.scene is not None:
            self.scene.set_overlay_range(vmin, vmax)
            self.viewport.refresh()

    def _on_time(self, ts: str) -> None:
        self.findings.recompute(ts or None)
        self._show_properties()

    # ------------------------------------------------------------------ findings
    def go_to_finding(self, finding: Finding) -> None:
        """Select and fly to what a finding is about: its part, else its rack's frame, else its location."""
        scene = self.scene
        if scene is None:
            return
        part = finding.part if 0 <= finding.part < scene.n_parts else -1
        if part < 0 and 0 <= finding.rack < len(scene.frame_of_rack):
            part = int(scene.frame_of_rack[finding.rack])
        if part >= 0:
            self.select_parts([part])
            self.fly_to_selection()
        elif finding.location is not None:
            self.select_parts([])
            self.viewport.fly_to(part_pose(np.array(finding.location), np.ones(3), 0.0, scene.aspect()))
        self.statusBar().showMessage(finding.to_text().strip(), 8000)

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
        if path:
            self.export_image(path)

    def export_image(self, path: str | Path) -> Path:
        """Write the current view as PNG, antialiased (one slow frame is fine for a still)."""
        window = self.viewport.GetRenderWindow()
        interactive = window.GetMultiSamples()
        window.SetMultiSamples(EXPORT_MULTISAMPLES)
        try:
            image = self.scene.screenshot()
        finally:
            window.SetMultiSamples(interactive)
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
