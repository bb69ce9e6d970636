"""A viewpoint keeps the what-if scenario it was saved under, whole, and restores it into the view
state and the session; a stored scenario that names what the design no longer has is left out
with a warning, never applied half. Real design file (ai-hall), real session, no Qt."""

from __future__ import annotations

import json

from twin.model.scenario import Change, Scenario
from twin.session import ReviewSession
from twin.store import load_design
from twin.viewpoint import restore, state_of
from twin.viewstate import ViewState


def _first_ups(design) -> str:
    kinds = [str(k) for k in design.power_nodes.kind]
    return str(design.power_nodes.name[kinds.index("ups")])


def test_a_viewpoint_restores_its_scenario_whole(hall_db):
    design = load_design(hall_db)
    ups = _first_ups(design)
    saved_view, saved_session = ViewState(design), ReviewSession(design)
    scenario = Scenario("N-1 " + ups, (Change("fail", ups), Change("scale", "B04", "1.2")))
    saved_session.set_scenario(scenario)
    saved_view.set_scenario(scenario)
    data = json.loads(json.dumps(state_of(saved_view, design)))     # as stored: plain JSON

    view, session = ViewState(design), ReviewSession(design)
    events = []
    view.changed.connect(lambda aspects: events.append(aspects))
    restored = restore(view, data, session)
    assert restored.warnings == []
    assert view.scenario == scenario and session.scenario == scenario
    assert len(events) == 1 and "scenario" in events[0]


def test_a_scenario_naming_a_missing_element_is_left_out_with_a_warning(hall_db):
    design = load_design(hall_db)
    view, session = ViewState(design), ReviewSession(design)
    data = state_of(view, design)
    data["scenario"] = {"name": "gone", "changes": [{"kind": "fail", "target": "NO-SUCH-UPS", "value": ""}]}
    restored = restore(view, data, session)
    assert view.scenario is None and session.scenario is None
    assert any("gone" in w and "NO-SUCH-UPS" in w for w in restored.warnings), restored.warnings
    data["scenario"] = "N-1"                                         # not a scenario at all
    restored = restore(view, data, session)
    assert view.scenario is None and any(w.startswith("scenario") for w in restored.warnings)
