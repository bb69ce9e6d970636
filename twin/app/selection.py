"""What the reviewer picks and what is shown: selection, Properties, fly-to, hide, isolate,
one-step Esc, Show all, and the filters of the search and the Visibility dock.

A part of `MainWindow` (`window.selecting`): these edit the session's view state; the scene
follows it by itself, and `on_view_changed` keeps the panels in step (the tree, Properties,
History, Findings and Power at a new moment).
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)


class SelectionActions:
    """Selection and visibility actions of `window`."""

    def __init__(self, window):
        self.window = window
        self._from_tree = False                        # the selection being made came from the tree

    def on_picked(self, part: int) -> None:
        self.select_parts([part] if part >= 0 else [])

    def select_parts(self, parts: list[int], from_tree: bool = False) -> None:
        if self.window.scene is None:
            return
        view = self.window.view
        self._from_tree = from_tree
        try:
            with view.hold():
                if len(view.highlight_cables):              # a new selection ends a cable trace
                    view.highlight(view.highlight_parts, None)
                view.select(parts)
        finally:
            self._from_tree = False

    def on_view_changed(self, aspects: frozenset) -> None:
        """The view state changed (the scene has redrawn already): bring the panels in step.
        Properties is filled once per change, whatever mix of selection, moment and overlay."""
        w = self.window
        if "selected" in aspects:
            if not self._from_tree:
                w.hierarchy.select_part(w.selection[0] if w.selection else -1)
            w.history.show_parts(w.selection)
        if aspects - {"camera"}:            # a camera move is drawn by whoever moves it (orbit, fly-to)
            w.viewport.refresh()            # first: a time-slider step shows its colours before the panels catch up
        if aspects & {"moment", "basis"}:
            w.findings.refresh()
            w.refresh_power()
        if aspects & {"selected", "moment", "basis", "overlay"}:
            self.show_properties()

    def show_properties(self) -> None:
        """Properties of the selection's first part: the file's fields, then the analyses' rows."""
        w = self.window
        d, selection = w.design, w.selection
        if d is None or not selection or w.queries is None:
            w.properties.clear()
            w.selection_label.setText("")
            return
        first = selection[0]
        extra = f"{len(selection)} parts selected, showing the first" if len(selection) > 1 else ""
        try:
            more = w.session.part_rows(first)
        except Exception:                 # an analysis failing on an odd file must not hide the file's fields
            log.warning("the analyses could not describe part row %d; Properties shows the file's fields only", first,
                        exc_info=True)
            more = []
        w.properties.show_part(w.queries, int(d.parts.id[first]), at=w.overlays.current_time(), extra=extra, more=more)
        name = str(d.parts.name[first])
        w.selection_label.setText(f"selected: {name}" + (f" +{len(selection) - 1}" if extra else ""))

    def fly_to_selection(self) -> None:
        """F: frame what is selected; a traced cable whole (both ends and its route), several
        parts all together."""
        w = self.window
        if w.scene is None:
            return
        if len(w.view.highlight_cables):
            w.tracing.fly_to_cables(w.view.highlight_cables)
        elif len(w.selection) == 1:
            w.viewport.fly_to(w.scene.camera.fly_to_pose(w.selection[0]))
        elif w.selection:
            w.viewport.fly_to(w.scene.camera.frame_pose(w.selection))

    def hide_selection(self) -> None:
        if self.window.scene is None or not self.window.selection:
            return
        with self.window.view.hold():
            self.window.view.hide(self.window.selection)
            self.select_parts([])

    def isolate_selection(self) -> None:
        if self.window.scene is None or not self.window.selection:
            return
        mask = np.zeros(self.window.scene.geometry.n_parts, bool)
        mask[self.window.selection] = True
        self.window.view.set_focus("isolate", mask)

    def escape(self) -> str | None:
        """Esc: undo one thing at a time, as CAD viewers do: a trace first, then the selection,
        then the search, then the isolation (and hidden parts). Returns what it cleared."""
        if self.window.scene is None:
            return None
        if self.window.view.highlighting:               # a trace first: its path and the dimming go
            self.window.view.clear_highlight()
            return "trace"
        if self.window.selection:
            self.select_parts([])
            return "selection"
        if self.window.hierarchy.search.text():
            self._clear_search()
            return "search"
        if "isolate" in self.window.view.focus or "hidden" in self.window.view.filters:
            with self.window.view.hold():
                self.window.view.set_focus("isolate", None)
                self.window.view.set_filter("hidden", None)
            return "isolation"
        return None

    def _clear_search(self) -> None:
        self.window.hierarchy.search.clear()
        self.window.hierarchy.run_search()                   # emits the cleared filter
        self.window.view.set_focus("search", None)
        if self.window.selection:                            # the rebuilt tree shows the selection again
            self.window.hierarchy.select_part(self.window.selection[0])

    def show_all(self) -> None:
        """Every part again: no isolation, nothing hidden, no search (the selection stays)."""
        if self.window.scene is None:
            return
        with self.window.view.hold():
            self.window.view.set_filter("hidden", None)
            self.window.view.set_focus("isolate", None)
            if self.window.hierarchy.search.text():
                self._clear_search()
            self.window.view.set_focus("search", None)

    def clear_selection(self) -> None:
        """Clear the selection and show everything (all of Esc's steps at once)."""
        if self.window.scene is None:
            return
        with self.window.view.hold():
            self.show_all()
            self.select_parts([])

    # ------------------------------------------------------------------ visibility
    def on_search_filter(self, mask) -> None:
        if self.window.view is not None:
            self.window.view.set_focus("search", mask)
