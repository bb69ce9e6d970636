"""The view state as plain data (no VTK): how filters, focus, selection and highlight compose."""

from __future__ import annotations

import numpy as np
import pytest

from twin.store import load_design
from twin.viewstate import Section, ViewState


@pytest.fixture(scope="module")
def pod(pod_db):
    return load_design(pod_db)


def test_filters_and_focus_compose_and_focus_brings_the_rack_frame(pod):
    state = ViewState(pod)
    kinds = pod.part_kind()
    assert state.visible.all()
    trays = kinds == "compute_tray"
    state.set_filter("kinds", ~trays)
    assert not state.visible[trays].any() and state.visible[~trays].all()
    a03 = pod.rack_index("A03")
    in_a03 = pod.parts.rack == a03
    state.set_focus("isolate", in_a03 & (kinds == "power_shelf"))
    frame = int(np.flatnonzero(in_a03 & (kinds == "rack"))[0])
    assert state.visible[frame]                                  # the frame comes along for context
    assert state.visible.sum() == (in_a03 & (kinds == "power_shelf")).sum() + 1
    assert a03 in state.forced_racks()
    state.set_focus("isolate", None)
    state.hide([frame])
    state.hide([frame + 1])
    assert not state.visible[frame] and not state.visible[frame + 1]
    state.show_all()
    assert state.visible.all()
    with pytest.raises(ValueError, match="one value per part"):
        state.set_filter("kinds", np.ones(3, bool))


def test_highlighted_cables_keep_both_ends_shown(pod):
    state = ViewState(pod)
    a, b = pod.cables.a_part, pod.cables.b_part
    cable = int(np.flatnonzero((a >= 0) & (b >= 0) & (pod.parts.rack[a] != pod.parts.rack[b]))[0])
    state.set_filter("nothing", np.zeros(len(pod.parts), bool))
    state.highlight(cables=[cable])
    assert state.highlighting
    assert set(np.flatnonzero(state.visible)) == {int(a[cable]), int(b[cable])}
    assert state.highlighted_mask()[[a[cable], b[cable]]].all()
    assert {int(pod.parts.rack[a[cable]]), int(pod.parts.rack[b[cable]])} <= set(state.forced_racks().tolist())
    state.highlight(parts=[-5, 10**9, 3])                        # out-of-range ids are dropped
    assert state.highlight_parts.tolist() == [3] and not len(state.highlight_cables)
    state.clear_highlight()
    assert not state.highlighting and not state.visible.any()


def test_section_keeps_one_side():
    section = Section("x", 2.0, "-")
    assert section.keeps(np.array([[1.0, 0, 0], [3.0, 0, 0]])).tolist() == [True, False]
    assert Section("z", 1.0, "+").keeps(np.array([[0, 0, 1.5]])).tolist() == [True]
    with pytest.raises(ValueError):
        Section("w", 1.0)


def test_every_edit_sends_one_event_naming_what_changed(pod):
    state = ViewState(pod)
    seen: list[frozenset] = []
    state.changed.connect(seen.append)
    kinds = pod.part_kind()
    state.set_filter("kinds", kinds == "rack")
    state.select([3, 1, 3, -5, len(pod.parts)])          # order kept, repeats and invalid indices dropped
    state.highlight([2], None)
    state.set_section("z", 1.0)
    state.xray = True
    assert seen == [frozenset({a}) for a in ("visible", "selected", "highlight", "section", "xray")]
    assert state.selection == [3, 1]
    seen.clear()
    with state.hold():                                  # a trace: highlight and selection, one event
        state.highlight(None, [0])
        state.select([4])
        assert seen == []
    assert seen == [frozenset({"highlight", "selected"})]


def test_overlay_range_and_moment_live_in_the_state(pod):
    from twin.analysis.overlays import Overlay

    state = ViewState(pod)
    seen: list[frozenset] = []
    state.changed.connect(seen.append)
    values = np.arange(len(pod.parts), dtype=float)
    first = Overlay("t", "T", "°C", values, 0.0, 10.0, "thermal")
    state.set_overlay(first)
    state.set_overlay_range(2.0, 5.0)
    state.set_overlay_range(5.0, 5.0)                   # an empty range is refused: no event
    assert (state.overlay.vmin, state.overlay.vmax) == (2.0, 5.0) and (first.vmin, first.vmax) == (0.0, 10.0)
    later = Overlay("t", "T", "°C", values + 1, 0.0, 12.0, "thermal")
    with state.hold():
        state.set_moment("2026-01-01T00:00:00Z")
        state.set_overlay(later, keep_range=True)      # the same overlay at a new moment keeps the range
    assert (state.overlay.vmin, state.overlay.vmax) == (2.0, 5.0) and state.overlay.values[0] == 1.0
    assert seen == [frozenset({"overlay"}), frozenset({"range"}), frozenset({"moment", "overlay"})]
    assert state.overlay_name == "t" and state.moment == "2026-01-01T00:00:00Z"


def test_a_snapshot_is_independent_and_sends_nothing(pod):
    state = ViewState(pod)
    seen: list[frozenset] = []
    state.changed.connect(seen.append)
    state.select([5])
    copy = state.snapshot()
    copy.select([6])
    copy.set_filter("kinds", np.zeros(len(pod.parts), bool))
    assert state.selection == [5] and state.visible.all() and len(seen) == 1
    state.hide([7])
    assert copy.selection == [6] and "hidden" not in copy.filters
