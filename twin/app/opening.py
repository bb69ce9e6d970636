"""Opening a design in the main window: the file dialog, background loading with a progress
bar and Cancel, building the scene on the UI thread, and the recent-files list.

A part of `MainWindow` (`window.opening`), with one job: getting a design from a file into the
window. It uses the window's loader, progress bar, status bar and settings, and hands the
built scene, queries and session to `MainWindow.install`. Once the first frame is drawn its
`CableReader` reads the design's cables in the background; the Findings panel lists the
checks that wait for them as loading, and refreshes when they arrive.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from twin.app.loader import CableReader
from twin.model import Design
from twin.scene import Scene
from twin.session import ReviewSession
from twin.store.queries import DesignQueries

MAX_RECENT = 8
READ_SHARE_PERCENT = 80           # of the loading bar: reading the file; the rest is building the scene
FILE_FILTER = "twin designs (*.twin.db *.db);;All files (*)"


class DesignOpener:
    """Open, load, cancel and remember designs for `window`."""

    def __init__(self, window):
        self.window = window
        self._pending: tuple[str, Design] | None = None      # loaded, its scene not built yet
        self._warned = 0                                     # design warnings before its cables were read
        self.cable_reader = CableReader(window)
        self.cable_reader.ready.connect(self.on_cables_read)
        self.cable_reader.failed.connect(self.on_cables_failed)

    def open_dialog(self) -> None:
        start = str(Path(self.recent_files()[0]).parent) if self.recent_files() else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open design", start, FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> None:
        """Start loading `path` in the background; the current design stays until it arrives."""
        self._pending = None
        self.window.loader.start(str(path))
        self.window.progress.setRange(0, 0)                     # busy: load_design reports no progress
        self.window.progress.setFormat("reading file")
        self.window.progress.setVisible(True)
        self.window.cancel_button.setVisible(True)
        self.window.statusBar().showMessage(f"Loading {Path(path).name}…")

    @property
    def loading(self) -> bool:
        """True until the design is wholly in: read, its scene built, and its cables read."""
        return self.window.loader.busy or self._pending is not None or self.cable_reader.busy

    def cancel_load(self) -> None:
        if self._pending is not None:
            path = self._pending[0]
            self._pending = None
            self.on_cancelled(path)
        self.window.loader.cancel()

    def on_stage(self, stage: str) -> None:
        self.window.progress.setFormat(stage)

    def on_load_progress(self, stage: str, done: float) -> None:
        """Reading the file is the first 80 % of the bar; building the scene the rest."""
        self.window.progress.setRange(0, 100)
        self.window.progress.setValue(int(round(done * READ_SHARE_PERCENT)))
        self.window.progress.setFormat(f"{stage} %p%")

    def on_cancelled(self, path: str) -> None:
        self._end_progress()
        self.window.statusBar().showMessage(f"Loading {Path(path).name} cancelled")

    def _end_progress(self) -> None:
        self.window.progress.setVisible(False)
        self.window.cancel_button.setVisible(False)

    def on_failed(self, path: str, message: str) -> None:
        self._end_progress()
        self.window.statusBar().showMessage(f"Could not open {Path(path).name}")
        self.window.report_error("Cannot open design", f"Could not open {path}\n\n{message}")

    def on_loaded(self, design: Design) -> None:
        path = str(design.source)
        self._pending = (path, design)
        self.window.progress.setRange(0, 100)
        self.window.progress.setValue(READ_SHARE_PERCENT)
        self.window.progress.setFormat("building the scene %p%")
        self.window.statusBar().showMessage(f"Building the scene of {Path(path).name}…")
        QTimer.singleShot(0, self._build_pending)       # let the bar repaint first

    def _build_pending(self) -> None:
        if self._pending is None:                       # cancelled meanwhile
            return
        path, design = self._pending
        self._pending = None
        try:
            session = self.window.loader.session_for(design) or ReviewSession(design)
            scene = Scene(design, render_window=self.window.viewport.GetRenderWindow(), state=session.view)
            queries = DesignQueries(path)
        except Exception as exc:                        # the old scene stays
            self._end_progress()
            self.window.statusBar().showMessage(f"Could not open {Path(path).name}")
            self.window.report_error("Cannot open design", f"Could not show {path}\n\n{type(exc).__name__}: {exc}")
            return
        scene.warnings.extend(session.reading_warnings())
        self.window.install(design, scene, queries, session)
        self._end_progress()
        self.add_recent(path)
        self.window.warnings_action.setEnabled(bool(scene.warnings))
        note = f"; {len(scene.warnings)} warnings (View → Load warnings)" if scene.warnings else ""
        self.window.statusBar().showMessage(f"Opened {Path(path).name}{note}", 8000)
        self._warned = len(design.warnings)
        self.cable_reader.expect()
        QTimer.singleShot(0, lambda: self.cable_reader.read(design, session))     # after the first frame is shown

    def on_cables_read(self, design: Design, results: dict) -> None:
        """The cables arrived with the checks that waited for them, run in the worker: the window's
        session keeps those results (where its settings are still theirs) and the panels refresh."""
        if design is not self.window.design:
            return
        for name, (settings, result) in results.items():
            self.window.session.adopt(name, result, settings)
        self.window.findings.refresh()
        self.window.overlays.cables_read()
        self.window.cables.cables_read(design)
        self.window.review.compare.cables_read(design)
        if len(design.warnings) > self._warned:         # cable rows the file could not use
            self.window.warnings_action.setEnabled(True)

    def on_cables_failed(self, design: Design, message: str) -> None:
        """The cables could not be read: say so (naming file and table); the rest stays open."""
        if design is not self.window.design:
            return
        self.window.findings.refresh()              # the checks that need cables report the error there
        self.window.review.compare.cables_failed(design)
        self.window.overlays.cables_read(ok=False)
        self.window.statusBar().showMessage(f"Could not read the cables of {Path(design.source).name}")
        self.window.report_error("Cannot read cables", message)

    def recent_files(self) -> list[str]:
        value = self.window.settings.value("recent_files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files() if f != path]
        self.window.settings.setValue("recent_files", files[:MAX_RECENT])
        self.update_recent_menu()

    def update_recent_menu(self) -> None:
        self.window.recent_menu.clear()
        files = self.recent_files()
        for f in files:
            action = self.window.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.triggered.connect(lambda _c=False, f=f: self.open_file(f))
        self.window.recent_menu.setEnabled(bool(files))
