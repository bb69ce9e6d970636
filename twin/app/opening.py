"""Opening a design in the main window: the file dialog, background loading with a progress
bar and Cancel, building the scene on the UI thread, and the recent-files list.

A mixin of `MainWindow` (it uses the window's loader, progress bar, status bar and settings),
kept apart so the window module holds the layout and the wiring only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog

from twin.model import Design
from twin.scene import Scene
from twin.session import ReviewSession
from twin.store.queries import DesignQueries

MAX_RECENT = 8
READ_SHARE_PERCENT = 80           # of the loading bar: reading the file; the rest is building the scene
FILE_FILTER = "twin designs (*.twin.db *.db);;All files (*)"


class DesignOpening:
    """Open, load, cancel and remember designs (mixed into `MainWindow`)."""

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

    def _on_load_progress(self, stage: str, done: float) -> None:
        """Reading the file is the first 80 % of the bar; building the scene the rest."""
        self.progress.setRange(0, 100)
        self.progress.setValue(int(round(done * READ_SHARE_PERCENT)))
        self.progress.setFormat(f"{stage} %p%")

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
        self.progress.setRange(0, 100)
        self.progress.setValue(READ_SHARE_PERCENT)
        self.progress.setFormat("building the scene %p%")
        self.statusBar().showMessage(f"Building the scene of {Path(path).name}…")
        QTimer.singleShot(0, self._build_pending)       # let the bar repaint first

    def _build_pending(self) -> None:
        if self._pending is None:                       # cancelled meanwhile
            return
        path, design = self._pending
        self._pending = None
        try:
            session = self.loader.session_for(design) or ReviewSession(design)
            scene = Scene(design, render_window=self.viewport.GetRenderWindow(), state=session.view)
            queries = DesignQueries(path)
        except Exception as exc:                        # the old scene stays
            self._end_progress()
            self.statusBar().showMessage(f"Could not open {Path(path).name}")
            self.report_error("Cannot open design", f"Could not show {path}\n\n{type(exc).__name__}: {exc}")
            return
        scene.warnings.extend(session.reading_warnings())
        self._install(design, scene, queries, session)
        self._end_progress()
        self.add_recent(path)
        self.warnings_action.setEnabled(bool(scene.warnings))
        note = f"; {len(scene.warnings)} warnings (View → Load warnings)" if scene.warnings else ""
        self.statusBar().showMessage(f"Opened {Path(path).name}{note}", 8000)

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
