"""Legends in the viewer, read back from the real widgets, and the cooling overlay on the time
slider (run under Xvfb: see the README)."""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
from PySide6.QtCore import QPoint, Qt
from vtkmodules.util.numpy_support import vtk_to_numpy

from legend_readback import check_legend, design_right_edge
from test_app import open_and_wait, window  # noqa: F401  (the fixture)
from twin.analysis import colouring


def test_every_legend_in_the_app_reads_back_whole_beside_the_design(qtbot, window, hall_db):  # noqa: F811
    open_and_wait(qtbot, window, hall_db)
    scene, panel, viewport = window.scene, window.overlays, window.viewport
    names = [n for n, why in panel.reasons.items() if why is None and n != "none"]
    assert {"thermal", "power", "cabling", "cooling", "supply", "supply-country", "lead-time"} <= set(names)
    # the view opened at iso is framed again beside the legend that the first overlay brings
    panel.choose("thermal")
    viewport.refresh()
    check_legend(scene, scene.screenshot(), scene.overlay)
    for name in names:
        viewport.home()
        panel.choose(name)
        viewport.refresh()
        check_legend(scene, scene.screenshot(), scene.overlay)

    # a smaller window: the strip is laid out again, the labels still whole and inside
    panel.choose("supply-country")
    viewport.home()
    before = tuple(scene.render_window.GetSize())
    window.resize(1000, 640)
    qtbot.waitUntil(lambda: tuple(scene.render_window.GetSize()) != before, timeout=5000)
    qtbot.wait(100)                    # the dock layout then gives the 3D view back its room
    viewport.refresh()
    w, h = scene.render_window.GetSize()
    assert w < before[0]
    check_legend(scene, scene.screenshot(), scene.overlay)
    assert scene.camera.legend_box()[2] == w

    # a click on the legend strip selects nothing; on the design beside it, a part
    window.select_parts([])
    x0, _, x1, _ = scene.camera.legend_box()
    ratio = viewport.devicePixelRatioF()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=QPoint(int((x0 + x1) / 2 / ratio), int(h / 2 / ratio)))
    assert not scene.state.selected_mask().any()
    viewport.set_view("top")
    x, y = scene.camera.project(scene.geometry.rack_centre[window.design.rack_index("H06")])[0]
    assert x < x0 and design_right_edge(scene) <= x0
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=QPoint(int(x / ratio), int(y / ratio)))
    assert scene.state.selected_mask().any()


def pipe_colours(scene) -> np.ndarray:
    """The colour each drawn cooling pipe has now, read from its actor."""
    poly = scene.decorations.pipes.GetMapper().GetInput()
    return vtk_to_numpy(poly.GetCellData().GetScalars()).astype(int)


def test_the_cooling_overlay_follows_the_time_slider(qtbot, window, hall_db, tmp_path):  # noqa: F811
    """Row A's loop ran hot at the first moment (its return sensor read 52 °C): with the slider
    there, its return pipes and its liquid-cooled racks are drawn hot; at the last moment not."""
    db = tmp_path / "hot-loop.twin.db"
    shutil.copy(hall_db, db)
    with sqlite3.connect(db) as conn:
        first = conn.execute("SELECT MIN(ts) FROM readings").fetchone()[0]
        changed = conn.execute("UPDATE readings SET value = 52.0 WHERE ts = ? AND sensor_id = "
                               "(SELECT id FROM sensors WHERE name = 'A-loop1-return')", (first,)).rowcount
    assert changed == 1
    open_and_wait(qtbot, window, db)
    scene, panel, design = window.scene, window.overlays, window.design
    # a loop's return sensor measures the heat of its moment: it counts on the measured basis
    window.session.configure("thermal", basis="measured")
    window.viewport.set_view("top")
    panel.choose("cooling")
    assert panel.time_row.isVisibleTo(panel) and panel.times[0] == first
    assert panel.slider.value() == len(panel.times) - 1
    rack = design.rack_index("A03")
    loop = int(design.racks.cooling_loop[rack])
    wet = int(np.flatnonzero((design.parts.rack == rack) & (design.parts.cooling_loop == loop))[0])

    def drawn() -> tuple[np.ndarray, np.ndarray]:
        window.viewport.refresh()
        return pipe_colours(scene), scene.colour_of(part=wet).astype(int)

    hot = colouring.map_values(np.array([52.0]), "thermal", scene.overlay.vmin, scene.overlay.vmax)[0].astype(int)
    a_racks = int((design.racks.cooling_loop == loop).sum())
    pipes_late, rack_late = drawn()
    assert not (pipe_colours(scene) == hot).all(axis=1).any()
    panel.slider.setValue(0)
    qtbot.waitUntil(lambda: scene.overlay.label.endswith(first), timeout=5000)
    pipes_early, rack_early = drawn()
    assert scene.overlay.name == "cooling"
    # one return pipe per rack of loop A is drawn at 52 °C now, and only those changed much
    assert (pipes_early == hot).all(axis=1).sum() == a_racks
    assert (np.abs(pipes_early - pipes_late).max(axis=1) > 40).sum() == a_racks
    # the rack's liquid-cooled parts are coloured by their loop's return temperature too
    assert (rack_early == hot).all() and not (rack_late == hot).all(), (rack_early, rack_late)
