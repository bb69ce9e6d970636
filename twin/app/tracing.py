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
        path = subjects.power_path(result, trace) if result is not None else None
        with self.window.view.hold():
            self.window.view.highlight(parts=trace.parts, cables=trace.cables, path=path)
            self.window.select_parts([lead] if lead >= 0 else [])

    # ------------------------------------------------------------------ T: trace the selection
    def trace_selection(self) -> str | None:
        """T (and the 3D view's right-click menu): trace what is selected, drawn as a path with
        the rest dimmed and the camera framing it. A CDU: its loop and racks; gear of the power
        chain: its feed to the utility and all it feeds; a rack or a part: its power chain to
        the utility; a traced cable: its route end to end. Returns what was traced."""
        w = self.window
        if w.scene is None:
            return None
        if len(w.view.highlight_cables) and not len(w.view.highlight_parts):
            self.trace_cable(int(w.view.highlight_cables[0]))
            self.fly_to_cables(w.view.highlight_cables)
            return "cable"
        if not w.selection:
            w.statusBar().showMessage("select a part, rack, power gear or CDU to trace (T)", 6000)
            return None
        d, g, part = w.design, w.scene.geometry, int(w.selection[0])
        loop = int(d.parts.cooling_loop[part]) if "cooling_loop" in d.parts else -1
        if g.kind[part] == "cdu" and loop >= 0:
            parts = subjects.loop_parts(d, loop)
            with w.view.hold():
                w.view.highlight(parts=parts, path=subjects.loop_path(d, g.centre, loop))
            w.viewport.fly_to(w.scene.camera.frame_pose(parts))
            w.statusBar().showMessage(f"cooling loop of {d.parts.name[part]}: {len(parts) - 1} racks", 8000)
            return "loop"
        power = self.power_result()
        if power is None:
            w.statusBar().showMessage("no power chain to trace in this design", 6000)
            return None
        rack = int(d.parts.rack[part])
        node = int(power.piece[part])
        if rack < 0 and node >= 0:
            trace, start, what = power.trace(d, node=node), None, "node"
        elif rack >= 0 and part == int(g.frame_of_rack[rack]):
            top = np.r_[g.centre[part][:2], g.box_hi[part][2]]
            trace, start, what = power.trace(d, rack=rack), top, "rack"
        else:
            trace, start, what = power.trace(d, part=part), g.centre[part], "part"
        path = subjects.power_path(power, trace, start)
        with w.view.hold():
            w.view.highlight(parts=trace.parts, cables=trace.cables, path=path)
        w.viewport.fly_to(w.scene.camera.frame_pose(trace.parts, path.reshape(-1, 3)))
        names = [str(d.power_nodes.name[n]) for n in trace.upstream]
        w.statusBar().showMessage(f"power trace of {d.parts.name[part]}: " + " → ".join(names), 10000)
        return what

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
        path = subjects.polyline_segments(subjects.cable_route(self.window.design, cable))
        with self.window.view.hold():
            self.window.view.highlight(None, [cable], path=path)     # route drawn bold, both ends shown, the rest dimmed
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
