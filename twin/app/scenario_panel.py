"""The Scenario dock and "What if this fails?": look at the design under a what-if scenario.

The dock lists the scenarios stored in the design file (`twin scenario add`, or made here
from a right-click) and activates or clears one. The active scenario lives in the view state
(`ViewState.scenario`, aspect "scenario"): the dock and the right-click only edit it, and
`ScenarioTools` follows it: the session runs every analysis under it, the Findings dock lists
the scenario's findings (the what-if analysis's among them), and the scene colours what the
scenario affects (failed, lost power, isolated, overheating: the "whatif" overlay) with the
rest dimmed (a highlight of the affected parts). Clearing it puts the design back as it is.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QDockWidget, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton,
                               QVBoxLayout, QWidget)

from twin.errors import TwinError
from twin.model.scenario import Scenario, failure
from twin.store.scenarios import ScenarioStore

log = logging.getLogger(__name__)
SCENARIO_ROLE = Qt.ItemDataRole.UserRole


class ScenarioPanel(QWidget):
    """A list of scenarios, Activate / Clear, and a line saying what is active."""

    activateRequested = Signal(object)         # a Scenario, or None to clear

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.itemDoubleClicked.connect(lambda item: self.activateRequested.emit(item.data(SCENARIO_ROLE)))
        self.activate_button = QPushButton("Activate")
        self.activate_button.clicked.connect(self._activate_current)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(lambda: self.activateRequested.emit(None))
        self.status = QLabel("No scenario: the design as it is.")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.activate_button)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.scenarios: list[Scenario] = []

    def set_scenarios(self, scenarios: list[Scenario], active: Scenario | None) -> None:
        """List `scenarios` (and `active`, when it is not stored: a right-click's), marking the active one."""
        self.scenarios = list(scenarios)
        if active is not None and all(s.key() != active.key() for s in self.scenarios):
            self.scenarios.append(active)
        self.list.clear()
        for s in self.scenarios:
            item = QListWidgetItem(("● " if active is not None and s.key() == active.key() else "") + s.name)
            item.setToolTip("; ".join(c.text() for c in s.changes))
            item.setData(SCENARIO_ROLE, s)
            self.list.addItem(item)

    def show_status(self, text: str) -> None:
        self.status.setText(text)

    def _activate_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.activateRequested.emit(item.data(SCENARIO_ROLE))


class ScenarioTools:
    """The Scenario dock's owner: follows the view state's scenario (see the module doc)."""

    def __init__(self, window: Any):
        self.window = window
        self.panel = ScenarioPanel()
        self.dock = QDockWidget("Scenario", window)
        self.dock.setObjectName("dockScenario")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.overlay_dock, self.dock)
        window.overlay_dock.raise_()
        self.panel.activateRequested.connect(self.activate)
        self._view: Any = None

    # ------------------------------------------------------------------ design
    def set_session(self, session: Any) -> None:
        """A design was opened: list its scenarios and follow its view state."""
        if self._view is not None:
            self._view.changed.disconnect(self._on_view)
        self._view = session.view
        self._view.changed.connect(self._on_view)
        self.reload()

    def stored(self) -> list[Scenario]:
        design = self.window.design
        if design is None:
            return []
        try:
            with ScenarioStore(design.source) as store:
                return store.scenarios()
        except TwinError as exc:
            log.warning("cannot read the scenarios of %s: %s", design.source, exc)
            return []

    def reload(self) -> None:
        self.panel.set_scenarios(self.stored(), self._view.scenario if self._view is not None else None)

    # ------------------------------------------------------------------ editing the view state
    def activate(self, scenario: Scenario | None) -> None:
        """Make `scenario` the one shown (None: the design as it is): an edit of the view state."""
        view = self._view
        if view is None:
            return
        view.set_scenario(scenario)                     # the session runs under it (`show`)
        session = self.window.session
        if session is None or session.scenario != scenario:
            return                                      # refused: `show` said why
        with view.hold():                               # what a user asking "what if" wants to see
            if scenario is None:
                if view.overlay_name == "whatif":
                    view.set_overlay(None)
                view.clear_highlight()
            else:
                view.set_overlay(session.overlay("whatif"))
                view.highlight(parts=_affected(session.result("whatif")))

    def element_of(self, part: int) -> str:
        """What a right-click on `part` fails: the power node it is (a UPS, a switchboard) or is
        a piece of (a busway through its tap), else the part itself (a CDU, a CRAH, a switch)."""
        design = self.window.design
        own = np.asarray(design.power_nodes.part, np.int64)
        hit = np.flatnonzero(own == part)
        if len(hit):
            return str(design.power_nodes.name[int(hit[0])])
        session = self.window.session
        if session is not None and session.available().get("power") is None:
            piece = session.result("power", scenario=None).detail.piece
            if piece[part] >= 0 and design.power_nodes.kind[piece[part]] == "busway":
                return str(design.power_nodes.name[int(piece[part])])
        return str(design.parts.name[part])

    def add_context_actions(self, menu: QMenu, part: int) -> None:
        """The right-click menu's "What if this fails?" for `part`."""
        name = self.element_of(part)
        menu.addAction(f"What if {name} fails?").triggered.connect(lambda: self.activate(failure(name)))
        if self._view is not None and self._view.scenario is not None:
            menu.addAction("Clear the scenario").triggered.connect(lambda: self.activate(None))

    # ------------------------------------------------------------------ following it
    def _on_view(self, aspects: frozenset) -> None:
        if "scenario" in aspects:
            self.show(self._view.scenario)

    def show(self, scenario: Scenario | None) -> None:
        """Run the analyses under `scenario` and show what it affects (see the module doc)."""
        w, view = self.window, self._view
        session = w.session
        try:
            session.set_scenario(scenario)
        except TwinError as exc:
            w.report_error("Cannot apply the scenario", str(exc))
            view.scenario = session.scenario            # the one in force stays (no second event)
            return
        w.findings.set_session(session)
        w.refresh_power()
        if scenario is None:
            self.panel.show_status("No scenario: the design as it is.")
        else:
            lost = [f for f in session.result("whatif").findings if f.severity == "critical"]
            self.panel.show_status(f"{scenario.name}: {len(lost)} critical consequence"
                                   f"{'s' if len(lost) != 1 else ''} of its own; every check runs under it.")
        self.reload()
        w.findings_dock.raise_()


def _affected(result: Any) -> np.ndarray:
    from twin.analysis.scenario_findings import affected_parts

    return affected_parts(result)
