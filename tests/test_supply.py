"""Supply-chain analysis and overlays, and categorical legends that show every label in full."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from twin.analysis.supply import analyse_supply, rack_supply_rows
from twin.export.image import render_design
from legend_readback import check_legend
from twin.analysis import colouring
from twin.scene.legend import CategoryLegend
from twin.session import ReviewSession
from twin.store import load_design


@pytest.fixture(scope="module")
def hall(hall_db):
    return load_design(hall_db)


def test_rack_domestic_share_and_longest_lead_match_the_tables(hall, hall_db):
    result = analyse_supply(hall)
    conn = sqlite3.connect(hall_db)
    for name in ("A01", "E03", "A-N1"):
        r = hall.rack_index(name)
        cost, home_cost, lead = conn.execute("""
            SELECT SUM(t.unit_cost_usd), SUM(CASE WHEN t.country_of_origin = 'US' THEN t.unit_cost_usd ELSE 0 END),
                   MAX(t.lead_time_days)
            FROM parts p JOIN part_types t ON t.id = p.part_type_id JOIN racks k ON k.id = p.rack_id
            WHERE k.name = ?""", (name,)).fetchone()
        assert result.racks.domestic_share[r] == pytest.approx(home_cost / cost)
        assert result.racks.lead_days[r] == lead
        part = int(result.racks.lead_part[r])
        assert hall.parts.rack[part] == r
        assert hall.part_types.lead_time_days[hall.parts.type[part]] == lead
        rows = dict(rack_supply_rows(hall, result, r))
        assert rows["longest lead time"].startswith(f"{lead} days: {hall.parts.name[part]}")
    conn.close()


def test_supply_overlays_are_registered_and_coloured(hall):
    session = ReviewSession(hall)
    domestic = session.overlay("supply")
    assert domestic.categories == ("domestic (US)", "imported")
    kinds = hall.part_kind()
    tray = np.flatnonzero(hall.parts.name == "A01-U05")[0]            # GB200 tray, made in MX
    assert kinds[tray] == "compute_tray" and domestic.values[tray] == 1.0
    country = session.overlay("supply-country")
    assert country.categories[0] == "US (home)" and "MX" in country.categories
    assert country.categories[int(country.values[tray])] == "MX"
    lead = session.overlay("lead-time")
    assert lead.unit == "days" and lead.values[tray] == 150 and lead.vmax >= np.nanmax(lead.values)


def test_categorical_legend_shows_every_label_in_full(hall):
    image, scene = render_design(hall, view="top", size=(900, 520), overlay="supply-country")
    check_legend(scene, image, scene.overlay)
    # every swatch colour is drawn in the legend strip
    x0, y0, x1, y1 = scene.camera.legend_box()
    region = image[y0:y1, x0:x1]
    palette = colouring.lookup_table("categorical")
    swatch = scene.legend_area.style.swatch_px
    for i in range(len(scene.overlay.categories)):
        hits = np.all(np.abs(region.astype(int) - palette[i].astype(int)) <= 2, axis=2).sum()
        assert hits >= (swatch - 2) ** 2, scene.overlay.categories[i]
    # long labels widen the legend instead of being cut
    style = scene.legend_area.style
    long = CategoryLegend("Origin", ("domestic (United States of America)", "imported"))
    short = CategoryLegend("Origin", ("d", "i"))
    assert long.size(style, 500)[0] > short.size(style, 500)[0] + 150


def test_info_summary_gives_the_design_supply_figures(hall, hall_db):
    from twin.analysis.summary import design_summary

    supply = design_summary(hall)["supply"]
    conn = sqlite3.connect(hall_db)
    cost, home_cost, lead = conn.execute("""
        SELECT SUM(t.unit_cost_usd), SUM(CASE WHEN t.country_of_origin = 'US' THEN t.unit_cost_usd ELSE 0 END),
               MAX(t.lead_time_days) FROM parts p JOIN part_types t ON t.id = p.part_type_id""").fetchone()
    conn.close()
    assert supply["domestic_share"] == pytest.approx(home_cost / cost, abs=1e-4)
    assert supply["longest_lead_days"] == lead and supply["home_country"] == "US"
