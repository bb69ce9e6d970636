"""What the Properties panel says about a selected rack and a sensor (no Qt: the rows it shows)."""

from __future__ import annotations

import numpy as np

from twin.session import ReviewSession
from twin.store import load_design
from twin.store.queries import DesignQueries, display_unit


def test_a_selected_rack_shows_its_total_heat_and_power_against_budget(hall_db):
    design = load_design(hall_db)
    frame = int(np.flatnonzero(design.parts.name == "A06-frame")[0])
    thermal = dict(ReviewSession(design).part_rows(frame))["Thermal and cooling"]
    rows = dict(thermal)
    assert "heat" not in rows                                  # not the frame's own "0 W"
    heat_kw = float(rows["rack heat"].split()[0].replace(",", ""))
    parts = design.parts.rack == design.rack_index("A06")
    assert heat_kw > 10 and abs(heat_kw * 1000 - design.part_power_w()[parts].sum()) / heat_kw / 1000 < 0.5
    budget_kw = design.racks.power_budget_w[design.rack_index("A06")] / 1000
    assert f"of {budget_kw:,.1f} kW budget" in rows["rack IT power"] and "losses" in rows["rack IT power"]


def test_sensor_units_are_shown_with_degree_signs(hall_db):
    assert display_unit("degC") == "°C" and display_unit("W") == "W" and display_unit(None) == ""
    design = load_design(hall_db)
    q = DesignQueries(hall_db)
    try:
        frame = int(design.parts.id[np.flatnonzero(design.parts.name == "A06-frame")[0]])
        text = repr(q.part_properties(frame))
    finally:
        q.close()
    assert "°C" in text and "degC" not in text
