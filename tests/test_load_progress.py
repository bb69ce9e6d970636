"""Loading reports its stages and how far along it is (what the window's bar shows)."""

from __future__ import annotations

from twin.store import load_design


def test_load_design_reports_stages_with_rising_fractions(hall_db):
    heard: list[tuple[str, float]] = []
    design = load_design(hall_db, progress=lambda stage, done: heard.append((stage, done)))
    stages = [s for s, _ in heard]
    fractions = [f for _, f in heard]
    assert {"reading racks", "reading parts", "reading cables"} <= set(stages)
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    # weighted by rows: parts and cables, the big tables, take most of the bar
    at = dict(heard)
    assert at["reading cables"] - at["reading parts"] > 0.1
    assert len(design.parts) > 0
