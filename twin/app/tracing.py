"""Following a lead through the design in the main window: a power trace from the Power panel,
a cable traced from the Cables panel, the 3D view or Properties, and a finding's subject.

A part of `MainWindow` (`window.tracing`), with one job: turn a trace, a cable or a finding into
an edit of the view state (highlight and selection, in one event) and a camera flight.
"""

from __future__ import annotations

import numpy as np

from twin.analysis.findings import Finding
from twin.scene import subjects


class Tracing:
    """Power traces, cable traces and findings of `window`, shown in 3D."""

    def __init__(self, window):
        self.window = window

    def show_trace(self, trace) -> None:
        """Light up a power trace (from the Power panel) in 3D, the rest dimmed, and select the
        traced node's own part so Properties shows it."""
        if self.window.scene is None:
            return
        result = self.window.power.result
        lead = int(result.nodes.part_shown[trace.upstream[0]]) if result is not None and len(trace.upstream) else -1
        with self.window.view.hold():
            self.window.view.highlight(parts=trace.parts, cables=trace.cables)
            self.window.select_parts([lead] if lead >= 0 else [])

    def power_result(self):
        """The power analysis's detail at the current moment, or None where it is not available."""
        session = self.window.session
        if session is None or session.available().get("power") is not None:
            return None
        try:
            return session.result("power").detail
        except Exception:                       # a failing analysis must not stop a fly-to
            return None

    def go_to_finding(self, finding: Finding) -> None:
        """Select and fly to what a finding is about: a cable end to end, a loop's racks and CDU,
        a power group's members, its part, its rack, else its location; all of it in view."""
        scene = self.window.scene
        if scene is None:
            return
        parts, points = subjects.finding_subject(self.window.design, finding, self.power_result())
        lead = finding.part if 0 <= finding.part < scene.geometry.n_parts else (int(parts[0]) if len(parts) else -1)
        self.window.select_parts([lead] if lead >= 0 else [])
        if len(parts) or len(points):
            self.window.viewport.fly_to(scene.camera.frame_pose(parts, points))
        if finding.loop >= 0:                              # a loop's finding plots the loop's sensors
            self.window.history.show_loop(finding.loop)
        self.window.statusBar().showMessage(finding.to_text().strip(), 8000)

    def trace_cable(self, cable: int) -> None:
        """Highlight a cable's route end to end and select both its ends."""
        if self.window.scene is None or cable < 0:
            return
        c = self.window.design.cables
        ends = [int(p) for p in (c.a_part[cable], c.b_part[cable]) if p >= 0]
        with self.window.view.hold():
            self.window.view.highlight(None, [cable])           # route drawn bold, both ends shown, the rest dimmed
            self.window.view.select(ends)
        name = str(self.window.design.cable_text().name[cable])
        self.window.statusBar().showMessage(f"traced cable {name}", 8000)

    def fly_to_cable(self, cable: int) -> None:
        """Frame a cable whole: both its ends and its route."""
        self.fly_to_cables([cable])

    def fly_to_cables(self, cables) -> None:
        d, scene = self.window.design, self.window.scene
        cables = [int(c) for c in cables if 0 <= int(c) < len(d.cables)] if scene is not None else []
        if not cables:
            return
        parts = np.concatenate([subjects.cable_parts(d, c) for c in cables])
        points = np.concatenate([subjects.cable_route(d, c) for c in cables])
        self.window.viewport.fly_to(scene.camera.frame_pose(parts, points))

    def on_cable_picked(self, cable: int) -> None:
        self.trace_cable(cable)
        self.window.cables.select_cable(cable)

    def on_cable_named(self, name: str) -> None:
        if self.window.design is None:
            return
        hits = np.flatnonzero(self.window.design.cable_text().name == name)
        if len(hits):
            self.on_cable_picked(int(hits[0]))
