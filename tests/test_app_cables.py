"""The Cables panel and cable picking in the real viewer (Xvfb, real VTK, real clicks)."""

from __future__ import annotations

import os

import numpy as np

if not os.environ.get("DISPLAY"):
    raise RuntimeError("the viewer tests need an X display: run them with `make test` (it starts Xvfb) "
                       "or under xvfb-run")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from test_app import open_and_wait, window  # noqa: E402,F401  (the fixture)
from twin.analysis.routes import polylines  # noqa: E402
from twin.scene.camera import CameraPose  # noqa: E402
from twin.session import ReviewSession  # noqa: E402


def test_cables_panel_filters_sorts_and_traces(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    design, scene, panel = window.design, window.scene, window.cables
    window.cables_dock.raise_()
    qtbot.waitUntil(lambda: len(panel.model.rows) == len(design.cables), timeout=10_000)
    assert panel.count.text() == f"{len(design.cables):,} of {len(design.cables):,}"
    # filter: every word must match
    panel.filter.setText("dac C02")
    panel.refilter()
    assert len(panel.model.rows) == 1
    dac = panel.cable_at(0)
    assert design.cable_kind()[dac] == "dac"
    assert panel.model.data(panel.model.index(0, 8)) == "critical"
    # only cables with findings, sorted by reach used, most first
    panel.filter.clear()
    panel.only_findings.setChecked(True)
    assert list(panel.model.rows) == [dac]
    panel.only_findings.setChecked(False)
    panel.table.sortByColumn(7, Qt.SortOrder.DescendingOrder)
    assert panel.cable_at(0) == dac
    # a click on the row traces the cable: both ends selected, route drawn
    rect = panel.table.visualRect(panel.model.index(0, 0))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: list(scene.state.highlight_cables) == [dac], timeout=5000)
    c = design.cables
    assert set(window.selection) == {int(c.a_part[dac]), int(c.b_part[dac])}
    assert "traced cable C006465" in window.statusBar().currentMessage()
    assert scene.decorations.trace is not None
    # a new selection ends the trace
    window.select_parts([int(scene.geometry.frame_of_rack[0])])
    assert not len(scene.state.highlight_cables) and scene.decorations.trace is None


def test_properties_cable_rows_and_3d_cable_picking(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    design, scene = window.design, window.scene
    dac = int(np.flatnonzero(design.cable_kind() == "dac")[0])
    window.select_parts([int(design.cables.a_part[dac])])
    # the Cables section of Properties lists the DAC as a link; a click traces it
    tree = window.properties.tree
    section = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                   if tree.topLevelItem(i).text(0).startswith("Cables"))
    row = next(section.child(i) for i in range(section.childCount()) if section.child(i).text(1).startswith("C006465"))
    section.setExpanded(True)
    tree.scrollToItem(row)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(row).center())
    qtbot.waitUntil(lambda: list(scene.state.highlight_cables) == [dac], timeout=5000)
    # with a cabling overlay shown, a click on a drawn cable picks and traces it
    window.select_parts([])
    scene.set_overlay(ReviewSession(design).overlay("cabling"))
    scene.camera.set_camera_pose(CameraPose((3.0, 6.9, 5.2), (7.0, 8.5, 1.8), (0.0, 0.0, 1.0), 50.0))
    scene.lod.update(force=True)
    window.viewport.refresh()
    pts, _ = polylines(design, [dac])
    x, y = scene.camera.project(pts[0] + 0.5 * (pts[1] - pts[0]))[0]
    ratio = window.viewport.devicePixelRatioF()
    qtbot.mouseClick(window.viewport, Qt.MouseButton.LeftButton, pos=QPoint(int(round(x / ratio)), int(round(y / ratio))))
    qtbot.waitUntil(lambda: len(scene.state.highlight_cables) == 1, timeout=5000)
    picked = int(scene.state.highlight_cables[0])
    assert design.parts.rack[design.cables.a_part[picked]] == design.parts.rack[design.cables.a_part[dac]]
    assert window.cables.table.selectionModel().hasSelection()
