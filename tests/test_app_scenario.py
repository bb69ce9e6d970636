"""The viewer under a what-if scenario, with real widgets, a real design file and real VTK:
the Scenario dock activates a stored scenario, a right-click asks "What if this fails?", the
scene colours what is affected and dims the rest, the Findings dock lists the scenario's
findings, and clearing puts the design back (run under Xvfb)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint

from test_app import open_and_wait, window  # noqa: F401  (the window fixture)
from twin.model.scenario import Change
from twin.store.scenarios import ScenarioStore

REPO = Path(__file__).resolve().parents[1]
IMAGES = REPO / "docs" / "images"


def busway_and_racks(path: Path) -> tuple[str, set[str]]:
    """The first busway and the racks under it (plain SQL: busway → parts it feeds, and → its
    children's parts)."""
    with sqlite3.connect(path) as conn:
        bid, name = conn.execute("select id, name from power_nodes where kind = 'busway' order by id limit 1").fetchone()
        racks = {r[0] for r in conn.execute("""
            with recursive below(id) as (select ? union select n.id from power_nodes n join below b on n.parent_id = b.id)
            select distinct r.name from parts p join racks r on r.id = p.rack_id join part_types t on t.id = p.part_type_id
            where p.power_node_id in (select id from below)
              and (case when p.power_w >= 0 then p.power_w else t.power_nominal_w end) > 0""", (bid,))}
    return name, racks


def test_a_stored_scenario_and_a_right_click_show_what_fails(qtbot, window, hall_db, tmp_path):  # noqa: F811
    path = tmp_path / "hall.twin.db"
    shutil.copy(hall_db, path)
    busway, racks = busway_and_racks(path)
    with ScenarioStore(path) as store:
        store.add("busway out", [Change("fail", busway)])
    open_and_wait(qtbot, window, path)
    panel, view, d = window.scenarios.panel, window.view, window.design
    assert [panel.list.item(i).text() for i in range(panel.list.count())] == ["busway out"]
    base_critical = {f.code for f in window.session.findings() if f.severity == "critical"}
    assert "power-lost" not in base_critical

    panel.list.setCurrentRow(0)
    panel.activate_button.click()
    assert view.scenario is not None and view.scenario.name == "busway out"
    assert window.session.scenario == view.scenario
    assert window.findings.item_for(busway, "critical") is not None        # the Findings dock lists it
    assert view.overlay_name == "whatif"
    lit = set(np.asarray(d.parts.rack)[view.highlight_parts].tolist())
    assert {str(d.racks.name[r]) for r in lit if r >= 0} == racks          # the racks under the busway, no others
    window.viewport.set_view("top")
    window.viewport.refresh()
    image = window.scene.screenshot()
    purple = (np.abs(image.reshape(-1, 3).astype(int) - [123, 50, 148]).sum(axis=1) < 90).sum()
    assert purple > 200                                                    # lost power is drawn
    IMAGES.mkdir(exist_ok=True)
    window.viewport.set_view("iso")
    window.viewport.refresh()
    _save(window.scene.screenshot(), IMAGES / "scenario-busway.png")

    panel.clear_button.click()
    assert view.scenario is None and window.session.scenario is None and view.overlay_name == "none"
    assert window.findings.item_for(busway, "critical") is None

    # right-click a CDU: "What if G-CDU1 fails?"
    cdu = int(np.flatnonzero(d.part_kind() == "cdu")[0])
    menu = window.review.show_context_menu(cdu, QPoint(10, 10))
    action = next(a for a in menu.actions() if a.text().startswith("What if"))
    assert action.text() == f"What if {d.parts.name[cdu]} fails?"
    action.trigger()
    menu.close()
    assert view.scenario.failed == (str(d.parts.name[cdu]),)
    assert [f for f in window.session.findings() if f.code == "cooling-lost"]
    window.viewport.set_view("iso")
    window.viewport.refresh()
    _save(window.scene.screenshot(), IMAGES / "scenario-cdu.png")
    # a right-click on a busway tap fails its busway
    tap = int(np.flatnonzero(d.part_kind() == "busway")[0])
    menu = window.review.show_context_menu(tap, QPoint(10, 10))
    texts = [a.text() for a in menu.actions()]
    menu.close()
    with sqlite3.connect(path) as conn:      # the tap is fed by its busway
        fed_by = conn.execute("select n.name from parts p join power_nodes n on n.id = p.power_node_id "
                              "where p.name = ?", (str(d.parts.name[tap]),)).fetchone()[0]
    assert f"What if {fed_by} fails?" in texts and "Clear the scenario" in texts


def _save(image: np.ndarray, path: Path) -> None:
    from twin.export.image import png_bytes

    path.write_bytes(png_bytes(image))
