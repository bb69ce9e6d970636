"""What the reviewer picks and what is shown: selection, Properties, fly-to, hide, isolate,
one-step Esc, Show all, and the filters of the search and the Visibility dock.

A mixin of the main window: these edit the session's view state; the scene follows it by
itself, and `_on_view_changed` keeps the panels in step (the tree, Properties, History).
"""

from __future__ import annotations

import numpy as np

from twin.viewstate import ViewState


class SelectionActions:
    """Selection and visibility actions of `MainWindow`."""

    def _on_picked(self, part: int) -> None:
        self.select_parts([part] if part >= 0 else [])

    @property
    def view(self) -> ViewState | None:
        """What is shown (visible, selected, x-ray, section, highlight): the session's view state."""
        return self.session.view if self.session is not None else None

    @property
    def selection(self) -> list[int]:
        """The selected parts (the view state's; the first is the one Properties shows)."""
        return self.view.selection if self.view is not None else []

    def select_parts(self, parts: list[int], from_tree: bool = False) -> None:
        if self.scene is None:
            return
        self._from_tree = from_tree
        try:
            with self.view.hold():
                if len(self.view.highlight_cables):              # a new selection ends a cable trace
                    self.view.highlight(self.view.highlight_parts, None)
                self.view.select(parts)
        finally:
            self._from_tree = False

    def _on_view_changed(self, aspects: frozenset) -> None:
        """The view state changed (the scene has redrawn already): bring the panels in step.
        Properties is filled once per change, whatever mix of selection, moment and overlay."""
        if "selected" in aspects:
            if not self._from_tree:
                self.hierarchy.select_part(self.selection[0] if self.selection else -1)
            self.history.show_parts(self.selection)
        if "moment" in aspects:
            self.findings.refresh()
            self._refresh_power()
        if aspects & {"selected", "moment", "overlay"}:
            self._show_properties()
        if aspects - {"camera"}:            # a camera move is drawn by whoever moves it (orbit, fly-to)
            self.viewport.refresh()

    def _show_properties(self) -> None:
        d = self.design
        if d is None or not self.selection or self.queries is None:
            self.properties.clear()
            self.selection_label.setText("")
            return
        first = self.selection[0]
        extra = f"{len(self.selection)} parts selected, showing the first" if len(self.selection) > 1 else ""
        try:
            more = self.session.part_rows(first)
        except Exception:                 # an analysis failing on an odd file must not hide the file's fields
            more = []
        self.properties.show_part(self.queries, int(d.parts.id[first]), at=self.overlays.current_time(), extra=extra,
                                  more=more)
        name = str(d.parts.name[first])
        self.selection_label.setText(f"selected: {name}" + (f" +{len(self.selection) - 1}" if extra else ""))

    def fly_to_selection(self) -> None:
        if self.scene is not None and self.selection:
            self.viewport.fly_to(self.scene.camera.fly_to_pose(self.selection[0]))

    def hide_selection(self) -> None:
        if self.scene is None or not self.selection:
            return
        with self.view.hold():
            self.view.hide(self.selection)
            self.select_parts([])

    def isolate_selection(self) -> None:
        if self.scene is None or not self.selection:
            return
        mask = np.zeros(self.scene.geometry.n_parts, bool)
        mask[self.selection] = True
        self.view.set_focus("isolate", mask)

    def escape(self) -> str | None:
        """Esc: undo one thing at a time, as CAD viewers do: the selection first, then the
        search, then the isolation (and hidden parts). Returns what it cleared."""
        if self.scene is None:
            return None
        if self.selection:
            self.select_parts([])
            return "selection"
        if self.hierarchy.search.text():
            self._clear_search()
            return "search"
        if "isolate" in self.view.focus or "hidden" in self.view.filters:
            with self.view.hold():
                self.view.set_focus("isolate", None)
                self.view.set_filter("hidden", None)
            return "isolation"
        return None

    def _clear_search(self) -> None:
        self.hierarchy.search.clear()
        self.hierarchy.run_search()                   # emits the cleared filter
        self.view.set_focus("search", None)
        if self.selection:                            # the rebuilt tree shows the selection again
            self.hierarchy.select_part(self.selection[0])

    def show_all(self) -> None:
        """Every part again: no isolation, nothing hidden, no search (the selection stays)."""
        if self.scene is None:
            return
        with self.view.hold():
            self.view.set_filter("hidden", None)
            self.view.set_focus("isolate", None)
            if self.hierarchy.search.text():
                self._clear_search()
            self.view.set_focus("search", None)

    def clear_selection(self) -> None:
        """Clear the selection and show everything (all of Esc's steps at once)."""
        if self.scene is None:
            return
        with self.view.hold():
            self.show_all()
            self.select_parts([])

    # ------------------------------------------------------------------ visibility
    def _on_search_filter(self, mask) -> None:
        if self.view is not None:
            self.view.set_focus("search", mask)

    def _on_kind_filters(self, kinds: list[str], generations: list[str]) -> None:
        if self.scene is None:
            return
        if self.visibility.all_shown():
            self.view.set_filter("kinds", None)
        else:
            kind_mask = self.scene.geometry.parts_matching(kinds=kinds) if kinds else np.zeros(self.scene.geometry.n_parts, bool)
            gen_mask = self.scene.geometry.parts_matching(generations=generations + [""])
            self.view.set_filter("kinds", kind_mask & gen_mask)

    def _on_xray(self, on: bool) -> None:
        if self.scene is not None:
            self.view.xray = bool(on)

    def _on_section(self, axis, position: float) -> None:
        if self.scene is not None:
            self.view.set_section(axis, position, "-")
